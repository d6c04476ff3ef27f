// Store: the durable home of devices, positions and raw frames. One interface, several backends
// (embedded SQLite here; PostgreSQL later) that pass the same conformance tests.
//
// Thread-safety: a Store object is one database connection and is NOT thread-safe; give each thread
// its own (OpenSqliteStore again) or drive it from one thread (the Committer does for the server).
// Several processes may open the same SQLite database at once (the admin CLI beside the server).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "core/result.hpp"
#include "store/frame_chunk.hpp"

namespace fleet::store {

class AccountStore;

enum class DeviceStatus { kActive, kDisabled };
std::string_view ToString(DeviceStatus s);

struct Device {
    int64_t id = 0;
    std::string imei;
    std::string protocol;
    std::string name;
    DeviceStatus status = DeviceStatus::kActive;
    core::TimePoint created_at{};
};

// A device that tried to connect and was refused because it is not registered.
struct PendingDevice {
    std::string imei;
    std::string protocol;
    core::TimePoint first_attempt{};
    core::TimePoint last_attempt{};
    std::string address;  // remote address of the last attempt
    int64_t attempts = 0;
};

// One position as stored. IO values and attributes are kept as JSON objects (see core/json.hpp), made
// once by the gateway thread that decoded them so that the database thread only binds and steps.
struct PositionRow {
    int64_t device_id = 0;
    core::TimePoint device_time{};
    core::TimePoint server_time{};
    int64_t fingerprint = 0;  // hash of the record's content: a resent record has the same one
    double lat = 0, lon = 0, altitude_m = 0, speed_kmh = 0, course_deg = 0;
    int satellites = 0;
    std::optional<double> hdop;
    bool valid = false;
    std::string io_json = "{}";
    std::string attributes_json = "{}";
    // What is stored of the two texts: PackJson(io_json, attributes_json), made by MakePositionRow
    // (on the connection's thread, not the writer's). Empty: they are stored as text.
    std::string packed;
};

// Builds the stored row of a decoded record (computes the fingerprint and the JSON).
PositionRow MakePositionRow(int64_t device_id, const core::Record& record);
// Appends the rows of a packet's records to `out`: the same rows as MakePositionRow one by one, made
// faster together (the fingerprints are computed four at a time).
void MakePositionRows(int64_t device_id, std::span<const core::Record> records, std::vector<PositionRow>& out);
// The fix of a stored position as JSON members, without braces: "time", "server_time", "lat", "lon",
// "altitude", "speed_kmh", "course", "satellites" (the API and the admin CLI add their own around it).
void AppendFixJson(std::string& out, const PositionRow& p);

// One kept raw frame. Frames are stored by chunk (store/frame_chunk.hpp); `id` is the chunk's row id
// times 65,536 plus the frame's place in it: it grows with every frame a device sends.
struct FrameRow {
    int64_t id = 0;
    int64_t device_id = 0;
    core::TimePoint received_at{};
    std::string protocol;
    std::vector<uint8_t> data;
};

// What one device sent in one frame: its positions and the raw frame (kept for diagnostics).
struct IngestBatch {
    int64_t device_id = 0;
    std::string protocol;
    core::TimePoint received_at{};
    std::vector<PositionRow> positions;
    std::vector<uint8_t> raw_frame;  // empty: not kept
};

struct IngestStats {
    int64_t inserted = 0;    // new positions
    int64_t duplicates = 0;  // positions already stored (a resend after a lost ACK)
};

class Store {
public:
    virtual ~Store() = default;

    // --- devices -------------------------------------------------------------------------------
    // Registers a device (active). Error if the IMEI exists. Clears it from the pending list.
    virtual Result<Device> AddDevice(const std::string& imei, const std::string& protocol,
                                     const std::string& name) = 0;
    virtual Result<std::vector<Device>> ListDevices() = 0;
    // The device with this IMEI, or nullopt.
    virtual Result<std::optional<Device>> FindDevice(const std::string& imei) = 0;
    // Error if no such device.
    virtual Result<void> SetDeviceStatus(const std::string& imei, DeviceStatus status) = 0;
    // Notes a refused attempt by an unregistered device (insert or update first/last/attempts).
    virtual Result<void> NotePending(const std::string& imei, const std::string& protocol,
                                     const std::string& address, core::TimePoint at) = 0;
    virtual Result<std::vector<PendingDevice>> ListPending() = 0;
    // Registers a pending device as active (name defaults to empty). Error if it is not pending.
    virtual Result<Device> ApproveDevice(const std::string& imei) = 0;

    // --- ingestion -------------------------------------------------------------------------------
    // Stores all batches in one transaction: positions (a resent one is skipped, not duplicated),
    // each device's latest position (only ever moved forward in device time) and the raw frames
    // (each batch's raw_frame as a chunk of its own).
    // When this returns ok, the data is durable (as configured by `synchronous`).
    virtual Result<IngestStats> Ingest(std::span<const IngestBatch* const> batches) = 0;
    // Like Ingest, but the commit may be left unsynced: written and visible to other connections,
    // durable only once SyncCommitted has returned ok. So that a thread can make one commit durable
    // while the writer already builds the next (Committer). The raw frames written are `frames`,
    // not the batches' raw_frame: the committer gathers those into chunks (FrameBuffer) and hands
    // them over when they are due. `batches` may be empty when only frames are written.
    virtual Result<IngestStats> IngestUnsynced(std::span<const IngestBatch* const> batches,
                                               std::span<const FrameChunk> frames) = 0;
    // Makes every commit made before the call durable (as configured by `synchronous`). Any thread,
    // also while the store's own thread works.
    virtual Result<void> SyncCommitted() = 0;
    // Runs `fn` on this thread with the sync of every commit it makes on this store's connection
    // (SharedConnection's included) left to the next SyncCommitted, as IngestUnsynced leaves its
    // own: for writes that a power cut may lose because they are made again (the pipeline's derived
    // rows, which resume from a checkpoint), so that they do not hold the writer for an fsync. A
    // later commit made durable makes them durable too (the WAL is synced in order). By default,
    // and when the store does not defer syncs, it just runs `fn`.
    virtual void RunWithSyncDeferred(const std::function<void()>& fn) { fn(); }

    // --- reads -----------------------------------------------------------------------------------
    // Calls `fn` for each position of the device with from <= device_time <= to, in device-time
    // order, streaming (no full result in memory). Stop early by returning false from `fn`.
    virtual Result<void> ForEachPosition(int64_t device_id, core::TimePoint from, core::TimePoint to,
                                         const std::function<bool(const PositionRow&)>& fn) = 0;
    // The device's latest position by device time, or nullopt.
    virtual Result<std::optional<PositionRow>> LatestPosition(int64_t device_id) = 0;
    // Kept raw frames of a device, oldest first.
    virtual Result<void> ForEachFrame(int64_t device_id, const std::function<bool(const FrameRow&)>& fn) = 0;
    // Deletes the raw frames of every chunk whose frames were all received before `cutoff` (a chunk
    // spans at most about a second, FrameBuffer::Limits::max_age); returns how many frames.
    virtual Result<int64_t> PruneFrames(core::TimePoint cutoff) = 0;

    // --- sharing the writer's connection ---------------------------------------------------------
    // An AccountStore on this store's own connection (not a new one), so that other writes can be
    // made by the ingestion writer itself: with SQLite in WAL mode, a commit by any other
    // connection makes the writer drop its whole page cache and read its working set back (every
    // device's newest leaf), which costs ingestion more than the writes themselves (docs/pipeline.md,
    // "Where the pipeline writes"). Use it only on the thread that uses this store (the committer's,
    // through Committer::Post), and keep this store alive while it is.
    virtual std::unique_ptr<AccountStore> SharedConnection() = 0;
};

inline constexpr int kCheckpointPages = 131072;

struct SqliteOptions {
    // "full": every commit survives power loss; "normal": survives a crash of fleetd (kill -9) but a
    // power cut may lose the last commits. Default full.
    std::string synchronous = "full";
    int busy_timeout_ms = 10000;
    // WAL pages (4 KiB) past which a background thread copies the WAL into the database
    // (sqlite_store.cpp, "WAL checkpoints"): 512 MiB. Tests set a small one to exercise checkpoints.
    int checkpoint_pages = kCheckpointPages;
};

// Opens (creating and migrating if needed) the SQLite database `path`.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const SqliteOptions& options = {});

// How many end-of-transaction walks of a whole page cache this process has avoided: truncations
// that SQLite's cache would have walked (a swap had left its largest key past the limit) while no
// cached page was at or past it (sqlite_store.cpp, "The page cache's truncation"); -1 if SQLite was
// initialized before fleetd could wrap its page cache. For tests and diagnostics.
int64_t SqlitePageCacheWalksAvoided();
// How many times the calling thread has synced a WAL at the end of a commit or a checkpoint (the
// syncs a commit left to SyncCommitted, and SyncCommitted's own, not counted). For tests.
int64_t SqliteWalSyncs();

}  // namespace fleet::store
