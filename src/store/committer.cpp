#include "store/committer.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/thread.hpp"

namespace fleet::store {
namespace {

// The database thread and the sync thread are the serial stage of ingestion: every device's ACK
// waits for them, while the network and pipeline threads work in parallel. When every core is busy
// they should run first (docs/operations.md, "Threads"). Needs CAP_SYS_NICE; without it they run at
// the default priority, which is correct, only slower under full load.
void PreferThisThread(const char* name) {
    constexpr int kIngestionNice = -10;
    if (!core::SetThreadNice(kIngestionNice)) {
        spdlog::info("{} runs at the default priority (raising it needs CAP_SYS_NICE)", name);
    }
}

}  // namespace

Committer::Committer(std::unique_ptr<Store> store, Options options)
    : store_(std::move(store)),
      options_(options),
      frames_(options.frame_limits),
      sync_thread_([this] { SyncRun(); }),
      thread_([this] { Run(); }) {}

Committer::~Committer() { Stop(); }

void Committer::Submit(IngestBatch batch, Done done) { Enqueue(Item{std::move(batch), nullptr, std::move(done)}); }

void Committer::SubmitBorrowed(const IngestBatch& batch, Done done) { Enqueue(Item{{}, &batch, std::move(done)}); }

void Committer::Enqueue(Item item) {
    {
        std::lock_guard lock(mu_);
        items_.push_back(std::move(item));
        stats_.queued_batches.store(items_.size(), std::memory_order_relaxed);
    }
    cv_.notify_one();
}

void Committer::Post(Task task) {
    {
        std::lock_guard lock(mu_);
        tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
}

void Committer::SetObserver(Observer observer) {
    auto shared = observer ? std::make_shared<const Observer>(std::move(observer)) : nullptr;
    std::lock_guard lock(mu_);
    observer_ = std::move(shared);
}

void Committer::Stop() {
    {
        std::lock_guard lock(mu_);
        if (stopping_ && !thread_.joinable()) return;
        stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
    {
        std::lock_guard lock(sync_mu_);
        sync_stopping_ = true;
    }
    sync_cv_.notify_all();
    if (sync_thread_.joinable()) sync_thread_.join();  // after the groups written before
}

void Committer::Run() {
    core::NameThread("fleetd-commit");
    PreferThisThread("fleetd-commit");
    std::vector<Item> group;
    std::deque<Task> tasks;
    std::shared_ptr<const Observer> observer;
    for (;;) {
        bool drained = true, stopping = false;
        {
            std::unique_lock lock(mu_);
            // With frames held, a short wait: they are written soon after the load stops.
            cv_.wait_for(lock, frames_.empty() ? std::chrono::milliseconds(1000) : options_.held_frames_idle,
                         [&] { return stopping_ || !items_.empty() || !tasks_.empty(); });
            tasks.swap(tasks_);
            size_t records = 0;
            while (!items_.empty() && (group.empty() || records < options_.max_group_records)) {
                records += items_.front().batch().positions.size();
                group.push_back(std::move(items_.front()));
                items_.pop_front();
            }
            stats_.queued_batches.store(items_.size(), std::memory_order_relaxed);
            observer = observer_;
            drained = items_.empty();
            stopping = stopping_;
        }
        if (stopping && drained && tasks.empty() && group.empty()) {
            if (!frames_.empty()) CommitGroup(group, nullptr, true);  // the frames held, before the end
            return;
        }
        const bool idle = group.empty() && tasks.empty();  // woken by the timeout: nothing to do
        for (auto& task : tasks) task(*store_);
        tasks.clear();
        if (!group.empty()) {
            // Light load (nothing queued behind the group, few frames a second): every frame held
            // goes with it. (Every group counts towards the rate, also one with work behind it.)
            const bool busy = FramesBusy(group.size());
            CommitGroup(group, observer, drained && !busy);
        } else if (idle && !frames_.empty()) {
            CommitGroup(group, nullptr, true);  // write what is held
        }
        group.clear();
        MaybePrune();
    }
}

// Counts the batches committed in windows of kFrameRateWindow; busy when the last full window, or
// the current one so far, reached hold_frames_from_rate.
bool Committer::FramesBusy(size_t batches) {
    const auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= kFrameRateWindow) {
        window_previous_ = now - window_start_ < 2 * kFrameRateWindow ? window_current_ : 0;
        window_current_ = 0;
        window_start_ = now;
    }
    window_current_ += batches;
    const auto per_window = static_cast<size_t>(options_.hold_frames_from_rate * kFrameRateWindow.count() / 1000);
    return std::max(window_previous_, window_current_) >= per_window;
}

void Committer::CommitGroup(std::vector<Item>& group, std::shared_ptr<const Observer> observer, bool all_frames) {
    std::vector<const IngestBatch*> batches;
    batches.reserve(group.size());
    auto start = std::chrono::steady_clock::now();
    for (const auto& item : group) {
        const IngestBatch& b = item.batch();
        batches.push_back(&b);
        if (!b.raw_frame.empty()) frames_.Add(b.device_id, b.protocol, b.received_at, b.raw_frame, start);
    }
    due_frames_.clear();
    frames_.TakeDue(start, all_frames, due_frames_);
    uint64_t due = 0;
    for (const auto& c : due_frames_) due += static_cast<uint64_t>(c.frames);
    stats_.frames_held.store(frames_.held_frames(), std::memory_order_relaxed);
    auto result = store_->IngestUnsynced(batches, due_frames_);
    due_frames_.clear();
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    stats_.commit_micros_total.fetch_add(static_cast<uint64_t>(micros.count()), std::memory_order_relaxed);
    stats_.groups.fetch_add(1, std::memory_order_relaxed);
    if (!result) {
        // The records are refused (their devices resend them); the frames are diagnostics, not resent.
        if (due > 0) {
            stats_.frames_lost.fetch_add(due, std::memory_order_relaxed);
            spdlog::error("{} raw frames not kept: their commit failed", due);
        }
        Finish(group, result, nullptr);
        return;
    }
    stats_.frames_written.fetch_add(due, std::memory_order_relaxed);
    {
        std::unique_lock lock(sync_mu_);
        sync_cv_.wait(lock, [&] { return unsynced_.size() < options_.max_unsynced_groups; });
        unsynced_.push_back(Unsynced{std::move(group), std::move(result), std::move(observer)});
    }
    sync_cv_.notify_all();
}

void Committer::SyncRun() {
    core::NameThread("fleetd-sync");
    PreferThisThread("fleetd-sync");
    std::deque<Unsynced> synced;
    for (;;) {
        {
            std::unique_lock lock(sync_mu_);
            sync_cv_.wait(lock, [&] { return sync_stopping_ || !unsynced_.empty(); });
            if (unsynced_.empty()) return;  // stopping, and every group written is told
            synced.swap(unsynced_);
        }
        sync_cv_.notify_all();  // room for the database thread
        // One sync makes every group written before it durable.
        auto durable = store_->SyncCommitted();
        if (!durable) spdlog::error("sync of {} committed groups failed: {}", synced.size(), durable.error().message);
        for (auto& u : synced) {
            if (!durable) u.result = durable.error();
            Finish(u.group, u.result, u.observer.get());
        }
        synced.clear();
    }
}

void Committer::Finish(std::vector<Item>& group, const Result<IngestStats>& result, const Observer* observer) {
    if (result) {
        stats_.records.fetch_add(static_cast<uint64_t>(result->inserted), std::memory_order_relaxed);
        stats_.duplicates.fetch_add(static_cast<uint64_t>(result->duplicates), std::memory_order_relaxed);
        if (observer && *observer) {
            std::vector<const IngestBatch*> batches;
            batches.reserve(group.size());
            for (const auto& item : group) batches.push_back(&item.batch());
            try {
                (*observer)(batches);
            } catch (const std::exception& e) {  // the commit stands; only the observer missed it
                spdlog::error("commit observer failed: {}", e.what());
            }
        }
    } else {
        stats_.failures.fetch_add(1, std::memory_order_relaxed);
        spdlog::error("commit of {} batches failed: {}", group.size(), result.error().message);
    }
    for (auto& item : group) {
        if (item.done) item.done(result);
    }
}

void Committer::MaybePrune() {
    auto now = std::chrono::steady_clock::now();
    if (last_prune_ != std::chrono::steady_clock::time_point{} && now - last_prune_ < options_.prune_interval) return;
    last_prune_ = now;
    auto cutoff = std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now()) -
                  std::chrono::duration_cast<core::Millis>(options_.frame_retention);
    auto pruned = store_->PruneFrames(cutoff);
    if (!pruned) {
        spdlog::warn("pruning raw frames failed: {}", pruned.error().message);
    } else if (*pruned > 0) {
        stats_.frames_pruned.fetch_add(static_cast<uint64_t>(*pruned), std::memory_order_relaxed);
        spdlog::info("pruned {} raw frames older than the retention", *pruned);
    }
}

}  // namespace fleet::store
