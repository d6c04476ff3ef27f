#include "api/detail/live.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/time.hpp"

namespace fleet::api::detail {
namespace {

using namespace std::chrono_literals;

core::TimePoint T0() { return *core::ParseIso("2026-02-01T10:00:00Z"); }

std::shared_ptr<const store::PositionRow> Row(int64_t device, core::TimePoint t, double lat = 0) {
    auto p = std::make_shared<store::PositionRow>();
    p->device_id = device;
    p->device_time = t;
    p->lat = lat;
    return p;
}

std::unordered_map<int64_t, store::LiveTarget> Targets() {
    // Device 1 in vehicle 10 since T0, device 2 in vehicle 20 since T0 + 1 h.
    return {{1, store::LiveTarget{10, "Van", T0()}}, {2, store::LiveTarget{20, "Truck", T0() + 1h}}};
}

TEST(LiveQueueTest, KeepsOnlyTargetDevicesSinceTheirInstallation) {
    LiveQueue q;
    q.SetTargets(Targets());
    EXPECT_EQ(q.Targets(), 2u);
    EXPECT_FALSE(q.Offer({Row(3, T0() + 2h)}));         // not a target (another vehicle, another tenant)
    EXPECT_FALSE(q.Offer({Row(2, T0() + 30min)}));      // before device 2 was installed
    EXPECT_TRUE(q.Empty());
    EXPECT_TRUE(q.Offer({Row(1, T0()), Row(2, T0() + 1h)}));
    auto m = q.Take();
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].vehicle_id, 10);
    EXPECT_EQ(m[0].vehicle_name, "Van");
    EXPECT_EQ(m[1].vehicle_id, 20);
    EXPECT_TRUE(q.Empty());
}

TEST(LiveQueueTest, ASlowClientGetsEachVehiclesLatestPositionOnly) {
    LiveQueue q;
    q.SetTargets(Targets());
    EXPECT_TRUE(q.Offer({Row(1, T0() + 1s, 1)}));
    for (int i = 2; i <= 1000; ++i) EXPECT_FALSE(q.Offer({Row(1, T0() + std::chrono::seconds(i), i)}));
    EXPECT_FALSE(q.Offer({Row(1, T0() + 500s, -1)}));  // a late record does not pull the map back
    auto m = q.Take();
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].position->lat, 1000);
    // Nor after the newest was sent.
    EXPECT_FALSE(q.Offer({Row(1, T0() + 999s, -2)}));
    EXPECT_TRUE(q.Empty());
}

TEST(LiveQueueTest, NewTargetsDropWhatWaitsForVehiclesNoLongerVisible) {
    LiveQueue q;
    q.SetTargets(Targets());
    EXPECT_TRUE(q.Offer({Row(1, T0() + 2h), Row(2, T0() + 2h)}));
    q.SetTargets({{2, store::LiveTarget{20, "Truck", T0() + 1h}}});  // the van left the user's groups
    auto m = q.Take();
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].vehicle_id, 20);
    EXPECT_FALSE(q.Offer({Row(1, T0() + 3h)}));
    EXPECT_TRUE(q.Empty());
}

// A subscriber that records what it is offered.
class Recorder : public LiveHub::Subscriber {
public:
    void Offer(const LiveRows& rows) override {
        std::lock_guard lock(mu_);
        for (const auto& r : rows) seen_.push_back(r);
        cv_.notify_all();
    }
    // Waits until `n` rows have been offered (or 5 s).
    std::vector<std::shared_ptr<const store::PositionRow>> Wait(size_t n) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, 5s, [&] { return seen_.size() >= n; });
        return seen_;
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::shared_ptr<const store::PositionRow>> seen_;
};

store::IngestBatch Batch(int64_t device, std::initializer_list<int> seconds) {
    store::IngestBatch b;
    b.device_id = device;
    for (int s : seconds) {
        store::PositionRow p;
        p.device_id = device;
        p.device_time = T0() + std::chrono::seconds(s);
        p.lat = s;
        b.positions.push_back(p);
    }
    return b;
}

TEST(LiveHubTest, OffersEachCommittedBatchsNewestPositionToSubscribers) {
    LiveHub hub;
    auto one = Batch(1, {5, 9, 7});
    const store::IngestBatch* before[] = {&one};
    hub.OnCommitted(before);  // nobody listens: dropped
    auto a = std::make_shared<Recorder>();
    auto b = std::make_shared<Recorder>();
    hub.Subscribe(a);
    hub.Subscribe(b);
    EXPECT_EQ(hub.subscribers(), 2u);
    auto two = Batch(2, {1});
    auto empty = Batch(3, {});
    const store::IngestBatch* group[] = {&one, &two, &empty};
    hub.OnCommitted(group);
    for (auto* r : {a.get(), b.get()}) {
        auto seen = r->Wait(2);
        ASSERT_EQ(seen.size(), 2u);
        for (const auto& row : seen) EXPECT_EQ(row->lat, row->device_id == 1 ? 9 : 1);
    }
    hub.Unsubscribe(a.get());
    EXPECT_EQ(hub.subscribers(), 1u);
    b.reset();  // a destroyed subscriber is forgotten at the next delivery
    hub.OnCommitted(group);
    for (int i = 0; i < 500 && hub.subscribers() > 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(hub.subscribers(), 0u);
    hub.Stop();
    hub.OnCommitted(group);  // after Stop: dropped, no crash
    EXPECT_EQ(a->Wait(2).size(), 2u);
}

// A subscriber that only collects what is pushed to it.
class Inbox final : public LiveHub::Subscriber {
public:
    explicit Inbox(int64_t user) : user_(user) {}
    void Offer(const LiveRows&) override {}
    int64_t UserId() const override { return user_; }
    void Push(const std::shared_ptr<const std::string>& m) override { got.push_back(*m); }
    std::vector<std::string> got;

private:
    int64_t user_;
};

TEST(LiveHubTest, PushToUserReachesEveryFeedOfThatUserOnly) {
    LiveHub hub;
    auto tab1 = std::make_shared<Inbox>(7);
    auto tab2 = std::make_shared<Inbox>(7);
    auto other = std::make_shared<Inbox>(8);
    hub.Subscribe(tab1);
    hub.Subscribe(tab2);
    hub.Subscribe(other);
    EXPECT_EQ(hub.PushToUser(7, std::make_shared<const std::string>("hello")), 2u);
    EXPECT_EQ(tab1->got, std::vector<std::string>{"hello"});
    EXPECT_EQ(tab2->got, std::vector<std::string>{"hello"});
    EXPECT_TRUE(other->got.empty());
    hub.Unsubscribe(tab2.get());
    tab1.reset();  // a feed that ended without unsubscribing
    EXPECT_EQ(hub.PushToUser(7, std::make_shared<const std::string>("again")), 0u);
    EXPECT_EQ(hub.PushToUser(9, std::make_shared<const std::string>("nobody")), 0u);
    hub.Stop();
    EXPECT_EQ(hub.PushToUser(8, std::make_shared<const std::string>("late")), 0u);
}

TEST(LiveNotesTest, KeepsTheNewestAndSaysWhenToWakeTheWriter) {
    LiveNotes notes;
    EXPECT_TRUE(notes.Empty());
    EXPECT_TRUE(notes.Add(std::make_shared<const std::string>("0")));
    for (size_t i = 1; i < kMaxLiveNotes + 10; ++i) {
        EXPECT_FALSE(notes.Add(std::make_shared<const std::string>(std::to_string(i))));
    }
    auto taken = notes.Take();
    ASSERT_EQ(taken.size(), kMaxLiveNotes);
    EXPECT_EQ(*taken.front(), "10");  // the oldest ten were dropped
    EXPECT_EQ(*taken.back(), std::to_string(kMaxLiveNotes + 9));
    EXPECT_TRUE(notes.Empty());
    EXPECT_TRUE(notes.Add(std::make_shared<const std::string>("x")));
}

}  // namespace
}  // namespace fleet::api::detail
