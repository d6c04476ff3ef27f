// SQLite implementation of Store: WAL journal, prepared statements, one transaction per Ingest call.
#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <unordered_map>

#include "core/json.hpp"
#include "store/store.hpp"

namespace fleet::store {
namespace {

using core::TimePoint;

int64_t ToMs(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint FromMs(int64_t ms) { return TimePoint{core::Millis{ms}}; }

// Schema migrations, applied in order; PRAGMA user_version records how many ran.
constexpr const char* kMigrations[] = {
    R"sql(
    CREATE TABLE devices (
        id INTEGER PRIMARY KEY,
        imei TEXT NOT NULL UNIQUE,
        protocol TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
        created_at INTEGER NOT NULL
    );
    CREATE TABLE pending_devices (
        imei TEXT PRIMARY KEY,
        protocol TEXT NOT NULL,
        first_attempt INTEGER NOT NULL,
        last_attempt INTEGER NOT NULL,
        address TEXT NOT NULL,
        attempts INTEGER NOT NULL
    );
    -- Clustered by device and device time: a device's history is one range scan, in time order.
    -- The fingerprint tells a resent record (same content) from another record of the same time.
    CREATE TABLE positions (
        device_id INTEGER NOT NULL,
        device_time INTEGER NOT NULL,
        fingerprint INTEGER NOT NULL,
        server_time INTEGER NOT NULL,
        lat REAL NOT NULL,
        lon REAL NOT NULL,
        altitude REAL NOT NULL,
        speed REAL NOT NULL,
        course REAL NOT NULL,
        satellites INTEGER NOT NULL,
        hdop REAL,
        valid INTEGER NOT NULL,
        io TEXT NOT NULL,
        attributes TEXT NOT NULL,
        PRIMARY KEY (device_id, device_time, fingerprint)
    ) WITHOUT ROWID;
    CREATE TABLE latest_positions (
        device_id INTEGER PRIMARY KEY,
        device_time INTEGER NOT NULL,
        fingerprint INTEGER NOT NULL,
        server_time INTEGER NOT NULL,
        lat REAL NOT NULL,
        lon REAL NOT NULL,
        altitude REAL NOT NULL,
        speed REAL NOT NULL,
        course REAL NOT NULL,
        satellites INTEGER NOT NULL,
        hdop REAL,
        valid INTEGER NOT NULL,
        io TEXT NOT NULL,
        attributes TEXT NOT NULL
    );
    CREATE TABLE frames (
        id INTEGER PRIMARY KEY,
        device_id INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        protocol TEXT NOT NULL,
        data BLOB NOT NULL
    );
    CREATE INDEX frames_by_device ON frames (device_id, id);
    CREATE INDEX frames_by_time ON frames (received_at);
    )sql",
};

class Stmt {
public:
    Stmt() = default;
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    ~Stmt() { sqlite3_finalize(s_); }
    sqlite3_stmt*& ptr() { return s_; }
    sqlite3_stmt* operator*() const { return s_; }

private:
    sqlite3_stmt* s_ = nullptr;
};

// Resets a statement when the scope that used it ends, so no statement holds a read lock.
struct ResetOnExit {
    sqlite3_stmt* s;
    ~ResetOnExit() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
};

std::string_view ColText(sqlite3_stmt* s, int i) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s, i))) : std::string_view();
}

void BindText(sqlite3_stmt* s, int i, std::string_view v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

// Columns shared by positions and latest_positions, in this order.
constexpr const char* kPositionColumns =
    "device_id, device_time, fingerprint, server_time, lat, lon, altitude, speed, course, satellites, "
    "hdop, valid, io, attributes";

void BindPosition(sqlite3_stmt* s, const PositionRow& p) {
    sqlite3_bind_int64(s, 1, p.device_id);
    sqlite3_bind_int64(s, 2, ToMs(p.device_time));
    sqlite3_bind_int64(s, 3, p.fingerprint);
    sqlite3_bind_int64(s, 4, ToMs(p.server_time));
    sqlite3_bind_double(s, 5, p.lat);
    sqlite3_bind_double(s, 6, p.lon);
    sqlite3_bind_double(s, 7, p.altitude_m);
    sqlite3_bind_double(s, 8, p.speed_kmh);
    sqlite3_bind_double(s, 9, p.course_deg);
    sqlite3_bind_int(s, 10, p.satellites);
    if (p.hdop) {
        sqlite3_bind_double(s, 11, *p.hdop);
    } else {
        sqlite3_bind_null(s, 11);
    }
    sqlite3_bind_int(s, 12, p.valid ? 1 : 0);
    sqlite3_bind_text(s, 13, p.io_json.data(), static_cast<int>(p.io_json.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 14, p.attributes_json.data(), static_cast<int>(p.attributes_json.size()),
                      SQLITE_STATIC);
}

PositionRow ReadPosition(sqlite3_stmt* s) {
    PositionRow p;
    p.device_id = sqlite3_column_int64(s, 0);
    p.device_time = FromMs(sqlite3_column_int64(s, 1));
    p.fingerprint = sqlite3_column_int64(s, 2);
    p.server_time = FromMs(sqlite3_column_int64(s, 3));
    p.lat = sqlite3_column_double(s, 4);
    p.lon = sqlite3_column_double(s, 5);
    p.altitude_m = sqlite3_column_double(s, 6);
    p.speed_kmh = sqlite3_column_double(s, 7);
    p.course_deg = sqlite3_column_double(s, 8);
    p.satellites = sqlite3_column_int(s, 9);
    if (sqlite3_column_type(s, 10) != SQLITE_NULL) p.hdop = sqlite3_column_double(s, 10);
    p.valid = sqlite3_column_int(s, 11) != 0;
    p.io_json = ColText(s, 12);
    p.attributes_json = ColText(s, 13);
    return p;
}

Device ReadDevice(sqlite3_stmt* s) {
    Device d;
    d.id = sqlite3_column_int64(s, 0);
    d.imei = ColText(s, 1);
    d.protocol = ColText(s, 2);
    d.name = ColText(s, 3);
    d.status = ColText(s, 4) == "disabled" ? DeviceStatus::kDisabled : DeviceStatus::kActive;
    d.created_at = FromMs(sqlite3_column_int64(s, 5));
    return d;
}

class SqliteStore final : public Store {
public:
    explicit SqliteStore(sqlite3* db) : db_(db) {}
    ~SqliteStore() override {
        statements_.clear();
        sqlite3_close_v2(db_);
    }

    Result<void> Init(const SqliteOptions& options) {
        sqlite3_busy_timeout(db_, options.busy_timeout_ms);
        if (options.synchronous != "full" && options.synchronous != "normal") {
            return MakeError("store.synchronous must be \"full\" or \"normal\", not \"" + options.synchronous + "\"");
        }
        if (auto r = Exec("PRAGMA journal_mode=WAL"); !r) return r;
        if (auto r = Exec("PRAGMA synchronous=" + options.synchronous); !r) return r;
        if (auto r = Exec("PRAGMA foreign_keys=ON"); !r) return r;
        return Migrate();
    }

    Result<Device> AddDevice(const std::string& imei, const std::string& protocol,
                             const std::string& name) override {
        if (auto r = Exec("BEGIN IMMEDIATE"); !r) return r.error();
        auto s = Prepare("INSERT INTO devices (imei, protocol, name, status, created_at) VALUES (?, ?, ?, 'active', ?)");
        if (!s) return Rollback(s.error());
        ResetOnExit reset{*s};
        BindText(*s, 1, imei);
        BindText(*s, 2, protocol);
        BindText(*s, 3, name);
        sqlite3_bind_int64(*s, 4, ToMs(Now()));
        int rc = sqlite3_step(*s);
        if (rc == SQLITE_CONSTRAINT) return Rollback(MakeError("device " + imei + " already exists"));
        if (rc != SQLITE_DONE) return Rollback(DbError("add device"));
        auto del = Prepare("DELETE FROM pending_devices WHERE imei = ?");
        if (!del) return Rollback(del.error());
        ResetOnExit reset_del{*del};
        BindText(*del, 1, imei);
        if (sqlite3_step(*del) != SQLITE_DONE) return Rollback(DbError("clear pending device"));
        if (auto r = Exec("COMMIT"); !r) return Rollback(r.error());
        auto found = FindDevice(imei);
        if (!found) return found.error();
        return **found;
    }

    Result<std::vector<Device>> ListDevices() override {
        auto s = Prepare("SELECT id, imei, protocol, name, status, created_at FROM devices ORDER BY id");
        if (!s) return s.error();
        ResetOnExit reset{*s};
        std::vector<Device> out;
        int rc;
        while ((rc = sqlite3_step(*s)) == SQLITE_ROW) out.push_back(ReadDevice(*s));
        if (rc != SQLITE_DONE) return DbError("list devices");
        return out;
    }

    Result<std::optional<Device>> FindDevice(const std::string& imei) override {
        auto s = Prepare("SELECT id, imei, protocol, name, status, created_at FROM devices WHERE imei = ?");
        if (!s) return s.error();
        ResetOnExit reset{*s};
        BindText(*s, 1, imei);
        int rc = sqlite3_step(*s);
        if (rc == SQLITE_ROW) return std::optional<Device>(ReadDevice(*s));
        if (rc != SQLITE_DONE) return DbError("find device");
        return std::optional<Device>();
    }

    Result<void> SetDeviceStatus(const std::string& imei, DeviceStatus status) override {
        auto s = Prepare("UPDATE devices SET status = ? WHERE imei = ?");
        if (!s) return s.error();
        ResetOnExit reset{*s};
        BindText(*s, 1, ToString(status));
        BindText(*s, 2, imei);
        if (sqlite3_step(*s) != SQLITE_DONE) return DbError("set device status");
        if (sqlite3_changes(db_) == 0) return MakeError("no device with IMEI " + imei);
        return {};
    }

    Result<void> NotePending(const std::string& imei, const std::string& protocol, const std::string& address,
                             TimePoint at) override {
        auto s = Prepare(
            "INSERT INTO pending_devices (imei, protocol, first_attempt, last_attempt, address, attempts) "
            "VALUES (?1, ?2, ?3, ?3, ?4, 1) ON CONFLICT (imei) DO UPDATE SET protocol = ?2, "
            "last_attempt = ?3, address = ?4, attempts = attempts + 1");
        if (!s) return s.error();
        ResetOnExit reset{*s};
        BindText(*s, 1, imei);
        BindText(*s, 2, protocol);
        sqlite3_bind_int64(*s, 3, ToMs(at));
        BindText(*s, 4, address);
        if (sqlite3_step(*s) != SQLITE_DONE) return DbError("note pending device");
        return {};
    }

    Result<std::vector<PendingDevice>> ListPending() override {
        auto s = Prepare(
            "SELECT imei, protocol, first_attempt, last_attempt, address, attempts FROM pending_devices "
            "ORDER BY last_attempt DESC");
        if (!s) return s.error();
        ResetOnExit reset{*s};
        std::vector<PendingDevice> out;
        int rc;
        while ((rc = sqlite3_step(*s)) == SQLITE_ROW) {
            PendingDevice p;
            p.imei = ColText(*s, 0);
            p.protocol = ColText(*s, 1);
            p.first_attempt = FromMs(sqlite3_column_int64(*s, 2));
            p.last_attempt = FromMs(sqlite3_column_int64(*s, 3));
            p.address = ColText(*s, 4);
            p.attempts = sqlite3_column_int64(*s, 5);
            out.push_back(std::move(p));
        }
        if (rc != SQLITE_DONE) return DbError("list pending devices");
        return out;
    }

    Result<Device> ApproveDevice(const std::string& imei) override {
        auto pending = ListPending();
        if (!pending) return pending.error();
        for (const auto& p : *pending) {
            if (p.imei == imei) return AddDevice(imei, p.protocol, "");
        }
        return MakeError("no pending device with IMEI " + imei);
    }

    Result<IngestStats> Ingest(std::span<const IngestBatch* const> batches) override {
        IngestStats stats;
        if (batches.empty()) return stats;
        auto insert = Prepare(fmt::format("INSERT OR IGNORE INTO positions ({}) VALUES "
                                          "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                          kPositionColumns));
        if (!insert) return insert.error();
        // The latest position moves only forward in device time (late records never pull it back).
        auto latest = Prepare(fmt::format(
            "INSERT INTO latest_positions ({0}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (device_id) DO UPDATE SET device_time = excluded.device_time, "
            "fingerprint = excluded.fingerprint, server_time = excluded.server_time, lat = excluded.lat, "
            "lon = excluded.lon, altitude = excluded.altitude, speed = excluded.speed, "
            "course = excluded.course, satellites = excluded.satellites, hdop = excluded.hdop, "
            "valid = excluded.valid, io = excluded.io, attributes = excluded.attributes "
            "WHERE excluded.device_time > latest_positions.device_time",
            kPositionColumns));
        if (!latest) return latest.error();
        auto frame = Prepare("INSERT INTO frames (device_id, received_at, protocol, data) VALUES (?, ?, ?, ?)");
        if (!frame) return frame.error();

        if (auto r = Exec("BEGIN IMMEDIATE"); !r) return r.error();
        // Newest position per device in this group: one latest-position upsert per device.
        std::unordered_map<int64_t, const PositionRow*> newest;
        for (const IngestBatch* b : batches) {
            for (const PositionRow& p : b->positions) {
                BindPosition(*insert, p);
                int rc = sqlite3_step(*insert);
                sqlite3_reset(*insert);
                if (rc != SQLITE_DONE) return Rollback(DbError("insert position"));
                if (sqlite3_changes(db_) > 0) {
                    ++stats.inserted;
                } else {
                    ++stats.duplicates;
                }
                auto& slot = newest[p.device_id];
                if (slot == nullptr || p.device_time > slot->device_time) slot = &p;
            }
            if (!b->raw_frame.empty()) {
                sqlite3_bind_int64(*frame, 1, b->device_id);
                sqlite3_bind_int64(*frame, 2, ToMs(b->received_at));
                BindText(*frame, 3, b->protocol);
                sqlite3_bind_blob(*frame, 4, b->raw_frame.data(), static_cast<int>(b->raw_frame.size()),
                                  SQLITE_STATIC);
                int rc = sqlite3_step(*frame);
                sqlite3_reset(*frame);
                if (rc != SQLITE_DONE) return Rollback(DbError("insert frame"));
            }
        }
        for (const auto& [device_id, p] : newest) {
            BindPosition(*latest, *p);
            int rc = sqlite3_step(*latest);
            sqlite3_reset(*latest);
            if (rc != SQLITE_DONE) return Rollback(DbError("update latest position"));
        }
        if (auto r = Exec("COMMIT"); !r) return Rollback(r.error());
        return stats;
    }

    Result<void> ForEachPosition(int64_t device_id, TimePoint from, TimePoint to,
                                 const std::function<bool(const PositionRow&)>& fn) override {
        auto s = Prepare(fmt::format("SELECT {} FROM positions WHERE device_id = ? AND device_time >= ? "
                                     "AND device_time <= ? ORDER BY device_time, fingerprint",
                                     kPositionColumns));
        if (!s) return s.error();
        ResetOnExit reset{*s};
        sqlite3_bind_int64(*s, 1, device_id);
        sqlite3_bind_int64(*s, 2, ToMs(from));
        sqlite3_bind_int64(*s, 3, ToMs(to));
        int rc;
        while ((rc = sqlite3_step(*s)) == SQLITE_ROW) {
            if (!fn(ReadPosition(*s))) return {};
        }
        if (rc != SQLITE_DONE) return DbError("read positions");
        return {};
    }

    Result<std::optional<PositionRow>> LatestPosition(int64_t device_id) override {
        auto s = Prepare(fmt::format("SELECT {} FROM latest_positions WHERE device_id = ?", kPositionColumns));
        if (!s) return s.error();
        ResetOnExit reset{*s};
        sqlite3_bind_int64(*s, 1, device_id);
        int rc = sqlite3_step(*s);
        if (rc == SQLITE_ROW) return std::optional<PositionRow>(ReadPosition(*s));
        if (rc != SQLITE_DONE) return DbError("read latest position");
        return std::optional<PositionRow>();
    }

    Result<void> ForEachFrame(int64_t device_id, const std::function<bool(const FrameRow&)>& fn) override {
        auto s = Prepare("SELECT id, device_id, received_at, protocol, data FROM frames WHERE device_id = ? ORDER BY id");
        if (!s) return s.error();
        ResetOnExit reset{*s};
        sqlite3_bind_int64(*s, 1, device_id);
        int rc;
        while ((rc = sqlite3_step(*s)) == SQLITE_ROW) {
            FrameRow f;
            f.id = sqlite3_column_int64(*s, 0);
            f.device_id = sqlite3_column_int64(*s, 1);
            f.received_at = FromMs(sqlite3_column_int64(*s, 2));
            f.protocol = ColText(*s, 3);
            auto* blob = static_cast<const uint8_t*>(sqlite3_column_blob(*s, 4));
            f.data.assign(blob, blob + sqlite3_column_bytes(*s, 4));
            if (!fn(f)) return {};
        }
        if (rc != SQLITE_DONE) return DbError("read frames");
        return {};
    }

    Result<int64_t> PruneFrames(TimePoint cutoff) override {
        auto s = Prepare("DELETE FROM frames WHERE received_at < ?");
        if (!s) return s.error();
        ResetOnExit reset{*s};
        sqlite3_bind_int64(*s, 1, ToMs(cutoff));
        if (sqlite3_step(*s) != SQLITE_DONE) return DbError("prune frames");
        return static_cast<int64_t>(sqlite3_changes(db_));
    }

private:
    static TimePoint Now() {
        return std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now());
    }

    Error DbError(std::string_view what) const {
        return MakeError(fmt::format("sqlite: {}: {}", what, sqlite3_errmsg(db_)));
    }

    Error Rollback(Error e) {
        if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        return e;
    }

    Result<void> Exec(const std::string& sql) {
        char* err = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
            std::string msg = err ? err : sqlite3_errmsg(db_);
            sqlite3_free(err);
            return MakeError("sqlite: " + msg);
        }
        return {};
    }

    // A cached prepared statement for `sql` (prepared once per connection).
    Result<sqlite3_stmt*> Prepare(const std::string& sql) {
        auto it = statements_.find(sql);
        if (it != statements_.end()) return **it->second;
        auto stmt = std::make_unique<Stmt>();
        if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt->ptr(), nullptr) !=
            SQLITE_OK) {
            return DbError("prepare");
        }
        sqlite3_stmt* raw = **stmt;
        statements_.emplace(sql, std::move(stmt));
        return raw;
    }

    Result<void> Migrate() {
        auto s = Prepare("PRAGMA user_version");
        if (!s) return s.error();
        int version = 0;
        {
            ResetOnExit reset{*s};
            if (sqlite3_step(*s) == SQLITE_ROW) version = sqlite3_column_int(*s, 0);
        }
        constexpr int kLatest = static_cast<int>(std::size(kMigrations));
        if (version > kLatest) {
            return MakeError(fmt::format("database schema version {} is newer than this fleetd ({})", version, kLatest));
        }
        for (int v = version; v < kLatest; ++v) {
            if (auto r = Exec("BEGIN IMMEDIATE"); !r) return r;
            // Another process may have migrated while we waited for the lock.
            int current = 0;
            {
                ResetOnExit reset{*s};
                if (sqlite3_step(*s) == SQLITE_ROW) current = sqlite3_column_int(*s, 0);
            }
            if (current > v) {
                if (auto r = Exec("COMMIT"); !r) return r;
                v = current - 1;
                continue;
            }
            if (auto r = Exec(kMigrations[v]); !r) return Rollback(r.error());
            if (auto r = Exec(fmt::format("PRAGMA user_version = {}", v + 1)); !r) return Rollback(r.error());
            if (auto r = Exec("COMMIT"); !r) return Rollback(r.error());
        }
        return {};
    }

    sqlite3* db_;
    std::unordered_map<std::string, std::unique_ptr<Stmt>> statements_;
};

}  // namespace

std::string_view ToString(DeviceStatus s) { return s == DeviceStatus::kActive ? "active" : "disabled"; }

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const SqliteOptions& options) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close_v2(db);
        return MakeError("cannot open database " + path + ": " + msg);
    }
    auto store = std::make_unique<SqliteStore>(db);
    if (auto r = store->Init(options); !r) return MakeError("database " + path + ": " + r.error().message);
    return std::unique_ptr<Store>(std::move(store));
}

}  // namespace fleet::store
