#include "api/detail/report_render.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "core/time.hpp"

namespace fleet::api::detail {

namespace {

constexpr std::pair<ReportKind, std::string_view> kKinds[] = {
    {ReportKind::kTrips, "trips"},
    {ReportKind::kStops, "stops"},
    {ReportKind::kSummary, "summary"},
    {ReportKind::kEvents, "events"},
    {ReportKind::kGeofenceVisits, "geofence-visits"},
    {ReportKind::kEco, "eco"},
    {ReportKind::kFuel, "fuel"},
    {ReportKind::kUtilisation, "utilisation"},
    {ReportKind::kMaintenance, "maintenance"},
};

constexpr std::string_view kEventTypes[] = {
    "ignition_on", "ignition_off", "trip_start", "trip_end", "idling", "overspeed", "geofence_enter",
    "geofence_exit", "harsh_acceleration", "harsh_braking", "harsh_cornering", "towing", "power_cut",
    "tampering", "gsm_jamming", "gps_lost", "low_battery", "crash", "sos", "dtc", "driver_changed",
    "unknown_badge", "refuel", "fuel_drop", "device_offline", "device_online", "maintenance_due",
    "maintenance_overdue"};

std::optional<int64_t> PositiveId(std::string_view s) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v < 1) return std::nullopt;
    return v;
}

// --- tables --------------------------------------------------------------------------------------

using T = CellType;

Cell Opt(const std::optional<double>& v) { return v ? Cell{*v} : Cell{}; }
Cell Opt(const std::optional<int64_t>& v) { return v ? Cell{*v} : Cell{}; }
Cell Opt(const std::optional<core::TimePoint>& v) { return v ? Cell{*v} : Cell{}; }
Cell Name(const std::optional<int64_t>& id, const std::string& name) { return id ? Cell{name} : Cell{}; }

template <typename Row, typename Fill>
ReportTable Table(ReportKind kind, std::vector<Column> columns, const store::Page<Row>& page, Fill&& fill) {
    ReportTable t;
    t.report = std::string(ToString(kind));
    t.columns = std::move(columns);
    t.total = page.total;
    t.rows.reserve(page.items.size());
    for (const auto& item : page.items) t.rows.push_back(fill(item));
    return t;
}

ReportTable TripsTable(const store::Page<store::TripRow>& page) {
    return Table(ReportKind::kTrips,
                 {{"id", T::kInt}, {"vehicle_id", T::kInt}, {"vehicle_name", T::kText}, {"driver_id", T::kInt},
                  {"driver_name", T::kText}, {"start_time", T::kTime}, {"end_time", T::kTime},
                  {"duration_s", T::kNumber}, {"distance_m", T::kNumber}, {"start_lat", T::kNumber},
                  {"start_lon", T::kNumber}, {"end_lat", T::kNumber}, {"end_lon", T::kNumber},
                  {"start_odometer_m", T::kNumber}, {"end_odometer_m", T::kNumber}, {"max_speed_kmh", T::kNumber},
                  {"avg_speed_kmh", T::kNumber}, {"idle_s", T::kNumber}, {"overspeed_s", T::kNumber},
                  {"harsh_acceleration", T::kInt}, {"harsh_braking", T::kInt}, {"harsh_cornering", T::kInt},
                  {"fuel_used_l", T::kNumber}, {"eco_score", T::kNumber}, {"device_id", T::kInt}},
                 page, [](const store::TripRow& r) -> std::vector<Cell> {
                     double duration = std::chrono::duration<double>(r.end_time - r.start_time).count();
                     return {r.id, r.vehicle_id, r.vehicle_name, Opt(r.driver_id), Name(r.driver_id, r.driver_name),
                             r.start_time, r.end_time, duration, r.distance_m, r.start_lat, r.start_lon, r.end_lat,
                             r.end_lon, r.start_odometer_m, r.end_odometer_m, r.max_speed_kmh, r.avg_speed_kmh,
                             r.idle_s, r.overspeed_s, r.harsh_acceleration, r.harsh_braking, r.harsh_cornering,
                             Opt(r.fuel_used_l), Opt(r.eco_score), r.device_id};
                 });
}

ReportTable StopsTable(const store::Page<store::StopRow>& page) {
    return Table(ReportKind::kStops,
                 {{"id", T::kInt}, {"vehicle_id", T::kInt}, {"vehicle_name", T::kText}, {"driver_id", T::kInt},
                  {"driver_name", T::kText}, {"start_time", T::kTime}, {"end_time", T::kTime},
                  {"duration_s", T::kNumber}, {"lat", T::kNumber}, {"lon", T::kNumber}, {"odometer_m", T::kNumber},
                  {"engine_on_s", T::kNumber}, {"device_id", T::kInt}},
                 page, [](const store::StopRow& r) -> std::vector<Cell> {
                     double duration = std::chrono::duration<double>(r.end_time - r.start_time).count();
                     return {r.id,        r.vehicle_id, r.vehicle_name, Opt(r.driver_id),
                             Name(r.driver_id, r.driver_name), r.start_time, r.end_time, duration,
                             r.lat,       r.lon,        r.odometer_m,   r.engine_on_s,
                             r.device_id};
                 });
}

ReportTable SummaryTable(const store::Page<store::DaySummary>& page) {
    return Table(ReportKind::kSummary,
                 {{"date", T::kDate}, {"vehicle_id", T::kInt}, {"vehicle_name", T::kText}, {"trips", T::kInt},
                  {"distance_m", T::kNumber}, {"driving_s", T::kNumber}, {"idle_s", T::kNumber},
                  {"max_speed_kmh", T::kNumber}, {"first_start", T::kTime}, {"last_end", T::kTime},
                  {"fuel_used_l", T::kNumber}},
                 page, [](const store::DaySummary& r) -> std::vector<Cell> {
                     return {r.day,       r.vehicle_id, r.vehicle_name,       r.trips,           r.distance_m,
                             r.driving_s, r.idle_s,     Opt(r.max_speed_kmh), Opt(r.first_start), Opt(r.last_end),
                             Opt(r.fuel_used_l)};
                 });
}

ReportTable EventsTable(const store::Page<store::EventRow>& page) {
    return Table(ReportKind::kEvents,
                 {{"id", T::kInt}, {"time", T::kTime}, {"type", T::kText}, {"vehicle_id", T::kInt},
                  {"vehicle_name", T::kText}, {"driver_id", T::kInt}, {"driver_name", T::kText},
                  {"geofence_id", T::kInt}, {"geofence_name", T::kText}, {"lat", T::kNumber}, {"lon", T::kNumber},
                  {"detail", T::kJson}, {"acknowledged_at", T::kTime}, {"acknowledged_by", T::kInt},
                  {"device_id", T::kInt}},
                 page, [](const store::EventRow& r) -> std::vector<Cell> {
                     return {r.id,
                             r.time,
                             r.type,
                             Opt(r.vehicle_id),
                             Name(r.vehicle_id, r.vehicle_name),
                             Opt(r.driver_id),
                             Name(r.driver_id, r.driver_name),
                             Opt(r.geofence_id),
                             Name(r.geofence_id, r.geofence_name),
                             Opt(r.lat),
                             Opt(r.lon),
                             r.detail_json,
                             Opt(r.acknowledged_at),
                             Opt(r.acknowledged_by),
                             Opt(r.device_id)};
                 });
}

ReportTable VisitsTable(const store::Page<store::VisitRow>& page) {
    return Table(ReportKind::kGeofenceVisits,
                 {{"id", T::kInt}, {"geofence_id", T::kInt}, {"geofence_name", T::kText}, {"vehicle_id", T::kInt},
                  {"vehicle_name", T::kText}, {"driver_id", T::kInt}, {"driver_name", T::kText},
                  {"enter_time", T::kTime}, {"exit_time", T::kTime}, {"duration_s", T::kNumber}},
                 page, [](const store::VisitRow& r) -> std::vector<Cell> {
                     return {r.id,           r.geofence_id,  r.geofence_name,     r.vehicle_id,
                             r.vehicle_name, Opt(r.driver_id), Name(r.driver_id, r.driver_name),
                             r.enter_time,   Opt(r.exit_time), Opt(r.duration_s)};
                 });
}

ReportTable EcoTable(const store::Page<store::EcoRow>& page, store::EcoBy by, int64_t offset) {
    bool drivers = by == store::EcoBy::kDriver;
    return Table(ReportKind::kEco,
                 {{"rank", T::kInt}, {drivers ? "driver_id" : "vehicle_id", T::kInt},
                  {drivers ? "driver_name" : "vehicle_name", T::kText}, {"eco_score", T::kNumber},
                  {"trips", T::kInt}, {"distance_m", T::kNumber}, {"duration_s", T::kNumber},
                  {"harsh_acceleration", T::kInt}, {"harsh_braking", T::kInt}, {"harsh_cornering", T::kInt},
                  {"harsh_per_100km", T::kNumber}, {"overspeed_share", T::kNumber}, {"idle_share", T::kNumber}},
                 page, [rank = offset](const store::EcoRow& r) mutable -> std::vector<Cell> {
                     return {++rank,
                             r.id,
                             r.name,
                             Opt(r.eco_score),
                             r.trips,
                             r.distance_m,
                             r.duration_s,
                             r.harsh_acceleration,
                             r.harsh_braking,
                             r.harsh_cornering,
                             Opt(r.harsh_per_100km),
                             Opt(r.overspeed_share),
                             Opt(r.idle_share)};
                 });
}

ReportTable FuelTable(const store::Page<store::FuelRow>& page) {
    return Table(ReportKind::kFuel,
                 {{"vehicle_id", T::kInt}, {"vehicle_name", T::kText}, {"trips", T::kInt}, {"distance_m", T::kNumber},
                  {"fuel_used_l", T::kNumber}, {"fuel_distance_m", T::kNumber}, {"l_per_100km", T::kNumber},
                  {"refuels", T::kInt}, {"refuel_l", T::kNumber}, {"fuel_drops", T::kInt},
                  {"fuel_drop_l", T::kNumber}},
                 page, [](const store::FuelRow& r) -> std::vector<Cell> {
                     return {r.vehicle_id,      r.vehicle_name,      r.trips,     r.distance_m,
                             Opt(r.fuel_used_l), r.fuel_distance_m, Opt(r.l_per_100km), r.refuels,
                             r.refuel_l,        r.fuel_drops,        r.fuel_drop_l};
                 });
}

ReportTable UtilisationTable(const store::Page<store::UtilisationRow>& page) {
    return Table(ReportKind::kUtilisation,
                 {{"vehicle_id", T::kInt}, {"vehicle_name", T::kText}, {"days", T::kInt}, {"days_used", T::kInt},
                  {"used_share", T::kNumber}, {"trips", T::kInt}, {"trips_per_day", T::kNumber},
                  {"distance_m", T::kNumber}, {"duration_s", T::kNumber}, {"avg_trip_distance_m", T::kNumber},
                  {"avg_trip_duration_s", T::kNumber}},
                 page, [](const store::UtilisationRow& r) -> std::vector<Cell> {
                     return {r.vehicle_id, r.vehicle_name,  r.days,       r.days_used,
                             r.used_share, r.trips,         r.trips_per_day, r.distance_m,
                             r.duration_s, Opt(r.avg_trip_distance_m), Opt(r.avg_trip_duration_s)};
                 });
}

ReportTable MaintenanceTable(const store::Page<store::MaintenanceDueRow>& page) {
    return Table(ReportKind::kMaintenance,
                 {{"plan_id", T::kInt}, {"vehicle_id", T::kInt}, {"vehicle_name", T::kText}, {"name", T::kText},
                  {"status", T::kText}, {"odometer_m", T::kNumber}, {"due_odometer_m", T::kNumber},
                  {"remaining_km", T::kNumber}, {"engine_h", T::kNumber}, {"due_engine_h", T::kNumber},
                  {"remaining_engine_h", T::kNumber}, {"due_date", T::kDate}, {"remaining_days", T::kInt}},
                 page, [](const store::MaintenanceDueRow& r) -> std::vector<Cell> {
                     return {r.plan_id,
                             r.vehicle_id,
                             r.vehicle_name,
                             r.name,
                             std::string(store::ToString(r.status)),
                             Opt(r.odometer_m),
                             Opt(r.due_odometer_m),
                             Opt(r.remaining_km),
                             Opt(r.engine_h),
                             Opt(r.due_engine_h),
                             Opt(r.remaining_engine_h),
                             r.due_date ? Cell{*r.due_date} : Cell{},
                             Opt(r.remaining_days)};
                 });
}

template <typename Row, typename Make>
store::Outcome<ReportTable> TableOf(const store::Outcome<store::Page<Row>>& page, Make&& make) {
    if (!page) return page.template Failure<ReportTable>();
    return make(*page);
}

}  // namespace

std::optional<RangeEnd> ParseRangeEnd(std::string_view text) {
    if (auto day = core::ParseLocalDay(text)) return RangeEnd{*day};
    if (text.size() <= 10) return std::nullopt;  // an instant needs its time of day
    auto t = core::ParseIso(text);
    if (!t) return std::nullopt;
    return RangeEnd{*t};
}

core::TimePoint ResolveEnd(const RangeEnd& end, bool is_to, const core::Zone& zone) {
    if (const auto* t = std::get_if<core::TimePoint>(&end)) return *t;
    core::LocalDay day = std::get<core::LocalDay>(end);
    return zone.StartOf(is_to ? day.Next() : day);  // a `to` date includes that whole day
}

ReportTable EventTable(const std::vector<store::EventRow>& events) {
    return EventsTable(store::Page<store::EventRow>{events, static_cast<int64_t>(events.size())});
}

std::string_view ToString(ReportKind kind) {
    for (const auto& [k, name] : kKinds) {
        if (k == kind) return name;
    }
    return "?";
}

std::optional<ReportKind> ParseReportKind(std::string_view name) {
    for (const auto& [k, n] : kKinds) {
        if (n == name) return k;
    }
    return std::nullopt;
}

bool KnownEventType(std::string_view type) {
    return std::find(std::begin(kEventTypes), std::end(kEventTypes), type) != std::end(kEventTypes);
}

std::variant<ReportParams, std::string> ParseReportParams(ReportKind kind,
                                                          const std::map<std::string, std::string>& values,
                                                          bool with_range) {
    ReportParams p;
    p.kind = kind;
    for (const auto& [name, value] : values) {
        std::string shown = name.substr(0, 64);
        if (with_range && (name == "from" || name == "to")) {
            auto end = ParseRangeEnd(value);
            if (!end) {
                return fmt::format("'{}' must be a date (YYYY-MM-DD, in the tenant's time zone) or an RFC 3339 time "
                                   "(2026-03-01T08:00:00Z)",
                                   name);
            }
            (name == "from" ? p.from : p.to) = *end;
        } else if (name == "vehicle_id" || name == "group_id" || name == "driver_id" ||
                   (name == "geofence_id" && kind == ReportKind::kGeofenceVisits)) {
            auto id = PositiveId(value);
            if (!id) return fmt::format("'{}' must be a positive integer", name);
            (name == "vehicle_id" ? p.vehicle_id
             : name == "group_id" ? p.group_id
             : name == "driver_id" ? p.driver_id
                                   : p.geofence_id) = *id;
        } else if (name == "by" && kind == ReportKind::kEco) {
            if (value != "driver" && value != "vehicle") return "'by' is driver or vehicle";
            p.by = value == "driver" ? store::EcoBy::kDriver : store::EcoBy::kVehicle;
        } else if (name == "type" && kind == ReportKind::kEvents) {
            size_t start = 0;
            while (start <= value.size()) {
                size_t comma = value.find(',', start);
                std::string type = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                if (!KnownEventType(type)) return fmt::format("'{}' is not an event type", type.substr(0, 64));
                if (std::find(p.types.begin(), p.types.end(), type) == p.types.end()) p.types.push_back(type);
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
        } else if (name == "acknowledged" && kind == ReportKind::kEvents) {
            if (value != "true" && value != "false") return "'acknowledged' is true or false";
            p.acknowledged = value == "true";
        } else {
            return fmt::format("unknown parameter '{}' for the {} report", shown, ToString(kind));
        }
    }
    if (with_range && kind != ReportKind::kMaintenance && (!p.from || !p.to)) {
        return "'from' and 'to' are required";
    }
    return p;
}

std::optional<std::map<std::string, std::string>> ParamValues(std::string_view params_json) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(params_json, ec);
    if (ec || !v.is_object()) return std::nullopt;
    std::map<std::string, std::string> values;
    for (const auto& [key, value] : v.as_object()) {
        if (value.is_int64() || value.is_uint64()) {
            values[std::string(key)] = boost::json::serialize(value);
        } else if (value.is_string()) {
            values[std::string(key)] = std::string(value.as_string());
        } else if (value.is_bool()) {
            values[std::string(key)] = value.as_bool() ? "true" : "false";
        } else {
            return std::nullopt;
        }
    }
    return values;
}

std::pair<core::TimePoint, core::TimePoint> ResolveRange(const ReportParams& params, const core::Zone& zone) {
    auto resolve = [&](const std::optional<RangeEnd>& end, bool is_to) {
        return end ? ResolveEnd(*end, is_to, zone) : core::TimePoint{};
    };
    return {resolve(params.from, false), resolve(params.to, true)};
}

store::Outcome<ReportTable> RenderReport(store::ReportStore& reports, const store::Viewer& viewer,
                                         const ReportParams& p, const core::Zone& zone,
                                         const store::ReportPage& page, core::TimePoint now) {
    store::ReportFilter f;
    std::tie(f.from, f.to) = ResolveRange(p, zone);
    f.vehicle_id = p.vehicle_id;
    f.group_id = p.group_id;
    f.driver_id = p.driver_id;
    switch (p.kind) {
        case ReportKind::kTrips: return TableOf(reports.Trips(viewer, f, page), TripsTable);
        case ReportKind::kStops: return TableOf(reports.Stops(viewer, f, page), StopsTable);
        case ReportKind::kSummary: return TableOf(reports.DailySummary(viewer, f, zone, page), SummaryTable);
        case ReportKind::kEvents: {
            store::EventFilter ef;
            ef.from = f.from;
            ef.to = f.to;
            ef.types = p.types;
            ef.vehicle_id = p.vehicle_id;
            ef.group_id = p.group_id;
            ef.driver_id = p.driver_id;
            ef.acknowledged = p.acknowledged;
            return TableOf(reports.Events(viewer, ef, page), EventsTable);
        }
        case ReportKind::kGeofenceVisits:
            return TableOf(reports.GeofenceVisits(viewer, f, p.geofence_id, page), VisitsTable);
        case ReportKind::kEco:
            return TableOf(reports.EcoRanking(viewer, f, p.by, page),
                           [&](const store::Page<store::EcoRow>& rows) { return EcoTable(rows, p.by, page.offset); });
        case ReportKind::kFuel: return TableOf(reports.Fuel(viewer, f, page), FuelTable);
        case ReportKind::kUtilisation: return TableOf(reports.Utilisation(viewer, f, zone, page), UtilisationTable);
        case ReportKind::kMaintenance:
            return TableOf(reports.MaintenanceDue(viewer, f, zone.DayOf(now), page), MaintenanceTable);
    }
    return Error{"unknown report"};
}

}  // namespace fleet::api::detail
