// ReportStore: events — the events report, the inbox (keyset paging) and acknowledgement.
#include "store/detail/reports_impl.hpp"
#include "store/reports.hpp"

namespace fleet::store {

using namespace detail;

namespace {

constexpr std::string_view kEventColumns =
    "e.id, e.type, e.time, e.vehicle_id, coalesce(v.name, ''), e.device_id, e.driver_id, coalesce(d.name, ''), "
    "e.geofence_id, coalesce(g.name, ''), e.lat, e.lon, e.detail, e.created_at, e.acknowledged_at, "
    "e.acknowledged_by";

EventRow ReadEvent(sqlite3_stmt* s) {
    EventRow r;
    r.id = sqlite3_column_int64(s, 0);
    r.type = Col(s, 1);
    r.time = FromMs(sqlite3_column_int64(s, 2));
    r.vehicle_id = ColOptInt(s, 3);
    r.vehicle_name = Col(s, 4);
    r.device_id = ColOptInt(s, 5);
    r.driver_id = ColOptInt(s, 6);
    r.driver_name = Col(s, 7);
    r.geofence_id = ColOptInt(s, 8);
    r.geofence_name = Col(s, 9);
    r.lat = ColOptDouble(s, 10);
    r.lon = ColOptDouble(s, 11);
    r.detail_json = Col(s, 12);
    if (r.detail_json.empty()) r.detail_json = "{}";
    r.created_at = FromMs(sqlite3_column_int64(s, 13));
    if (auto t = ColOptInt(s, 14)) r.acknowledged_at = FromMs(*t);
    r.acknowledged_by = ColOptInt(s, 15);
    return r;
}

// FROM and WHERE of the events a viewer sees that match `filter`: the tenant's events of visible
// vehicles, and those without a vehicle (a device in no vehicle) for a viewer who is not narrowed
// and asked for no vehicle, group or driver.
Sql EventsSql(const Viewer& viewer, const EventFilter& filter) {
    Sql sql;
    sql << "FROM events e LEFT JOIN vehicles v ON v.id = e.vehicle_id "
           "LEFT JOIN drivers d ON d.id = e.driver_id AND d.tenant_id = e.tenant_id "
           "LEFT JOIN geofences g ON g.id = e.geofence_id AND g.tenant_id = e.tenant_id WHERE e.tenant_id = ? AND ";
    sql.Arg(viewer.scope.tenant_id());
    bool unfiltered = !filter.vehicle_id && !filter.group_id && !filter.driver_id;
    sql << "(";
    VisibleVehicleSql(sql, viewer);
    if (unfiltered) {
        sql << " OR (e.vehicle_id IS NULL AND NOT EXISTS (SELECT 1 FROM user_groups eu WHERE eu.user_id = ?))";
        sql.Arg(viewer.user_id);
    }
    sql << ")";
    if (filter.vehicle_id) {
        sql << " AND e.vehicle_id = ?";
        sql.Arg(*filter.vehicle_id);
    }
    if (filter.group_id) {
        sql << " AND e.vehicle_id IN (SELECT fgv.vehicle_id FROM group_vehicles fgv WHERE fgv.group_id = ?)";
        sql.Arg(*filter.group_id);
    }
    if (filter.driver_id) {
        sql << " AND e.driver_id = ?";
        sql.Arg(*filter.driver_id);
    }
    if (!filter.types.empty()) {
        sql << " AND e.type IN (";
        for (size_t i = 0; i < filter.types.size(); ++i) {
            sql << (i ? ", ?" : "?");
            sql.Arg(filter.types[i]);
        }
        sql << ")";
    }
    if (filter.acknowledged) sql << (*filter.acknowledged ? " AND e.acknowledged_at IS NOT NULL" : " AND e.acknowledged_at IS NULL");
    if (filter.from) {
        sql << " AND e.time >= ?";
        sql.Arg(ToMs(*filter.from));
    }
    if (filter.to) {
        sql << " AND e.time < ?";
        sql.Arg(ToMs(*filter.to));
    }
    return sql;
}

constexpr std::string_view kNewestFirst = " ORDER BY e.time DESC, e.id DESC";

}  // namespace

Outcome<Page<EventRow>> ReportStore::Events(const Viewer& viewer, const EventFilter& filter, const ReportPage& page) {
    ReportFilter ids{core::TimePoint{}, core::TimePoint{} + std::chrono::hours(1), filter.vehicle_id, filter.group_id,
                     filter.driver_id};
    if (filter.from && filter.to) {
        ids.from = *filter.from;
        ids.to = *filter.to;
    }
    if (auto c = CheckFilter(viewer, ids); !c) return c.Failure<Page<EventRow>>();
    Sql where = EventsSql(viewer, filter);
    Sql count = where;
    count.text = "SELECT count(*) " + where.text;
    auto total = Count(db_, count, "events report");
    if (!total) return total.error();
    Sql rows = where;
    rows.text = fmt::format("SELECT {} {}{} LIMIT ? OFFSET ?", kEventColumns, where.text, kNewestFirst);
    rows.Arg(page.limit).Arg(page.offset);
    auto items = Rows<EventRow>(db_, rows, "events report", ReadEvent);
    if (!items) return items.error();
    return Page<EventRow>{std::move(*items), *total};
}

Outcome<std::vector<EventRow>> ReportStore::EventInbox(const Viewer& viewer, const EventFilter& filter,
                                                       const std::optional<EventCursor>& before, int64_t limit) {
    ReportFilter ids{core::TimePoint{}, core::TimePoint{} + std::chrono::hours(1), filter.vehicle_id, filter.group_id,
                     filter.driver_id};
    if (auto c = CheckFilter(viewer, ids); !c) return c.Failure<std::vector<EventRow>>();
    Sql sql = EventsSql(viewer, filter);
    if (before) {
        sql << " AND (e.time < ? OR (e.time = ? AND e.id < ?))";
        sql.Arg(ToMs(before->time)).Arg(ToMs(before->time)).Arg(before->id);
    }
    sql.text = fmt::format("SELECT {} {}{} LIMIT ?", kEventColumns, sql.text, kNewestFirst);
    sql.Arg(limit);
    auto items = Rows<EventRow>(db_, sql, "events inbox", ReadEvent);
    if (!items) return items.error();
    return std::move(*items);
}

Result<std::optional<EventRow>> ReportStore::FindEvent(const Viewer& viewer, int64_t id) {
    Sql sql = EventsSql(viewer, EventFilter{});
    sql << " AND e.id = ?";
    sql.Arg(id);
    sql.text = fmt::format("SELECT {} {}", kEventColumns, sql.text);
    auto rows = Rows<EventRow>(db_, sql, "find event", ReadEvent);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<EventRow>();
    return std::optional<EventRow>(std::move(rows->front()));
}

Outcome<EventRow> ReportStore::AcknowledgeEvent(const Viewer& viewer, int64_t id, const Actor& actor,
                                                core::TimePoint now) {
    return InTransaction<EventRow>(db_, [&]() -> Outcome<EventRow> {
        auto found = FindEvent(viewer, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such event"};
        EventRow event = std::move(**found);
        if (event.acknowledged_at) return event;
        Sql update;
        update << "UPDATE events SET acknowledged_at = ?, acknowledged_by = ";
        update.Arg(ToMs(now));
        update.Value(actor.user_id);
        update << " WHERE id = ? AND acknowledged_at IS NULL";
        update.Arg(id);
        if (auto r = Change(db_, update, "acknowledge event"); !r) return r.Failure<EventRow>();
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "event.acknowledge", fmt::format("event:{}", id),
                           DetailJson({{"type", event.type}}));
            !a) {
            return a.Failure<EventRow>();
        }
        event.acknowledged_at = now;
        event.acknowledged_by = actor.user_id;
        return event;
    });
}

}  // namespace fleet::store
