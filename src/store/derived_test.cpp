#include "store/derived.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "core/time.hpp"
#include "store/test_database.hpp"

namespace fleet::store {
namespace {

namespace fs = std::filesystem;
using core::TimePoint;
using namespace std::chrono_literals;

TimePoint T(const char* iso) { return *core::ParseIso(iso); }

class DerivedStoreTest : public test::DatabaseTest {
protected:
    void SetUp() override {
        now_ = T("2026-03-01T12:00:00Z");
        OpenDatabase();
        if (HasFatalFailure()) return;
        derived_ = std::make_unique<DerivedStore>(*accounts_);
        tenant_ = acme_.tenant_id();
        Exec(fmt::format(
            "INSERT INTO devices (id, imei, protocol, status, created_at, tenant_id) VALUES "
            "(7, '356307042441013', 'teltonika', 'active', 0, {0});"
            "INSERT INTO vehicles (id, tenant_id, name, created_at, speed_limit_kmh) VALUES (3, {0}, 'Van', 0, 90);"
            "INSERT INTO installations (tenant_id, vehicle_id, device_id, from_time, to_time, created_at) VALUES "
            "({0}, 3, 7, {1}, NULL, 0);"
            "INSERT INTO drivers (id, tenant_id, name, badge_id, created_at) VALUES (5, {0}, 'Ann', 'B2', 0), "
            "(4, {0}, 'Bob', 'A1', 0);"
            "INSERT INTO driver_assignments (tenant_id, vehicle_id, driver_id, from_time, created_at) VALUES "
            "({0}, 3, 4, 0, 0);"
            "INSERT INTO tenant_settings (tenant_id, settings, updated_at) VALUES ({0}, '{{\"idle_event_s\":60}}', 0);"
            "INSERT INTO geofences (id, tenant_id, name, kind, geometry, radius_m, created_at, updated_at) VALUES "
            "(9, {0}, 'Depot', 'circle', '{{\"type\":\"Point\",\"coordinates\":[2.35,48.85]}}', 200, 0, 0);",
            tenant_, ToMsOf(T("2026-01-01T00:00:00Z"))));
    }
    void TearDown() override {
        derived_.reset();
        DatabaseTest::TearDown();
    }

    static int64_t ToMsOf(TimePoint t) { return t.time_since_epoch().count(); }

    void Exec(const std::string& sql) {
        store::test::ExecSql(path_, sql);
    }

    int64_t Int(const std::string& sql) {
        return store::test::IntSql(path_, sql);
    }

    // Ingests one position per time through the real ingestion path.
    void Ingest(std::initializer_list<const char*> times) {
        IngestBatch b;
        b.device_id = 7;
        b.protocol = "teltonika";
        for (const char* t : times) {
            core::Record r;
            r.device_time = T(t);
            r.server_time = now_;
            r.lat = 48.85;
            r.lon = 2.35;
            r.valid = true;
            b.positions.push_back(MakePositionRow(7, r));
        }
        const IngestBatch* batches[] = {&b};
        auto r = store_->Ingest(batches);
        ASSERT_TRUE(r.ok()) << r.error().message;
    }

    DerivedChunk Chunk() {
        DerivedChunk c;
        c.device_id = 7;
        c.tenant_id = tenant_;
        c.vehicle_id = 3;
        return c;
    }

    static DerivedTrip Trip(const char* start, const char* end, double distance_m) {
        DerivedTrip t;
        t.start_time = T(start);
        t.end_time = T(end);
        t.distance_m = distance_m;
        return t;
    }

    static DerivedEvent Event(const std::string& key, const char* time, const std::string& detail = "{}") {
        DerivedEvent e;
        e.key = key;
        e.type = "overspeed";
        e.time = T(time);
        e.detail_json = detail;
        return e;
    }

    std::unique_ptr<DerivedStore> derived_;
    int64_t tenant_ = 0;
};

TEST_F(DerivedStoreTest, ReadsPositionsInDeviceTimeOrderInChunks) {
    Ingest({"2026-03-01T10:00:20Z", "2026-03-01T10:00:00Z", "2026-03-01T10:00:10Z"});
    auto first = derived_->ReadPositions(7, std::nullopt, 2);
    ASSERT_TRUE(first.ok()) << first.error().message;
    ASSERT_EQ(first->size(), 2u);
    EXPECT_EQ((*first)[0].device_time, T("2026-03-01T10:00:00Z"));
    EXPECT_EQ((*first)[1].device_time, T("2026-03-01T10:00:10Z"));
    auto rest = derived_->ReadPositions(7, PositionCursor{(*first)[1].device_time, (*first)[1].fingerprint}, 2);
    ASSERT_TRUE(rest.ok());
    ASSERT_EQ(rest->size(), 1u);
    EXPECT_EQ((*rest)[0].device_time, T("2026-03-01T10:00:20Z"));
}

TEST_F(DerivedStoreTest, LoadsTheWorldOfTheInstallation) {
    auto w = derived_->LoadWorld(7, T("2026-03-01T10:00:00Z"));
    ASSERT_TRUE(w.ok()) << w.error().message;
    EXPECT_EQ(w->tenant_id, tenant_);
    EXPECT_EQ(w->vehicle_id, 3);
    EXPECT_EQ(w->vehicle_speed_limit_kmh, 90);
    EXPECT_EQ(w->settings_json, "{\"idle_event_s\":60}");
    ASSERT_EQ(w->geofences.size(), 1u);
    EXPECT_EQ(w->geofences[0].radius_m, 200);
    ASSERT_EQ(w->badges.size(), 2u);
    EXPECT_EQ(w->badges[0], (std::pair<std::string, int64_t>{"A1", 4}));
    ASSERT_EQ(w->assignments.size(), 1u);
    EXPECT_EQ(w->valid_from, T("2026-01-01T00:00:00Z"));
    EXPECT_FALSE(w->valid_to.has_value());

    // Before the installation: the device's owner, no vehicle, until the installation starts.
    auto before = derived_->LoadWorld(7, T("2025-12-31T00:00:00Z"));
    ASSERT_TRUE(before.ok());
    EXPECT_EQ(before->tenant_id, tenant_);
    EXPECT_FALSE(before->vehicle_id.has_value());
    EXPECT_EQ(before->valid_to, T("2026-01-01T00:00:00Z"));
}

TEST_F(DerivedStoreTest, UpsertsTripsByStartAndEventsByKeyKeepingTheirRows) {
    auto c = Chunk();
    c.trips.push_back(Trip("2026-03-01T08:00:00Z", "2026-03-01T08:30:00Z", 1000));
    c.events.push_back(Event("7:overspeed:1", "2026-03-01T08:10:00Z", "{\"speed_kmh\":100}"));
    ASSERT_TRUE(derived_->Write(c, now_).ok());
    int64_t event_id = Int("SELECT id FROM events WHERE key = '7:overspeed:1'");
    Exec("UPDATE events SET acknowledged_at = 1 WHERE key = '7:overspeed:1'");

    auto again = Chunk();
    again.trips.push_back(Trip("2026-03-01T08:00:00Z", "2026-03-01T08:40:00Z", 1500));
    again.events.push_back(Event("7:overspeed:1", "2026-03-01T08:10:00Z", "{\"speed_kmh\":110}"));
    ASSERT_TRUE(derived_->Write(again, now_ + 1h).ok());
    EXPECT_EQ(Int("SELECT count(*) FROM trips"), 1);
    EXPECT_EQ(Int("SELECT distance_m FROM trips"), 1500);
    EXPECT_EQ(Int("SELECT count(*) FROM events"), 1);
    EXPECT_EQ(Int("SELECT id FROM events WHERE key = '7:overspeed:1'"), event_id);
    EXPECT_EQ(Int("SELECT acknowledged_at FROM events"), 1);
    EXPECT_EQ(Int("SELECT json_extract(detail, '$.speed_kmh') FROM events"), 110);
    EXPECT_EQ(Int("SELECT created_at FROM events"), ToMsOf(now_));
}

TEST_F(DerivedStoreTest, KeepsOneCheckpointPerHour) {
    for (const char* t : {"2026-03-01T08:10:00Z", "2026-03-01T08:50:00Z", "2026-03-01T09:05:00Z"}) {
        auto c = Chunk();
        c.checkpoint = Checkpoint{T(t), "{}"};
        ASSERT_TRUE(derived_->Write(c, now_).ok());
    }
    EXPECT_EQ(Int("SELECT count(*) FROM pipeline_checkpoints"), 2);
    auto last = derived_->LastCheckpoint(7);
    ASSERT_TRUE(last.ok());
    ASSERT_TRUE(last->has_value());
    EXPECT_EQ((*last)->time, T("2026-03-01T09:05:00Z"));
}

TEST_F(DerivedStoreTest, IngestionMarksLatePositionsOnly) {
    Ingest({"2026-03-01T10:00:00Z", "2026-03-01T10:00:10Z"});
    Ingest({"2026-03-01T10:00:20Z"});
    EXPECT_EQ(Int("SELECT count(*) FROM pipeline_late"), 0);
    Ingest({"2026-03-01T10:00:20Z"});  // a resend: a duplicate, not late
    EXPECT_EQ(Int("SELECT count(*) FROM pipeline_late"), 0);
    Ingest({"2026-03-01T10:00:30Z", "2026-03-01T10:00:05Z", "2026-03-01T10:00:15Z"});
    EXPECT_EQ(Int("SELECT from_time FROM pipeline_late WHERE device_id = 7"), ToMsOf(T("2026-03-01T10:00:05Z")));
    Ingest({"2026-03-01T09:00:00Z"});
    EXPECT_EQ(Int("SELECT from_time FROM pipeline_late WHERE device_id = 7"), ToMsOf(T("2026-03-01T09:00:00Z")));
}

TEST_F(DerivedStoreTest, TakeLateClearsTheWindowAfterTheCheckpointBeforeIt) {
    auto c = Chunk();
    c.trips.push_back(Trip("2026-03-01T08:00:00Z", "2026-03-01T08:30:00Z", 1000));
    c.trips.push_back(Trip("2026-03-01T10:00:00Z", "2026-03-01T10:30:00Z", 2000));
    c.events.push_back(Event("7:a", "2026-03-01T08:10:00Z"));
    c.events.push_back(Event("7:b", "2026-03-01T10:10:00Z"));
    DerivedVisit inside{9, T("2026-03-01T08:40:00Z"), T("2026-03-01T10:05:00Z"), std::nullopt};
    c.visits.push_back(inside);
    ASSERT_TRUE(derived_->Write(c, now_).ok());
    for (const char* t : {"2026-03-01T08:45:00Z", "2026-03-01T10:45:00Z"}) {
        auto cp = Chunk();
        cp.checkpoint = Checkpoint{T(t), std::string("{\"at\":\"") + t + "\"}"};
        ASSERT_TRUE(derived_->Write(cp, now_).ok());
    }
    auto none = derived_->TakeLate(7);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());

    Exec(fmt::format("INSERT INTO pipeline_late (device_id, from_time) VALUES (7, {})",
                     ToMsOf(T("2026-03-01T09:30:00Z"))));
    auto r = derived_->TakeLate(7);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE(r->has_value());
    ASSERT_TRUE((*r)->checkpoint.has_value());
    EXPECT_EQ((*r)->checkpoint->time, T("2026-03-01T08:45:00Z"));
    EXPECT_EQ((*r)->late_from, T("2026-03-01T09:30:00Z"));
    EXPECT_EQ((*r)->event_keys, std::vector<std::string>{"7:b"});
    EXPECT_EQ(Int("SELECT count(*) FROM pipeline_late"), 0);
    EXPECT_EQ(Int("SELECT count(*) FROM pipeline_checkpoints"), 1);
    EXPECT_EQ(Int("SELECT count(*) FROM trips"), 1);
    EXPECT_EQ(Int("SELECT count(*) FROM events"), 2);  // kept until the replay decides
    EXPECT_EQ(Int("SELECT count(*) FROM geofence_visits WHERE exit_time IS NULL"), 1);  // reopened

    Exec("INSERT INTO notifications (tenant_id, event_id, channel, recipient, status, created_at) "
         "SELECT tenant_id, id, 'web', 'user:1', 'sent', 0 FROM events WHERE key = '7:b'");
    // Until it finishes, the replay is noted: a restart finds it, from the same checkpoint.
    auto unfinished = derived_->UnfinishedReplay(7);
    ASSERT_TRUE(unfinished.ok()) << unfinished.error().message;
    ASSERT_TRUE(unfinished->has_value());
    EXPECT_EQ((*unfinished)->checkpoint->time, T("2026-03-01T08:45:00Z"));
    EXPECT_EQ((*unfinished)->event_keys, std::vector<std::string>{"7:b"});
    ASSERT_TRUE(derived_->FinishReplay(7, (*r)->event_keys).ok());
    EXPECT_EQ(Int("SELECT count(*) FROM events"), 1);
    EXPECT_EQ(Int("SELECT count(*) FROM notifications"), 0);
    EXPECT_FALSE(derived_->UnfinishedReplay(7)->has_value());
}

TEST_F(DerivedStoreTest, PresenceEventsAreAddedOnceAndSeen) {
    Ingest({"2026-03-01T10:00:00Z"});
    auto seen = derived_->SeenDevices();
    ASSERT_TRUE(seen.ok()) << seen.error().message;
    ASSERT_EQ(seen->size(), 1u);
    EXPECT_EQ((*seen)[0].vehicle_id, 3);
    EXPECT_EQ(*derived_->LastPresenceEvent(7), "");
    DerivedEvent off;
    off.key = "7:device_offline:1";
    off.type = "device_offline";
    off.time = now_;
    EXPECT_TRUE(*derived_->AddEvent(7, tenant_, 3, off, now_));
    EXPECT_FALSE(*derived_->AddEvent(7, tenant_, 3, off, now_));
    EXPECT_EQ(*derived_->LastPresenceEvent(7), "device_offline");
}

TEST_F(DerivedStoreTest, WorldSignatureChangesWithInstallationsLimitsAndBadges) {
    auto first = derived_->WorldSignature();
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(*derived_->WorldSignature(), *first);
    Exec("UPDATE installations SET to_time = from_time + 1000");
    auto closed = *derived_->WorldSignature();
    EXPECT_NE(closed, *first);
    Exec("UPDATE vehicles SET speed_limit_kmh = 80");
    auto limited = *derived_->WorldSignature();
    EXPECT_NE(limited, closed);
    Exec("UPDATE drivers SET badge_id = 'C3' WHERE badge_id = 'A1'");
    EXPECT_NE(*derived_->WorldSignature(), limited);
}

}  // namespace
}  // namespace fleet::store
