#include "store/derived.hpp"

#include <algorithm>
#include <limits>

#include "store/detail/fleet_impl.hpp"
#include "store/detail/position_sql.hpp"

namespace fleet::store {
namespace {

Query& BindOpt(Query& q, int i, const std::optional<double>& v) {
    if (v) {
        sqlite3_bind_double(q.get(), i, *v);
    } else {
        q.BindNull(i);
    }
    return q;
}

Query& BindDouble(Query& q, int i, double v) {
    sqlite3_bind_double(q.get(), i, v);
    return q;
}

std::optional<double> OptDouble(sqlite3_stmt* s, int i) {
    if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(s, i);
}

// Runs a one-statement change bound by `bind`.
template <typename Bind>
Result<void> Run(AccountStore::Impl& db, const char* sql, std::string_view what, Bind&& bind) {
    Query q(db.db, sql);
    if (!q.ok()) return q.error(what);
    bind(q);
    if (q.Step() != SQLITE_DONE) return db.DbError(what);
    return {};
}

}  // namespace

bool IsPeriodicEventType(std::string_view type) {
    return type == "device_offline" || type == "device_online" || type == "maintenance_due" ||
           type == "maintenance_overdue";
}

// Statements kept prepared for the connection's life: the runner writes many small chunks, and
// preparing cost more than running them. Keyed by the SQL literal's address.
class DerivedStore::Statements {
public:
    explicit Statements(sqlite3* db) : db_(db) {}
    // The statement, reset and unbound. A SELECT must be reset (ResetOnExit) or stepped to its end
    // after use, or it would keep this connection's read snapshot open.
    Query& Get(const char* sql) {
        auto& slot = map_[sql];
        if (!slot) slot = std::make_unique<Query>(db_, sql);
        sqlite3_reset(slot->get());
        sqlite3_clear_bindings(slot->get());
        return *slot;
    }

private:
    sqlite3* db_;
    std::unordered_map<const char*, std::unique_ptr<Query>> map_;
};

namespace {

struct ResetOnExit {
    Query& q;
    ~ResetOnExit() { sqlite3_reset(q.get()); }
};

}  // namespace

DerivedStore::DerivedStore(AccountStore& accounts)
    : db_(accounts.impl()), statements_(std::make_unique<Statements>(db_.db)) {}

DerivedStore::~DerivedStore() = default;

Result<std::vector<PositionRow>> DerivedStore::ReadPositions(int64_t device_id,
                                                             const std::optional<PositionCursor>& after,
                                                             int64_t limit) {
    // Row values: one seek on the index positions_by_device (device_id, device_time, fingerprint), then
    // a scan.
    static const std::string sql = fmt::format(
        "SELECT {} FROM positions WHERE device_id = ?1 AND (device_time, fingerprint) > (?2, ?3) "
        "ORDER BY device_time, fingerprint LIMIT ?4",
        detail::kPositionColumns);
    Query& q = statements_->Get(sql.c_str());
    ResetOnExit reset{q};
    if (!q.ok()) return q.error("read positions");
    q.Bind(1, device_id);
    q.Bind(2, after ? ToMs(after->time) : std::numeric_limits<int64_t>::min());
    q.Bind(3, after ? after->fingerprint : std::numeric_limits<int64_t>::min());
    q.Bind(4, limit);
    std::vector<PositionRow> out;
    out.reserve(static_cast<size_t>(std::min<int64_t>(limit, 4096)));
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.push_back(detail::ReadPositionRow(q.get()));
    if (rc != SQLITE_DONE) return db_.DbError("read positions");
    return out;
}

Result<DeviceWorld> DerivedStore::LoadWorld(int64_t device_id, core::TimePoint at) {
    DeviceWorld w;
    const int64_t at_ms = ToMs(at);
    {
        Query q(db_.db, "SELECT tenant_id FROM devices WHERE id = ?");
        if (!q.ok()) return q.error("read device");
        q.Bind(1, device_id);
        int rc = q.Step();
        if (rc == SQLITE_ROW) {
            w.tenant_id = ColOptInt(q.get(), 0);
        } else if (rc != SQLITE_DONE) {
            return db_.DbError("read device");
        }
    }
    {
        // The installation covering `at`, and the bounds of the span the world holds for.
        Query q(db_.db,
                "SELECT i.tenant_id, i.vehicle_id, i.from_time, i.to_time, v.speed_limit_kmh FROM installations i "
                "JOIN vehicles v ON v.id = i.vehicle_id WHERE i.device_id = ?1 AND i.from_time <= ?2 "
                "AND (i.to_time IS NULL OR i.to_time > ?2) ORDER BY i.from_time DESC LIMIT 1");
        if (!q.ok()) return q.error("read installation");
        q.Bind(1, device_id).Bind(2, at_ms);
        int rc = q.Step();
        if (rc == SQLITE_ROW) {
            w.tenant_id = sqlite3_column_int64(q.get(), 0);
            w.vehicle_id = sqlite3_column_int64(q.get(), 1);
            w.valid_from = FromMs(sqlite3_column_int64(q.get(), 2));
            if (auto to = ColOptInt(q.get(), 3)) w.valid_to = FromMs(*to);
            w.vehicle_speed_limit_kmh = OptDouble(q.get(), 4);
        } else if (rc != SQLITE_DONE) {
            return db_.DbError("read installation");
        }
    }
    if (!w.vehicle_id) {
        // Between installations: the gap from the last one ended to the next one started.
        Query before(db_.db, "SELECT max(to_time) FROM installations WHERE device_id = ?1 AND to_time <= ?2");
        Query after(db_.db, "SELECT min(from_time) FROM installations WHERE device_id = ?1 AND from_time > ?2");
        if (!before.ok()) return before.error("read installations");
        if (!after.ok()) return after.error("read installations");
        before.Bind(1, device_id).Bind(2, at_ms);
        after.Bind(1, device_id).Bind(2, at_ms);
        if (before.Step() != SQLITE_ROW || after.Step() != SQLITE_ROW) return db_.DbError("read installations");
        if (auto t = ColOptInt(before.get(), 0)) w.valid_from = FromMs(*t);
        if (auto t = ColOptInt(after.get(), 0)) w.valid_to = FromMs(*t);
    }
    if (!w.tenant_id) return w;
    const int64_t tenant = *w.tenant_id;
    auto settings = TenantSettings(tenant);
    if (!settings) return settings.error();
    w.settings_json = std::move(*settings);
    {
        Query q(db_.db,
                "SELECT id, kind, geometry, radius_m, speed_limit_kmh FROM geofences WHERE tenant_id = ? ORDER BY id");
        if (!q.ok()) return q.error("read geofences");
        q.Bind(1, tenant);
        int rc;
        while ((rc = q.Step()) == SQLITE_ROW) {
            StoredGeofence g;
            g.id = sqlite3_column_int64(q.get(), 0);
            g.kind = Col(q.get(), 1);
            g.geometry_json = Col(q.get(), 2);
            g.radius_m = OptDouble(q.get(), 3);
            g.speed_limit_kmh = OptDouble(q.get(), 4);
            w.geofences.push_back(std::move(g));
        }
        if (rc != SQLITE_DONE) return db_.DbError("read geofences");
    }
    {
        Query q(db_.db,
                "SELECT badge_id, id FROM drivers WHERE tenant_id = ? AND badge_id IS NOT NULL AND badge_id != '' "
                "ORDER BY badge_id");
        if (!q.ok()) return q.error("read badges");
        q.Bind(1, tenant);
        int rc;
        while ((rc = q.Step()) == SQLITE_ROW) {
            w.badges.emplace_back(std::string(Col(q.get(), 0)), sqlite3_column_int64(q.get(), 1));
        }
        if (rc != SQLITE_DONE) return db_.DbError("read badges");
    }
    if (w.vehicle_id) {
        Query q(db_.db,
                "SELECT driver_id, from_time, to_time FROM driver_assignments WHERE vehicle_id = ? ORDER BY from_time, id");
        if (!q.ok()) return q.error("read assignments");
        q.Bind(1, *w.vehicle_id);
        int rc;
        while ((rc = q.Step()) == SQLITE_ROW) {
            StoredAssignment a;
            a.driver_id = sqlite3_column_int64(q.get(), 0);
            a.from = FromMs(sqlite3_column_int64(q.get(), 1));
            if (auto to = ColOptInt(q.get(), 2)) a.to = FromMs(*to);
            w.assignments.push_back(a);
        }
        if (rc != SQLITE_DONE) return db_.DbError("read assignments");
    }
    return w;
}

Result<std::string> DerivedStore::WorldSignature() {
    Query q(db_.db,
            "SELECT (SELECT count(*) || ':' || ifnull(max(id), 0) || ':' || total(to_time) || ':' || total(from_time) "
            "FROM installations) || '/' || (SELECT count(*) || ':' || total(speed_limit_kmh) FROM vehicles) || '/' || "
            "(SELECT count(*) || ':' || ifnull(max(id), 0) || ':' || total(length(badge_id)) || ':' || "
            "total(unicode(badge_id)) FROM drivers)");
    if (!q.ok()) return q.error("read world signature");
    if (q.Step() != SQLITE_ROW) return db_.DbError("read world signature");
    return std::string(Col(q.get(), 0));
}

Result<std::string> DerivedStore::TenantSettings(int64_t tenant_id) {
    Query q(db_.db, "SELECT settings FROM tenant_settings WHERE tenant_id = ?");
    if (!q.ok()) return q.error("read tenant settings");
    q.Bind(1, tenant_id);
    int rc = q.Step();
    if (rc == SQLITE_ROW) return std::string(Col(q.get(), 0));
    if (rc != SQLITE_DONE) return db_.DbError("read tenant settings");
    return std::string("{}");
}

Result<std::vector<int64_t>> DerivedStore::Devices(std::optional<int64_t> tenant_id) {
    Sql sql;
    if (tenant_id) {
        sql << "SELECT id FROM devices WHERE tenant_id = ? UNION SELECT device_id FROM installations "
               "WHERE tenant_id = ? ORDER BY 1";
        sql.Arg(*tenant_id).Arg(*tenant_id);
    } else {
        sql << "SELECT id FROM devices ORDER BY id";
    }
    return detail::Rows<int64_t>(db_, sql, "list devices", [](sqlite3_stmt* s) { return sqlite3_column_int64(s, 0); });
}

Result<std::optional<Checkpoint>> DerivedStore::LastCheckpoint(int64_t device_id) {
    Query q(db_.db, "SELECT time, state FROM pipeline_checkpoints WHERE device_id = ? ORDER BY time DESC LIMIT 1");
    if (!q.ok()) return q.error("read checkpoint");
    q.Bind(1, device_id);
    int rc = q.Step();
    if (rc == SQLITE_ROW) {
        return std::optional<Checkpoint>(
            Checkpoint{FromMs(sqlite3_column_int64(q.get(), 0)), std::string(Col(q.get(), 1))});
    }
    if (rc != SQLITE_DONE) return db_.DbError("read checkpoint");
    return std::optional<Checkpoint>();
}

Result<std::optional<Recompute>> DerivedStore::TakeLate(int64_t device_id) {
    // Cheap when there is no mark (the common case): one primary-key read outside a transaction.
    {
        Query& q = statements_->Get("SELECT 1 FROM pipeline_late WHERE device_id = ?");
        ResetOnExit reset{q};
        if (!q.ok()) return q.error("read late mark");
        q.Bind(1, device_id);
        int rc = q.Step();
        if (rc == SQLITE_DONE) return std::optional<Recompute>();
        if (rc != SQLITE_ROW) return db_.DbError("read late mark");
    }
    return db_.Transaction<std::optional<Recompute>>([&]() -> Result<std::optional<Recompute>> {
        Recompute out;
        {
            Query q(db_.db, "SELECT from_time FROM pipeline_late WHERE device_id = ?");
            if (!q.ok()) return q.error("read late mark");
            q.Bind(1, device_id);
            int rc = q.Step();
            if (rc == SQLITE_DONE) return std::optional<Recompute>();
            if (rc != SQLITE_ROW) return db_.DbError("read late mark");
            out.late_from = FromMs(sqlite3_column_int64(q.get(), 0));
        }
        {
            Query q(db_.db,
                    "SELECT time, state FROM pipeline_checkpoints WHERE device_id = ? AND time < ? "
                    "ORDER BY time DESC LIMIT 1");
            if (!q.ok()) return q.error("read checkpoint");
            q.Bind(1, device_id).Bind(2, ToMs(out.late_from));
            int rc = q.Step();
            if (rc == SQLITE_ROW) {
                out.checkpoint = Checkpoint{FromMs(sqlite3_column_int64(q.get(), 0)), std::string(Col(q.get(), 1))};
            } else if (rc != SQLITE_DONE) {
                return db_.DbError("read checkpoint");
            }
        }
        // Everything strictly after the checkpoint's point is written again by the replay.
        const int64_t cp = out.checkpoint ? ToMs(out.checkpoint->time) : std::numeric_limits<int64_t>::min();
        auto by_device_after = [&](Query& q) { q.Bind(1, device_id).Bind(2, cp); };
        auto r = Run(db_, "DELETE FROM pipeline_late WHERE device_id = ?", "take late mark",
                     [&](Query& q) { q.Bind(1, device_id); });
        if (!r) return r.error();
        for (const char* sql : {
                 "DELETE FROM pipeline_checkpoints WHERE device_id = ?1 AND time > ?2",
                 "DELETE FROM trips WHERE device_id = ?1 AND end_time > ?2",
                 "DELETE FROM stops WHERE device_id = ?1 AND end_time > ?2",
                 "DELETE FROM geofence_visits WHERE device_id = ?1 AND enter_time > ?2",
                 "UPDATE geofence_visits SET exit_time = NULL WHERE device_id = ?1 AND exit_time > ?2",
             }) {
            if (auto r = Run(db_, sql, "clear recomputed window", by_device_after); !r) return r.error();
        }
        r = Run(db_,
                "INSERT INTO service_cursors (name, value) VALUES (?1, ?2) ON CONFLICT (name) "
                "DO UPDATE SET value = min(value, excluded.value)",
                "note replay", [&](Query& q) { q.Bind(1, ReplayName(device_id)).Bind(2, cp); });
        if (!r) return r.error();
        auto keys = EngineEventsAfter(device_id, cp);
        if (!keys) return keys.error();
        out.event_keys = std::move(*keys);
        return std::optional<Recompute>(std::move(out));
    });
}

std::string DerivedStore::ReplayName(int64_t device_id) { return fmt::format("pipeline_replay:{}", device_id); }

Result<std::vector<std::string>> DerivedStore::EngineEventsAfter(int64_t device_id, int64_t after_ms) {
    Query q(db_.db, "SELECT key, type FROM events WHERE device_id = ? AND time > ?");
    if (!q.ok()) return q.error("read recomputed events");
    q.Bind(1, device_id).Bind(2, after_ms);
    std::vector<std::string> keys;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
        if (!IsPeriodicEventType(Col(q.get(), 1))) keys.emplace_back(Col(q.get(), 0));
    }
    if (rc != SQLITE_DONE) return db_.DbError("read recomputed events");
    return keys;
}

Result<std::optional<Recompute>> DerivedStore::UnfinishedReplay(int64_t device_id) {
    Query note(db_.db, "SELECT value FROM service_cursors WHERE name = ?");
    if (!note.ok()) return note.error("read replay note");
    note.Bind(1, ReplayName(device_id));
    int rc = note.Step();
    if (rc == SQLITE_DONE) return std::optional<Recompute>();
    if (rc != SQLITE_ROW) return db_.DbError("read replay note");
    const int64_t start = sqlite3_column_int64(note.get(), 0);
    Recompute out;
    out.late_from = FromMs(start);
    Query q(db_.db,
            "SELECT time, state FROM pipeline_checkpoints WHERE device_id = ? AND time <= ? "
            "ORDER BY time DESC LIMIT 1");
    if (!q.ok()) return q.error("read checkpoint");
    q.Bind(1, device_id).Bind(2, start);
    rc = q.Step();
    if (rc == SQLITE_ROW) {
        out.checkpoint = Checkpoint{FromMs(sqlite3_column_int64(q.get(), 0)), std::string(Col(q.get(), 1))};
    } else if (rc != SQLITE_DONE) {
        return db_.DbError("read checkpoint");
    }
    auto keys = EngineEventsAfter(device_id, start);
    if (!keys) return keys.error();
    out.event_keys = std::move(*keys);
    return std::optional<Recompute>(std::move(out));
}

Result<void> DerivedStore::SkipSync() { return db_.Exec("PRAGMA synchronous=NORMAL"); }

Result<void> DerivedStore::Write(std::span<const DerivedChunk> chunks, core::TimePoint now) {
    return db_.Transaction<void>([&]() -> Result<void> {
        for (const auto& c : chunks) {
            if (auto r = WriteChunk(c, now); !r) return r;
        }
        return {};
    });
}

Result<void> DerivedStore::WriteChunk(const DerivedChunk& c, core::TimePoint now) {
    auto& db = db_;
    auto run = [&](const char* sql, std::string_view what, auto&& bind) -> Result<void> {
        Query& q = statements_->Get(sql);
        if (!q.ok()) return q.error(what);
        bind(q);
        if (q.Step() != SQLITE_DONE) return db.DbError(what);
        return {};
    };
    {
        auto common = [&](Query& q) {
            q.Bind(1, c.device_id).Bind(2, c.tenant_id).Bind(3, c.vehicle_id);
        };
        if (!c.trips.empty()) {
            Query& q = statements_->Get(
                    "INSERT INTO trips (device_id, tenant_id, vehicle_id, driver_id, start_time, end_time, start_lat, "
                    "start_lon, end_lat, end_lon, start_odometer_m, end_odometer_m, distance_m, max_speed_kmh, "
                    "avg_speed_kmh, idle_s, overspeed_s, harsh_acceleration, harsh_braking, harsh_cornering, "
                    "fuel_used_l, eco_score) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                    "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22) ON CONFLICT (device_id, start_time) DO UPDATE SET "
                    "tenant_id = ?2, vehicle_id = ?3, driver_id = ?4, end_time = ?6, start_lat = ?7, start_lon = ?8, "
                    "end_lat = ?9, end_lon = ?10, start_odometer_m = ?11, end_odometer_m = ?12, distance_m = ?13, "
                    "max_speed_kmh = ?14, avg_speed_kmh = ?15, idle_s = ?16, overspeed_s = ?17, "
                    "harsh_acceleration = ?18, harsh_braking = ?19, harsh_cornering = ?20, fuel_used_l = ?21, "
                    "eco_score = ?22");
            if (!q.ok()) return q.error("write trip");
            for (const auto& t : c.trips) {
                common(q);
                q.Bind(4, t.driver_id).Bind(5, ToMs(t.start_time)).Bind(6, ToMs(t.end_time));
                BindDouble(q, 7, t.start_lat);
                BindDouble(q, 8, t.start_lon);
                BindDouble(q, 9, t.end_lat);
                BindDouble(q, 10, t.end_lon);
                BindDouble(q, 11, t.start_odometer_m);
                BindDouble(q, 12, t.end_odometer_m);
                BindDouble(q, 13, t.distance_m);
                BindDouble(q, 14, t.max_speed_kmh);
                BindDouble(q, 15, t.avg_speed_kmh);
                BindDouble(q, 16, t.idle_s);
                BindDouble(q, 17, t.overspeed_s);
                q.Bind(18, t.harsh_acceleration).Bind(19, t.harsh_braking).Bind(20, t.harsh_cornering);
                BindOpt(q, 21, t.fuel_used_l);
                BindOpt(q, 22, t.eco_score);
                if (q.Step() != SQLITE_DONE) return db.DbError("write trip");
                sqlite3_reset(q.get());
            }
        }
        if (!c.stops.empty()) {
            Query& q = statements_->Get(
                    "INSERT INTO stops (device_id, tenant_id, vehicle_id, driver_id, start_time, end_time, lat, lon, "
                    "odometer_m, engine_on_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                    "ON CONFLICT (device_id, start_time) DO UPDATE SET tenant_id = ?2, vehicle_id = ?3, "
                    "driver_id = ?4, end_time = ?6, lat = ?7, lon = ?8, odometer_m = ?9, engine_on_s = ?10");
            if (!q.ok()) return q.error("write stop");
            for (const auto& s : c.stops) {
                common(q);
                q.Bind(4, s.driver_id).Bind(5, ToMs(s.start_time)).Bind(6, ToMs(s.end_time));
                BindDouble(q, 7, s.lat);
                BindDouble(q, 8, s.lon);
                BindDouble(q, 9, s.odometer_m);
                BindDouble(q, 10, s.engine_on_s);
                if (q.Step() != SQLITE_DONE) return db.DbError("write stop");
                sqlite3_reset(q.get());
            }
        }
        if (!c.visits.empty()) {
            Query& q = statements_->Get(
                    "INSERT INTO geofence_visits (device_id, tenant_id, vehicle_id, driver_id, geofence_id, "
                    "enter_time, exit_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                    "ON CONFLICT (device_id, geofence_id, enter_time) DO UPDATE SET tenant_id = ?2, "
                    "vehicle_id = ?3, driver_id = ?4, exit_time = ?7");
            if (!q.ok()) return q.error("write visit");
            for (const auto& v : c.visits) {
                common(q);
                q.Bind(4, v.driver_id).Bind(5, v.geofence_id).Bind(6, ToMs(v.enter_time));
                if (v.exit_time) {
                    q.Bind(7, ToMs(*v.exit_time));
                } else {
                    q.BindNull(7);
                }
                if (q.Step() != SQLITE_DONE) return db.DbError("write visit");
                sqlite3_reset(q.get());
            }
        }
        if (!c.events.empty()) {
            Query& q = statements_->Get(
                    "INSERT INTO events (key, tenant_id, device_id, vehicle_id, driver_id, geofence_id, type, time, "
                    "lat, lon, detail, created_at) VALUES (?4, ?2, ?1, ?3, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
                    "ON CONFLICT (key) DO UPDATE SET tenant_id = ?2, device_id = ?1, vehicle_id = ?3, "
                    "driver_id = ?5, geofence_id = ?6, type = ?7, time = ?8, lat = ?9, lon = ?10, detail = ?11");
            if (!q.ok()) return q.error("write event");
            for (const auto& e : c.events) {
                common(q);
                q.Bind(4, e.key).Bind(5, e.driver_id).Bind(6, e.geofence_id).Bind(7, e.type).Bind(8, ToMs(e.time));
                BindOpt(q, 9, e.lat);
                BindOpt(q, 10, e.lon);
                q.Bind(11, e.detail_json).Bind(12, ToMs(now));
                if (q.Step() != SQLITE_DONE) return db.DbError("write event");
                sqlite3_reset(q.get());
            }
        }
        if (c.counters_time) {
            auto r = run(
                         "INSERT INTO device_counters (device_id, time, odometer_m, engine_s) VALUES (?1, ?2, ?3, ?4) "
                         "ON CONFLICT (device_id) DO UPDATE SET time = ?2, odometer_m = ?3, engine_s = ?4",
                         "write counters", [&](Query& q) {
                             q.Bind(1, c.device_id).Bind(2, ToMs(*c.counters_time));
                             BindDouble(q, 3, c.odometer_m);
                             BindDouble(q, 4, c.engine_s);
                         });
            if (!r) return r.error();
        }
        if (c.checkpoint) {
            // One checkpoint per hour of device time (the newest of the hour), kCheckpointHistory deep.
            const int64_t t = ToMs(c.checkpoint->time);
            constexpr int64_t kHourMs = 3600 * 1000;
            const int64_t hour = t - (t % kHourMs + kHourMs) % kHourMs;
            const int64_t oldest = t - std::chrono::duration_cast<core::Millis>(kCheckpointHistory).count();
            auto r = run(
                         "DELETE FROM pipeline_checkpoints WHERE device_id = ?1 AND ((time >= ?2 AND time < ?3) "
                         "OR time < ?4)",
                         "prune checkpoints", [&](Query& q) { q.Bind(1, c.device_id).Bind(2, hour).Bind(3, t).Bind(4, oldest); });
            if (!r) return r.error();
            r = run(
                    "INSERT INTO pipeline_checkpoints (device_id, time, state) VALUES (?1, ?2, ?3) "
                    "ON CONFLICT (device_id, time) DO UPDATE SET state = ?3",
                    "write checkpoint", [&](Query& q) {
                        q.Bind(1, c.device_id).Bind(2, t).Bind(3, c.checkpoint->state_json);
                    });
            if (!r) return r.error();
        }
        return {};
    }
}

Result<void> DerivedStore::FinishReplay(int64_t device_id, const std::vector<std::string>& keys) {
    return db_.Transaction<void>([&]() -> Result<void> {
        auto r = Run(db_, "DELETE FROM service_cursors WHERE name = ?", "end replay",
                     [&](Query& q) { q.Bind(1, ReplayName(device_id)); });
        if (!r) return r.error();
        Query notes(db_.db, "DELETE FROM notifications WHERE event_id = (SELECT id FROM events WHERE key = ?)");
        Query events(db_.db, "DELETE FROM events WHERE key = ?");
        if (!notes.ok()) return notes.error("delete notifications");
        if (!events.ok()) return events.error("delete events");
        for (const auto& k : keys) {
            notes.Bind(1, k);
            if (notes.Step() != SQLITE_DONE) return db_.DbError("delete notifications");
            sqlite3_reset(notes.get());
            events.Bind(1, k);
            if (events.Step() != SQLITE_DONE) return db_.DbError("delete events");
            sqlite3_reset(events.get());
        }
        return {};
    });
}

Result<std::vector<DeviceSeen>> DerivedStore::SeenDevices() {
    Sql sql;
    sql << "SELECT lp.device_id, coalesce(i.tenant_id, d.tenant_id), i.vehicle_id, lp.server_time, lp.lat, lp.lon "
           "FROM latest_positions lp JOIN devices d ON d.id = lp.device_id "
           "LEFT JOIN installations i ON i.device_id = lp.device_id AND i.to_time IS NULL "
           "WHERE d.status = 'active' ORDER BY lp.device_id";
    return detail::Rows<DeviceSeen>(db_, sql, "read devices seen", [](sqlite3_stmt* s) {
        DeviceSeen d;
        d.device_id = sqlite3_column_int64(s, 0);
        d.tenant_id = ColOptInt(s, 1);
        d.vehicle_id = ColOptInt(s, 2);
        d.last_server_time = FromMs(sqlite3_column_int64(s, 3));
        d.lat = sqlite3_column_double(s, 4);
        d.lon = sqlite3_column_double(s, 5);
        return d;
    });
}

Result<std::string> DerivedStore::LastPresenceEvent(int64_t device_id) {
    Query q(db_.db,
            "SELECT type FROM events WHERE device_id = ? AND type IN ('device_offline', 'device_online') "
            "ORDER BY time DESC, id DESC LIMIT 1");
    if (!q.ok()) return q.error("read presence");
    q.Bind(1, device_id);
    int rc = q.Step();
    if (rc == SQLITE_ROW) return std::string(Col(q.get(), 0));
    if (rc != SQLITE_DONE) return db_.DbError("read presence");
    return std::string();
}

Result<bool> DerivedStore::AddEvent(int64_t device_id, std::optional<int64_t> tenant_id,
                                    std::optional<int64_t> vehicle_id, const DerivedEvent& e, core::TimePoint now) {
    Query q(db_.db,
            "INSERT OR IGNORE INTO events (key, tenant_id, device_id, vehicle_id, driver_id, geofence_id, type, time, "
            "lat, lon, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!q.ok()) return q.error("add event");
    q.Bind(1, e.key).Bind(2, tenant_id).Bind(3, device_id).Bind(4, vehicle_id).Bind(5, e.driver_id);
    q.Bind(6, e.geofence_id).Bind(7, e.type).Bind(8, ToMs(e.time));
    BindOpt(q, 9, e.lat);
    BindOpt(q, 10, e.lon);
    q.Bind(11, e.detail_json).Bind(12, ToMs(now));
    if (q.Step() != SQLITE_DONE) return db_.DbError("add event");
    return sqlite3_changes(db_.db) > 0;
}

}  // namespace fleet::store
