// SQLite implementation of Store: WAL journal, prepared statements, one transaction per Ingest call,
// and WAL checkpoints on a background thread of their own.
#include <fmt/format.h>
#include <fcntl.h>
#include <unistd.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/json.hpp"
#include "core/thread.hpp"
#include "store/accounts.hpp"
#include "store/detail/frame_sql.hpp"
#include "store/detail/position_sql.hpp"
#include "store/store.hpp"

namespace fleet::store {
namespace {

using core::TimePoint;
using detail::kPositionColumns;
using detail::ReadPositionRow;
using detail::BindPosition;
using detail::InsertFrameChunk;
using detail::kInsertFrameChunk;

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
    -- Clustered by device and device time here; migration 7 stores them in arrival order instead.
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
    // 2: accounts, tenants, sessions and the audit log (accessed through store/accounts.hpp).
    // Devices get their tenant_id in a later migration.
    R"sql(
    CREATE TABLE tenants (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
        require_totp INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants (id),
        email TEXT NOT NULL UNIQUE,  -- lower-cased
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('operator-admin', 'tenant-admin', 'fleet-manager', 'viewer', 'driver')),
        must_change_password INTEGER NOT NULL DEFAULT 0,
        totp_secret_sealed TEXT,
        totp_last_step INTEGER NOT NULL DEFAULT 0,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER NOT NULL DEFAULT 0,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX users_by_tenant ON users (tenant_id, id);
    CREATE TABLE recovery_codes (
        user_id INTEGER NOT NULL REFERENCES users (id),
        code_hash TEXT NOT NULL,
        used_at INTEGER,
        PRIMARY KEY (user_id, code_hash)
    ) WITHOUT ROWID;
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id),
        csrf_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER,
        ip TEXT NOT NULL,
        user_agent TEXT NOT NULL,
        step_up_at INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX sessions_by_user ON sessions (user_id);
    -- Append-only; each entry's hash covers the previous entry's hash (see AccountStore::VerifyAudit).
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        tenant_id INTEGER,
        actor_user_id INTEGER,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        ip TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_by_tenant ON audit_log (tenant_id, id);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    )sql",
    // 3: the fleet (groups, vehicles, devices' owners, installations, drivers) and the account
    // features of the platform API (pending TOTP enrolment, API tokens, password resets, the e-mail
    // outbox, support grants, narrowing users to groups). See docs/api.md.
    R"sql(
    ALTER TABLE tenants ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/Paris';
    -- NULL tenant: the operator's stock, not yet given to a customer.
    ALTER TABLE devices ADD COLUMN tenant_id INTEGER REFERENCES tenants (id);
    ALTER TABLE devices ADD COLUMN model TEXT NOT NULL DEFAULT '';
    ALTER TABLE devices ADD COLUMN firmware TEXT NOT NULL DEFAULT '';
    CREATE INDEX devices_by_tenant ON devices (tenant_id, id);
    ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN totp_pending_sealed TEXT;  -- enrolled, not yet confirmed
    ALTER TABLE users ADD COLUMN password_changed_at INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE vehicle_groups (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants (id),
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (tenant_id, name)
    );
    CREATE TABLE vehicles (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants (id),
        name TEXT NOT NULL,
        vin TEXT,                      -- 17 characters, no I, O or Q; unique in the tenant
        plate TEXT NOT NULL DEFAULT '',
        make TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        sale_date TEXT,                -- YYYY-MM-DD
        insurance_date TEXT,           -- YYYY-MM-DD
        technical TEXT NOT NULL DEFAULT '{}',  -- a JSON object (fuel type, tank litres, ...)
        created_at INTEGER NOT NULL,
        archived_at INTEGER,           -- archived vehicles keep their history
        UNIQUE (tenant_id, vin)
    );
    CREATE INDEX vehicles_by_tenant ON vehicles (tenant_id, id);
    CREATE TABLE group_vehicles (
        group_id INTEGER NOT NULL REFERENCES vehicle_groups (id),
        vehicle_id INTEGER NOT NULL REFERENCES vehicles (id),
        PRIMARY KEY (group_id, vehicle_id)
    ) WITHOUT ROWID;
    CREATE INDEX group_vehicles_by_vehicle ON group_vehicles (vehicle_id);
    -- A user with rows here sees only the vehicles of these groups.
    CREATE TABLE user_groups (
        user_id INTEGER NOT NULL REFERENCES users (id),
        group_id INTEGER NOT NULL REFERENCES vehicle_groups (id),
        PRIMARY KEY (user_id, group_id)
    ) WITHOUT ROWID;
    -- Which device is in which vehicle, from when to when (NULL: still installed). History is kept.
    CREATE TABLE installations (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants (id),
        vehicle_id INTEGER NOT NULL REFERENCES vehicles (id),
        device_id INTEGER NOT NULL REFERENCES devices (id),
        from_time INTEGER NOT NULL,
        to_time INTEGER,
        note TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        CHECK (to_time IS NULL OR to_time > from_time)
    );
    CREATE INDEX installations_by_vehicle ON installations (vehicle_id, from_time);
    CREATE INDEX installations_by_device ON installations (device_id, from_time);
    CREATE UNIQUE INDEX installations_open_device ON installations (device_id) WHERE to_time IS NULL;
    CREATE UNIQUE INDEX installations_open_vehicle ON installations (vehicle_id) WHERE to_time IS NULL;
    CREATE TABLE drivers (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants (id),
        name TEXT NOT NULL,
        badge_id TEXT,                 -- iButton / RFID as the device reports it; unique in the tenant
        employee_number TEXT NOT NULL DEFAULT '',
        user_id INTEGER REFERENCES users (id),  -- a driver needs no account
        created_at INTEGER NOT NULL,
        UNIQUE (tenant_id, badge_id)
    );
    CREATE INDEX drivers_by_tenant ON drivers (tenant_id, id);
    CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id),
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,          -- space-separated: read write commands
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
    );
    CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
    CREATE TABLE password_resets (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
    ) WITHOUT ROWID;
    -- E-mails to send (lockout notices, password resets, reports); a sender drains it.
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        created_at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        sent_at INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
    -- A tenant lets the operator's staff read its vehicle data until expires_at.
    CREATE TABLE support_grants (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants (id),
        granted_by INTEGER NOT NULL REFERENCES users (id),
        reason TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER
    );
    CREATE INDEX support_grants_by_tenant ON support_grants (tenant_id, expires_at);
    )sql",
    // 4: telematics intelligence (docs/pipeline.md): what the pipeline derives from positions
    // (trips, stops, events, geofence visits, counters, checkpoints) and what managers configure
    // (settings, geofences, driver assignments, maintenance, notification rules, webhooks, schedules).
    R"sql(
    -- A tenant's processing settings as a JSON object; a missing key takes its documented default.
    CREATE TABLE tenant_settings (
        tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id),
        settings TEXT NOT NULL DEFAULT '{}',
        updated_at INTEGER NOT NULL
    );
    ALTER TABLE vehicles ADD COLUMN speed_limit_kmh REAL;  -- NULL: the tenant's default
    -- The dashboard reading a manager set: the vehicle's odometer is dashboard_m plus what the device
    -- travelled since (device_counters.odometer_m - base_m).
    CREATE TABLE vehicle_odometer (
        vehicle_id INTEGER PRIMARY KEY REFERENCES vehicles (id),
        set_at INTEGER NOT NULL,
        dashboard_m REAL NOT NULL,
        base_m REAL NOT NULL,
        engine_base_s REAL NOT NULL DEFAULT 0,
        engine_dashboard_s REAL
    );
    -- A manager's assignment of a driver to a vehicle (used when no badge is read). NULL to_time: open.
    CREATE TABLE driver_assignments (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants (id),
        vehicle_id INTEGER NOT NULL REFERENCES vehicles (id),
        driver_id INTEGER NOT NULL REFERENCES drivers (id),
        from_time INTEGER NOT NULL,
        to_time INTEGER,
        created_at INTEGER NOT NULL,
        CHECK (to_time IS NULL OR to_time > from_time)
    );
    CREATE INDEX driver_assignments_by_vehicle ON driver_assignments (vehicle_id, from_time);
    -- Circles (center + radius) and polygons; geometry is a GeoJSON geometry (Point for a circle).
    CREATE TABLE geofences (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants (id),
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL CHECK (kind IN ('circle', 'polygon')),
        geometry TEXT NOT NULL,
        radius_m REAL,                 -- circles only
        speed_limit_kmh REAL,          -- overspeed limit inside, NULL: none of its own
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (tenant_id, name)
    );
    -- Derived: trips and stops of a device (attributed to the vehicle it was installed in and the
    -- driver identified), replaced when late records recompute their window.
    CREATE TABLE trips (
        id INTEGER PRIMARY KEY,
        device_id INTEGER NOT NULL,
        tenant_id INTEGER,
        vehicle_id INTEGER,
        driver_id INTEGER,
        start_time INTEGER NOT NULL,
        end_time INTEGER NOT NULL,
        start_lat REAL NOT NULL, start_lon REAL NOT NULL,
        end_lat REAL NOT NULL, end_lon REAL NOT NULL,
        start_odometer_m REAL NOT NULL,
        end_odometer_m REAL NOT NULL,
        distance_m REAL NOT NULL,
        max_speed_kmh REAL NOT NULL,
        avg_speed_kmh REAL NOT NULL,
        idle_s REAL NOT NULL,
        overspeed_s REAL NOT NULL,
        harsh_acceleration INTEGER NOT NULL,
        harsh_braking INTEGER NOT NULL,
        harsh_cornering INTEGER NOT NULL,
        fuel_used_l REAL,
        eco_score REAL,
        UNIQUE (device_id, start_time)
    );
    CREATE INDEX trips_by_vehicle ON trips (vehicle_id, start_time);
    CREATE INDEX trips_by_driver ON trips (driver_id, start_time);
    CREATE TABLE stops (
        id INTEGER PRIMARY KEY,
        device_id INTEGER NOT NULL,
        tenant_id INTEGER,
        vehicle_id INTEGER,
        driver_id INTEGER,
        start_time INTEGER NOT NULL,
        end_time INTEGER NOT NULL,
        lat REAL NOT NULL,
        lon REAL NOT NULL,
        odometer_m REAL NOT NULL,
        engine_on_s REAL NOT NULL,     -- idling during the stop
        UNIQUE (device_id, start_time)
    );
    CREATE INDEX stops_by_vehicle ON stops (vehicle_id, start_time);
    CREATE TABLE geofence_visits (
        id INTEGER PRIMARY KEY,
        device_id INTEGER NOT NULL,
        tenant_id INTEGER,
        vehicle_id INTEGER,
        driver_id INTEGER,
        geofence_id INTEGER NOT NULL,
        enter_time INTEGER NOT NULL,
        exit_time INTEGER,             -- NULL: still inside
        UNIQUE (device_id, geofence_id, enter_time)
    );
    CREATE INDEX geofence_visits_by_vehicle ON geofence_visits (vehicle_id, enter_time);
    -- Every event, derived by the pipeline or raised by a periodic check (offline, maintenance).
    -- `key` identifies it across recomputation, so a recomputed event is the same row (its
    -- acknowledgement and notifications are kept, nobody is notified twice).
    -- AUTOINCREMENT: a recomputation may delete the newest event; its id must never come back, or
    -- the notifier (which follows ids) would skip the event that reused it.
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        tenant_id INTEGER,
        device_id INTEGER,
        vehicle_id INTEGER,
        driver_id INTEGER,
        geofence_id INTEGER,
        type TEXT NOT NULL,
        time INTEGER NOT NULL,
        lat REAL,
        lon REAL,
        detail TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        acknowledged_at INTEGER,
        acknowledged_by INTEGER REFERENCES users (id)
    );
    CREATE INDEX events_by_tenant ON events (tenant_id, time);
    CREATE INDEX events_by_vehicle ON events (vehicle_id, time);
    CREATE INDEX events_by_device ON events (device_id, time);
    -- A device's processing state at the start of a window (after a trip ended, and at least hourly
    -- in device time); processing resumes and recomputes from the last one before a record.
    CREATE TABLE pipeline_checkpoints (
        device_id INTEGER NOT NULL,
        time INTEGER NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (device_id, time)
    ) WITHOUT ROWID;
    -- Written by ingestion in the same transaction when a record is older than the device's latest:
    -- the pipeline recomputes from there (and finds it after a restart).
    CREATE TABLE pipeline_late (
        device_id INTEGER PRIMARY KEY,
        from_time INTEGER NOT NULL
    );
    -- The running totals of each device as processed (distance, engine time), for odometers,
    -- engine hours and maintenance.
    CREATE TABLE device_counters (
        device_id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        odometer_m REAL NOT NULL,
        engine_s REAL NOT NULL
    );
    -- Preventive maintenance: a plan per vehicle, by distance, engine hours and/or calendar
    -- (interval_months), or a one-off due_date (technical inspection, insurance renewal).
    CREATE TABLE maintenance_plans (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants (id),
        vehicle_id INTEGER NOT NULL REFERENCES vehicles (id),
        name TEXT NOT NULL,
        interval_km REAL,
        interval_engine_h REAL,
        interval_months INTEGER,
        due_date TEXT,                 -- YYYY-MM-DD
        warn_km REAL NOT NULL DEFAULT 1000,
        warn_engine_h REAL NOT NULL DEFAULT 25,
        warn_days INTEGER NOT NULL DEFAULT 30,
        last_done_date TEXT,           -- YYYY-MM-DD
        last_done_odometer_m REAL,
        last_done_engine_h REAL,
        created_at INTEGER NOT NULL,
        archived_at INTEGER
    );
    CREATE INDEX maintenance_plans_by_vehicle ON maintenance_plans (vehicle_id);
    CREATE TABLE service_log (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants (id),
        vehicle_id INTEGER NOT NULL REFERENCES vehicles (id),
        plan_id INTEGER REFERENCES maintenance_plans (id),
        date TEXT NOT NULL,            -- YYYY-MM-DD
        odometer_m REAL,
        engine_h REAL,
        cost_cents INTEGER,
        currency TEXT NOT NULL DEFAULT 'EUR',
        note TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL
    );
    CREATE INDEX service_log_by_vehicle ON service_log (vehicle_id, date);
    CREATE TABLE webhooks (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants (id),
        name TEXT NOT NULL,
        url TEXT NOT NULL,
        secret_sealed TEXT NOT NULL,   -- the HMAC-SHA256 key, sealed like TOTP secrets
        enabled INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL,
        UNIQUE (tenant_id, name)
    );
    -- Which event types, for which vehicles/groups (empty: all), to whom, by which channels.
    CREATE TABLE notification_rules (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants (id),
        name TEXT NOT NULL,
        event_types TEXT NOT NULL,     -- JSON array of event types
        vehicle_ids TEXT NOT NULL DEFAULT '[]',
        group_ids TEXT NOT NULL DEFAULT '[]',
        user_ids TEXT NOT NULL DEFAULT '[]',
        webhook_ids TEXT NOT NULL DEFAULT '[]',
        channels TEXT NOT NULL,        -- JSON array: "web", "email", "webhook"
        quiet_start TEXT,              -- HH:MM in the tenant's time zone; with quiet_end
        quiet_end TEXT,
        enabled INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL,
        UNIQUE (tenant_id, name)
    );
    -- One row per event, channel and recipient ("user:ID" or "webhook:ID"): the delivery log, and
    -- what makes a recipient get one notification per event however many rules match.
    CREATE TABLE notifications (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL,
        event_id INTEGER NOT NULL REFERENCES events (id),
        channel TEXT NOT NULL CHECK (channel IN ('web', 'email', 'webhook')),
        recipient TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'quiet')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        delivered_at INTEGER,
        read_at INTEGER,
        UNIQUE (event_id, channel, recipient)
    );
    CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX notifications_by_recipient ON notifications (recipient, id);
    -- Reports sent by e-mail on a schedule to their owner.
    CREATE TABLE report_schedules (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL REFERENCES tenants (id),
        user_id INTEGER NOT NULL REFERENCES users (id),
        report TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{}',
        frequency TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly')),
        format TEXT NOT NULL CHECK (format IN ('csv', 'xlsx')),
        next_run_at INTEGER NOT NULL,
        last_run_at INTEGER,
        created_at INTEGER NOT NULL
    );
    -- Where a background service got to (the notifier's last event id, ...).
    CREATE TABLE service_cursors (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    ) WITHOUT ROWID;
    )sql",
    // 5: the driver role (issue 3). A driver user's vehicle is found from its driver record
    // (drivers.user_id) and that record's assignments, on every request and live refresh of a driver:
    // by index, not by a scan of every tenant's assignments.
    R"sql(
    CREATE INDEX drivers_by_user ON drivers (user_id) WHERE user_id IS NOT NULL;
    CREATE INDEX driver_assignments_by_driver ON driver_assignments (driver_id, from_time);
    )sql",
    // 6: raw frames by chunk (store/frame_chunk.hpp): one row holds consecutive frames of a device.
    // packing 0: `data` is one frame as received (rows kept from the frames table); packing 1: `data`
    // is CompressChunk of the packed frames. Pruned by last_at, the newest frame's reception time.
    R"sql(
    CREATE TABLE frame_chunks (
        id INTEGER PRIMARY KEY,
        device_id INTEGER NOT NULL,
        protocol TEXT NOT NULL,
        first_at INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        frames INTEGER NOT NULL CHECK (frames > 0),
        packing INTEGER NOT NULL CHECK (packing IN (0, 1)),
        data BLOB NOT NULL
    );
    INSERT INTO frame_chunks (device_id, protocol, first_at, last_at, frames, packing, data)
        SELECT device_id, protocol, received_at, received_at, 1, 0, data FROM frames ORDER BY id;
    DROP TABLE frames;
    CREATE INDEX frame_chunks_by_device ON frame_chunks (device_id, id);
    CREATE INDEX frame_chunks_by_time ON frame_chunks (last_at);
    )sql",
    // 7: positions in arrival order (a rowid table), found by a unique index on (device_id,
    // device_time, fingerprint): the same key, the same queries, the same refusal of a resent record.
    // Clustered by device (schema 1), each commit rewrote the newest leaf of every device in it and
    // split one every other packet, rebalancing three siblings: about 3.8 pages of 4 KiB a packet of
    // ten records, 92% of the WAL. Appended, the rows fill the table's last pages once (about half a
    // page a packet); the index's entries still go in the middle of its tree and split as the rows
    // did, but their cells hold ~24 bytes instead of ~193 (about 2.5 pages a packet). WAL frames:
    // ~3.5 a packet instead of ~4.2; the writer wrote ~1,450 bytes a record instead of ~2,350, its
    // catch-up copies included (docs/BENCHMARKS.md, "Positions in arrival order"). A device's
    // history now reads the index, then one table page for each packet's rows.
    // The rows stored before are copied in the old key's order: their history stays clustered.
    R"sql(
    CREATE TABLE positions_by_arrival (
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
        attributes TEXT NOT NULL
    );
    INSERT INTO positions_by_arrival SELECT device_id, device_time, fingerprint, server_time, lat, lon, altitude,
        speed, course, satellites, hdop, valid, io, attributes FROM positions;
    DROP TABLE positions;
    ALTER TABLE positions_by_arrival RENAME TO positions;
    CREATE UNIQUE INDEX positions_by_device ON positions (device_id, device_time, fingerprint);
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

// --- WAL write gathering -------------------------------------------------------------------------
// SQLite appends a commit to the WAL one frame at a time, each frame as two writes (a 24-byte header,
// then the page), and a frame (4120 bytes) straddles two kernel pages: a commit of a few thousand
// pages costs twice as many pwrite calls and three times as many page-cache updates. The "fleetd-wal"
// VFS is the default VFS except for WAL files, whose consecutive writes it gathers in a buffer and
// writes with one call when SQLite syncs the WAL, reads it, asks its size, truncates or closes it,
// when a write does not follow the previous one, or when the buffer is full.
//
// It is used only with synchronous=full, where every commit ends with a sync of the WAL before the
// commit is published to other connections (in the shared-memory index), so no other connection can
// see a committed frame that is still in the buffer. (With synchronous=normal there is no such sync;
// the default VFS is used.) Other files are the default VFS's own objects, untouched.
// The default (unix) VFS writes at most 128 KiB - 1 bytes per call (more is a short write: "disk full").
constexpr size_t kWalBufferBytes = 31 * 4096;

struct GatheringWalFile {
    sqlite3_file base;     // methods: kGatheringWalMethods
    sqlite3_file* real;    // the default VFS's file object, in the same allocation after this one
    char* buffer;          // kWalBufferBytes, allocated at open
    sqlite3_int64 offset;  // file offset of buffer[0]
    size_t length;         // bytes gathered
    bool synced_once;      // the first sync also syncs the folder (a new file's entry): never deferred
};

// Set by SqliteStore::IngestUnsynced on its thread around its COMMIT: the WAL's sync at the end of
// that commit only writes what is gathered (so that other connections, which see the commit once it
// returns, read whole frames) and leaves the sync to SqliteStore::SyncCommitted. Every other sync
// (checkpoints, other connections, other commits) is real.
thread_local bool t_defer_wal_sync = false;
thread_local int64_t t_wal_syncs = 0;  // real syncs of a WAL through GatherSync, by this thread

int FlushGathered(GatheringWalFile* f) {
    if (f->length == 0) return SQLITE_OK;
    int rc = f->real->pMethods->xWrite(f->real, f->buffer, static_cast<int>(f->length), f->offset);
    f->length = 0;
    return rc;
}

GatheringWalFile* AsGathering(sqlite3_file* file) { return reinterpret_cast<GatheringWalFile*>(file); }

int GatherClose(sqlite3_file* file) {
    auto* f = AsGathering(file);
    int flush_rc = FlushGathered(f);
    int rc = f->real->pMethods->xClose(f->real);
    sqlite3_free(f->buffer);
    f->buffer = nullptr;
    return rc != SQLITE_OK ? rc : flush_rc;
}

int GatherRead(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
    auto* f = AsGathering(file);
    if (int rc = FlushGathered(f); rc != SQLITE_OK) return rc;
    return f->real->pMethods->xRead(f->real, out, amount, offset);
}

int GatherWrite(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
    auto* f = AsGathering(file);
    const auto n = static_cast<size_t>(amount);
    if (f->length > 0 && offset == f->offset + static_cast<sqlite3_int64>(f->length) &&
        f->length + n <= kWalBufferBytes) {
        std::memcpy(f->buffer + f->length, data, n);
        f->length += n;
        return SQLITE_OK;
    }
    // Not a continuation (a new WAL header, a frame rewritten in place) or no room: what is gathered
    // goes first, so that writes reach the file in SQLite's order.
    if (int rc = FlushGathered(f); rc != SQLITE_OK) return rc;
    if (n > kWalBufferBytes / 2) return f->real->pMethods->xWrite(f->real, data, amount, offset);
    std::memcpy(f->buffer, data, n);
    f->offset = offset;
    f->length = n;
    return SQLITE_OK;
}

int GatherTruncate(sqlite3_file* file, sqlite3_int64 size) {
    auto* f = AsGathering(file);
    if (int rc = FlushGathered(f); rc != SQLITE_OK) return rc;
    return f->real->pMethods->xTruncate(f->real, size);
}

int GatherSync(sqlite3_file* file, int flags) {
    auto* f = AsGathering(file);
    if (int rc = FlushGathered(f); rc != SQLITE_OK) return rc;
    if (t_defer_wal_sync && f->synced_once) return SQLITE_OK;
    ++t_wal_syncs;
    int rc = f->real->pMethods->xSync(f->real, flags);
    if (rc == SQLITE_OK) f->synced_once = true;
    return rc;
}

int GatherFileSize(sqlite3_file* file, sqlite3_int64* size) {
    auto* f = AsGathering(file);
    if (int rc = FlushGathered(f); rc != SQLITE_OK) return rc;
    return f->real->pMethods->xFileSize(f->real, size);
}

int GatherLock(sqlite3_file* file, int lock) { return AsGathering(file)->real->pMethods->xLock(AsGathering(file)->real, lock); }
int GatherUnlock(sqlite3_file* file, int lock) {
    return AsGathering(file)->real->pMethods->xUnlock(AsGathering(file)->real, lock);
}
int GatherCheckReservedLock(sqlite3_file* file, int* out) {
    return AsGathering(file)->real->pMethods->xCheckReservedLock(AsGathering(file)->real, out);
}
int GatherFileControl(sqlite3_file* file, int op, void* arg) {
    auto* f = AsGathering(file);
    if (int rc = FlushGathered(f); rc != SQLITE_OK) return rc;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}
int GatherSectorSize(sqlite3_file* file) { return AsGathering(file)->real->pMethods->xSectorSize(AsGathering(file)->real); }
int GatherDeviceCharacteristics(sqlite3_file* file) {
    return AsGathering(file)->real->pMethods->xDeviceCharacteristics(AsGathering(file)->real);
}

// Version 1: a WAL file has no shared memory and is not memory-mapped.
const sqlite3_io_methods kGatheringWalMethods = {
    1,          GatherClose, GatherRead,       GatherWrite,       GatherTruncate,
    GatherSync, GatherFileSize, GatherLock,    GatherUnlock,      GatherCheckReservedLock,
    GatherFileControl, GatherSectorSize, GatherDeviceCharacteristics,
};

sqlite3_vfs* DefaultVfs() {
    static sqlite3_vfs* vfs = sqlite3_vfs_find(nullptr);
    return vfs;
}

int GatheringOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
    sqlite3_vfs* real_vfs = DefaultVfs();
    if ((flags & SQLITE_OPEN_WAL) == 0) return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
    auto* f = AsGathering(file);
    std::memset(f, 0, sizeof *f);
    f->real = reinterpret_cast<sqlite3_file*>(f + 1);
    f->buffer = static_cast<char*>(sqlite3_malloc64(kWalBufferBytes));
    if (!f->buffer) return SQLITE_NOMEM;
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        // SQLite does not close a file whose open failed (unless pMethods is set).
        sqlite3_free(f->buffer);
        f->buffer = nullptr;
        return rc;
    }
    f->base.pMethods = &kGatheringWalMethods;
    return SQLITE_OK;
}

constexpr const char* kGatheringVfsName = "fleetd-wal";

// Registers the VFS (once per process) and returns its name.
const char* GatheringVfs() {
    static const char* name = [] {
        sqlite3_vfs* real = DefaultVfs();
        static sqlite3_vfs vfs = *real;  // every other method: the default VFS's own
        vfs.szOsFile = static_cast<int>(sizeof(GatheringWalFile) + static_cast<size_t>(real->szOsFile) + 8);
        vfs.zName = kGatheringVfsName;
        vfs.pNext = nullptr;
        vfs.xOpen = GatheringOpen;
        return sqlite3_vfs_register(&vfs, 0) == SQLITE_OK ? kGatheringVfsName : nullptr;
    }();
    return name;
}

// The page cache's truncation at the end of every write transaction. SQLite's B-tree, when a split
// or a merge leaves sibling pages out of order, swaps their numbers through a temporary key, the
// page number of the lock byte (PENDING_BYTE / page size + 1: 262,145 with 4 KiB pages). Its page
// cache (pcache1) remembers the largest key it ever held, and at the end of each transaction the
// pager asks it to drop the pages past the database's end; as long as the database is under 1 GiB
// that remembered key is past the end, so every commit that split a page walks the whole hash table
// and every cached page (32,768 buckets and up to 31,714 pages with our cache). Under a 1,000-device
// load that walk was about 4% of the server's CPU and 10% of the writer's, the serial stage (perf;
// docs/BENCHMARKS.md, summary). This wraps SQLite's own page cache and forwards every call, except
// a truncation for which it knows that no cached page is at or past the limit: it tracks the largest
// key created or moved to (the temporary key excepted while a page holds it, counted apart), which a
// forwarded truncation lowers. The cache's behaviour is otherwise SQLite's own.
struct TrackedCache {
    sqlite3_pcache* real;
    unsigned temp_key;       // PENDING_BYTE / page size + 1
    unsigned largest = 0;    // no page other than the temporary one has a larger key
    int holding_temp = 0;    // pages keyed temp_key by a swap
    unsigned walk_from = 0;  // what pcache1 remembers as its largest key (temp_key included): a
                             // truncation below it is one pcache1 would have walked
};

sqlite3_pcache_methods2 g_real_pcache{};
std::atomic<int64_t> g_walks_avoided{0};

TrackedCache* AsTracked(sqlite3_pcache* p) { return reinterpret_cast<TrackedCache*>(p); }

int CacheInit(void*) { return g_real_pcache.xInit ? g_real_pcache.xInit(g_real_pcache.pArg) : SQLITE_OK; }
void CacheShutdown(void*) {
    if (g_real_pcache.xShutdown) g_real_pcache.xShutdown(g_real_pcache.pArg);
}
sqlite3_pcache* CacheCreate(int page_size, int extra, int purgeable) {
    sqlite3_pcache* real = g_real_pcache.xCreate(page_size, extra, purgeable);
    if (real == nullptr) return nullptr;
    auto* c = static_cast<TrackedCache*>(sqlite3_malloc(sizeof(TrackedCache)));
    if (c == nullptr) {
        g_real_pcache.xDestroy(real);
        return nullptr;
    }
    // 0x40000000: SQLite's PENDING_BYTE (sqlite3PendingByte), unless a test build moved it; were it
    // elsewhere, its key would count as an ordinary one here: fewer truncations skipped, none wrong.
    *c = TrackedCache{real, static_cast<unsigned>(0x40000000 / page_size) + 1};
    return reinterpret_cast<sqlite3_pcache*>(c);
}
void CacheCachesize(sqlite3_pcache* p, int n) { g_real_pcache.xCachesize(AsTracked(p)->real, n); }
int CachePagecount(sqlite3_pcache* p) { return g_real_pcache.xPagecount(AsTracked(p)->real); }
sqlite3_pcache_page* CacheFetch(sqlite3_pcache* p, unsigned key, int create) {
    auto* c = AsTracked(p);
    sqlite3_pcache_page* page = g_real_pcache.xFetch(c->real, key, create);
    if (page != nullptr) {
        c->largest = std::max(c->largest, key);  // conservative: also on a hit
        c->walk_from = std::max(c->walk_from, key);
    }
    return page;
}
void CacheUnpin(sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
    g_real_pcache.xUnpin(AsTracked(p)->real, page, discard);
}
void CacheRekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
    auto* c = AsTracked(p);
    g_real_pcache.xRekey(c->real, page, old_key, new_key);
    c->walk_from = std::max(c->walk_from, new_key);
    if (old_key == c->temp_key && c->holding_temp > 0) --c->holding_temp;
    if (new_key == c->temp_key) {
        ++c->holding_temp;
    } else {
        c->largest = std::max(c->largest, new_key);
    }
}
void CacheTruncate(sqlite3_pcache* p, unsigned limit) {
    auto* c = AsTracked(p);
    if (limit > c->largest && c->holding_temp == 0) {
        if (limit <= c->walk_from) g_walks_avoided.fetch_add(1, std::memory_order_relaxed);
        return;  // nothing cached at or past the limit
    }
    g_real_pcache.xTruncate(c->real, limit);
    if (limit > 0) {
        c->largest = std::min(c->largest, limit - 1);
        c->walk_from = std::min(c->walk_from, limit - 1);
    }
    if (limit <= c->temp_key) c->holding_temp = 0;  // dropped with the rest
}
void CacheDestroy(sqlite3_pcache* p) {
    auto* c = AsTracked(p);
    g_real_pcache.xDestroy(c->real);
    sqlite3_free(c);
}
void CacheShrink(sqlite3_pcache* p) { g_real_pcache.xShrink(AsTracked(p)->real); }

// Installs the wrapper before SQLite initializes (a page cache can only be set then). Runs once,
// at the program's start (a static initializer below); if SQLite was already initialized by then, the
// default cache stays, unwrapped.
bool InstallTrackedPageCache() {
    sqlite3_pcache_methods2 real{};
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &real) != SQLITE_OK || real.xCreate == nullptr) return false;
    g_real_pcache = real;
    static const sqlite3_pcache_methods2 tracked = {
        1,           nullptr,        CacheInit,  CacheShutdown, CacheCreate, CacheCachesize, CachePagecount,
        CacheFetch,  CacheUnpin,     CacheRekey, CacheTruncate, CacheDestroy, CacheShrink,
    };
    return sqlite3_config(SQLITE_CONFIG_PCACHE2, &tracked) == SQLITE_OK;
}

const bool g_tracked_page_cache = InstallTrackedPageCache();

// SQLite counts every allocation under a process-wide mutex unless told not to (its "memstatus").
// fleetd never asks for those counts, and the writer, the pipeline's workers and the readers of the
// API would all take that mutex for each allocation. Set at the start, like the page cache above.
const bool g_memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;

// The connection's page cache. Ingestion appends to one B-tree leaf per device (the positions' index
// by device; before schema 7, the positions table itself) and to its parents; with SQLite's default
// 2 MB, a fleet of a thousand devices evicts those pages between two commits and inserts read them
// back from the file. Measured with the table clustered by device (schema 6), the pages a commit
// touches (about 900 for 120 devices' packets: the leaves, the siblings a split rebalances,
// the parents, the latest positions, the raw frames' tail) all have to stay cached until each device
// comes round again: with 1,000 devices that is about 7,200 pages, as many as 32 MiB holds, and at
// 32 MiB the writer missed about one page in every two records (SQLITE_DBSTATUS_CACHE_MISS), read
// back from the WAL. 128 MiB keeps about 4,000 such devices.
constexpr int kCacheKib = 128 * 1024;

// WAL checkpoints. SQLite's default copies the WAL into the database every 1000 pages, on the
// writer's thread, inside the commit that crossed the mark. Ingestion rewrites the same pages (each
// device's newest leaf and its parents) commit after commit, so most of that copying is of pages the
// next commits change again. Here the writer turns automatic checkpoints off and:
// - past kCheckpointPages of WAL, a background connection copies the WAL into the database
//   (PASSIVE: it never blocks the writer); a page rewritten by many commits is copied once;
// - when that pass is over, the writer copies the frames committed meanwhile itself, between two
//   transactions, so that the WAL is then wholly in the database and the next commit starts it over
//   (a WAL only restarts when every frame is copied and no commit came in between). That copy ends
//   with an fsync of the WAL and of the database on the writer's thread, while every device waits:
//   a larger kCheckpointPages makes it rarer;
// - past kBackstopFactor times kCheckpointPages (the background pass is starved of CPU or disk),
//   the writer waits for the pass to end before going on: back-pressure on ingestion rather than an
//   ever longer WAL.
// A reader that keeps an old snapshot open pins the frames after it, as with SQLite's default; the
// copies then go as far as they can and the WAL grows until the reader is done.
// At 32,768 pages (128 MiB), a 1,000-device load made the writer wait in those fsyncs for 15-20% of
// its time; at 131,072 (512 MiB) with repeated background passes, 9-12% (its state sampled from
// /proc/<tid>/stat every 10 ms during 20-s `fleetd simulate` loads; docs/BENCHMARKS.md, summary).
// The repeated passes are gone (see Checkpointer::Pass); the 512 MiB stay.
// (kCheckpointPages is SqliteOptions::checkpoint_pages's default, in store.hpp.)
constexpr int kBackstopFactor = 4;

// Runs WAL checkpoint passes of one database on its own thread and connection. Thread-safe.
class Checkpointer {
public:
    Checkpointer(std::string path, int busy_timeout_ms)
        : path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms), thread_([this] { Run(); }) {}
    ~Checkpointer() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    // Starts a pass unless one is running or waiting to be collected with TakeFinished.
    void Request() {
        {
            std::lock_guard lock(mu_);
            if (running_ || finished_) return;
            running_ = true;
        }
        cv_.notify_all();
    }
    // Whether a pass has finished since the last call (and resets that).
    bool TakeFinished() {
        std::lock_guard lock(mu_);
        bool f = finished_;
        finished_ = false;
        return f;
    }
    // Waits for the running pass, if any, to end.
    void WaitForPass() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !running_; });
    }

private:
    void Run() {
        core::NameThread("fleetd-ckpt");
        sqlite3* db = nullptr;
        if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
            spdlog::warn("sqlite: checkpoint connection to {}: {}; the writer will checkpoint alone", path_,
                         db ? sqlite3_errmsg(db) : "out of memory");
            sqlite3_close_v2(db);
            db = nullptr;
        } else {
            sqlite3_busy_timeout(db, busy_timeout_ms_);
            // A checkpoint is a no-op on a connection that has not read the database yet (it does not
            // know that it is in WAL mode): read once to open the WAL.
            sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
        }
        for (;;) {
            {
                std::unique_lock lock(mu_);
                cv_.wait(lock, [&] { return stop_ || running_; });
                if (stop_) break;
            }
            if (db) Pass(db);
            {
                std::lock_guard lock(mu_);
                running_ = false;
                finished_ = true;
            }
            cv_.notify_all();  // WaitForPass
        }
        sqlite3_close_v2(db);
    }

    // One pass. (Repeating passes over what was committed during the previous one, while that was
    // more than 4,096 pages, shortened the writer's own catch-up but raised the live feed's p99 under
    // 10,000 records/s from 53-66 ms to 72-117 ms in single runs of bench/api.sh, for no gain in
    // ingestion beyond run-to-run noise: docs/BENCHMARKS.md, summary.)
    void Pass(sqlite3* db) {
        int wal_pages = 0, copied = 0;
        int rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            spdlog::warn("sqlite: background checkpoint of {}: {}", path_, sqlite3_errmsg(db));
        }
        spdlog::debug("sqlite: background checkpoint copied {} of {} WAL frames", copied, wal_pages);
    }

    const std::string path_;
    const int busy_timeout_ms_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool running_ = false;
    bool finished_ = false;
    bool stop_ = false;
    std::thread thread_;  // last: starts once the rest is ready
};

class SqliteStore final : public Store {
public:
    SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
    ~SqliteStore() override {
        checkpointer_.reset();  // before the last connection closes (which checkpoints what is left)
        statements_.clear();
        sqlite3_close_v2(db_);
        if (int fd = wal_fd_.load(); fd >= 0) ::close(fd);
    }

    Result<void> Init(const SqliteOptions& options) {
        busy_timeout_ms_ = options.busy_timeout_ms;
        if (options.checkpoint_pages < 1) return MakeError("store: checkpoint_pages must be at least 1");
        checkpoint_pages_ = options.checkpoint_pages;
        sqlite3_busy_timeout(db_, options.busy_timeout_ms);
        if (options.synchronous != "full" && options.synchronous != "normal") {
            return MakeError("store.synchronous must be \"full\" or \"normal\", not \"" + options.synchronous + "\"");
        }
        if (auto r = Exec("PRAGMA journal_mode=WAL"); !r) return r;
        if (auto r = Exec("PRAGMA synchronous=" + options.synchronous); !r) return r;
        if (auto r = Exec("PRAGMA foreign_keys=ON"); !r) return r;
        if (auto r = Exec(fmt::format("PRAGMA cache_size=-{}", kCacheKib)); !r) return r;
        // Replaces SQLite's automatic checkpoints (wal_autocheckpoint) on this connection.
        sqlite3_wal_hook(db_, &SqliteStore::OnWalCommit, this);
        if (auto r = Migrate(); !r) return r;
        // Migrating wrote the WAL: it exists, and stays the same file while this connection is open.
        sqlite3_vfs* vfs = nullptr;
        sqlite3_file_control(db_, "main", SQLITE_FCNTL_VFS_POINTER, &vfs);
        const bool gathering_vfs = vfs != nullptr && std::strcmp(vfs->zName, kGatheringVfsName) == 0;
        if (options.synchronous == "full" && gathering_vfs) {
            int fd = ::open((path_ + "-wal").c_str(), O_RDWR | O_CLOEXEC);
            if (fd >= 0) {
                wal_fd_.store(fd);
                full_sync_ = true;
            } else {
                spdlog::warn("sqlite: cannot open {}-wal ({}): each commit syncs on the writer's thread", path_,
                             std::strerror(errno));
            }
        }
        return {};
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

    std::unique_ptr<AccountStore> SharedConnection() override { return AccountStore::Borrow(db_); }

    Result<IngestStats> Ingest(std::span<const IngestBatch* const> batches) override {
        std::vector<FrameChunk> frames;
        for (const IngestBatch* b : batches) {
            if (b->raw_frame.empty()) continue;
            FrameChunk& c = frames.emplace_back();
            c.device_id = b->device_id;
            c.protocol = b->protocol;
            c.Append(b->received_at, b->raw_frame);
        }
        return IngestWithSync(batches, frames, false);
    }

    Result<IngestStats> IngestUnsynced(std::span<const IngestBatch* const> batches,
                                       std::span<const FrameChunk> frames) override {
        return IngestWithSync(batches, frames, full_sync_);
    }

    // With synchronous=full: the WAL's data, synced with fdatasync on a descriptor of our own (the
    // WAL file stays the same file while this connection is open: SQLite removes it only when the
    // last connection closes). With normal, commits are not synced: nothing to do, as configured.
    Result<void> SyncCommitted() override {
        int fd = wal_fd_.load(std::memory_order_acquire);
        if (fd < 0) return {};
        if (::fdatasync(fd) != 0) return MakeError(fmt::format("sync of {}-wal: {}", path_, std::strerror(errno)));
        return {};
    }

    void RunWithSyncDeferred(const std::function<void()>& fn) override {
        if (!full_sync_) return fn();
        struct Restore {
            ~Restore() { t_defer_wal_sync = false; }
        } restore;
        t_defer_wal_sync = true;
        fn();
    }

    Result<IngestStats> IngestWithSync(std::span<const IngestBatch* const> batches, std::span<const FrameChunk> frames,
                                       bool defer_sync) {
        IngestStats stats;
        if (batches.empty() && frames.empty()) return stats;
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
        auto chunk = Prepare(kInsertFrameChunk);
        if (!chunk) return chunk.error();

        auto late = Prepare(
            "INSERT INTO pipeline_late (device_id, from_time) VALUES (?, ?) ON CONFLICT (device_id) "
            "DO UPDATE SET from_time = min(from_time, excluded.from_time)");
        if (!late) return late.error();

        if (finish_checkpoint_) CatchUpCheckpoint();
        if (auto r = Exec("BEGIN IMMEDIATE"); !r) return r.error();
        // Newest position per device in this group: one latest-position upsert per device.
        std::unordered_map<int64_t, const PositionRow*> newest;
        // Oldest late position per device: at or before the device's latest position as committed
        // before this group, so possibly behind what the pipeline already processed.
        std::unordered_map<int64_t, int64_t> late_from;
        int64_t cached_device = -1;
        int64_t cached_latest = 0;
        for (const IngestBatch* b : batches) {
            for (const PositionRow& p : b->positions) {
                BindPosition(*insert, p);
                int rc = sqlite3_step(*insert);
                sqlite3_reset(*insert);
                if (rc != SQLITE_DONE) return Rollback(DbError("insert position"));
                if (sqlite3_changes(db_) > 0) {
                    ++stats.inserted;
                    // In the common case (records in order) this is a comparison with a cached value.
                    if (p.device_id != cached_device) {
                        auto known = CommittedLatest(p.device_id);
                        if (!known) return Rollback(known.error());
                        cached_device = p.device_id;
                        cached_latest = *known;
                    }
                    int64_t ms = ToMs(p.device_time);
                    if (ms <= cached_latest) {
                        auto [it, fresh] = late_from.try_emplace(p.device_id, ms);
                        if (!fresh && ms < it->second) it->second = ms;
                    }
                } else {
                    ++stats.duplicates;
                }
                auto& slot = newest[p.device_id];
                if (slot == nullptr || p.device_time > slot->device_time) slot = &p;
            }
        }
        for (const FrameChunk& c : frames) {
            if (InsertFrameChunk(*chunk, c) != SQLITE_DONE) return Rollback(DbError("insert raw frames"));
        }
        for (const auto& [device_id, p] : newest) {
            BindPosition(*latest, *p);
            int rc = sqlite3_step(*latest);
            sqlite3_reset(*latest);
            if (rc != SQLITE_DONE) return Rollback(DbError("update latest position"));
        }
        for (const auto& [device_id, from_ms] : late_from) {
            sqlite3_bind_int64(*late, 1, device_id);
            sqlite3_bind_int64(*late, 2, from_ms);
            int rc = sqlite3_step(*late);
            sqlite3_reset(*late);
            if (rc != SQLITE_DONE) return Rollback(DbError("note late positions"));
        }
        t_defer_wal_sync = defer_sync;
        auto committed = Exec("COMMIT");
        t_defer_wal_sync = false;
        if (!committed) {
            latest_ms_.clear();  // what was read inside the failed transaction may not hold
            return Rollback(committed.error());
        }
        for (const auto& [device_id, p] : newest) {
            auto& known = latest_ms_[device_id];
            known = std::max(known, ToMs(p->device_time));
        }
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
            if (!fn(ReadPositionRow(*s))) return {};
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
        if (rc == SQLITE_ROW) return std::optional<PositionRow>(ReadPositionRow(*s));
        if (rc != SQLITE_DONE) return DbError("read latest position");
        return std::optional<PositionRow>();
    }

    Result<void> ForEachFrame(int64_t device_id, const std::function<bool(const FrameRow&)>& fn) override {
        auto s = Prepare("SELECT id, protocol, first_at, frames, packing, data FROM frame_chunks "
                         "WHERE device_id = ? ORDER BY id");
        if (!s) return s.error();
        ResetOnExit reset{*s};
        sqlite3_bind_int64(*s, 1, device_id);
        int rc;
        FrameRow f;
        f.device_id = device_id;
        while ((rc = sqlite3_step(*s)) == SQLITE_ROW) {
            const int64_t id = sqlite3_column_int64(*s, 0);
            f.protocol = ColText(*s, 1);
            const TimePoint first_at = FromMs(sqlite3_column_int64(*s, 2));
            const int64_t count = sqlite3_column_int64(*s, 3);
            const auto* blob = static_cast<const uint8_t*>(sqlite3_column_blob(*s, 5));
            core::Bytes data(blob, static_cast<size_t>(sqlite3_column_bytes(*s, 5)));
            if (sqlite3_column_int64(*s, 4) == 0) {  // one frame as received
                f.id = id << 16;
                f.received_at = first_at;
                f.data.assign(data.begin(), data.end());
                if (!fn(f)) return {};
                continue;
            }
            if (count < 1 || count > 0xffff) return MakeError(fmt::format("raw-frame chunk {}: {} frames", id, count));
            auto packed = DecompressChunk(data);
            if (!packed) return MakeError(fmt::format("raw-frame chunk {}: {}", id, packed.error().message));
            int64_t index = 0;
            bool more = true;
            auto each = ForEachPackedFrame(*packed, first_at, static_cast<int>(count), [&](TimePoint at, core::Bytes frame) {
                f.id = (id << 16) | index++;
                f.received_at = at;
                f.data.assign(frame.begin(), frame.end());
                more = fn(f);
                return more;
            });
            if (!each) return MakeError(fmt::format("raw-frame chunk {}: {}", id, each.error().message));
            if (!more) return {};
        }
        if (rc != SQLITE_DONE) return DbError("read frames");
        return {};
    }

    Result<int64_t> PruneFrames(TimePoint cutoff) override {
        auto s = Prepare("DELETE FROM frame_chunks WHERE last_at < ? RETURNING frames");
        if (!s) return s.error();
        ResetOnExit reset{*s};
        sqlite3_bind_int64(*s, 1, ToMs(cutoff));
        int64_t frames = 0;
        int rc;
        while ((rc = sqlite3_step(*s)) == SQLITE_ROW) frames += sqlite3_column_int64(*s, 0);
        if (rc != SQLITE_DONE) return DbError("prune frames");
        return frames;
    }

private:
    // The device's latest device time (ms) committed before the current group (0: none), from the
    // cache, else from latest_positions (once per device and connection). Ingestion is the only
    // writer of positions, so the cache stays true; it is updated after each commit.
    Result<int64_t> CommittedLatest(int64_t device_id) {
        if (auto it = latest_ms_.find(device_id); it != latest_ms_.end()) return it->second;
        auto s = Prepare("SELECT device_time FROM latest_positions WHERE device_id = ?");
        if (!s) return s.error();
        ResetOnExit reset{*s};
        sqlite3_bind_int64(*s, 1, device_id);
        int rc = sqlite3_step(*s);
        int64_t ms = 0;
        if (rc == SQLITE_ROW) {
            ms = sqlite3_column_int64(*s, 0);
        } else if (rc != SQLITE_DONE) {
            return DbError("read latest position time");
        }
        latest_ms_.emplace(device_id, ms);
        return ms;
    }

    // After each commit of this connection, with the number of frames now in the WAL.
    static int OnWalCommit(void* self_ptr, sqlite3*, const char*, int wal_pages) {
        auto* self = static_cast<SqliteStore*>(self_ptr);
        if (wal_pages < self->checkpoint_pages_) return SQLITE_OK;
        if (!self->checkpointer_) self->checkpointer_ = std::make_unique<Checkpointer>(self->path_, self->busy_timeout_ms_);
        if (wal_pages >= kBackstopFactor * self->checkpoint_pages_) self->checkpointer_->WaitForPass();
        if (self->checkpointer_->TakeFinished()) {
            self->finish_checkpoint_ = true;  // before the next transaction (see CatchUpCheckpoint)
        } else {
            self->checkpointer_->Request();
        }
        return SQLITE_OK;
    }

    // Copies what was committed during the last background pass, so that the next commit restarts
    // the WAL. PASSIVE: if a reader still uses old frames, they stay and a later pass retries.
    void CatchUpCheckpoint() {
        finish_checkpoint_ = false;
        int wal_pages = 0, copied = 0;
        int rc = sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            spdlog::warn("sqlite: checkpoint of {}: {}", path_, sqlite3_errmsg(db_));
        }
        spdlog::debug("sqlite: writer's checkpoint copied {} of {} WAL frames", copied, wal_pages);
    }

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
    const std::string path_;
    int busy_timeout_ms_ = 0;
    int checkpoint_pages_ = kCheckpointPages;
    std::unique_ptr<Checkpointer> checkpointer_;  // started by the first commit that needs it
    bool finish_checkpoint_ = false;
    // IngestUnsynced may leave the WAL's sync to SyncCommitted (synchronous=full with the
    // gathering VFS, and the WAL open here too).
    bool full_sync_ = false;
    std::atomic<int> wal_fd_{-1};
    std::unordered_map<std::string, std::unique_ptr<Stmt>> statements_;
    // Each device's latest device time (ms) as committed: what tells a late position (one per device).
    std::unordered_map<int64_t, int64_t> latest_ms_;
};

}  // namespace

int64_t SqliteWalSyncs() { return t_wal_syncs; }

int64_t SqlitePageCacheWalksAvoided() {
    return g_tracked_page_cache ? g_walks_avoided.load(std::memory_order_relaxed) : -1;
}

std::string_view ToString(DeviceStatus s) { return s == DeviceStatus::kActive ? "active" : "disabled"; }

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const SqliteOptions& options) {
    sqlite3* db = nullptr;
    // WAL writes gathered only where every commit syncs the WAL (see GatheringWalFile).
    const char* vfs = options.synchronous == "full" ? GatheringVfs() : nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             vfs);
    if (rc != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close_v2(db);
        return MakeError("cannot open database " + path + ": " + msg);
    }
    auto store = std::make_unique<SqliteStore>(db, path);
    if (auto r = store->Init(options); !r) return MakeError("database " + path + ": " + r.error().message);
    return std::unique_ptr<Store>(std::move(store));
}

}  // namespace fleet::store
