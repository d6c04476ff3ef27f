// One thread of the Runner (runner.hpp): its own database connection, the devices of its shard and
// their in-memory processing state (one entry per device it has seen: engine state, read cursor,
// context). Private to the runner.
//
// Thread-safety: WakeMany, FeedLost, ConfigChanged, WaitIdle and Stop may be called from any thread;
// everything else runs on the worker's own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <span>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pipeline/detail/convert.hpp"
#include "pipeline/engine.hpp"
#include "pipeline/runner.hpp"
#include "store/accounts.hpp"
#include "store/derived.hpp"

namespace fleet::pipeline::detail {

// A committed position as the feed keeps it: its key, what ToPoint reads of it, and its attributes'
// text, which lives in its FedBatch's `texts`.
struct FedPosition {
    core::TimePoint device_time{};
    int64_t fingerprint = 0;
    double lat = 0, lon = 0, speed_kmh = 0, course_deg = 0;
    bool valid = false;
    std::string_view attributes_json;
};

// One committed batch of a device as the feed keeps it (Runner::OnCommitted): two allocations for
// its positions, not one a position. Moving it keeps the texts where they are.
struct FedBatch {
    int64_t device_id = 0;
    std::vector<FedPosition> positions;
    std::vector<char> texts;
    size_t Bytes() const { return sizeof *this + positions.capacity() * sizeof(FedPosition) + texts.capacity(); }
};

class Worker {
public:
    Worker(int index, int count, std::unique_ptr<store::AccountStore> accounts, const Runner::Options& options,
           Runner::Stats& stats);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // A device to look at, and the oldest device time committed for it since the last look
    // (nullopt: unknown, look for a late mark).
    struct WakeUp {
        int64_t device_id = 0;
        std::optional<core::TimePoint> oldest;
    };

    void Start();
    // Notes the devices to look at, and takes the committed positions fed with them (Runner::
    // OnCommitted): kept until the next pass, within Options::feed_bytes.
    void WakeMany(const std::vector<WakeUp>& wakes, std::vector<FedBatch> fed = {});
    // Part of a commit was not fed: every device reads the database again before it trusts the feed.
    void FeedLost() noexcept { feed_lost_.store(true); }
    void ConfigChanged(std::optional<int64_t> tenant_id);
    bool WaitIdle(std::chrono::steady_clock::time_point deadline);
    void Stop();

private:
    // What the worker remembers of a device between wakes.
    struct DeviceRun {
        bool loaded = false;                         // state and cursor read from the checkpoint
        State state;
        std::optional<store::PositionCursor> cursor;  // the last position processed
        std::optional<core::TimePoint> last_checkpoint;
        bool last_checkpoint_in_trip = false;
        std::optional<Context> context;               // for times in [context_from, context_to)
        std::optional<core::TimePoint> context_from, context_to;
        std::unordered_set<std::string> stale_events;  // of a replayed window, not raised again yet
        bool replaying = false;  // a replay for late positions has not caught up yet
        // Every position committed after the cursor and not processed yet is in the feed: the device
        // caught up with the database since it last had reason to doubt the feed (its first look, a
        // restart from a checkpoint, a failure, a tick, positions dropped for the feed's bound).
        bool fed = false;
    };

    void Run();
    bool StopRequested();
    // Adds a device to look at (under mu_), keeping the oldest time (nullopt wins).
    void Note(int64_t device_id, const std::optional<core::TimePoint>& oldest);
    void EnqueueShard();
    // `fed`: the device's positions from the feed since the last pass (any order, duplicates and
    // positions already processed included); `dropped`: some were left out of it (its bound).
    void ProcessDevice(int64_t device_id, const std::optional<core::TimePoint>& oldest,
                       std::span<const FedBatch> fed, bool dropped);
    // Processes the positions after the cursor, in order (others are skipped), and queues what
    // comes out: the number processed, or -1 when it failed (the device resumes from its checkpoint
    // at the next wake).
    // Row: a store::PositionRow (read back) or a const FedPosition* (fed).
    template <typename Row>
    int64_t ProcessRows(int64_t device_id, DeviceRun& run, std::span<const Row> rows);
    Result<void> Resume(int64_t device_id, DeviceRun& run, const std::optional<core::TimePoint>& oldest);
    Result<void> LoadContext(int64_t device_id, DeviceRun& run, core::TimePoint at);
    // Queues a chunk of the device's output (written by Commit, with other devices' chunks).
    void Flush(int64_t device_id, DeviceRun& run, const Output& out, bool chunk_end);
    // Writes the queued chunks in one transaction; on failure their devices resume from their
    // checkpoints at the next wake. False when it failed.
    bool Commit();
    // Commit's transaction: on this worker's connection, or on the writer's (write_on_writer).
    Result<void> Write();
    void DropContexts(bool all, const std::set<int64_t>& tenants);
    void CheckPresence();

    const int index_;
    const int count_;
    std::unique_ptr<store::AccountStore> accounts_;
    GeofenceCache geofences_;  // the tenants' geofences, shared by their devices' contexts
    store::DerivedStore derived_;
    // The same store on the ingestion writer's connection (Options::write_on_writer), made and
    // used only on the writer's thread.
    std::unique_ptr<store::DerivedStore> writer_derived_;
    const Runner::Options options_;
    Runner::Stats& stats_;
    std::unordered_map<int64_t, DeviceRun> runs_;
    std::string world_signature_;  // DerivedStore::WorldSignature at the last tick
    // Worker 0: each device's last presence event type, read once from the database.
    std::unordered_map<int64_t, std::string> presence_;
    // Chunks waiting for Commit: one transaction (one fsync) for many devices' small chunks.
    std::vector<store::DerivedChunk> pending_;
    std::vector<bool> pending_in_trip_;  // of each pending chunk: a trip was open at its end
    size_t pending_positions_ = 0;

    std::mutex mu_;
    std::condition_variable cv_;       // work arrived or stop
    std::condition_variable idle_cv_;  // the worker went idle
    std::unordered_map<int64_t, std::optional<core::TimePoint>> dirty_;  // device → oldest time woken for
    std::unordered_map<int64_t, std::vector<FedBatch>> inbox_;  // the feed, by device
    size_t inbox_bytes_ = 0;
    std::unordered_set<int64_t> dropped_;  // devices whose fed positions were left out (the bound)
    std::atomic<bool> feed_lost_{false};
    uint64_t commit_failures_seen_ = 0;  // Options::commit_failures at the last pass (worker's thread)
    bool config_all_ = false;
    std::set<int64_t> config_tenants_;
    bool busy_ = true;  // until the first pass over the shard is done
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace fleet::pipeline::detail
