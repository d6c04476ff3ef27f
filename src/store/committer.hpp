// Committer: the database thread of a running server. It owns one Store connection, takes ingest
// batches from any thread and commits them in groups (many connections' records share one
// transaction, so durability costs one fsync per group, not per packet), then tells each submitter.
// It also runs one-off tasks (device lookups, pending-device notes) and hourly raw-frame pruning.
//
// Raw frames go to the store by chunk (store/frame_chunk.hpp). Under light load (fewer than
// Options::hold_frames_from_rate batches a second, nothing queued behind the group) every frame held
// is written with the group, so a device's frames are readable once it has its ACK. Under load each
// device's frames wait in a FrameBuffer until its chunk is full or a second old, so that a row holds
// about a second of a device's frames instead of one. Held frames are also written when the thread
// has been idle for Options::held_frames_idle and when it stops; a kill -9 loses the frames held (at most
// about a second's worth), never a record.
//
// An observer (the live feed) may watch what is committed.
//
// A group is made durable on a second thread (the sync thread: the WAL's fsync, Store::SyncCommitted)
// while the database thread already builds and writes the next group: the writer never waits for
// the disk. Submitters and the observer are told once their group is durable, on the sync thread.
//
// Thread-safety: Submit, Post, SetObserver and Stop may be called from any thread. Callbacks and
// the observer run on the sync thread (on the database thread for a failed group) and must be
// quick (post to the caller's executor).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "store/store.hpp"

namespace fleet::store {

class Committer {
public:
    struct Options {
        size_t max_group_records = 50000;                       // records per transaction at most
        std::chrono::milliseconds prune_interval{std::chrono::hours(1)};
        std::chrono::milliseconds frame_retention{std::chrono::hours(24 * 7)};
        // Groups committed but not yet durable at most; past it the database thread waits. One: the
        // writer writes the next group while the last one's fsync runs, and what arrives meanwhile
        // makes the group after that larger (fewer shared pages rewritten a record). In alternating 20-s
        // runs of a 1,000-device load, 1 acknowledged 2-8% more records a second than 4
        // (docs/BENCHMARKS.md, summary).
        size_t max_unsynced_groups = 1;
        // Raw frames are held (store/frame_chunk.hpp) while at least this many batches (frames) a
        // second are committed; below it, a group with nothing queued behind it writes every frame held.
        double hold_frames_from_rate = 1000;
        // Frames held are written once the thread has had nothing to do for this long.
        std::chrono::milliseconds held_frames_idle{50};
        FrameBuffer::Limits frame_limits{};
    };
    using Done = std::function<void(const Result<IngestStats>&)>;
    using Task = std::function<void(Store&)>;
    // Told the batches of each successful group commit once it is durable, on the sync thread,
    // before their submitters are (so before any device is ACKed; the batches are alive only during the call).
    // Ingestion waits for it: it must copy what it needs and return, never block.
    using Observer = std::function<void(std::span<const IngestBatch* const> committed)>;

    struct Stats {
        std::atomic<uint64_t> groups{0};
        std::atomic<uint64_t> records{0};
        std::atomic<uint64_t> duplicates{0};
        std::atomic<uint64_t> failures{0};
        std::atomic<uint64_t> queued_batches{0};
        std::atomic<uint64_t> commit_micros_total{0};
        std::atomic<uint64_t> frames_pruned{0};
        std::atomic<uint64_t> frames_held{0};     // raw frames in memory, not yet written
        std::atomic<uint64_t> frames_written{0};  // raw frames written (committed)
        std::atomic<uint64_t> frames_lost{0};     // raw frames whose commit failed
    };

    Committer(std::unique_ptr<Store> store, Options options);
    ~Committer();
    Committer(const Committer&) = delete;
    Committer& operator=(const Committer&) = delete;

    // Queues `batch`; `done` is called once it is committed and durable (on the sync thread), or
    // failed.
    void Submit(IngestBatch batch, Done done);
    // Like Submit, without taking the batch: the caller keeps `batch` alive and unchanged until `done`
    // has been called (a coroutine awaiting the commit holds it in its frame). The batch's memory is
    // then freed by the caller's thread, not by the database thread, which is the bottleneck of
    // ingestion.
    void SubmitBorrowed(const IngestBatch& batch, Done done);
    // Runs `task` on the database thread, after the work queued before it.
    void Post(Task task);
    // Sets the observer (nullptr: none) for the next groups; a group being committed meanwhile may
    // still be shown to the previous one.
    void SetObserver(Observer observer);
    // Commits what is queued, then stops the thread. Idempotent.
    void Stop();

    const Stats& stats() const { return stats_; }

private:
    struct Item {
        IngestBatch owned;                       // Submit
        const IngestBatch* borrowed = nullptr;   // SubmitBorrowed
        Done done;
        const IngestBatch& batch() const { return borrowed ? *borrowed : owned; }
    };
    void Enqueue(Item item);
    void Run();
    // A group written (and visible to other connections), waiting for the sync thread.
    struct Unsynced {
        std::vector<Item> group;
        Result<IngestStats> result;
        std::shared_ptr<const Observer> observer;
    };
    // Commits the group's records with the raw frames due (all held if `all_frames`). An empty group
    // commits held frames only.
    void CommitGroup(std::vector<Item>& group, std::shared_ptr<const Observer> observer, bool all_frames);
    // Notes `batches` committed now; whether the recent rate is at hold_frames_from_rate or more.
    bool FramesBusy(size_t batches);
    void SyncRun();
    // Tells the observer (when `result` is ok) and the group's submitters.
    void Finish(std::vector<Item>& group, const Result<IngestStats>& result, const Observer* observer);
    void MaybePrune();

    std::unique_ptr<Store> store_;
    Options options_;
    Stats stats_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Item> items_;
    std::deque<Task> tasks_;
    std::shared_ptr<const Observer> observer_;
    bool stopping_ = false;
    std::chrono::steady_clock::time_point last_prune_{};
    static constexpr std::chrono::milliseconds kFrameRateWindow{250};
    FrameBuffer frames_;                  // the database thread's, as are the windows below
    std::chrono::steady_clock::time_point window_start_{};
    size_t window_previous_ = 0;
    size_t window_current_ = 0;
    std::vector<FrameChunk> due_frames_;  // the database thread's
    std::mutex sync_mu_;
    std::condition_variable sync_cv_;
    std::deque<Unsynced> unsynced_;
    bool sync_stopping_ = false;
    std::thread sync_thread_;
    std::thread thread_;
};

}  // namespace fleet::store
