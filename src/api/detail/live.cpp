#include "api/detail/live.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_set>

#include "core/thread.hpp"

namespace fleet::api::detail {

// --- LiveHub -------------------------------------------------------------------------------------

LiveHub::LiveHub() : thread_([this] { Run(); }) {}

LiveHub::~LiveHub() { Stop(); }

void LiveHub::OnCommitted(std::span<const store::IngestBatch* const> batches) {
    if (listeners_.load(std::memory_order_relaxed) == 0) return;
    // Copied outside the lock: the database thread holds it only to swap pointers in.
    std::vector<std::shared_ptr<const store::PositionRow>> newest;
    for (const store::IngestBatch* b : batches) {
        const store::PositionRow* best = nullptr;
        for (const auto& p : b->positions) {
            if (!best || p.device_time > best->device_time) best = &p;
        }
        if (best) newest.push_back(std::make_shared<const store::PositionRow>(*best));
    }
    if (newest.empty()) return;
    {
        std::lock_guard lock(mu_);
        if (stop_) return;
        for (auto& row : newest) {
            auto& slot = pending_[row->device_id];
            if (!slot || row->device_time > slot->device_time) slot = std::move(row);
        }
    }
    cv_.notify_one();
}

void LiveHub::Subscribe(const std::shared_ptr<Subscriber>& subscriber) {
    std::lock_guard lock(mu_);
    subscribers_.push_back(subscriber);
    listeners_.store(subscribers_.size());
}

void LiveHub::Unsubscribe(const Subscriber* subscriber) {
    std::lock_guard lock(mu_);
    std::erase_if(subscribers_, [subscriber](const std::weak_ptr<Subscriber>& w) {
        auto s = w.lock();
        return !s || s.get() == subscriber;
    });
    listeners_.store(subscribers_.size());
}

size_t LiveHub::PushToUser(int64_t user_id, const std::shared_ptr<const std::string>& message) {
    std::vector<std::shared_ptr<Subscriber>> to;
    {
        std::lock_guard lock(mu_);
        if (stop_) return 0;
        for (const auto& w : subscribers_) {
            auto s = w.lock();
            if (s && s->UserId() == user_id) to.push_back(std::move(s));
        }
    }
    for (const auto& s : to) s->Push(message);  // outside the lock, as Run does
    return to.size();
}

void LiveHub::Stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
        pending_.clear();
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void LiveHub::Run() {
    core::NameThread("fleetd-live");
    for (;;) {
        LiveRows rows;
        std::vector<std::shared_ptr<Subscriber>> to;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return stop_ || !pending_.empty(); });
            if (stop_) return;
            rows.reserve(pending_.size());
            for (auto& [device, row] : pending_) rows.push_back(std::move(row));
            pending_.clear();
            std::erase_if(subscribers_, [&](const std::weak_ptr<Subscriber>& w) {
                auto s = w.lock();
                if (!s) return true;  // a subscriber destroyed without unsubscribing
                to.push_back(std::move(s));
                return false;
            });
            listeners_.store(subscribers_.size());
        }
        for (const auto& s : to) s->Offer(rows);
        // `to` may hold the last reference to a feed that has just ended: it is released here,
        // outside the lock.
    }
}

// --- LiveQueue -----------------------------------------------------------------------------------

void LiveQueue::SetTargets(std::unordered_map<int64_t, store::LiveTarget> targets) {
    std::lock_guard lock(mu_);
    targets_ = std::move(targets);
    std::unordered_set<int64_t> visible;
    for (const auto& [device, t] : targets_) visible.insert(t.vehicle_id);
    std::erase_if(pending_, [&](const auto& kv) { return !visible.count(kv.first); });
    std::erase_if(newest_, [&](const auto& kv) { return !visible.count(kv.first); });
}

bool LiveQueue::Offer(const LiveRows& rows) {
    std::lock_guard lock(mu_);
    bool was_empty = pending_.empty();
    for (const auto& row : rows) {
        auto t = targets_.find(row->device_id);
        // Before its installation the device was not in this vehicle (maybe in another tenant's);
        // outside a driver's assignment the positions are another driver's.
        if (t == targets_.end() || row->device_time < t->second.installed_from) continue;
        if (t->second.until && row->device_time >= *t->second.until) continue;
        auto [newest, inserted] = newest_.try_emplace(t->second.vehicle_id, row->device_time);
        if (!inserted) {
            if (row->device_time <= newest->second) continue;  // a late record: the map shows the latest
            newest->second = row->device_time;
        }
        pending_[t->second.vehicle_id] = LiveMessage{t->second.vehicle_id, t->second.vehicle_name, row};
    }
    return was_empty && !pending_.empty();
}

std::vector<LiveMessage> LiveQueue::Take() {
    std::lock_guard lock(mu_);
    std::vector<LiveMessage> out;
    out.reserve(pending_.size());
    for (auto& [vehicle, m] : pending_) out.push_back(std::move(m));
    pending_.clear();
    return out;
}

bool LiveQueue::Empty() {
    std::lock_guard lock(mu_);
    return pending_.empty();
}

size_t LiveQueue::Targets() {
    std::lock_guard lock(mu_);
    return targets_.size();
}

// --- LiveNotes -----------------------------------------------------------------------------------

bool LiveNotes::Add(std::shared_ptr<const std::string> message) {
    std::lock_guard lock(mu_);
    bool was_empty = notes_.empty();
    notes_.push_back(std::move(message));
    if (notes_.size() > kMaxLiveNotes) notes_.pop_front();
    return was_empty;
}

std::vector<std::shared_ptr<const std::string>> LiveNotes::Take() {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<const std::string>> out(std::make_move_iterator(notes_.begin()),
                                                        std::make_move_iterator(notes_.end()));
    notes_.clear();
    return out;
}

bool LiveNotes::Empty() {
    std::lock_guard lock(mu_);
    return notes_.empty();
}

}  // namespace fleet::api::detail
