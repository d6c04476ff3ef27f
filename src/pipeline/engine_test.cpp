#include "pipeline/engine.hpp"

#include <cmath>
#include <numbers>
#include <set>

#include <fmt/format.h>

#include <gtest/gtest.h>

#include "core/time.hpp"

namespace fleet::pipeline {
namespace {

using std::chrono::seconds;

constexpr double kMetresPerDegreeLat = 6371008.8 * std::numbers::pi / 180;

core::TimePoint At(const char* iso) { return *core::ParseIso(iso); }

double Seconds(core::TimePoint a, core::TimePoint b) {
    return std::chrono::duration<double>(b - a).count();
}

// Builds a device's positions: a vehicle driving along straight legs and standing still.
struct Route {
    core::TimePoint t;
    double lat = 45.0, lon = 5.0;
    double step_s = 10;
    std::optional<bool> ignition = false;  // nullopt: the device does not report it
    std::vector<Point> points;

    explicit Route(const char* start) : t(At(start)) {}

    Point Here(double speed_kmh) const {
        Point p;
        p.time = t;
        p.lat = lat;
        p.lon = lon;
        p.speed_kmh = speed_kmh;
        p.valid = true;
        p.ignition = ignition;
        return p;
    }
    Point& Add(double speed_kmh) {
        points.push_back(Here(speed_kmh));
        return points.back();
    }
    // Drives `metres` at `speed_kmh` towards the north (bearing 0) or east (90), one point per
    // step.
    void Drive(double metres, double speed_kmh, double bearing_deg = 0) {
        double mps = speed_kmh / 3.6;
        double left = metres;
        while (left > 1e-6) {
            double d = std::min(left, mps * step_s);
            double s = d / mps;
            t += std::chrono::round<core::Millis>(std::chrono::duration<double>(s));
            double rad = bearing_deg * std::numbers::pi / 180;
            lat += d * std::cos(rad) / kMetresPerDegreeLat;
            lon +=
                d * std::sin(rad) / (kMetresPerDegreeLat * std::cos(lat * std::numbers::pi / 180));
            left -= d;
            Add(speed_kmh);
        }
    }
    void Stay(double secs) {
        for (double done = 0; done < secs - 1e-6; done += step_s) {
            t += std::chrono::milliseconds(
                static_cast<int64_t>(std::min(step_s, secs - done) * 1000));
            Add(0);
        }
    }
    void Ignition(bool on) {
        ignition = on;
        t += seconds(1);
        Add(0);
    }
};

struct Device {
    Context ctx;
    State state;
    Output out;

    Device() { ctx.device_id = 7; }
    void Feed(const std::vector<Point>& points) {
        for (const auto& p : points) Process(ctx, state, p, out);
    }
    std::vector<Event> Events(const std::string& type) const {
        std::vector<Event> r;
        for (const auto& e : out.events) {
            if (e.type == type) r.push_back(e);
        }
        return r;
    }
};

// ---- settings and state ----

TEST(SettingsTest, DefaultsFromAnEmptyObjectAndRoundTrip) {
    auto s = ParseSettings("{}");
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->min_stop_duration_s, 180);
    auto t = ParseSettings(R"({"min_trip_distance_m": 500, "tank_l": 60, "eco_weight_idle": 2})");
    ASSERT_TRUE(t.ok()) << t.error().message;
    auto back = ParseSettings(SettingsJson(*t));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->min_trip_distance_m, 500);
    EXPECT_EQ(back->tank_l, 60);
    EXPECT_EQ(back->eco_weight_idle, 2);
    EXPECT_EQ(SettingsJson(*back), SettingsJson(*t));
    EXPECT_NE(SettingsJson(Settings{}).find(R"("min_trip_distance_m":300,)"), std::string::npos);
    EXPECT_NE(SettingsJson(Settings{}).find(R"("low_battery_v":11.8,)"), std::string::npos);
}

TEST(SettingsTest, UnknownKeysWrongTypesAndRangesAreErrors) {
    auto unknown = ParseSettings(R"({"min_trip_distance": 5})");
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message.find("unknown setting 'min_trip_distance'"),
              std::string::npos);
    auto type = ParseSettings(R"({"tank_l": "60"})");
    ASSERT_FALSE(type.ok());
    EXPECT_NE(type.error().message.find("'tank_l' must be a number"), std::string::npos);
    auto range = ParseSettings(R"({"max_speed_kmh": -1})");
    ASSERT_FALSE(range.ok());
    EXPECT_NE(range.error().message.find("between"), std::string::npos);
    EXPECT_FALSE(ParseSettings("[]").ok());
    EXPECT_FALSE(ParseSettings("{").ok());
}

TEST(StateTest, BadJsonIsAnErrorAndAnEmptyObjectIsAFreshState) {
    EXPECT_FALSE(ParseState("nope").ok());
    EXPECT_FALSE(ParseState(R"({"in_trip": 3})").ok());
    auto fresh = ParseState("{}");
    ASSERT_TRUE(fresh.ok());
    EXPECT_FALSE(fresh->last_time);
    EXPECT_FALSE(fresh->in_trip);
}

// ---- trips, stops and distance ----

// 5 min parked, a 10 km drive with the ignition on, 10 min stop, a 5 km drive.
Route TwoTrips() {
    Route r("2026-03-02T08:00:00Z");
    r.Stay(300);
    r.Ignition(true);
    r.Drive(10000, 60);
    r.Ignition(false);
    r.Stay(600);
    r.Ignition(true);
    r.Drive(5000, 50, 90);
    r.Ignition(false);
    r.Stay(120);
    return r;
}

TEST(EngineTest, IgnitionTripsStopsAndDistance) {
    Route r = TwoTrips();
    Device run;
    run.Feed(r.points);
    ASSERT_EQ(run.out.trips.size(), 2u);
    const Trip& a = run.out.trips[0];
    EXPECT_EQ(a.start_time, At("2026-03-02T08:05:01Z"));
    EXPECT_EQ(a.end_time,
              At("2026-03-02T08:15:02Z"));  // 600 s of driving, then the ignition-off point
    EXPECT_NEAR(a.distance_m, 10000, 100);
    EXPECT_NEAR(a.avg_speed_kmh, 10000 / 601.0 * 3.6, 1);
    EXPECT_EQ(a.max_speed_kmh, 60);
    EXPECT_NEAR(a.end_odometer_m - a.start_odometer_m, a.distance_m, 1e-6);
    const Trip& b = run.out.trips[1];
    EXPECT_EQ(b.start_time, At("2026-03-02T08:25:03Z"));
    EXPECT_NEAR(b.distance_m, 5000, 50);
    EXPECT_NEAR(b.start_odometer_m, a.end_odometer_m, 1e-6);
    ASSERT_EQ(run.out.stops.size(), 2u);  // the last stop is still open
    EXPECT_EQ(run.out.stops[0].start_time, r.points[0].time);
    EXPECT_EQ(run.out.stops[0].end_time, a.start_time);
    EXPECT_EQ(run.out.stops[1].start_time, a.end_time);
    EXPECT_EQ(run.out.stops[1].end_time, b.start_time);
    EXPECT_EQ(run.out.stops[1].engine_on_s, 0);
    EXPECT_NEAR(run.out.odometer_m, 15000, 150);
    EXPECT_NEAR(run.out.engine_s, 601 + 361, 1e-6);
    EXPECT_EQ(run.Events("ignition_on").size(), 2u);
    EXPECT_EQ(run.Events("ignition_off").size(), 2u);
    ASSERT_EQ(run.Events("trip_start").size(), 2u);
    EXPECT_EQ(run.Events("trip_start")[0].time, a.start_time);
    ASSERT_EQ(run.Events("trip_end").size(), 2u);
    EXPECT_EQ(run.Events("trip_end")[1].time, b.end_time);
    EXPECT_FALSE(run.state.in_trip);
    // 60 and 50 km/h over the default limit never: no overspeed; smooth speeds: no harsh driving.
    EXPECT_TRUE(run.Events("overspeed").empty());
    EXPECT_EQ(a.harsh_acceleration + a.harsh_braking, 0);
    // 10 s idle at the start (ignition on, not yet moving) is the only thing lowering the score.
    EXPECT_EQ(a.idle_s, 10);
    ASSERT_TRUE(a.eco_score);
    EXPECT_NEAR(*a.eco_score, 100 - 0.5 * 100 * 10 / 601.0, 1e-9);
}

TEST(EngineTest, DistanceWithinOnePercentOnACurvyRoute) {
    Route r("2026-03-02T08:00:00Z");
    r.Stay(60);
    r.Ignition(true);
    for (int leg = 0; leg < 20; ++leg) r.Drive(500 + 37 * leg, 40 + leg, leg * 17 % 360);
    r.Ignition(false);
    Device run;
    run.Feed(r.points);
    ASSERT_EQ(run.out.trips.size(), 1u);
    double truth = 0;
    for (int leg = 0; leg < 20; ++leg) truth += 500 + 37 * leg;
    EXPECT_NEAR(run.out.trips[0].distance_m, truth, truth * 0.01);
}

TEST(EngineTest, ATripAcrossMidnightIsWhole) {
    Route r("2026-03-02T23:50:00Z");
    r.Stay(60);
    r.Ignition(true);
    r.Drive(30000, 60);  // 30 min
    r.Ignition(false);
    Device run;
    run.Feed(r.points);
    ASSERT_EQ(run.out.trips.size(), 1u);
    EXPECT_EQ(run.out.trips[0].start_time, At("2026-03-02T23:51:01Z"));
    EXPECT_EQ(run.out.trips[0].end_time, At("2026-03-03T00:21:02Z"));
    EXPECT_NEAR(run.out.trips[0].distance_m, 30000, 300);
}

TEST(EngineTest, MotionOnlyDeviceSplitsTripsOnLongStopsOnly) {
    Route r("2026-03-02T08:00:00Z");
    r.ignition = std::nullopt;
    r.Stay(120);
    r.Drive(4000, 40);
    r.Stay(60);  // traffic light: shorter than min_stop_duration (180 s)
    r.Drive(4000, 40);
    r.Stay(600);  // a real stop
    r.Drive(3000, 30, 90);
    r.Stay(400);
    Device run;
    run.Feed(r.points);
    ASSERT_EQ(run.out.trips.size(), 2u);
    const Trip& a = run.out.trips[0];
    EXPECT_EQ(a.start_time, At("2026-03-02T08:02:00Z"));  // the last stationary point
    EXPECT_NEAR(a.distance_m, 8000, 80);
    EXPECT_EQ(a.idle_s, 50);  // the traffic light (first stationary point to the last)
    // Ended at the first stationary point of the stop.
    EXPECT_EQ(a.end_time, At("2026-03-02T08:02:00Z") + seconds(360 + 70 + 360));
    const Trip& b = run.out.trips[1];
    EXPECT_EQ(b.start_time, a.end_time + seconds(590));
    EXPECT_NEAR(b.distance_m, 3000, 30);
    ASSERT_EQ(run.out.stops.size(), 2u);
    EXPECT_EQ(run.out.stops[1].start_time, a.end_time);
    EXPECT_EQ(run.out.stops[1].end_time, b.start_time);
    EXPECT_EQ(run.out.engine_s, 0);  // no ignition: no engine time
}

TEST(EngineTest, ShortMovementsAreNotTrips) {
    Route r("2026-03-02T08:00:00Z");
    r.Stay(60);
    r.Ignition(true);
    r.Drive(150, 10);  // moving the car in the yard
    r.Ignition(false);
    r.Stay(600);
    r.Ignition(true);
    r.Drive(2000, 50);
    r.Ignition(false);
    Device run;
    run.Feed(r.points);
    ASSERT_EQ(run.out.trips.size(), 1u);
    EXPECT_EQ(run.Events("trip_start").size(), 1u);
    EXPECT_EQ(run.Events("ignition_on").size(), 2u);
    // One stop from the first point to the real trip, with the yard move's engine time in it.
    ASSERT_EQ(run.out.stops.size(), 1u);
    EXPECT_EQ(run.out.stops[0].start_time, r.points[0].time);
    EXPECT_EQ(run.out.stops[0].end_time, run.out.trips[0].start_time);
    EXPECT_GT(run.out.stops[0].engine_on_s, 50);
}

TEST(EngineTest, ASilenceLongerThanOfflineAfterEndsTheTrip) {
    Route r("2026-03-02T08:00:00Z");
    r.Stay(60);
    r.Ignition(true);
    r.Drive(3000, 50);
    core::TimePoint last_heard = r.t;
    r.t += std::chrono::hours(2);  // the device is silent, the ignition still on
    r.Drive(3000, 50);
    r.Ignition(false);
    Device run;
    run.Feed(r.points);
    ASSERT_EQ(run.out.trips.size(), 2u);
    EXPECT_EQ(run.out.trips[0].end_time, last_heard);
    EXPECT_NEAR(run.out.trips[0].distance_m, 3000, 30);
    EXPECT_EQ(run.out.trips[1].start_time, last_heard + std::chrono::hours(2) + seconds(10));
    EXPECT_LT(run.out.engine_s, 1000);  // the two hours of silence are not engine time
}

TEST(EngineTest, FiltersInvalidZeroJumpsAndDuplicates) {
    Route clean = TwoTrips();
    Route r = clean;
    std::vector<Point> noisy;
    for (size_t i = 0; i < r.points.size(); ++i) {
        noisy.push_back(r.points[i]);
        if (i % 17 == 5) noisy.push_back(r.points[i]);  // duplicate
        if (i % 23 == 7 && i + 1 < r.points.size()) {
            Point bad = r.points[i];
            bad.time += std::chrono::milliseconds(500);
            bad.lat += 0.5;  // 55 km away in 0.5 s
            noisy.push_back(bad);
            bad.time += std::chrono::milliseconds(100);
            bad.lat = bad.lon = 0;  // (0, 0)
            noisy.push_back(bad);
            bad.time += std::chrono::milliseconds(100);
            bad.lat = r.points[i].lat + 0.01;
            bad.valid = false;  // no fix
            noisy.push_back(bad);
        }
    }
    Device a, b;
    a.Feed(clean.points);
    b.Feed(noisy);
    ASSERT_EQ(b.out.trips.size(), a.out.trips.size());
    for (size_t i = 0; i < a.out.trips.size(); ++i) {
        EXPECT_NEAR(b.out.trips[i].distance_m, a.out.trips[i].distance_m, 1e-6);
        EXPECT_EQ(b.out.trips[i].start_time, a.out.trips[i].start_time);
        EXPECT_EQ(b.out.trips[i].end_time, a.out.trips[i].end_time);
    }
    EXPECT_NEAR(b.out.odometer_m, a.out.odometer_m, 1e-6);
}

TEST(EngineTest, AFixStuckBehindABadReferenceRecovers) {
    Route r("2026-03-02T08:00:00Z");
    Point bad = r.Here(0);
    bad.lat = 10;  // the very first fix is wrong by 3,900 km
    Device run;
    run.Feed({bad});
    r.Stay(100);
    run.Feed(r.points);
    ASSERT_TRUE(run.state.fix);
    EXPECT_NEAR(run.state.fix->lat, 45.0, 1e-9);
    EXPECT_EQ(run.out.odometer_m, 0);  // the jump back is not distance
}

TEST(EngineTest, DeviceOdometerIsTheDistance) {
    Route r("2026-03-02T08:00:00Z");
    r.Stay(60);
    r.Ignition(true);
    r.Drive(5000, 50);
    r.Ignition(false);
    double odo = 1000000;
    for (size_t i = 0; i < r.points.size(); ++i) {
        if (i > 0)
            odo += 1.02 * HaversineM(r.points[i - 1].lat, r.points[i - 1].lon, r.points[i].lat,
                                     r.points[i].lon);
        r.points[i].odometer_m = odo;  // the dashboard says 2% more than GPS
    }
    Device run;
    run.Feed(r.points);
    ASSERT_EQ(run.out.trips.size(), 1u);
    EXPECT_NEAR(run.out.trips[0].distance_m, 5100, 1);
    EXPECT_NEAR(run.out.odometer_m, 5100, 1);
}

// ---- events ----

TEST(EngineTest, IdlingOncePerEpisode) {
    Route r("2026-03-02T08:00:00Z");
    r.Ignition(true);
    r.Stay(400);  // idling 400 s > 300 s
    r.Drive(2000, 40);
    r.Stay(200);  // not long enough
    r.Drive(2000, 40);
    r.Ignition(false);
    // The device's accelerometer feels the running engine: with a usable fix, GPS speed decides.
    for (auto& p : r.points) p.motion = true;
    Device run;
    run.Feed(r.points);
    auto idling = run.Events("idling");
    ASSERT_EQ(idling.size(), 1u);
    EXPECT_EQ(idling[0].time, At("2026-03-02T08:00:01Z"));
    ASSERT_EQ(run.out.trips.size(), 1u);
    // Each interval counts by the state at its start: the last stationary point to the first moving
    // one is idle (10 s after each stationary period of 400 and 190 s between its points).
    EXPECT_NEAR(run.out.trips[0].idle_s, 410 + 200, 1e-6);
    // Idle share lowers the eco score: 600 s of ~1000 s of engine time at weight 0.5.
    EXPECT_LT(*run.out.trips[0].eco_score, 80);
}

TEST(EngineTest, IdlingJustBeforeTheIgnitionGoesOffIsTheTrips) {
    Route r("2026-03-02T08:00:00Z");
    r.Ignition(true);
    r.Drive(2000, 40);
    r.Stay(60);         // parked, engine running
    r.Ignition(false);  // 1 s later
    Device run;
    run.Feed(r.points);
    ASSERT_EQ(run.out.trips.size(), 1u);
    // 10 s before moving off, 50 s between the six stationary points, 1 s to the ignition-off
    // point.
    EXPECT_NEAR(run.out.trips[0].idle_s, 10 + 50 + 1, 1e-6);
    EXPECT_NEAR(run.out.engine_s, Seconds(r.points.front().time, r.points.back().time), 1e-6);
}

TEST(EngineTest, OverspeedOneEventPerEpisodeWithMaxAndLimit) {
    Route r("2026-03-02T08:00:00Z");
    r.step_s = 2;
    r.Ignition(true);
    r.Drive(2000, 80);
    r.Drive(1000, 95);  // over the vehicle's 90 for ~38 s
    r.Drive(400, 100);
    r.Drive(2000, 80);
    r.Drive(30, 95);  // 1 s over: shorter than overspeed_min_duration_s
    r.Drive(2000, 80);
    r.Ignition(false);
    Device run;
    run.ctx.vehicle_speed_limit_kmh = 90;
    run.Feed(r.points);
    auto over = run.Events("overspeed");
    ASSERT_EQ(over.size(), 1u);
    EXPECT_NE(over[0].detail_json.find("\"max_speed_kmh\":100"), std::string::npos)
        << over[0].detail_json;
    EXPECT_NE(over[0].detail_json.find("\"limit_kmh\":90"), std::string::npos);
    ASSERT_EQ(run.out.trips.size(), 1u);
    EXPECT_NEAR(run.out.trips[0].overspeed_s,
                1000 / (95 / 3.6) + 400 / (100 / 3.6) + 30 / (95 / 3.6), 3);
    // The default limit (130) is not crossed without the vehicle's.
    Device lax;
    lax.Feed(r.points);
    EXPECT_TRUE(lax.Events("overspeed").empty());
    // On the motorway at 140 for a minute, without a vehicle limit: the tenant's default applies.
    Route m("2026-03-02T09:00:00Z");
    m.step_s = 2;
    m.Ignition(true);
    m.Drive(2000, 120);
    m.Drive(140 / 3.6 * 60, 140);
    m.Drive(2000, 120);
    m.Ignition(false);
    Device motorway;
    motorway.Feed(m.points);
    auto fast = motorway.Events("overspeed");
    ASSERT_EQ(fast.size(), 1u);
    EXPECT_NE(fast[0].detail_json.find("\"limit_kmh\":130"), std::string::npos);
    EXPECT_NE(fast[0].detail_json.find("\"duration_s\":6"), std::string::npos)
        << fast[0].detail_json;
    EXPECT_FALSE(fast[0].geofence_id);
}

Geofence Circle(int64_t id, double lat, double lon, double radius) {
    Geofence g;
    g.id = id;
    g.circle = true;
    g.center_lat = lat;
    g.center_lon = lon;
    g.radius_m = radius;
    return g;
}

TEST(EngineTest, GeofenceCircleEnterExitWithItsSpeedLimit) {
    Route r("2026-03-02T08:00:00Z");
    r.Ignition(true);
    r.Drive(5000, 50);  // north through a 1 km circle centred 2.5 km north
    r.Ignition(false);
    Device run;
    Geofence school = Circle(3, 45.0 + 2500 / kMetresPerDegreeLat, 5.0, 1000);
    school.speed_limit_kmh = 30;
    run.ctx.geofences = {school};
    run.Feed(r.points);
    auto enter = run.Events("geofence_enter");
    auto exit = run.Events("geofence_exit");
    ASSERT_EQ(enter.size(), 1u);
    ASSERT_EQ(exit.size(), 1u);
    EXPECT_EQ(enter[0].geofence_id, 3);
    EXPECT_NEAR(HaversineM(school.center_lat, 5.0, enter[0].lat, enter[0].lon), 1000,
                50 / 3.6 * 10);
    EXPECT_EQ(enter[0].key(),
              "geofence_enter:" + std::to_string(enter[0].time.time_since_epoch().count()) + ":3");
    ASSERT_EQ(run.out.visits.size(), 2u);  // written at entry, and again at exit
    EXPECT_FALSE(run.out.visits[0].exit_time);
    EXPECT_EQ(run.out.visits[1].enter_time, enter[0].time);
    EXPECT_EQ(run.out.visits[1].exit_time, exit[0].time);
    // 50 km/h inside a 30 km/h zone for 2 km.
    auto over = run.Events("overspeed");
    ASSERT_EQ(over.size(), 1u);
    EXPECT_EQ(over[0].geofence_id, 3);
    EXPECT_NE(over[0].detail_json.find("\"limit_kmh\":30"), std::string::npos);
    // A geofence's higher limit does not lift the vehicle's own.
    Device truck;
    school.speed_limit_kmh = 130;
    truck.ctx.geofences = {school};
    truck.ctx.vehicle_speed_limit_kmh = 45;
    truck.Feed(r.points);
    over = truck.Events("overspeed");
    ASSERT_EQ(over.size(), 1u);
    EXPECT_FALSE(over[0].geofence_id);
    EXPECT_NE(over[0].detail_json.find("\"limit_kmh\":45"), std::string::npos);
}

TEST(EngineTest, GeofenceCircleDoesNotFlapOnItsEdge) {
    // Parked 2 m outside a 500 m circle's edge, the fix wandering ±10 m across it for an hour.
    Geofence depot = Circle(5, 45.0 + 502 / kMetresPerDegreeLat, 5.0, 500);
    Route r("2026-03-02T08:00:00Z");
    r.step_s = 30;
    for (int i = 0; i < 120; ++i) {
        r.Stay(30);
        r.points.back().lat = 45.0 + ((i * 7) % 5 - 2) * 5 / kMetresPerDegreeLat;
    }
    Device run;
    run.ctx.geofences = {depot};
    run.Feed(r.points);
    EXPECT_TRUE(run.Events("geofence_enter").empty());
    EXPECT_TRUE(run.Events("geofence_exit").empty());
    // Without hysteresis the same fixes would have crossed the edge many times.
    int crossings = 0;
    for (size_t i = 1; i < r.points.size(); ++i) {
        auto inside = [&](const Point& p) {
            return HaversineM(depot.center_lat, depot.center_lon, p.lat, p.lon) < depot.radius_m;
        };
        crossings += inside(r.points[i]) != inside(r.points[i - 1]);
    }
    EXPECT_GT(crossings, 20);
}

TEST(EngineTest, GeofencePolygonDoesNotFlapOnItsEdge) {
    // A 1 km square; the vehicle parks 3 m inside its southern edge and the fix wanders ±8 m.
    double lat0 = 45.0, lon0 = 5.0;
    double dlat = 1000 / kMetresPerDegreeLat;
    double dlon = 1000 / (kMetresPerDegreeLat * std::cos(lat0 * std::numbers::pi / 180));
    Geofence square;
    square.id = 9;
    square.ring = {{lat0, lon0},
                   {lat0, lon0 + dlon},
                   {lat0 + dlat, lon0 + dlon},
                   {lat0 + dlat, lon0},
                   {lat0, lon0}};
    Route r("2026-03-02T08:00:00Z");
    r.lat = lat0 - 500 / kMetresPerDegreeLat;
    r.lon = lon0 + dlon / 2;
    r.Ignition(true);
    r.Drive(503, 30);  // to 3 m inside the edge
    for (int i = 0; i < 60; ++i) {
        Point& p = r.Add(0);
        p.time = r.t + seconds(10 * (i + 1));
        p.lat = r.lat + ((i % 3) - 1) * 8 / kMetresPerDegreeLat;
    }
    r.t += seconds(600);
    r.Drive(600, 30);        // well inside
    r.Drive(1500, 30, 180);  // out through the south edge
    r.Ignition(false);
    Device run;
    run.ctx.geofences = {square};
    run.Feed(r.points);
    EXPECT_EQ(run.Events("geofence_enter").size(), 1u);
    EXPECT_EQ(run.Events("geofence_exit").size(), 1u);
}

TEST(EngineTest, AVisitOfARemovedGeofenceEndsWithoutAnEvent) {
    Route r("2026-03-02T08:00:00Z");
    r.Stay(60);
    Device run;
    run.ctx.geofences = {Circle(4, 45.0, 5.0, 200)};
    run.Feed(r.points);
    ASSERT_EQ(run.Events("geofence_enter").size(), 1u);
    run.ctx.geofences.clear();
    r.points.clear();
    r.Stay(30);
    run.Feed(r.points);
    EXPECT_TRUE(run.Events("geofence_exit").empty());
    ASSERT_EQ(run.out.visits.size(), 2u);
    EXPECT_EQ(run.out.visits[1].exit_time, r.points[0].time);
    EXPECT_TRUE(run.state.visits.empty());
}

TEST(EngineTest, HarshDrivingComputedFromSpeedChanges) {
    Route r("2026-03-02T08:00:00Z");
    r.step_s = 1;
    r.Ignition(true);
    for (double v : {5, 10, 15}) r.Drive(v / 3.6, v);  // 1.4 m/s²: not harsh
    r.Drive(500, 20);
    r.Drive(100, 36);  // +16 km/h in 1 s = 4.4 m/s² > 3.0
    r.Drive(200, 40);
    r.Drive(50, 20);  // -20 km/h in ~1 s: braking
    r.Drive(200, 25);
    for (double v : {20, 15, 10, 5}) r.Drive(v / 3.6, v);
    r.Ignition(false);
    Device run;
    run.Feed(r.points);
    EXPECT_EQ(run.Events("harsh_acceleration").size(), 1u);
    EXPECT_EQ(run.Events("harsh_braking").size(), 1u);
    ASSERT_EQ(run.out.trips.size(), 1u);
    EXPECT_EQ(run.out.trips[0].harsh_acceleration, 1);
    EXPECT_EQ(run.out.trips[0].harsh_braking, 1);
}

TEST(EngineTest, DeviceHarshAlarmsReplaceComputedOnes) {
    Route r("2026-03-02T08:00:00Z");
    r.step_s = 1;
    r.Ignition(true);
    for (double v : {5, 10, 15}) r.Drive(v / 3.6, v);
    r.Drive(500, 20);
    r.Drive(2, 40);  // +20 km/h in 0.2 s: computed harsh, but the device says so on this very point
    r.points.back().alarm = "harsh_acceleration";
    r.Drive(200, 40);
    r.points.back().alarm = "harsh_cornering";
    r.Drive(50, 20);  // a computed braking, not counted: the device reports its own
    r.Drive(500, 40);
    r.Ignition(false);
    Device run;
    run.Feed(r.points);
    EXPECT_EQ(run.Events("harsh_cornering").size(), 1u);
    EXPECT_EQ(run.Events("harsh_acceleration").size(), 1u);
    EXPECT_TRUE(run.Events("harsh_braking").empty());
    ASSERT_EQ(run.out.trips.size(), 1u);
    EXPECT_EQ(run.out.trips[0].harsh_cornering, 1);
    EXPECT_EQ(run.out.trips[0].harsh_acceleration, 1);
    EXPECT_LT(*run.out.trips[0].eco_score, 100);
}

TEST(EngineTest, AlarmsBecomeEvents) {
    Route r("2026-03-02T08:00:00Z");
    for (const char* a :
         {"crash", "sos", "power_cut", "gsm_jamming", "tamper", "vibration", "overspeed"}) {
        r.Stay(10);
        r.points.back().alarm = a;
    }
    Device run;
    run.Feed(r.points);
    for (const char* t : {"crash", "sos", "power_cut", "gsm_jamming", "tampering"}) {
        EXPECT_EQ(run.Events(t).size(), 1u) << t;
    }
    EXPECT_TRUE(run.Events("vibration").empty());
    EXPECT_TRUE(run.Events("overspeed").empty());  // the engine's own limits decide
}

TEST(EngineTest, TowingWhenMovingWithIgnitionOffOncePerPeriod) {
    Route r("2026-03-02T08:00:00Z");
    r.Ignition(true);
    r.Drive(1000, 40);
    r.Ignition(false);
    r.Stay(60);
    r.Drive(40, 10);  // a few metres: a parking bump, not towing
    r.Stay(60);
    {
        Point wild = r.Here(12);  // one fix 300 m off at 12 km/h (multipath): not towing
        wild.lat += 300 / kMetresPerDegreeLat;
        wild.time += seconds(5);
        r.points.push_back(wild);
    }
    r.Stay(60);
    r.Drive(2000, 30);  // towed away
    r.Drive(2000, 30, 90);
    Device run;
    run.Feed(r.points);
    auto tow = run.Events("towing");
    ASSERT_EQ(tow.size(), 1u);
    EXPECT_GT(tow[0].time, At("2026-03-02T08:04:46Z"));  // not at the bump nor at the wild fix
    EXPECT_EQ(run.out.trips.size(), 1u);  // a towed vehicle makes no trip (ignition off)
}

TEST(EngineTest, GpsLostAfterThresholdWhileReporting) {
    Route r("2026-03-02T08:00:00Z");
    r.step_s = 60;
    r.Stay(120);
    for (int i = 0; i < 15; ++i) {
        r.Stay(60);
        r.points.back().valid = false;
        r.points.back().lat = r.points.back().lon = 0;
    }
    r.Stay(120);
    Device run;
    run.Feed(r.points);
    auto lost = run.Events("gps_lost");
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_EQ(lost[0].time, At("2026-03-02T08:12:00Z"));  // last valid 08:02, + 600 s
    EXPECT_NEAR(lost[0].lat, 45.0, 1e-9);                 // where the vehicle was last seen
}

TEST(EngineTest, LowBatteryOncePerEpisodeWithHysteresis) {
    Route r("2026-03-02T08:00:00Z");
    for (double v : {12.6, 12.0, 11.7, 11.75, 11.6, 11.9, 11.7, 12.5, 11.5, 0.0}) {
        r.Stay(60);
        r.points.back().external_voltage_v = v;
    }
    Device run;
    run.Feed(r.points);
    auto low = run.Events("low_battery");
    ASSERT_EQ(low.size(), 2u);  // 11.7 (re-armed only by 12.5), then 11.5; 0 V is disconnected
    EXPECT_EQ(low[0].time, At("2026-03-02T08:03:00Z"));
    EXPECT_NE(low[0].detail_json.find("\"voltage_v\":11.7"), std::string::npos);
    EXPECT_EQ(low[1].time, At("2026-03-02T08:09:00Z"));
}

TEST(EngineTest, DtcWhenNewCodesAppear) {
    Route r("2026-03-02T08:00:00Z");
    for (const char* c : {"", "P0300", "P0300", "P0300, P0171", "P0171", "", "P0300"}) {
        r.Stay(60);
        r.points.back().dtc_codes = c;
    }
    Device run;
    run.Feed(r.points);
    auto dtc = run.Events("dtc");
    ASSERT_EQ(dtc.size(), 3u);
    EXPECT_EQ(dtc[0].detail_json, R"({"codes":["P0300"]})");
    EXPECT_EQ(dtc[1].detail_json, R"({"codes":["P0171"]})");
    EXPECT_EQ(dtc[1].key(),
              "dtc:" + std::to_string(dtc[1].time.time_since_epoch().count()) + ":P0171");
    EXPECT_EQ(dtc[2].time, At("2026-03-02T08:07:00Z"));
}

TEST(EngineTest, DriverByBadgeUnknownBadgeAndAssignment) {
    Route r("2026-03-02T08:00:00Z");
    r.Stay(60);
    r.Ignition(true);
    r.points.back().driver_badge = "00AA";
    r.Drive(3000, 50);
    r.Ignition(false);
    r.Stay(300);
    r.Ignition(true);
    r.points.back().driver_badge = "00BB";
    r.Drive(3000, 50);
    r.Ignition(false);
    r.Stay(300);
    r.Ignition(true);
    r.points.back().driver_badge = "FFFF";  // not in the tenant's badges
    r.Drive(3000, 50);
    r.Ignition(false);
    r.Stay(300);
    r.Ignition(true);  // no badge: the assignment covering the time
    r.Drive(3000, 50);
    r.Ignition(false);
    Device run;
    run.ctx.badges = {{"00AA", 11}, {"00BB", 12}};
    run.ctx.assignments = {Assignment{13, At("2026-03-02T08:20:00Z"), std::nullopt}};
    run.Feed(r.points);
    ASSERT_EQ(run.out.trips.size(), 4u);
    EXPECT_EQ(run.out.trips[0].driver_id, 11);
    EXPECT_EQ(run.out.trips[1].driver_id, 12);
    EXPECT_FALSE(run.out.trips[2].driver_id);
    EXPECT_EQ(run.out.trips[3].driver_id, 13);
    auto changed = run.Events("driver_changed");
    ASSERT_EQ(changed.size(), 2u);  // 11 → 12, 12 → 13 (the first identification is no change)
    EXPECT_EQ(changed[0].driver_id, 12);
    EXPECT_NE(changed[0].detail_json.find("\"previous_driver_id\":11"), std::string::npos);
    auto unknown = run.Events("unknown_badge");
    ASSERT_EQ(unknown.size(), 1u);
    EXPECT_EQ(unknown[0].detail_json, R"({"badge":"FFFF"})");
    EXPECT_FALSE(unknown[0].driver_id);  // not the previous session's driver
    EXPECT_EQ(run.Events("trip_start")[0].driver_id, 11);
}

TEST(EngineTest, TheAssignmentThatBeganLastAndCoversTheTimeGivesTheDriver) {
    Device run;
    run.ctx.assignments = {Assignment{1, At("2026-03-02T08:00:00Z"), At("2026-03-02T09:00:00Z")},
                           Assignment{3, At("2026-03-02T08:30:00Z"), At("2026-03-02T08:45:00Z")},
                           Assignment{2, At("2026-03-02T09:00:00Z"), std::nullopt}};
    auto driver_at = [&](const char* t) {
        Route r(t);
        run.Feed({r.Here(0)});
        return run.state.driver_id;
    };
    EXPECT_FALSE(driver_at("2026-03-02T07:59:59Z"));
    EXPECT_EQ(driver_at("2026-03-02T08:10:00Z"), 1);
    EXPECT_EQ(driver_at("2026-03-02T08:35:00Z"), 3);
    EXPECT_EQ(driver_at("2026-03-02T08:50:00Z"), 1);
    EXPECT_EQ(driver_at("2026-03-02T09:00:00Z"), 2);
    EXPECT_EQ(driver_at("2026-03-09T09:00:00Z"), 2);
    EXPECT_EQ(run.Events("driver_changed").size(), 3u);  // 1 → 3, 3 → 1, 1 → 2
}

TEST(EcoScoreTest, FormulaAndClamp) {
    Settings s;
    EXPECT_EQ(EcoScore(0, 0, 0, s), 100);
    EXPECT_DOUBLE_EQ(EcoScore(2, 10, 20, s), 100 - 5 * 2 - 1 * 10 - 0.5 * 20);
    EXPECT_EQ(EcoScore(30, 0, 0, s), 0);
    s.eco_weight_harsh = 0;
    EXPECT_EQ(EcoScore(30, 0, 0, s), 100);
}

TEST(EngineTest, RefuelAndFuelDropOnNoisyLevels) {
    Route r("2026-03-02T08:00:00Z");
    double level = 20;
    int n = 0;
    auto noisy = [&] {
        ++n;
        return level + ((n * 7) % 5 - 2) * 0.6 + (n % 11 == 0 ? 9 : 0);
    };  // ±1.2 L, spikes
    r.Ignition(true);
    for (int i = 0; i < 60; ++i) {
        r.Drive(150, 54);
        level -= 0.02;
        r.points.back().fuel_level_pct = noisy() / 60 * 100;
    }
    r.Ignition(false);
    for (int i = 0; i < 30; ++i) {  // 3 minutes at the pump: +40 L
        r.Stay(10);
        if (i >= 5 && i < 15) level += 4;
        r.points.back().fuel_level_pct = noisy() / 60 * 100;
    }
    for (int i = 0; i < 60; ++i) {  // parked overnight; someone siphons 15 L
        r.Stay(60);
        if (i >= 20 && i < 23) level -= 5;
        r.points.back().fuel_level_pct = noisy() / 60 * 100;
    }
    Device run;
    run.ctx.settings.tank_l = 60;
    run.Feed(r.points);
    auto refuel = run.Events("refuel");
    ASSERT_EQ(refuel.size(), 1u);
    EXPECT_NEAR(std::stod(refuel[0].detail_json.substr(refuel[0].detail_json.find(':') + 1)), 40,
                3);
    auto drop = run.Events("fuel_drop");
    ASSERT_EQ(drop.size(), 1u);
    EXPECT_NEAR(std::stod(drop[0].detail_json.substr(drop[0].detail_json.find(':') + 1)), 15, 3);
    ASSERT_EQ(run.out.trips.size(), 1u);
    ASSERT_TRUE(run.out.trips[0].fuel_used_l);
    EXPECT_NEAR(*run.out.trips[0].fuel_used_l, 1.2, 1.5);
}

TEST(EngineTest, FuelUsedFromTheCanCounter) {
    Route r("2026-03-02T08:00:00Z");
    r.Stay(60);
    r.Ignition(true);
    r.Drive(5000, 50);
    r.Ignition(false);
    for (size_t i = 0; i < r.points.size(); ++i)
        r.points[i].fuel_used_l = 1000 + 0.01 * static_cast<double>(i);
    Device run;
    run.Feed(r.points);
    ASSERT_EQ(run.out.trips.size(), 1u);
    ASSERT_TRUE(run.out.trips[0].fuel_used_l);
    EXPECT_NEAR(*run.out.trips[0].fuel_used_l, 0.01 * (r.points.size() - 8), 0.02);
}

// ---- the key property: replay from a checkpoint gives the same output ----

// A long, varied, deterministic route: trips with and without ignition gaps, geofences, speeding,
// harsh moments, alarms, voltage, fuel, badges, bad fixes.
std::vector<Point> LongRoute() {
    Route r("2026-03-01T22:00:00Z");
    uint32_t seed = 12345;
    auto rnd = [&] {
        seed = seed * 1103515245u + 12345u;
        return static_cast<double>((seed >> 8) & 0xFFFF) / 65536.0;
    };
    double fuel = 50;
    const char* badges[] = {"00AA", "00BB", "0ZZZ"};
    for (int trip = 0; trip < 40; ++trip) {
        r.step_s = 1 + std::floor(rnd() * 10);
        r.Ignition(true);
        if (rnd() < 0.7) r.points.back().driver_badge = badges[trip % 3];
        int legs = 2 + static_cast<int>(rnd() * 6);
        for (int l = 0; l < legs; ++l) {
            r.Drive(300 + rnd() * 3000, 20 + rnd() * 120, std::floor(rnd() * 4) * 90);
            if (rnd() < 0.3) r.Stay(rnd() * 400);
            if (rnd() < 0.2) r.points.back().alarm = rnd() < 0.5 ? "sos" : "harsh_cornering";
            if (rnd() < 0.2) r.points.back().valid = false;
            if (rnd() < 0.1) r.points.back().dtc_codes = rnd() < 0.5 ? "P0300" : "P0171,P0300";
            fuel -= 1;
            r.points.back().fuel_level_l = fuel + rnd();
            r.points.back().external_voltage_v = 11 + rnd() * 3;
        }
        r.Ignition(false);
        r.Stay(60 + rnd() * 1200);
        if (rnd() < 0.2) {
            for (int i = 0; i < 12; ++i) {
                r.Stay(30);
                if (i < 4) fuel += 10;
                r.points.back().fuel_level_l = fuel + rnd();
            }
        }
        if (rnd() < 0.1) r.t += std::chrono::hours(3);  // silent
    }
    return r.points;
}

Context LongContext(const std::vector<Point>& route) {
    Context c;
    c.device_id = 7;
    c.vehicle_speed_limit_kmh = 110;
    const Point& a = route[route.size() / 4];
    Geofence g = Circle(1, a.lat, a.lon, 800);
    g.speed_limit_kmh = 50;
    const Point& b = route[route.size() * 2 / 3];
    Geofence sq;
    sq.id = 2;
    sq.ring = {{b.lat - 0.01, b.lon - 0.01},
               {b.lat - 0.01, b.lon + 0.01},
               {b.lat + 0.01, b.lon + 0.01},
               {b.lat + 0.01, b.lon - 0.01}};
    c.geofences = {g, sq};
    c.badges = {{"00AA", 11}, {"00BB", 12}};
    c.assignments = {Assignment{13, At("2026-03-02T00:00:00Z"), At("2026-03-02T06:00:00Z")}};
    return c;
}

std::string Dump(const Output& o) {
    std::string d;
    for (const auto& t : o.trips) {
        d += fmt::format(
            "trip {} {} {:.6f} {:.6f} {:.3f} {:.3f} {:.3f} {} {} {} {} {:.6f}\n",
            t.start_time.time_since_epoch().count(), t.end_time.time_since_epoch().count(),
            t.start_lat, t.end_lon, t.distance_m, t.idle_s, t.overspeed_s, t.harsh_acceleration,
            t.harsh_braking, t.harsh_cornering, t.driver_id.value_or(-1), t.eco_score.value_or(-1));
    }
    for (const auto& s : o.stops) {
        d += fmt::format("stop {} {} {:.3f}\n", s.start_time.time_since_epoch().count(),
                         s.end_time.time_since_epoch().count(), s.engine_on_s);
    }
    for (const auto& v : o.visits) {
        d += fmt::format("visit {} {} {}\n", v.geofence_id, v.enter_time.time_since_epoch().count(),
                         v.exit_time ? v.exit_time->time_since_epoch().count() : -1);
    }
    for (const auto& e : o.events)
        d += fmt::format("event {} {} {}\n", e.key(), e.detail_json, e.driver_id.value_or(-1));
    return d;
}

TEST(EngineReplayTest, TwoHalvesThroughJsonEqualOneGo) {
    auto points = LongRoute();
    Context ctx = LongContext(points);
    State whole;
    Output all;
    for (const auto& p : points) Process(ctx, whole, p, all);
    ASSERT_GT(all.trips.size(), 20u);
    ASSERT_GT(all.events.size(), 100u);
    std::set<std::string> types, keys;
    for (const auto& e : all.events) {
        types.insert(e.type);
        keys.insert(e.key());
    }
    EXPECT_EQ(keys.size(),
              all.events.size());  // the runner upserts by key: no two events share one
    for (const char* t : {"trip_start", "geofence_enter", "overspeed", "sos", "harsh_cornering",
                          "dtc", "driver_changed", "unknown_badge", "refuel", "idling"}) {
        EXPECT_TRUE(types.count(t)) << t;
    }
    // Split at many places (inside trips, stops, episodes); each time: JSON in between.
    int cuts_in_trip = 0;
    for (size_t k = 1; k < 12; ++k) {
        size_t cut = points.size() * k / 12 + k;
        State first;
        Output a;
        for (size_t i = 0; i < cut; ++i) Process(ctx, first, points[i], a);
        cuts_in_trip += first.in_trip;
        std::string json = StateJson(first);
        auto resumed = ParseState(json);
        ASSERT_TRUE(resumed.ok()) << resumed.error().message;
        EXPECT_EQ(StateJson(*resumed), json);
        State second = *resumed;
        size_t trips = a.trips.size(), stops = a.stops.size(), visits = a.visits.size(),
               events = a.events.size();
        for (size_t i = cut; i < points.size(); ++i) Process(ctx, second, points[i], a);
        // Whatever the second half outputs is dated at or after the checkpoint's EarliestPending.
        auto pending = EarliestPending(*resumed);
        ASSERT_TRUE(pending);
        for (size_t i = trips; i < a.trips.size(); ++i) EXPECT_GE(a.trips[i].start_time, *pending);
        for (size_t i = stops; i < a.stops.size(); ++i) EXPECT_GE(a.stops[i].start_time, *pending);
        for (size_t i = visits; i < a.visits.size(); ++i)
            EXPECT_GE(a.visits[i].enter_time, *pending);
        for (size_t i = events; i < a.events.size(); ++i) EXPECT_GE(a.events[i].time, *pending);
        EXPECT_EQ(Dump(a), Dump(all)) << "cut at " << cut;
        EXPECT_EQ(StateJson(second), StateJson(whole));
        EXPECT_DOUBLE_EQ(a.odometer_m, all.odometer_m);
        EXPECT_DOUBLE_EQ(a.engine_s, all.engine_s);
    }
    EXPECT_GE(cuts_in_trip, 3);
}

TEST(EngineReplayTest, ACheckpointAfterEveryPointChangesNothing) {
    auto points = LongRoute();
    Context ctx = LongContext(points);
    State whole, hopping;
    Output a, b;
    for (const auto& p : points) {
        Process(ctx, whole, p, a);
        Process(ctx, hopping, p, b);
        auto back = ParseState(StateJson(hopping));
        ASSERT_TRUE(back.ok());
        hopping = std::move(*back);
    }
    EXPECT_EQ(Dump(b), Dump(a));
    EXPECT_EQ(StateJson(hopping), StateJson(whole));
}

TEST(StateTest, AWrongTypeInsideANestedMemberIsAnError) {
    auto bad = ParseState(R"({"trip":{"start":{"t":"yesterday"}}})");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("'t'"), std::string::npos) << bad.error().message;
    EXPECT_FALSE(ParseState(R"({"fuel":{"window":[1,"x"]}})").ok());
    EXPECT_FALSE(ParseState(R"({"odometer_m":"12.5.1"})").ok());
    auto ok = ParseState(R"({"odometer_m":"12.5","visits":[{"geofence_id":3,"enter_time":1000}]})");
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->odometer_m, 12.5);
    ASSERT_EQ(ok->visits.size(), 1u);
    EXPECT_EQ(ok->visits[0].geofence_id, 3);
}

TEST(EngineReplayTest, NothingOutputAfterACheckpointIsDatedBeforeEarliestPending) {
    EXPECT_FALSE(EarliestPending(State{}));
    auto points = LongRoute();
    Context ctx = LongContext(points);
    State st;
    Output out;
    int pending_before_last = 0;
    for (size_t i = 0; i < points.size(); ++i) {
        auto pending = EarliestPending(st);
        out = Output{};
        Process(ctx, st, points[i], out);
        if (!pending) continue;
        pending_before_last += *pending < *st.last_time;
        for (const auto& t : out.trips) ASSERT_GE(t.start_time, *pending) << i;
        for (const auto& s : out.stops) ASSERT_GE(s.start_time, *pending) << i;
        for (const auto& v : out.visits) ASSERT_GE(v.enter_time, *pending) << i;
        for (const auto& e : out.events) ASSERT_GE(e.time, *pending) << i << " " << e.type;
    }
    EXPECT_GT(pending_before_last, 100);
}

TEST(EngineReplayTest, ReplayingPointsAlreadySeenChangesNothing) {
    auto points = LongRoute();
    Context ctx = LongContext(points);
    State st;
    Output out;
    for (size_t i = 0; i < points.size() / 2; ++i) Process(ctx, st, points[i], out);
    std::string before = StateJson(st);
    size_t events = out.events.size();
    for (size_t i = 0; i < points.size() / 2; ++i) Process(ctx, st, points[i], out);
    EXPECT_EQ(StateJson(st), before);
    EXPECT_EQ(out.events.size(), events);
}

}  // namespace
}  // namespace fleet::pipeline
