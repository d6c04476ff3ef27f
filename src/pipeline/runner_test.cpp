#include "pipeline/runner.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <future>
#include <iterator>
#include <random>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <limits>
#include <thread>

#include "core/time.hpp"
#include "store/test_database.hpp"
#include "pipeline/detail/convert.hpp"
#include "store/accounts.hpp"
#include "store/committer.hpp"
#include "store/store.hpp"

namespace fleet::pipeline {
namespace {

namespace fs = std::filesystem;
using core::TimePoint;
using namespace std::chrono_literals;

TimePoint T(const char* iso) { return *core::ParseIso(iso); }

TEST(ConvertTest, PointTakesTheDecodersAttributesAndIgnoresWrongTypes) {
    store::PositionRow row;
    row.device_time = T("2026-03-01T10:00:00Z");
    row.lat = 48.5;
    row.lon = 2.25;
    row.speed_kmh = 42;
    row.valid = true;
    row.attributes_json =
        R"({"priority":1,"ignition":true,"motion":false,"odometer_m":123456,"fuel_used_l":12.5,)"
        R"("fuel_level_pct":40,"external_voltage_v":12.7,"driver_id":"00000000CAFE0042","alarm":"harsh_braking",)"
        R"("dtc_codes":"P0300,P0171","fuel_level_l":"not a number"})";
    Point p = detail::ToPoint(row);
    EXPECT_EQ(p.time, row.device_time);
    EXPECT_DOUBLE_EQ(p.lat, 48.5);
    EXPECT_DOUBLE_EQ(p.speed_kmh, 42);
    EXPECT_TRUE(p.valid);
    EXPECT_EQ(p.ignition, true);
    EXPECT_EQ(p.motion, false);
    EXPECT_EQ(p.odometer_m, 123456);
    EXPECT_EQ(p.fuel_used_l, 12.5);
    EXPECT_EQ(p.fuel_level_pct, 40);
    EXPECT_FALSE(p.fuel_level_l.has_value());
    EXPECT_EQ(p.external_voltage_v, 12.7);
    EXPECT_EQ(p.driver_badge, "00000000CAFE0042");
    EXPECT_EQ(p.alarm, "harsh_braking");
    EXPECT_EQ(p.dtc_codes, "P0300,P0171");
}

// The attributes as a parsed document reads them (what ToPoint did before it read them while
// parsing): the oracle for the test below.
Point ReadFromDocument(std::string_view text) {
    namespace json = boost::json;
    Point p;
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return p;
    auto number = [](const json::value& x) -> std::optional<double> {
        if (x.is_double()) return x.get_double();
        if (x.is_int64()) return static_cast<double>(x.get_int64());
        if (x.is_uint64()) return static_cast<double>(x.get_uint64());
        return std::nullopt;
    };
    auto flag = [&](const json::value& x) -> std::optional<bool> {
        if (x.is_bool()) return x.get_bool();
        if (auto n = number(x)) return *n != 0;
        return std::nullopt;
    };
    auto text_of = [](const json::value& x) -> std::optional<std::string> {
        if (x.is_string()) return std::string(x.get_string());
        return std::nullopt;
    };
    for (const auto& [name, value] : v.get_object()) {
        if (name == "ignition") p.ignition = flag(value);
        else if (name == "motion") p.motion = flag(value);
        else if (name == "odometer_m") p.odometer_m = number(value);
        else if (name == "fuel_used_l") p.fuel_used_l = number(value);
        else if (name == "fuel_level_l") p.fuel_level_l = number(value);
        else if (name == "fuel_level_pct") p.fuel_level_pct = number(value);
        else if (name == "external_voltage_v") p.external_voltage_v = number(value);
        else if (name == "driver_id") p.driver_badge = text_of(value);
        else if (name == "alarm") p.alarm = text_of(value);
        else if (name == "dtc_codes") p.dtc_codes = text_of(value);
    }
    return p;
}

void ExpectSameAttributes(const Point& a, const Point& b, const std::string& text) {
    EXPECT_EQ(a.ignition, b.ignition) << text;
    EXPECT_EQ(a.motion, b.motion) << text;
    EXPECT_EQ(a.odometer_m, b.odometer_m) << text;
    EXPECT_EQ(a.fuel_used_l, b.fuel_used_l) << text;
    EXPECT_EQ(a.fuel_level_l, b.fuel_level_l) << text;
    EXPECT_EQ(a.fuel_level_pct, b.fuel_level_pct) << text;
    EXPECT_EQ(a.external_voltage_v, b.external_voltage_v) << text;
    EXPECT_EQ(a.driver_badge, b.driver_badge) << text;
    EXPECT_EQ(a.alarm, b.alarm) << text;
    EXPECT_EQ(a.dtc_codes, b.dtc_codes) << text;
}

// ToPoint reads the attributes while parsing them: the same fields as reading the parsed document,
// for hand-picked hostile texts and for random objects (duplicate keys, every type of value, values
// nested in arrays and objects, escapes, cut or spoilt texts).
TEST(ConvertTest, AttributesReadWhileParsingAreWhatTheDocumentSays) {
    std::vector<std::string> texts = {
        R"({"ignition":true,"ignition":false})",
        R"({"ignition":true,"ignition":"yes"})",
        R"({"odometer_m":5,"odometer_m":null})",
        R"({"alarm":["sos"],"dtc_codes":{"a":"P0300"},"driver_id":"\u00e9t\u00e9"})",
        R"({"x":{"ignition":true,"alarm":"deep"},"motion":1})",
        R"({"ignition":true} trailing)",
        R"({"ignition":true,})",
        R"([{"ignition":true}])",
        R"("ignition")",
        R"({"odometer_m":18446744073709551615,"fuel_used_l":-9223372036854775808,"fuel_level_l":1e400})",
        R"({"fuel_level_pct":0,"motion":0.0,"external_voltage_v":-0.0})",
        R"({"ignition":true /* no comments */})",
        R"({"ign\u0069tion":true,"alarm":"a\"b"})",
        std::string(40, '[') + std::string(40, ']'),
        "{\"alarm\":\"" + std::string(5000, 'x') + "\"}",
        R"({"driver_id":"\ud800"})",
    };
    std::mt19937 rng(11);
    const char* names[] = {"ignition", "motion", "odometer_m", "fuel_used_l", "fuel_level_l", "fuel_level_pct",
                           "external_voltage_v", "driver_id", "alarm", "dtc_codes", "priority", "io"};
    const char* values[] = {"true", "false", "null", "0", "1", "-3", "12.655", "1e3", "\"P0300,P0171\"",
                            "\"\"", "[1,2]", "{\"alarm\":\"x\"}", "\"caf\\u00e9\"", "18446744073709551615"};
    for (int i = 0; i < 3000; ++i) {
        std::string t = "{";
        const int n = static_cast<int>(rng() % 8);
        for (int k = 0; k < n; ++k) {
            if (k > 0) t += ',';
            t += '"';
            t += names[rng() % std::size(names)];
            t += "\":";
            t += values[rng() % std::size(values)];
        }
        t += '}';
        if (rng() % 10 == 0) t.resize(rng() % (t.size() + 1));  // cut short
        if (rng() % 10 == 0 && !t.empty()) t[rng() % t.size()] = static_cast<char>(rng() % 128);  // spoilt
        texts.push_back(std::move(t));
    }
    for (const auto& text : texts) {
        store::PositionRow row;
        row.attributes_json = text;
        ExpectSameAttributes(detail::ToPoint(row), ReadFromDocument(text), text);
    }
}

TEST(ConvertTest, ContextReadsGeofencesAndLeavesOutBadOnes) {
    store::DeviceWorld w;
    w.tenant_id = 3;
    w.vehicle_id = 9;
    w.vehicle_speed_limit_kmh = 90;
    w.geofences.push_back({1, "circle", R"({"type":"Point","coordinates":[2.35,48.85]})", 250, std::nullopt});
    w.geofences.push_back({2, "polygon", R"({"type":"Polygon","coordinates":[[[2,48],[3,48],[3,49],[2,48]]]})",
                           std::nullopt, 50});
    w.geofences.push_back({3, "polygon", R"({"type":"Polygon","coordinates":"nope"})", std::nullopt, std::nullopt});
    w.badges = {{"A1", 4}};
    w.assignments.push_back({4, T("2026-01-01T00:00:00Z"), std::nullopt});
    std::vector<std::string> problems;
    Context c = detail::ToContext(7, w, problems);
    EXPECT_EQ(c.device_id, 7);
    EXPECT_EQ(c.tenant_id, 3);
    EXPECT_EQ(c.vehicle_id, 9);
    EXPECT_EQ(c.vehicle_speed_limit_kmh, 90);
    ASSERT_EQ(c.geofences.size(), 2u);
    EXPECT_TRUE(c.geofences[0].circle);
    EXPECT_DOUBLE_EQ(c.geofences[0].center_lat, 48.85);
    EXPECT_DOUBLE_EQ(c.geofences[0].center_lon, 2.35);
    EXPECT_DOUBLE_EQ(c.geofences[0].radius_m, 250);
    EXPECT_FALSE(c.geofences[1].circle);
    ASSERT_EQ(c.geofences[1].ring.size(), 4u);
    EXPECT_EQ(c.geofences[1].ring[1], (std::pair<double, double>{48, 3}));
    EXPECT_EQ(c.geofences[1].speed_limit_kmh, 50);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("geofence 3"), std::string::npos);
    ASSERT_EQ(c.assignments.size(), 1u);
    EXPECT_EQ(c.badges, w.badges);
}

// The contexts of a tenant's devices share one parsed copy of its geofences while the stored rows
// stay the same; a changed row gives a new copy, another tenant its own.
TEST(ConvertTest, DevicesOfATenantShareItsGeofences) {
    store::DeviceWorld w;
    w.tenant_id = 3;
    w.geofences.push_back({1, "circle", R"({"type":"Point","coordinates":[2.35,48.85]})", 250, std::nullopt});
    detail::GeofenceCache cache;
    std::vector<std::string> problems;
    Context a = detail::ToContext(7, w, problems, &cache);
    Context b = detail::ToContext(8, w, problems, &cache);
    ASSERT_EQ(a.geofences.size(), 1u);
    EXPECT_TRUE(a.geofences.SharedWith(b.geofences));
    w.geofences[0].radius_m = 300;
    Context c = detail::ToContext(9, w, problems, &cache);
    EXPECT_FALSE(c.geofences.SharedWith(a.geofences));
    EXPECT_DOUBLE_EQ(c.geofences[0].radius_m, 300);
    EXPECT_DOUBLE_EQ(a.geofences[0].radius_m, 250);  // a context built before keeps what it had
    w.tenant_id = 4;
    Context d = detail::ToContext(10, w, problems, &cache);
    EXPECT_FALSE(d.geofences.SharedWith(c.geofences));
    EXPECT_EQ(cache.tenants(), 2u);
    // Without a cache each context has its own copy.
    EXPECT_FALSE(detail::ToContext(11, w, problems).geofences.SharedWith(d.geofences));
    EXPECT_TRUE(problems.empty());
}

// The runner on a real database: positions ingested through the store, processed by the workers.
class RunnerTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("fleetd_runner_test_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = (dir_ / "fleetd.db").string();
        auto s = store::OpenSqliteStore(path_);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
        Exec("INSERT INTO tenants (id, name, status, require_totp, created_at) VALUES (1, 'acme', 'active', 0, 0);"
             "INSERT INTO devices (id, imei, protocol, status, created_at, tenant_id) VALUES "
             "(7, '356307042441013', 'teltonika', 'active', 0, 1), (8, '356307042441021', 'teltonika', 'active', 0, 1);"
             "INSERT INTO vehicles (id, tenant_id, name, created_at) VALUES (3, 1, 'Van', 0);"
             "INSERT INTO installations (tenant_id, vehicle_id, device_id, from_time, created_at) VALUES (1, 3, 7, 0, 0);");
    }
    void TearDown() override {
        runner_.reset();
        store_.reset();
        fs::remove_all(dir_);
    }

    void Exec(const std::string& sql) {
        store::test::ExecSql(path_, sql);
    }

    int64_t Int(const std::string& sql) {
        return store::test::IntSql(path_, sql);
    }

    // A drive with the ignition on between two parked periods, one position every 10 s from `from`.
    std::vector<store::PositionRow> Route(int64_t device_id, TimePoint from) {
        std::vector<store::PositionRow> out;
        double lat = 48.0;
        for (int i = 0; i < 240; ++i) {
            bool driving = i >= 30 && i < 150;
            core::Record r;
            r.device_time = from + std::chrono::seconds(10 * i);
            r.server_time = r.device_time;
            r.valid = true;
            r.satellites = 9;
            if (driving) lat += 60 / 3.6 * 10 / 111195.0;
            r.lat = lat;
            r.lon = 2.0;
            r.speed_kmh = driving ? 60 : 0;
            core::SetAttribute(r.attributes, "ignition", driving);
            out.push_back(store::MakePositionRow(device_id, r));
        }
        return out;
    }

    void Ingest(const std::vector<store::PositionRow>& rows, size_t from, size_t to) {
        store::IngestBatch b;
        b.device_id = rows[from].device_id;
        b.protocol = "teltonika";
        b.positions.assign(rows.begin() + static_cast<long>(from), rows.begin() + static_cast<long>(to));
        const store::IngestBatch* batches[] = {&b};
        auto r = store_->Ingest(batches);
        ASSERT_TRUE(r.ok()) << r.error().message;
        if (runner_) runner_->OnCommitted(batches);
    }

    void StartRunner(int workers = 2, std::chrono::milliseconds presence = 30s, std::chrono::milliseconds tick = 30s) {
        Runner::Options o;
        o.db_path = path_;
        o.workers = workers;
        o.presence_interval = presence;
        o.tick = tick;
        o.chunk_positions = 50;  // several chunks per device
        o.feed_bytes = feed_bytes_;
        o.commit_failures = &commit_failures_;
        auto r = Runner::Start(o);
        ASSERT_TRUE(r.ok()) << r.error().message;
        runner_ = std::move(*r);
    }

    void Idle() { ASSERT_TRUE(runner_->WaitIdle(30s)); }

    // The derived rows of a device, as text, to compare two ways of getting them.
    std::string Derived(int64_t device_id) {
        std::string out;
        sqlite3* db = nullptr;
        sqlite3_open(path_.c_str(), &db);
        for (const char* sql :
             {"SELECT start_time || ' ' || end_time || ' ' || round(distance_m) || ' ' || ifnull(vehicle_id, '-') "
              "FROM trips WHERE device_id = ? ORDER BY start_time",
              "SELECT start_time || ' ' || end_time FROM stops WHERE device_id = ? ORDER BY start_time",
              "SELECT type || ' ' || time FROM events WHERE device_id = ? AND type NOT IN ('device_offline', "
              "'device_online') ORDER BY time, type"}) {
            sqlite3_stmt* s = nullptr;
            sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
            sqlite3_bind_int64(s, 1, device_id);
            while (sqlite3_step(s) == SQLITE_ROW) {
                out += reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
                out += "\n";
            }
            sqlite3_finalize(s);
            out += "--\n";
        }
        sqlite3_close(db);
        return out;
    }

    // The route in packets of 10 as a device sends them: each packet's positions out of order, every
    // fifth packet sent twice (its ACK lost). `fed`: the runner is told of each commit.
    void IngestPackets(const std::vector<store::PositionRow>& route, bool fed = true) {
        for (size_t from = 0, n = 0; from < route.size(); from += 10, ++n) {
            store::IngestBatch b;
            b.device_id = route[from].device_id;
            b.protocol = "teltonika";
            b.positions.assign(route.begin() + static_cast<long>(from),
                               route.begin() + static_cast<long>(std::min(from + 10, route.size())));
            std::reverse(b.positions.begin(), b.positions.end());
            const store::IngestBatch* batches[] = {&b};
            for (int send = 0; send < (n % 5 == 4 ? 2 : 1); ++send) {
                auto r = store_->Ingest(batches);
                ASSERT_TRUE(r.ok()) << r.error().message;
                if (runner_ && fed) runner_->OnCommitted(batches);
            }
        }
    }

    // The derived rows of device 8's route sent by IngestPackets to a runner that reads back every
    // position (no feed); the runner is stopped after.
    std::string ReadBack() {
        feed_bytes_ = 0;
        StartRunner();
        Idle();
        IngestPackets(Route(8, T("2026-03-01T10:00:00Z")));
        Idle();
        std::string rows = Derived(8);
        EXPECT_NE(rows.find('\n'), 0u);  // trips, stops and events to compare
        EXPECT_EQ(runner_->stats().fed.load(), 0u);
        runner_.reset();
        return rows;
    }

    // Starts a runner with this feed and lets it take its first look at every device (in the
    // database; device 8 from its checkpoint): the positions it processed in that look.
    uint64_t FedRunner(size_t feed_bytes) {
        feed_bytes_ = feed_bytes;
        StartRunner();
        Idle();
        return runner_->stats().positions.load();
    }

    // Device 7 is in the van, device 8 in no vehicle: their derived rows without the vehicle.
    static std::string WithoutVehicle(std::string s) {
        for (size_t at; (at = s.find(" 3\n")) != std::string::npos;) s.replace(at, 3, " -\n");
        return s;
    }

    fs::path dir_;
    std::string path_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<Runner> runner_;
    size_t feed_bytes_ = Runner::Options{}.feed_bytes;
    std::atomic<uint64_t> commit_failures_{0};
};

TEST_F(RunnerTest, ProcessesWhatIsCommittedAndCheckpoints) {
    StartRunner();
    auto route = Route(7, T("2026-03-01T10:00:00Z"));
    Ingest(route, 0, route.size());
    Idle();
    EXPECT_GE(runner_->stats().positions.load(), route.size());
    EXPECT_GE(Int("SELECT count(*) FROM trips WHERE device_id = 7 AND vehicle_id = 3 AND tenant_id = 1"), 1);
    EXPECT_EQ(Int("SELECT time FROM device_counters WHERE device_id = 7"),
              route.back().device_time.time_since_epoch().count());
    EXPECT_GE(Int("SELECT count(*) FROM pipeline_checkpoints WHERE device_id = 7"), 1);
    EXPECT_EQ(runner_->stats().failures.load(), 0u);
}

TEST_F(RunnerTest, LatePositionsGiveWhatInOrderGives) {
    StartRunner();
    auto in_order = Route(8, T("2026-03-01T10:00:00Z"));
    Ingest(in_order, 0, in_order.size());
    Idle();
    std::string want = Derived(8);
    // The same route on device 7: the second half first, then the first half, late.
    auto route = Route(7, T("2026-03-01T10:00:00Z"));
    Ingest(route, 120, route.size());
    Idle();
    Ingest(route, 0, 120);
    Idle();
    EXPECT_EQ(Int("SELECT count(*) FROM pipeline_late"), 0);
    EXPECT_GE(runner_->stats().recomputes.load(), 1u);
    std::string got = Derived(7);
    // Device 7 is in the van, device 8 in no vehicle: compare without the vehicle.
    auto strip = [](std::string s) {
        for (size_t at; (at = s.find(" 3\n")) != std::string::npos;) s.replace(at, 3, " -\n");
        return s;
    };
    EXPECT_EQ(strip(got), strip(want));
}

TEST_F(RunnerTest, ARestartResumesFromTheCheckpointWithoutDuplicates) {
    auto route = Route(7, T("2026-03-01T10:00:00Z"));
    StartRunner(1);
    Ingest(route, 0, 100);
    Idle();
    runner_->Stop();
    runner_.reset();
    Ingest(route, 100, route.size());  // stored while no pipeline runs
    StartRunner(2);
    Idle();
    std::string resumed = Derived(7);
    int64_t events = Int("SELECT count(*) FROM events");
    // Processing everything again from scratch gives the same rows, not one more.
    Exec("DELETE FROM pipeline_checkpoints; DELETE FROM trips; DELETE FROM stops; DELETE FROM events;"
         "DELETE FROM device_counters;");
    runner_.reset();
    StartRunner(1);
    Idle();
    EXPECT_EQ(Derived(7), resumed);
    EXPECT_EQ(Int("SELECT count(*) FROM events"), events);
}

// The feed: positions handed over by OnCommitted give what reading them back gives, out of order
// within a packet and resent included, and are not read back.
TEST_F(RunnerTest, FedPositionsGiveWhatReadingThemBackGives) {
    const std::string want = ReadBack();
    const uint64_t before = FedRunner(Runner::Options{}.feed_bytes);
    auto route = Route(7, T("2026-03-01T10:00:00Z"));
    IngestPackets(route);
    Idle();
    EXPECT_EQ(WithoutVehicle(Derived(7)), WithoutVehicle(want));
    EXPECT_EQ(runner_->stats().fed.load(), route.size());  // each once, none read back
    EXPECT_EQ(runner_->stats().positions.load() - before, route.size());
    EXPECT_EQ(runner_->stats().failures.load(), 0u);
}

// Beyond its bound the feed drops a device's positions, which are then read back: the same rows.
TEST_F(RunnerTest, PositionsBeyondTheFeedsBoundAreReadBack) {
    const std::string want = ReadBack();
    const uint64_t before = FedRunner(2000);  // a few positions
    auto route = Route(7, T("2026-03-01T10:00:00Z"));
    IngestPackets(route);
    Idle();
    EXPECT_EQ(WithoutVehicle(Derived(7)), WithoutVehicle(want));
    EXPECT_EQ(runner_->stats().positions.load() - before, route.size());
    EXPECT_LT(runner_->stats().fed.load(), route.size());
    EXPECT_EQ(runner_->stats().failures.load(), 0u);
}

// A group committed without being fed (its sync failed: the devices were told so, but the rows are
// in the database): once the committer's failure count moves, every device reads back first.
TEST_F(RunnerTest, AFailedCommitMakesEveryDeviceReadBack) {
    StartRunner();
    Idle();
    auto reference = Route(8, T("2026-03-01T10:00:00Z"));
    IngestPackets(reference);
    Idle();
    const std::string want = Derived(8);

    auto route = Route(7, T("2026-03-01T10:00:00Z"));
    std::vector<store::PositionRow> first(route.begin(), route.begin() + 100);
    std::vector<store::PositionRow> unfed(route.begin() + 100, route.begin() + 110);
    std::vector<store::PositionRow> rest(route.begin() + 110, route.end());
    IngestPackets(first);
    Idle();
    IngestPackets(unfed, false);
    ++commit_failures_;
    IngestPackets(rest);
    Idle();
    EXPECT_EQ(WithoutVehicle(Derived(7)), WithoutVehicle(want));
    EXPECT_EQ(runner_->stats().positions.load(), reference.size() + route.size());
    EXPECT_LT(runner_->stats().fed.load(), reference.size() + route.size());
}

TEST_F(RunnerTest, RaisesOfflineOnceAndOnlineWhenTheDeviceSpeaksAgain) {
    auto now = std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now());
    auto route = Route(7, now - 3h);
    for (auto& p : route) p.server_time = now - 2h;  // silent for 2 h: past the default 1 h
    Ingest(route, 0, 10);
    StartRunner(1, 50ms);
    auto count = [&](const char* type) {
        return Int(fmt::format("SELECT count(*) FROM events WHERE device_id = 7 AND type = '{}'", type));
    };
    for (int i = 0; i < 100 && count("device_offline") == 0; ++i) std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(200ms);  // several more checks
    EXPECT_EQ(count("device_offline"), 1);
    EXPECT_EQ(count("device_online"), 0);
    EXPECT_EQ(Int("SELECT vehicle_id FROM events WHERE type = 'device_offline'"), 3);
    route[10].server_time = now;
    route[10].device_time = now;
    Ingest(route, 10, 11);
    for (int i = 0; i < 100 && count("device_online") == 0; ++i) std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(count("device_online"), 1);
    EXPECT_EQ(count("device_offline"), 1);
}

TEST_F(RunnerTest, ADeviceMovedToAnotherVehicleIsAttributedToItFromThen) {
    StartRunner(1, 30s, 50ms);
    auto first = Route(7, T("2026-03-01T10:00:00Z"));
    Ingest(first, 0, first.size());
    Idle();
    // Moved by the API (which does not tell the runner): the next tick notices.
    Exec("INSERT INTO vehicles (id, tenant_id, name, created_at) VALUES (4, 1, 'Truck', 0);"
         "UPDATE installations SET to_time = " + std::to_string(T("2026-03-01T12:00:00Z").time_since_epoch().count()) +
         " WHERE device_id = 7;"
         "INSERT INTO installations (tenant_id, vehicle_id, device_id, from_time, created_at) VALUES (1, 4, 7, " +
         std::to_string(T("2026-03-01T12:00:00Z").time_since_epoch().count()) + ", 0);");
    std::this_thread::sleep_for(300ms);
    auto second = Route(7, T("2026-03-01T13:00:00Z"));
    Ingest(second, 0, second.size());
    Idle();
    EXPECT_GE(Int("SELECT count(*) FROM trips WHERE device_id = 7 AND vehicle_id = 3"), 1);
    EXPECT_GE(Int("SELECT count(*) FROM trips WHERE device_id = 7 AND vehicle_id = 4"), 1);
    EXPECT_EQ(Int("SELECT count(*) FROM trips WHERE vehicle_id = 3 AND start_time >= " +
                  std::to_string(T("2026-03-01T12:00:00Z").time_since_epoch().count())),
              0);
}

TEST_F(RunnerTest, ChangedSettingsApplyFromThenOn) {
    StartRunner(1);
    auto first = Route(7, T("2026-03-01T10:00:00Z"));
    Ingest(first, 0, first.size());
    Idle();
    ASSERT_EQ(Int("SELECT count(*) FROM trips WHERE device_id = 7"), 1);
    // 20 km trips only from now on: the next 20-minute drive (20 km at 60 km/h) is too short.
    Exec("INSERT INTO tenant_settings (tenant_id, settings, updated_at) VALUES (1, '{\"min_trip_distance_m\":50000}', 0)");
    runner_->ConfigChanged(1);
    auto second = Route(7, T("2026-03-01T13:00:00Z"));
    Ingest(second, 0, second.size());
    Idle();
    EXPECT_EQ(Int("SELECT count(*) FROM trips WHERE device_id = 7"), 1);  // the first one stays
    // Another tenant's change does not touch this device's context (nothing to see, and no failure).
    runner_->ConfigChanged(2);
    Idle();
    EXPECT_EQ(runner_->stats().failures.load(), 0u);
}

TEST_F(RunnerTest, AReplayStoppedInItsMiddleIsFinishedAfterTheRestart) {
    auto route = Route(7, T("2026-03-01T10:00:00Z"));
    StartRunner(1);
    Ingest(route, 0, route.size());
    Idle();
    std::string want = Derived(7);
    runner_.reset();
    // What fleetd leaves when it stops in the middle of a replay from the start: the replay's note,
    // and an event of the window that the replay will not raise again.
    Exec("INSERT INTO service_cursors (name, value) VALUES ('pipeline_replay:7', " +
         std::to_string(std::numeric_limits<int64_t>::min()) + ");"
         "INSERT INTO events (key, tenant_id, device_id, vehicle_id, type, time, detail, created_at) VALUES "
         "('7:overspeed:1772359260000', 1, 7, 3, 'overspeed', 1772359260000, '{}', 0);");
    StartRunner(1);
    Idle();
    EXPECT_EQ(Int("SELECT count(*) FROM events WHERE type = 'overspeed'"), 0);
    EXPECT_EQ(Int("SELECT count(*) FROM service_cursors WHERE name = 'pipeline_replay:7'"), 0);
    EXPECT_EQ(Derived(7), want);
}

// An overspeed episode open at a checkpoint, which a late position cancels (it was shorter than
// overspeed_min_duration_s): the event dated at its start, before the checkpoint, goes.
TEST_F(RunnerTest, ALatePositionCancelsAnEpisodeOpenAtTheCheckpoint) {
    const TimePoint from = T("2026-03-01T10:00:00Z");
    auto at = [&](int i, int extra_s, double speed, double lat) {
        core::Record r;
        r.device_time = from + std::chrono::seconds(10 * i + extra_s);
        r.server_time = r.device_time;
        r.valid = true;
        r.satellites = 9;
        r.lat = lat;
        r.lon = 2.0;
        r.speed_kmh = speed;
        core::SetAttribute(r.attributes, "ignition", true);
        return store::MakePositionRow(9, r);
    };
    std::vector<store::PositionRow> rows;
    double lat = 48.0;
    for (int i = 0; i <= 60; ++i) {
        double speed = i >= 30 && i <= 40 ? 140 : 60;  // over the default 130 from 30 to 40
        rows.push_back(at(i, 0, speed, lat));
        lat += speed / 3.6 * 10 / 111195.0;
    }
    StartRunner(1);
    Ingest(rows, 0, 31);  // the first chunk ends (and is checkpointed) inside the episode
    Idle();
    ASSERT_EQ(Int("SELECT count(*) FROM pipeline_checkpoints WHERE device_id = 9 AND time = " +
                  std::to_string(rows[30].device_time.time_since_epoch().count())),
              1);
    Ingest(rows, 31, rows.size());
    Idle();
    const std::string t30 = std::to_string(rows[30].device_time.time_since_epoch().count());
    const std::string t31 = std::to_string(rows[31].device_time.time_since_epoch().count());
    ASSERT_EQ(Int("SELECT count(*) FROM events WHERE type = 'overspeed' AND time = " + t30), 1);
    // Late: 5 s after the episode began the vehicle was at 60 km/h; the episode lasted 5 s, too
    // short, and the next one starts at point 31.
    auto row31 = rows[31];
    std::vector<store::PositionRow> late{at(30, 5, 60, (rows[30].lat + row31.lat) / 2)};
    Ingest(late, 0, 1);
    Idle();
    EXPECT_GE(runner_->stats().recomputes.load(), 1u);
    EXPECT_EQ(Int("SELECT count(*) FROM events WHERE type = 'overspeed' AND time = " + t30), 0);
    EXPECT_EQ(Int("SELECT count(*) FROM events WHERE type = 'overspeed' AND time = " + t31), 1);
    EXPECT_EQ(Int("SELECT count(*) FROM events WHERE type = 'overspeed'"), 1);
    EXPECT_EQ(runner_->stats().failures.load(), 0u);
}

// As `fleetd serve` runs it: the workers' writes go through the ingestion writer's thread and
// connection (Options::write_on_writer), and give the same rows as on their own connections.
TEST_F(RunnerTest, WritesOnTheWritersConnectionWhenGivenIt) {
    auto route = Route(8, T("2026-03-01T10:00:00Z"));
    StartRunner();
    Ingest(route, 0, route.size());
    Idle();
    runner_.reset();
    const std::string want = Derived(8);
    ASSERT_NE(want.find('\n'), 0u);  // trips, stops and events to compare

    std::shared_ptr<store::AccountStore> shared = store_->SharedConnection();
    ASSERT_NE(shared, nullptr);
    store::Committer committer(std::move(store_), {});
    std::atomic<int> written{0};
    Runner::Options o;
    o.db_path = path_;
    o.workers = 2;
    o.chunk_positions = 50;
    o.write_on_writer = [&](const std::function<void(store::AccountStore&)>& work) {
        std::promise<void> ran;
        committer.Post([&](store::Store&) {
            work(*shared);
            ++written;
            ran.set_value();
        });
        ran.get_future().wait();
    };
    auto started = Runner::Start(o);
    ASSERT_TRUE(started.ok()) << started.error().message;
    runner_ = std::move(*started);
    committer.SetObserver([this](std::span<const store::IngestBatch* const> batches) { runner_->OnCommitted(batches); });

    auto same = Route(7, T("2026-03-01T10:00:00Z"));
    store::IngestBatch b;
    b.device_id = 7;
    b.protocol = "teltonika";
    b.positions = same;
    std::promise<bool> committed;
    committer.Submit(std::move(b), [&](const Result<store::IngestStats>& r) { committed.set_value(r.ok()); });
    ASSERT_TRUE(committed.get_future().get());
    Idle();
    EXPECT_EQ(runner_->stats().failures.load(), 0u);
    runner_.reset();  // before the committer: its last task finalizes what it prepared there
    committer.Stop();
    EXPECT_GE(written.load(), 2);  // the writes, and the finalizing at the end
    EXPECT_GE(Int("SELECT count(*) FROM pipeline_checkpoints WHERE device_id = 7"), 1);
    // Device 7 is in the van, device 8 in no vehicle: compare without the vehicle.
    std::string got = Derived(7);
    for (size_t at; (at = got.find(" 3\n")) != std::string::npos;) got.replace(at, 3, " -\n");
    EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace fleet::pipeline
