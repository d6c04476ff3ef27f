// Live updates: how positions go from the committer to the WebSocket feeds of /api/v1/live.
//
// LiveHub is the committer's observer. On the committer's sync thread it only copies each durable batch's
// newest position into a map by device (a newer one replaces an older one, so memory is bounded by
// the number of devices whatever the burst) and wakes its own thread, which hands the positions to
// every subscriber. When nobody listens, the observer returns after one atomic load.
//
// LiveQueue is what one feed keeps: which devices are in the vehicles its user may see now, and the
// latest position of each such vehicle not yet sent. A slow client gets the latest state of each
// vehicle, never a backlog: the queue is bounded by the number of vehicles the user sees.
//
// The hub also carries messages for one user (PushToUser: the notifier's web notifications) to that
// user's open feeds; a feed keeps a bounded number of them (the inbox has them all).
//
// Thread-safety: LiveHub's methods may be called from any thread. LiveQueue is internally locked
// (Offer from the hub's thread, the rest from the feed's strand).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/positions.hpp"
#include "store/store.hpp"

namespace fleet::api::detail {

using LiveRows = std::vector<std::shared_ptr<const store::PositionRow>>;

class LiveHub {
public:
    class Subscriber {
    public:
        virtual ~Subscriber() = default;
        // Positions just committed, the newest of each device; called on the hub's thread, must not block.
        virtual void Offer(const LiveRows& rows) = 0;
        // The user whose feed this is (0: none), and a message for that user; Push is called on the
        // pushing thread and must not block.
        virtual int64_t UserId() const { return 0; }
        virtual void Push(const std::shared_ptr<const std::string>&) {}
    };

    LiveHub();
    ~LiveHub();
    LiveHub(const LiveHub&) = delete;
    LiveHub& operator=(const LiveHub&) = delete;

    // The committer's observer (see store::Committer::Observer): quick, never blocks for long.
    void OnCommitted(std::span<const store::IngestBatch* const> batches);
    // Adds a subscriber, held weakly: it is forgotten when it is destroyed or unsubscribed.
    void Subscribe(const std::shared_ptr<Subscriber>& subscriber);
    void Unsubscribe(const Subscriber* subscriber);
    // Gives `message` to every subscriber of `user_id` now. Returns how many there were.
    size_t PushToUser(int64_t user_id, const std::shared_ptr<const std::string>& message);
    // Stops the hub's thread; positions committed afterwards are dropped. Idempotent.
    void Stop();

    size_t subscribers() const { return listeners_.load(); }

private:
    void Run();

    std::mutex mu_;
    std::condition_variable cv_;
    std::unordered_map<int64_t, std::shared_ptr<const store::PositionRow>> pending_;  // by device
    std::vector<std::weak_ptr<Subscriber>> subscribers_;
    std::atomic<size_t> listeners_{0};
    bool stop_ = false;
    std::thread thread_;
};

// A vehicle's position waiting to be sent.
struct LiveMessage {
    int64_t vehicle_id = 0;
    std::string vehicle_name;
    std::shared_ptr<const store::PositionRow> position;
};

class LiveQueue {
public:
    // Replaces the device -> vehicle map; what waits for vehicles no longer in it is dropped.
    void SetTargets(std::unordered_map<int64_t, store::LiveTarget> targets);
    // Keeps the rows of target devices reported since their installation that are newer than what
    // was kept for their vehicle before. True when the queue was empty and is not any more (the
    // feed's writer must be woken).
    bool Offer(const LiveRows& rows);
    // Takes what waits, by vehicle id.
    std::vector<LiveMessage> Take();
    bool Empty();
    size_t Targets();

private:
    std::mutex mu_;
    std::unordered_map<int64_t, store::LiveTarget> targets_;  // by device
    std::map<int64_t, LiveMessage> pending_;                  // by vehicle
    std::unordered_map<int64_t, core::TimePoint> newest_;     // by vehicle: the newest device time kept
};

// Messages pushed to one feed, waiting to be sent: at most kMaxLiveNotes, the oldest dropped first
// (a client that reads slowly gets the recent ones; its inbox has every one).
inline constexpr size_t kMaxLiveNotes = 100;

class LiveNotes {
public:
    // True when the queue was empty and is not any more (the feed's writer must be woken).
    bool Add(std::shared_ptr<const std::string> message);
    std::vector<std::shared_ptr<const std::string>> Take();
    bool Empty();

private:
    std::mutex mu_;
    std::deque<std::shared_ptr<const std::string>> notes_;
};

}  // namespace fleet::api::detail
