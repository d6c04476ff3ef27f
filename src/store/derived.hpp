// DerivedStore: what the pipeline runner reads and writes — a device's positions in device-time
// order (in bounded chunks), the world of a device (installation, vehicle, tenant settings,
// geofences, badges, assignments) as stored rows, checkpoints, late-record marks, and the derived
// rows (trips, stops, geofence visits, events, device counters) written in one transaction per
// chunk. On the SQLite connection of an AccountStore, like ReportStore; the schema is migration 4's.
//
// Keys: trips and stops are upserted by (device_id, start_time), visits by (device_id,
// geofence_id, enter_time), events by `key` (unique across devices: the runner prefixes the
// engine's per-device key with the device id). An upserted event keeps its row id, created_at,
// acknowledgement and notifications, and takes the new values — so recomputing a window notifies
// nobody twice (the notifier follows event ids).
//
// Layering: the store does not know the engine (src/pipeline sits below it); rows here are plain
// stored values and the runner converts.
//
// Tenancy: none — the runner works across tenants on its own threads, and nothing else may use
// this class (API code reads derived rows through ReportStore with a Viewer).
// Thread-safety: as AccountStore — one connection, NOT thread-safe; one per runner worker.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "core/result.hpp"
#include "store/accounts.hpp"
#include "store/store.hpp"

namespace fleet::store {

// Where a device's processing resumes: its state (the engine's JSON) after the point at `time`.
struct Checkpoint {
    core::TimePoint time{};
    std::string state_json;
};

// A position's place in a device's order: device time, then fingerprint.
struct PositionCursor {
    core::TimePoint time{};
    int64_t fingerprint = 0;
};

struct StoredGeofence {
    int64_t id = 0;
    std::string kind;           // "circle" or "polygon"
    std::string geometry_json;  // a GeoJSON geometry: Point (circle centre) or Polygon
    std::optional<double> radius_m;
    std::optional<double> speed_limit_kmh;
};

struct StoredAssignment {
    int64_t driver_id = 0;
    core::TimePoint from{};
    std::optional<core::TimePoint> to;
};

// The stored world of a device at a device time.
struct DeviceWorld {
    std::optional<int64_t> tenant_id;   // the installation's tenant, else the device's owner
    std::optional<int64_t> vehicle_id;  // the installation covering the time
    // The installation's span (or the gap between installations) the time falls in: the world
    // holds for every time in [valid_from, valid_to) (unset: unbounded).
    std::optional<core::TimePoint> valid_from, valid_to;
    std::string settings_json = "{}";  // tenant_settings.settings
    std::optional<double> vehicle_speed_limit_kmh;
    std::vector<StoredGeofence> geofences;                 // the tenant's, by id
    std::vector<std::pair<std::string, int64_t>> badges;   // badge → driver, sorted by badge
    std::vector<StoredAssignment> assignments;             // the vehicle's, by from
};

struct DerivedTrip {
    core::TimePoint start_time{}, end_time{};
    double start_lat = 0, start_lon = 0, end_lat = 0, end_lon = 0;
    double start_odometer_m = 0, end_odometer_m = 0, distance_m = 0;
    double max_speed_kmh = 0, avg_speed_kmh = 0, idle_s = 0, overspeed_s = 0;
    int64_t harsh_acceleration = 0, harsh_braking = 0, harsh_cornering = 0;
    std::optional<double> fuel_used_l;
    std::optional<double> eco_score;
    std::optional<int64_t> driver_id;
};

struct DerivedStop {
    core::TimePoint start_time{}, end_time{};
    double lat = 0, lon = 0, odometer_m = 0, engine_on_s = 0;
    std::optional<int64_t> driver_id;
};

struct DerivedVisit {
    int64_t geofence_id = 0;
    core::TimePoint enter_time{};
    std::optional<core::TimePoint> exit_time;
    std::optional<int64_t> driver_id;
};

struct DerivedEvent {
    std::string key;  // unique across devices
    std::string type;
    core::TimePoint time{};
    std::optional<double> lat, lon;
    std::optional<int64_t> driver_id;
    std::optional<int64_t> geofence_id;
    std::string detail_json = "{}";
};

// One chunk's output for one device, attributed to one tenant and vehicle.
struct DerivedChunk {
    int64_t device_id = 0;
    std::optional<int64_t> tenant_id;
    std::optional<int64_t> vehicle_id;
    std::vector<DerivedTrip> trips;
    std::vector<DerivedStop> stops;
    std::vector<DerivedVisit> visits;
    std::vector<DerivedEvent> events;
    // Running totals after the chunk's last point (device_counters); unset: left as they are.
    std::optional<core::TimePoint> counters_time;
    double odometer_m = 0, engine_s = 0;
    std::optional<Checkpoint> checkpoint;
};

// What a recomputation starts from (TakeLate).
struct Recompute {
    core::TimePoint late_from{};             // the oldest late position
    std::optional<Checkpoint> checkpoint;    // the last one before it; unset: from the first position
    std::vector<std::string> event_keys;     // the engine's events after the checkpoint, before replay
};

// The last known state of a device for the offline check.
struct DeviceSeen {
    int64_t device_id = 0;
    std::optional<int64_t> tenant_id;
    std::optional<int64_t> vehicle_id;  // the open installation's
    core::TimePoint last_server_time{};  // when the latest position was received
    double lat = 0, lon = 0;
};

// Event types raised outside the engine (not recomputed from positions).
bool IsPeriodicEventType(std::string_view type);

// Checkpoints kept per device: at most one per hour of device time, and none older than this
// before the newest (a late position older than every checkpoint replays from the first position).
inline constexpr std::chrono::hours kCheckpointHistory{24 * 45};

class DerivedStore {
public:
    // Works on `accounts`' connection, which must outlive this object.
    explicit DerivedStore(AccountStore& accounts);

    // At most `limit` positions of the device after `after` (unset: from the first) in device-time
    // order (then fingerprint).
    Result<std::vector<PositionRow>> ReadPositions(int64_t device_id, const std::optional<PositionCursor>& after,
                                                   int64_t limit);

    // The device's world at device time `at`. A device that does not exist has an empty world.
    Result<DeviceWorld> LoadWorld(int64_t device_id, core::TimePoint at);
    // The devices of a tenant (installed in its vehicles or owned by it); every device when unset.
    Result<std::vector<int64_t>> Devices(std::optional<int64_t> tenant_id);
    // A summary of what contexts are built from and the API changes without telling the runner
    // (installations, vehicles' speed limits, drivers' badges): when it differs from the last one,
    // something changed. Cheap enough for a periodic look (one pass over three small tables).
    Result<std::string> WorldSignature();
    // A tenant's settings JSON ("{}" when it has none).
    Result<std::string> TenantSettings(int64_t tenant_id);

    // The device's newest checkpoint, or nullopt.
    Result<std::optional<Checkpoint>> LastCheckpoint(int64_t device_id);

    // When late positions were stored for the device (pipeline_late), in one transaction: takes
    // the mark, finds the last checkpoint strictly before the oldest late position, and deletes
    // what the replay from that checkpoint will write again — later checkpoints, trips and stops
    // ending after it, visits entered after it (visits open at it are reopened); the device's
    // counters are rewritten by the replay. The engine's events after it are kept (a recomputed
    // event keeps its row) and their keys returned: the caller deletes, with FinishReplay, those
    // the replay does not produce again. The replay is noted (service_cursors
    // "pipeline_replay:<device id>", the checkpoint's time) until FinishReplay, so that a restart in
    // the middle finds it (UnfinishedReplay). nullopt when the device has no mark. A position
    // stored late while the replay runs leaves a new mark.
    Result<std::optional<Recompute>> TakeLate(int64_t device_id);
    // A replay that TakeLate started and FinishReplay did not end (fleetd stopped in between): the
    // last checkpoint at or before its start and the engine's events after its start; nullopt when
    // there is none.
    Result<std::optional<Recompute>> UnfinishedReplay(int64_t device_id);
    // Ends a replay that caught up, in one transaction: deletes the events with these keys (those
    // it did not raise again) with their notifications, and the replay's note.
    Result<void> FinishReplay(int64_t device_id, const std::vector<std::string>& stale_keys);

    // Writes chunks (of one or several devices, in order) in one transaction: upserts by key,
    // counters, checkpoints. Nothing is written when it fails.
    Result<void> Write(std::span<const DerivedChunk> chunks, core::TimePoint now);
    Result<void> Write(const DerivedChunk& chunk, core::TimePoint now) { return Write({&chunk, 1}, now); }

    // Lets this connection's commits skip the fsync (synchronous=NORMAL): a power cut may lose the
    // last ones, never half of one. For the runner, whose rows are derived from positions: a lost
    // commit loses its checkpoint with its rows, and processing resumes from the one before.
    Result<void> SkipSync();

    // Every active device with a position, for the offline check.
    Result<std::vector<DeviceSeen>> SeenDevices();
    // The type of the device's newest device_offline or device_online event ("" when none).
    Result<std::string> LastPresenceEvent(int64_t device_id);
    // Inserts a periodic event (device_offline, ...) unless its key exists; true when inserted.
    Result<bool> AddEvent(int64_t device_id, std::optional<int64_t> tenant_id, std::optional<int64_t> vehicle_id,
                          const DerivedEvent& event, core::TimePoint now);

    ~DerivedStore();

private:
    class Statements;
    Result<void> WriteChunk(const DerivedChunk& chunk, core::TimePoint now);
    static std::string ReplayName(int64_t device_id);
    Result<std::vector<std::string>> EngineEventsAfter(int64_t device_id, int64_t after_ms);

    AccountStore::Impl& db_;
    std::unique_ptr<Statements> statements_;  // what the runner runs for every chunk, prepared once
};

}  // namespace fleet::store
