#include "store/reports.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "core/time.hpp"
#include "store/test_database.hpp"

// The derived rows (trips, stops, events, visits, counters) are inserted here directly: deriving
// them from positions is the pipeline's, and its scenario tests cover it.
namespace fleet::store {
namespace {

namespace fs = std::filesystem;
using core::TimePoint;
using namespace std::chrono_literals;

using test::Ok;
using test::RefusalOf;
using test::T;

int64_t Ms(const char* iso) { return T(iso).time_since_epoch().count(); }

class ReportStoreTest : public test::DatabaseTest {
protected:
    void SetUp() override {
        now_ = T("2026-03-20T12:00:00Z");
        OpenDatabase("America/New_York");
        if (HasFatalFailure()) return;
        reports_ = std::make_unique<ReportStore>(*accounts_);
        van_ = AddVehicle(acme_, "Van");
        truck_ = AddVehicle(acme_, "Truck");
        car_ = AddVehicle(globex_, "Car");
        Exec(fmt::format("INSERT INTO devices (id, imei, protocol, status, created_at, tenant_id) VALUES "
                         "(11, '1', 'teltonika', 'active', 0, {0}), (12, '2', 'teltonika', 'active', 0, {0}), "
                         "(21, '3', 'teltonika', 'active', 0, {1});"
                         "INSERT INTO installations (tenant_id, vehicle_id, device_id, from_time, created_at) VALUES "
                         "({0}, {2}, 11, 0, 0), ({0}, {3}, 12, 0, 0), ({1}, {4}, 21, 0, 0);",
                         acme_.tenant_id(), globex_.tenant_id(), van_, truck_, car_));
    }
    void TearDown() override {
        reports_.reset();
        DatabaseTest::TearDown();
    }

    void Exec(const std::string& sql) {
        store::test::ExecSql(path_, sql);
    }

    int64_t AddVehicle(TenantScope scope, const std::string& name) {
        VehicleChange c;
        c.name = name;
        return Ok(fleet_->AddVehicle(Viewer{scope}, c, cli_, now_)).id;
    }
    int64_t TenantOf(int64_t vehicle) { return vehicle == car_ ? globex_.tenant_id() : acme_.tenant_id(); }
    int64_t DeviceOf(int64_t vehicle) { return vehicle == van_ ? 11 : vehicle == truck_ ? 12 : 21; }

    struct TripSpec {
        const char* start;
        const char* end;
        double distance_m = 10000;
        std::optional<double> eco = std::nullopt;
        std::optional<int64_t> driver = std::nullopt;
        std::optional<double> fuel_l = std::nullopt;
        double idle_s = 0, overspeed_s = 0;
        int harsh = 0;
        double max_speed = 90;
    };
    void Trip(int64_t vehicle, const TripSpec& t) {
        Exec(fmt::format(
            "INSERT INTO trips (device_id, tenant_id, vehicle_id, driver_id, start_time, end_time, start_lat, start_lon, "
            "end_lat, end_lon, start_odometer_m, end_odometer_m, distance_m, max_speed_kmh, avg_speed_kmh, idle_s, "
            "overspeed_s, harsh_acceleration, harsh_braking, harsh_cornering, fuel_used_l, eco_score) VALUES "
            "({}, {}, {}, {}, {}, {}, 48.8, 2.3, 48.9, 2.4, 0, {}, {}, {}, 50, {}, {}, {}, 0, 0, {}, {})",
            DeviceOf(vehicle), TenantOf(vehicle), vehicle, t.driver ? std::to_string(*t.driver) : "NULL",
            Ms(t.start), Ms(t.end), t.distance_m, t.distance_m, t.max_speed, t.idle_s, t.overspeed_s, t.harsh,
            t.fuel_l ? std::to_string(*t.fuel_l) : "NULL", t.eco ? std::to_string(*t.eco) : "NULL"));
    }
    int64_t Event(int64_t vehicle, const std::string& type, const char* time, const std::string& detail = "{}",
                  bool with_vehicle = true) {
        static int n = 0;
        Exec(fmt::format("INSERT INTO events (key, tenant_id, device_id, vehicle_id, type, time, lat, lon, detail, "
                         "created_at) VALUES ('k{}', {}, {}, {}, '{}', {}, 1.5, 2.5, '{}', 0)",
                         ++n, TenantOf(vehicle), DeviceOf(vehicle), with_vehicle ? std::to_string(vehicle) : "NULL",
                         type, Ms(time), detail));
        sqlite3* db = nullptr;
        sqlite3_open(path_.c_str(), &db);
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db, "SELECT max(id) FROM events", -1, &s, nullptr);
        sqlite3_step(s);
        int64_t id = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        sqlite3_close(db);
        return id;
    }
    int64_t AddDriver(const std::string& name) {
        DriverChange d;
        d.name = name;
        return Ok(fleet_->AddDriver(acme_, d, cli_, now_)).id;
    }
    // Acme's manager narrowed to a group holding only the truck.
    Viewer NarrowedToTruck() {
        auto u = accounts_->AddUser(acme_, NewUser{"narrow@acme.example", "$argon2id$fake", Role::kViewer, false},
                                    cli_, now_);
        int64_t group = Ok(fleet_->AddGroup(Viewer{acme_}, "Trucks", cli_, now_)).id;
        Ok(fleet_->SetGroupVehicles(Viewer{acme_}, group, {truck_}, cli_, now_));
        Exec(fmt::format("INSERT INTO user_groups (user_id, group_id) VALUES ({}, {})", u->id, group));
        return Viewer{acme_, u->id};
    }
    Zone NewYork() { return *Zone::Find("America/New_York"); }

    std::unique_ptr<ReportStore> reports_;
    int64_t van_ = 0, truck_ = 0, car_ = 0;
};

TEST(ReportZoneTest, LocalDaysFollowTheZoneAcrossDaylightSaving) {
    Zone ny = *Zone::Find("America/New_York");
    // 2026-03-08: clocks go from 02:00 EST to 03:00 EDT, so that day lasts 23 hours.
    LocalDay day = *ParseLocalDay("2026-03-08");
    EXPECT_EQ(day.ToString(), "2026-03-08");
    EXPECT_EQ(day.Weekday(), 7);  // a Sunday
    EXPECT_EQ(ny.StartOf(day), T("2026-03-08T05:00:00Z"));
    EXPECT_EQ(ny.StartOf(day.Next()), T("2026-03-09T04:00:00Z"));
    EXPECT_EQ(ny.DayOf(T("2026-03-09T03:59:59Z")).ToString(), "2026-03-08");
    EXPECT_EQ(ny.DayOf(T("2026-03-09T04:00:00Z")).ToString(), "2026-03-09");
    EXPECT_EQ(ny.LocalText(T("2026-03-09T04:00:00Z")), "2026-03-09 00:00:00");
    // In the gap, 02:30 does not exist: the instant the clocks jump.
    EXPECT_EQ(ny.At(day, 150min), T("2026-03-08T07:00:00Z"));
    EXPECT_FALSE(ParseLocalDay("2026-02-29"));
    EXPECT_FALSE(ParseLocalDay("2026-3-01"));
    EXPECT_FALSE(ParseLocalDay("2026-03-01T00"));
    EXPECT_FALSE(Zone::Find("Nowhere/City").ok());
}

TEST(ReportZoneTest, SchedulesRunAtSixLocalAndCoverThePreviousDayOrWeek) {
    Zone paris = *Zone::Find("Europe/Paris");
    // Friday 2026-03-20 12:00 UTC (13:00 in Paris): the next daily run is Saturday 06:00 (05:00 UTC).
    TimePoint now = T("2026-03-20T12:00:00Z");
    TimePoint daily = NextScheduleRun("daily", paris, now);
    EXPECT_EQ(daily, T("2026-03-21T05:00:00Z"));
    EXPECT_EQ(NextScheduleRun("daily", paris, T("2026-03-21T04:59:00Z")), daily);
    auto [first, last] = ScheduleDays("daily", paris, daily);
    EXPECT_EQ(first.ToString(), "2026-03-20");
    EXPECT_EQ(last.ToString(), "2026-03-20");
    // Weekly: Monday 2026-03-23 06:00, for Monday 16 to Sunday 22.
    TimePoint weekly = NextScheduleRun("weekly", paris, now);
    EXPECT_EQ(weekly, T("2026-03-23T05:00:00Z"));
    auto [wfirst, wlast] = ScheduleDays("weekly", paris, weekly);
    EXPECT_EQ(wfirst.ToString(), "2026-03-16");
    EXPECT_EQ(wlast.ToString(), "2026-03-22");
    // After the change to summer time (29 March), 06:00 is 04:00 UTC.
    EXPECT_EQ(NextScheduleRun("weekly", paris, weekly), T("2026-03-30T04:00:00Z"));
}

TEST_F(ReportStoreTest, TripsOverlappingTheRangeAreReportedWholeAndOnce) {
    Trip(van_, {"2026-03-01T22:00:00Z", "2026-03-01T23:00:00Z"});  // before
    Trip(van_, {"2026-03-01T23:30:00Z", "2026-03-02T00:30:00Z"});  // across `from`
    Trip(van_, {"2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z"});  // inside
    Trip(van_, {"2026-03-02T23:45:00Z", "2026-03-03T00:15:00Z"});  // across `to`
    Trip(van_, {"2026-03-03T01:00:00Z", "2026-03-03T02:00:00Z"});  // after
    Trip(truck_, {"2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"});
    Trip(car_, {"2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"});  // globex's
    ReportFilter f{T("2026-03-02T00:00:00Z"), T("2026-03-03T00:00:00Z")};
    f.vehicle_id = van_;
    auto page = Ok(reports_->Trips(Viewer{acme_}, f, {}));
    ASSERT_EQ(page.total, 3);
    EXPECT_EQ(page.items[0].start_time, T("2026-03-01T23:30:00Z"));
    EXPECT_EQ(page.items[0].end_time, T("2026-03-02T00:30:00Z"));
    EXPECT_EQ(page.items[2].end_time, T("2026-03-03T00:15:00Z"));
    EXPECT_EQ(page.items[1].vehicle_name, "Van");
    // The whole fleet; paging.
    f.vehicle_id.reset();
    EXPECT_EQ(Ok(reports_->Trips(Viewer{acme_}, f, {})).total, 4);
    auto second = Ok(reports_->Trips(Viewer{acme_}, f, ReportPage{2, 2}));
    ASSERT_EQ(second.items.size(), 2u);
    EXPECT_EQ(second.items[0].vehicle_id, truck_);
    // A range ending where a trip starts, or starting where one ends, does not take it.
    ReportFilter edge{T("2026-03-02T09:00:00Z"), T("2026-03-02T10:00:00Z")};
    EXPECT_EQ(Ok(reports_->Trips(Viewer{acme_}, edge, {})).total, 0);
}

TEST_F(ReportStoreTest, AnotherTenantsAndInvisibleIdsAreNotFoundAndRangesAreBounded) {
    ReportFilter f{T("2026-03-02T00:00:00Z"), T("2026-03-03T00:00:00Z")};
    f.vehicle_id = car_;
    EXPECT_EQ(RefusalOf(reports_->Trips(Viewer{acme_}, f, {})), Refusal::kNotFound);
    f.vehicle_id = van_;
    EXPECT_EQ(RefusalOf(reports_->Trips(NarrowedToTruck(), f, {})), Refusal::kNotFound);
    f.vehicle_id.reset();
    DriverChange d;
    d.name = "Gus";
    f.driver_id = Ok(fleet_->AddDriver(globex_, d, cli_, now_)).id;
    EXPECT_EQ(RefusalOf(reports_->DailySummary(Viewer{acme_}, f, NewYork(), {})), Refusal::kNotFound);
    f.driver_id.reset();
    f.group_id = Ok(fleet_->AddGroup(Viewer{globex_}, "G", cli_, now_)).id;
    EXPECT_EQ(RefusalOf(reports_->Stops(Viewer{acme_}, f, {})), Refusal::kNotFound);
    f.group_id.reset();
    ReportFilter backwards{f.to, f.from};
    EXPECT_EQ(RefusalOf(reports_->Trips(Viewer{acme_}, backwards, {})), Refusal::kInvalid);
    ReportFilter long_range{T("2025-01-01T00:00:00Z"), T("2026-03-01T00:00:00Z")};
    EXPECT_EQ(RefusalOf(reports_->Fuel(Viewer{acme_}, long_range, {})), Refusal::kInvalid);
}

TEST_F(ReportStoreTest, ANarrowedViewerSeesOnlyItsGroupsVehicles) {
    Trip(van_, {"2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z"});
    Trip(truck_, {"2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"});
    Viewer narrow = NarrowedToTruck();
    ReportFilter f{T("2026-03-02T00:00:00Z"), T("2026-03-03T00:00:00Z")};
    auto trips = Ok(reports_->Trips(narrow, f, {}));
    ASSERT_EQ(trips.total, 1);
    EXPECT_EQ(trips.items[0].vehicle_id, truck_);
    EXPECT_EQ(Ok(reports_->Utilisation(narrow, f, NewYork(), {})).total, 1);
    EXPECT_EQ(Ok(reports_->EcoRanking(narrow, f, EcoBy::kVehicle, {})).total, 1);
}

TEST_F(ReportStoreTest, TheDailySummaryCountsATripOnTheLocalDayItStarts) {
    // New York is UTC-5 in early March: 2026-03-02 local runs 05:00Z .. 05:00Z next day.
    Trip(van_, {"2026-03-02T04:30:00Z", "2026-03-02T05:30:00Z", 1000});  // starts 1 March 23:30 local
    Trip(van_, {"2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z", 20000, 80.0, std::nullopt, 2.0, 600, 0, 0, 110});
    Trip(van_, {"2026-03-03T04:30:00Z", "2026-03-03T05:30:00Z", 5000, 60.0, std::nullopt, std::nullopt});  // 23:30
    ReportFilter f{NewYork().StartOf(*ParseLocalDay("2026-03-01")), NewYork().StartOf(*ParseLocalDay("2026-03-04"))};
    auto page = Ok(reports_->DailySummary(Viewer{acme_}, f, NewYork(), {}));
    ASSERT_EQ(page.total, 6);  // 2 vehicles x 3 days, days without trips included
    ASSERT_EQ(page.items.size(), 6u);
    // Day 1: the 23:30 trip, whole (its end is on day 2).
    EXPECT_EQ(page.items[0].day.ToString(), "2026-03-01");
    EXPECT_EQ(page.items[0].vehicle_name, "Truck");  // by name within a day
    EXPECT_EQ(page.items[0].trips, 0);
    EXPECT_FALSE(page.items[0].max_speed_kmh);
    const DaySummary& d1 = page.items[1];
    EXPECT_EQ(d1.vehicle_id, van_);
    EXPECT_EQ(d1.trips, 1);
    EXPECT_DOUBLE_EQ(d1.distance_m, 1000);
    EXPECT_EQ(d1.last_end, T("2026-03-02T05:30:00Z"));
    // Day 2: the noon trip and the 23:30 one.
    const DaySummary& d2 = page.items[3];
    EXPECT_EQ(d2.day.ToString(), "2026-03-02");
    EXPECT_EQ(d2.trips, 2);
    EXPECT_DOUBLE_EQ(d2.distance_m, 25000);
    EXPECT_DOUBLE_EQ(d2.idle_s, 600);
    EXPECT_DOUBLE_EQ(d2.driving_s, 2 * 3600 - 600);
    EXPECT_DOUBLE_EQ(*d2.max_speed_kmh, 110);
    EXPECT_EQ(d2.first_start, T("2026-03-02T12:00:00Z"));
    EXPECT_DOUBLE_EQ(*d2.fuel_used_l, 2.0);
    EXPECT_EQ(page.items[5].trips, 0);
}

TEST_F(ReportStoreTest, EcoRankingWeighsScoresByDistanceAndRanksBestFirst) {
    int64_t ann = AddDriver("Ann"), bob = AddDriver("Bob");
    AddDriver("Cy");  // no trips: not ranked
    Trip(van_, {"2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z", 90000, 90.0, ann, std::nullopt, 0, 360, 3});
    Trip(van_, {"2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z", 10000, 50.0, ann, std::nullopt, 360, 0, 1});
    Trip(truck_, {"2026-03-02T10:00:00Z", "2026-03-02T10:30:00Z", 5000, 95.0, bob});
    Trip(truck_, {"2026-03-02T12:00:00Z", "2026-03-02T12:30:00Z", 5000});  // no driver, no score
    ReportFilter f{T("2026-03-02T00:00:00Z"), T("2026-03-03T00:00:00Z")};
    auto drivers = Ok(reports_->EcoRanking(Viewer{acme_}, f, EcoBy::kDriver, {}));
    ASSERT_EQ(drivers.total, 2);
    EXPECT_EQ(drivers.items[0].name, "Bob");
    const EcoRow& a = drivers.items[1];
    EXPECT_DOUBLE_EQ(*a.eco_score, (90.0 * 90000 + 50.0 * 10000) / 100000);  // 86, not the plain 70
    EXPECT_EQ(a.trips, 2);
    EXPECT_DOUBLE_EQ(*a.harsh_per_100km, 4.0);  // 3 + 1 on 100 km
    EXPECT_DOUBLE_EQ(*a.overspeed_share, 0.05);
    EXPECT_DOUBLE_EQ(*a.idle_share, 0.05);
    auto vehicles = Ok(reports_->EcoRanking(Viewer{acme_}, f, EcoBy::kVehicle, {}));
    ASSERT_EQ(vehicles.total, 2);
    EXPECT_EQ(vehicles.items[0].id, truck_);  // 95 over its scored 5 km
    EXPECT_EQ(vehicles.items[0].trips, 2);
    // The driver filter.
    f.driver_id = bob;
    EXPECT_EQ(Ok(reports_->EcoRanking(Viewer{acme_}, f, EcoBy::kVehicle, {})).items.at(0).trips, 1);
}

TEST_F(ReportStoreTest, FuelAddsTripConsumptionAndRefuelEvents) {
    Trip(van_, {"2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z", 100000, std::nullopt, std::nullopt, 7.5});
    Trip(van_, {"2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z", 50000});  // no fuel data
    Event(van_, "refuel", "2026-03-02T12:00:00Z", R"({"litres":40})");
    Event(van_, "refuel", "2026-03-02T13:00:00Z", R"({"litres":10.5})");
    Event(truck_, "fuel_drop", "2026-03-02T13:00:00Z", R"({"litres":12})");
    Event(truck_, "fuel_drop", "2026-03-05T13:00:00Z", R"({"litres":12})");  // out of range
    ReportFilter f{T("2026-03-02T00:00:00Z"), T("2026-03-03T00:00:00Z")};
    auto page = Ok(reports_->Fuel(Viewer{acme_}, f, {}));
    ASSERT_EQ(page.total, 2);
    const FuelRow& truck = page.items[0];
    EXPECT_EQ(truck.vehicle_name, "Truck");
    EXPECT_EQ(truck.trips, 0);
    EXPECT_EQ(truck.fuel_drops, 1);
    EXPECT_DOUBLE_EQ(truck.fuel_drop_l, 12);
    const FuelRow& van = page.items[1];
    EXPECT_EQ(van.trips, 2);
    EXPECT_DOUBLE_EQ(van.distance_m, 150000);
    EXPECT_DOUBLE_EQ(*van.fuel_used_l, 7.5);
    EXPECT_DOUBLE_EQ(*van.l_per_100km, 7.5);  // over the 100 km that reported fuel
    EXPECT_EQ(van.refuels, 2);
    EXPECT_DOUBLE_EQ(van.refuel_l, 50.5);
}

TEST_F(ReportStoreTest, UtilisationIsTheShareOfLocalDaysWithATrip) {
    Trip(van_, {"2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z", 20000});
    Trip(van_, {"2026-03-02T14:00:00Z", "2026-03-02T14:30:00Z", 10000});
    Trip(van_, {"2026-03-04T12:00:00Z", "2026-03-04T13:30:00Z", 30000});
    Zone ny = NewYork();
    ReportFilter f{ny.StartOf(*ParseLocalDay("2026-03-01")), ny.StartOf(*ParseLocalDay("2026-03-05"))};
    auto page = Ok(reports_->Utilisation(Viewer{acme_}, f, ny, {}));
    ASSERT_EQ(page.total, 2);
    const UtilisationRow& van = page.items[1];
    EXPECT_EQ(van.vehicle_name, "Van");
    EXPECT_EQ(van.days, 4);
    EXPECT_EQ(van.days_used, 2);
    EXPECT_DOUBLE_EQ(van.used_share, 0.5);
    EXPECT_EQ(van.trips, 3);
    EXPECT_DOUBLE_EQ(van.trips_per_day, 0.75);
    EXPECT_DOUBLE_EQ(*van.avg_trip_distance_m, 20000);
    EXPECT_DOUBLE_EQ(*van.avg_trip_duration_s, 3600);
    EXPECT_EQ(page.items[0].days_used, 0);
    EXPECT_FALSE(page.items[0].avg_trip_distance_m);
}

TEST_F(ReportStoreTest, StopsAndGeofenceVisitsOverlappingTheRangeAreWhole) {
    Exec(fmt::format("INSERT INTO stops (device_id, tenant_id, vehicle_id, start_time, end_time, lat, lon, odometer_m, "
                     "engine_on_s) VALUES (11, {0}, {1}, {2}, {3}, 1, 2, 100, 30), (11, {0}, {1}, {4}, {5}, 1, 2, 100, 0)",
                     acme_.tenant_id(), van_, Ms("2026-03-01T20:00:00Z"), Ms("2026-03-02T06:00:00Z"),
                     Ms("2026-03-03T20:00:00Z"), Ms("2026-03-04T06:00:00Z")));
    Exec(fmt::format("INSERT INTO geofences (id, tenant_id, name, kind, geometry, radius_m, created_at, updated_at) "
                     "VALUES (1, {0}, 'Depot', 'circle', '{{}}', 100, 0, 0), (2, {0}, 'Yard', 'circle', '{{}}', 50, 0, 0)",
                     acme_.tenant_id()));
    // The depot visit began two days before the range and ended inside it; the yard visit (nested,
    // entered later) is still open; a visit ended before the range is not reported.
    Exec(fmt::format("INSERT INTO geofence_visits (device_id, tenant_id, vehicle_id, geofence_id, enter_time, exit_time) "
                     "VALUES (11, {0}, {1}, 1, {2}, {3}), (11, {0}, {1}, 2, {4}, NULL), (11, {0}, {1}, 2, {5}, {6}), "
                     "(11, {0}, {1}, 1, {7}, {8})",
                     acme_.tenant_id(), van_, Ms("2026-02-28T08:00:00Z"), Ms("2026-03-02T07:00:00Z"),
                     Ms("2026-03-01T09:00:00Z"), Ms("2026-02-27T09:00:00Z"), Ms("2026-02-27T10:00:00Z"),
                     Ms("2026-03-02T12:00:00Z"), Ms("2026-03-02T12:30:00Z")));
    ReportFilter f{T("2026-03-02T00:00:00Z"), T("2026-03-03T00:00:00Z")};
    auto stops = Ok(reports_->Stops(Viewer{acme_}, f, {}));
    ASSERT_EQ(stops.total, 1);
    EXPECT_EQ(stops.items[0].start_time, T("2026-03-01T20:00:00Z"));
    EXPECT_DOUBLE_EQ(stops.items[0].engine_on_s, 30);
    auto visits = Ok(reports_->GeofenceVisits(Viewer{acme_}, f, std::nullopt, {}));
    ASSERT_EQ(visits.total, 3);
    EXPECT_EQ(visits.items[0].geofence_name, "Depot");
    EXPECT_EQ(visits.items[0].enter_time, T("2026-02-28T08:00:00Z"));
    EXPECT_DOUBLE_EQ(*visits.items[0].duration_s, 47 * 3600);
    EXPECT_EQ(visits.items[1].geofence_name, "Yard");
    EXPECT_FALSE(visits.items[1].exit_time);
    EXPECT_FALSE(visits.items[1].duration_s);
    EXPECT_DOUBLE_EQ(*visits.items[2].duration_s, 1800);
    EXPECT_EQ(Ok(reports_->GeofenceVisits(Viewer{acme_}, f, 2, {})).total, 1);
    EXPECT_EQ(RefusalOf(reports_->GeofenceVisits(Viewer{globex_}, f, 2, {})), Refusal::kNotFound);
    EXPECT_EQ(Ok(reports_->GeofenceVisits(NarrowedToTruck(), f, std::nullopt, {})).total, 0);
}

TEST_F(ReportStoreTest, EventsFilterPageAndStayInTheirTenant) {
    int64_t a = Event(van_, "overspeed", "2026-03-02T08:00:00Z", R"({"speed_kmh":142})");
    int64_t b = Event(van_, "harsh_braking", "2026-03-02T09:00:00Z");
    int64_t c = Event(truck_, "overspeed", "2026-03-02T09:00:00Z");
    int64_t loose = Event(truck_, "device_offline", "2026-03-02T10:00:00Z", "{}", false);  // no vehicle
    int64_t theirs = Event(car_, "overspeed", "2026-03-02T09:30:00Z");
    Viewer acme{acme_};
    EventFilter all;
    auto page = Ok(reports_->Events(acme, all, {}));
    ASSERT_EQ(page.total, 4);
    EXPECT_EQ(page.items[0].id, loose);  // newest first
    EXPECT_EQ(page.items[1].id, c);      // same time: higher id first
    EXPECT_EQ(page.items[3].detail_json, R"({"speed_kmh":142})");
    EventFilter speeding;
    speeding.types = {"overspeed", "crash"};
    EXPECT_EQ(Ok(reports_->Events(acme, speeding, {})).total, 2);
    speeding.vehicle_id = van_;
    EXPECT_EQ(Ok(reports_->Events(acme, speeding, {})).items.at(0).id, a);
    EventFilter ranged;
    ranged.from = T("2026-03-02T09:00:00Z");
    ranged.to = T("2026-03-02T10:00:00Z");
    EXPECT_EQ(Ok(reports_->Events(acme, ranged, {})).total, 2);
    // The inbox pages by (time, id).
    auto first = Ok(reports_->EventInbox(acme, all, std::nullopt, 2));
    ASSERT_EQ(first.size(), 2u);
    auto rest = Ok(reports_->EventInbox(acme, all, EventCursor{first[1].time, first[1].id}, 10));
    ASSERT_EQ(rest.size(), 2u);
    EXPECT_EQ(rest[0].id, b);
    EXPECT_EQ(rest[1].id, a);
    // A narrowed viewer: only the truck's, and not the vehicle-less one.
    auto narrow = Ok(reports_->Events(NarrowedToTruck(), all, {}));
    ASSERT_EQ(narrow.total, 1);
    EXPECT_EQ(narrow.items[0].id, c);
    EXPECT_FALSE(reports_->FindEvent(acme, theirs)->has_value());
    EXPECT_TRUE(reports_->FindEvent(Viewer{globex_}, theirs)->has_value());
}

TEST_F(ReportStoreTest, AcknowledgingRecordsWhoAndWhenOnceAndIsAudited) {
    int64_t id = Event(van_, "crash", "2026-03-02T08:00:00Z");
    int64_t theirs = Event(car_, "crash", "2026-03-02T08:00:00Z");
    auto user = accounts_->AddUser(acme_, NewUser{"m@acme.example", "$argon2id$fake", Role::kFleetManager, false},
                                   cli_, now_);
    Actor actor{fmt::format("user:{}", user->id), user->id, "10.0.0.1"};
    Viewer acme{acme_, user->id};
    EventRow acked = Ok(reports_->AcknowledgeEvent(acme, id, actor, now_));
    EXPECT_EQ(acked.acknowledged_at, now_);
    EXPECT_EQ(acked.acknowledged_by, user->id);
    EventRow again = Ok(reports_->AcknowledgeEvent(acme, id, actor, now_ + 1h));
    EXPECT_EQ(again.acknowledged_at, now_);  // the first acknowledgement stays
    auto audit = accounts_->ListAudit(acme_, 10);
    int acks = 0;
    for (const auto& e : *audit) acks += e.action == "event.acknowledge" ? 1 : 0;
    EXPECT_EQ(acks, 1);
    EXPECT_EQ(RefusalOf(reports_->AcknowledgeEvent(acme, theirs, actor, now_)), Refusal::kNotFound);
    EventFilter open;
    open.acknowledged = false;
    EXPECT_EQ(Ok(reports_->Events(acme, open, {})).total, 0);
    open.acknowledged = true;
    EXPECT_EQ(Ok(reports_->Events(acme, open, {})).total, 1);
}

TEST_F(ReportStoreTest, MaintenanceDueComparesPlansWithTheOdometerAndTheCalendar) {
    // The van's dashboard read 50,000 km when its device had counted 1,000 km; it has counted
    // 10,000 km since. Engine: the device's own 100 hours.
    Exec(fmt::format(
        "INSERT INTO vehicle_odometer (vehicle_id, set_at, dashboard_m, base_m) VALUES ({0}, 0, 50000000, 1000000);"
        "INSERT INTO device_counters (device_id, time, odometer_m, engine_s) VALUES (11, 0, 11000000, 360000);"
        "INSERT INTO maintenance_plans (tenant_id, vehicle_id, name, interval_km, last_done_odometer_m, warn_km, "
        "created_at) VALUES ({1}, {0}, 'Oil', 15000, 45000000, 1000, 0);"
        "INSERT INTO maintenance_plans (tenant_id, vehicle_id, name, interval_engine_h, last_done_engine_h, "
        "warn_engine_h, created_at) VALUES ({1}, {0}, 'Hydraulics', 150, 0, 25, 0);"
        "INSERT INTO maintenance_plans (tenant_id, vehicle_id, name, interval_months, last_done_date, warn_days, "
        "created_at) VALUES ({1}, {0}, 'Service', 12, '2025-03-31', 30, 0);"
        "INSERT INTO maintenance_plans (tenant_id, vehicle_id, name, due_date, created_at, archived_at) VALUES "
        "({1}, {0}, 'Old', '2020-01-01', 0, 1);"
        "INSERT INTO maintenance_plans (tenant_id, vehicle_id, name, due_date, created_at) VALUES "
        "({2}, {3}, 'Theirs', '2020-01-01', 0);",
        van_, acme_.tenant_id(), globex_.tenant_id(), car_));
    LocalDay today = *ParseLocalDay("2026-03-20");
    auto page = Ok(reports_->MaintenanceDue(Viewer{acme_}, ReportFilter{}, today, {}));
    ASSERT_EQ(page.total, 3);
    // Oil: due at 45,000 + 15,000 km; the van is at 50,000 + (11,000 - 1,000) km: 0 left, due (not overdue).
    const MaintenanceDueRow* oil = nullptr;
    const MaintenanceDueRow* hydraulics = nullptr;
    const MaintenanceDueRow* service = nullptr;
    for (const auto& r : page.items) {
        if (r.name == "Oil") oil = &r;
        if (r.name == "Hydraulics") hydraulics = &r;
        if (r.name == "Service") service = &r;
    }
    ASSERT_TRUE(oil && hydraulics && service);
    EXPECT_DOUBLE_EQ(*oil->odometer_m, 60000000);
    EXPECT_DOUBLE_EQ(*oil->remaining_km, 0);
    EXPECT_EQ(oil->status, DueStatus::kDueSoon);
    EXPECT_DOUBLE_EQ(*hydraulics->engine_h, 100);
    EXPECT_DOUBLE_EQ(*hydraulics->remaining_engine_h, 50);
    EXPECT_EQ(hydraulics->status, DueStatus::kOk);
    EXPECT_EQ(service->due_date->ToString(), "2026-03-31");
    EXPECT_EQ(*service->remaining_days, 11);
    EXPECT_EQ(service->status, DueStatus::kDueSoon);
    EXPECT_EQ(page.items.back().name, "Hydraulics");  // the worst first
    // A day after the due date: overdue, first.
    auto later = Ok(reports_->MaintenanceDue(Viewer{acme_}, ReportFilter{}, *ParseLocalDay("2026-04-01"), {}));
    EXPECT_EQ(later.items.at(0).name, "Service");
    EXPECT_EQ(later.items.at(0).status, DueStatus::kOverdue);
}

TEST_F(ReportStoreTest, SchedulesBelongToTheirOwnerAndAreBounded) {
    auto user = accounts_->AddUser(acme_, NewUser{"m@acme.example", "$argon2id$fake", Role::kFleetManager, false},
                                   cli_, now_);
    auto other = accounts_->AddUser(acme_, NewUser{"o@acme.example", "$argon2id$fake", Role::kFleetManager, false},
                                    cli_, now_);
    Viewer me{acme_, user->id}, them{acme_, other->id};
    Zone ny = NewYork();
    ScheduleChange c;
    c.report = "trips";
    c.frequency = "daily";
    c.format = "csv";
    c.params_json = R"({"vehicle_id":1})";
    ReportSchedule s = Ok(reports_->AddSchedule(me, c, ny, cli_, now_));
    EXPECT_EQ(s.next_run_at, NextScheduleRun("daily", ny, now_));
    EXPECT_FALSE(reports_->FindSchedule(them, s.id)->has_value());
    EXPECT_EQ(RefusalOf(reports_->DeleteSchedule(them, s.id, cli_, now_)), Refusal::kNotFound);
    ScheduleChange weekly;
    weekly.frequency = "weekly";
    ReportSchedule w = Ok(reports_->UpdateSchedule(me, s.id, weekly, ny, cli_, now_));
    EXPECT_EQ(w.next_run_at, NextScheduleRun("weekly", ny, now_));
    EXPECT_EQ(w.params_json, R"({"vehicle_id":1})");
    ScheduleChange bad = c;
    bad.format = "pdf";
    EXPECT_EQ(RefusalOf(reports_->AddSchedule(me, bad, ny, cli_, now_)), Refusal::kInvalid);
    for (int i = 1; i < kMaxSchedulesPerUser; ++i) Ok(reports_->AddSchedule(me, c, ny, cli_, now_));
    EXPECT_EQ(RefusalOf(reports_->AddSchedule(me, c, ny, cli_, now_)), Refusal::kConflict);
    EXPECT_EQ(reports_->ListSchedules(me)->size(), static_cast<size_t>(kMaxSchedulesPerUser));
    Ok(reports_->AddSchedule(them, c, ny, cli_, now_));  // the bound is per user

    // The sender: due ones, a run claimed once, the mail queued with it.
    auto due = reports_->DueSchedules(w.next_run_at, 100);
    ASSERT_TRUE(due.ok());
    EXPECT_EQ(due->size(), 21u);  // 20 of mine (one made weekly), 1 of theirs
    OutgoingMail mail;
    mail.created_at = w.next_run_at;
    mail.kind = "report";
    mail.recipient = "m@acme.example";
    mail.subject = "Trips";
    mail.body = "x";
    TimePoint next = NextScheduleRun("weekly", ny, w.next_run_at);
    EXPECT_TRUE(*reports_->CompleteScheduleRun(w.id, w.next_run_at, w.next_run_at, next, mail, std::nullopt));
    EXPECT_FALSE(*reports_->CompleteScheduleRun(w.id, w.next_run_at, w.next_run_at, next, mail, std::nullopt));
    EXPECT_EQ(accounts_->ListMail(10)->size(), 1u);
    EXPECT_EQ((*reports_->FindSchedule(me, w.id))->next_run_at, next);
    Ok(reports_->DeleteSchedule(me, w.id, cli_, now_));
    EXPECT_FALSE(reports_->FindSchedule(me, w.id)->has_value());
}

}  // namespace
}  // namespace fleet::store
