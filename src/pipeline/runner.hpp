// Runner: the pipeline inside `fleetd serve`. N worker threads, each with its own database
// connection, process the devices of their shard (device id modulo N: a device is always on the
// same worker, so its positions are processed in order) with the pure engine (engine.hpp):
// positions after the device's last processed one are read in device-time order in bounded
// chunks, fed to Process() with the device's Context, and what comes out is written in one
// transaction per chunk (store::DerivedStore) with the running totals and, when no trip is open
// (and at least hourly in device time while one is), a checkpoint of the engine's state.
//
// Workers are woken by the committer (OnCommitted: the devices of each committed group, with copies
// of their positions, the feed: a device caught up with the database is then processed from them
// without reading them back) and by a periodic tick (which reads back). Late positions (ingestion
// marks them in pipeline_late) make the worker replay the device from the last checkpoint before
// them, after deleting the rows the replay writes again;
// events of that window that the replay does not raise again are deleted with their notifications.
// A restart resumes each device from its last checkpoint: what is processed again is written again
// under the same keys, so nothing appears twice and nothing is skipped. docs/pipeline.md, "Runner".
//
// Worker 0 also raises device_offline (a device silent for the tenant's offline_after_s, server
// time) and device_online (it spoke again), once per episode.
//
// Thread-safety: every public method may be called from any thread; OnCommitted only copies device
// ids and positions and moves them in under a short lock (it runs on the committer's thread, which
// must never wait).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/store.hpp"

namespace fleet::pipeline {

namespace detail {
class Worker;
}

class Runner {
public:
    struct Options {
        std::string db_path;        // the (migrated) database
        int workers = 2;            // threads; devices are sharded by id over them
        int64_t chunk_positions = 2000;                         // positions per read and transaction
        std::chrono::milliseconds tick{std::chrono::seconds(30)};  // every device of the shard looked at
        std::chrono::milliseconds presence_interval{std::chrono::seconds(30)};  // offline / online check
        // A worker's pass starts at least this long after its previous one ended: what is committed
        // meanwhile is processed together (fewer reads and transactions beside ingestion's).
        std::chrono::milliseconds batch_delay{250};
        // Where the workers write what they derive. Empty: on their own connections. Set (by
        // `fleetd serve`): a function that runs `work` on the ingestion writer's thread, with an
        // AccountStore on the writer's own connection (store::Store::SharedConnection), and returns
        // once it has run. With SQLite, a commit by another connection costs the writer its page
        // cache (docs/pipeline.md, "Where the pipeline writes").
        std::function<void(const std::function<void(store::AccountStore&)>& work)> write_on_writer;
        // The feed: what OnCommitted is given, kept in memory by each worker until its next pass, so
        // that a device whose every committed position came that way is processed without reading
        // them back from the database. At most this many bytes a worker (about: the positions'
        // fixes and attribute texts); beyond it, a device's positions are read back. 0: always read
        // back (a runner not told of every commit must say so, see OnCommitted).
        size_t feed_bytes = 16u << 20;
        // Counts the commits that failed, the committer's (store::Committer::Stats::failures). When
        // it moves, every device is read back once: a group that failed only at its sync is in the
        // database without having been fed. Null: no such count.
        const std::atomic<uint64_t>* commit_failures = nullptr;
    };
    struct Stats {
        std::atomic<uint64_t> positions{0};    // positions processed (replays included)
        std::atomic<uint64_t> fed{0};          // of them, taken from the feed, not read back
        std::atomic<uint64_t> chunks{0};       // chunk transactions written
        std::atomic<uint64_t> recomputes{0};   // windows replayed for late positions
        std::atomic<uint64_t> events{0};       // events written (replays included)
        std::atomic<uint64_t> failures{0};     // chunks or checks that failed (retried at the next wake)
    };

    // Opens the workers' connections and starts them; each first looks at every device of its shard.
    static Result<std::unique_ptr<Runner>> Start(const Options& options);
    ~Runner();  // Stop()
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    // The committer's observer: wakes the workers of the committed devices and hands them copies of
    // the committed positions (the feed, Options::feed_bytes). Never blocks for long. With the feed
    // on, it must be called for every group committed after Start(), in commit order, once the
    // group is visible to other connections: a device's worker trusts that whatever was committed
    // after its last read of the database came this way. `fleetd serve` starts the runner and sets
    // the observer before the gateway opens, and the committer is the only writer of positions.
    void OnCommitted(std::span<const store::IngestBatch* const> committed);
    // Wakes the worker of one device.
    void Wake(int64_t device_id);
    // A tenant's configuration changed (settings, geofences, drivers' badges, assignments,
    // installations, vehicles' speed limits); nullopt: any tenant's. The devices' contexts are
    // rebuilt before their next position: the change applies from then on (what was processed
    // stays as it was).
    void ConfigChanged(std::optional<int64_t> tenant_id);
    // Waits until every worker has nothing left to do (or `timeout` passes); true when idle.
    // For tests and benchmarks.
    bool WaitIdle(std::chrono::milliseconds timeout);
    // Finishes the chunk each worker is writing and stops them. Idempotent.
    void Stop();

    const Stats& stats() const { return stats_; }
    // Prometheus text of the stats.
    std::string Metrics() const;

private:
    explicit Runner(bool feed);
    detail::Worker& WorkerOf(int64_t device_id);

    const bool feed_;
    Stats stats_;
    std::vector<std::unique_ptr<detail::Worker>> workers_;
};

}  // namespace fleet::pipeline
