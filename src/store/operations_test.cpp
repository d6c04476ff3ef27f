#include "store/operations.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "core/time.hpp"
#include "store/test_database.hpp"
#include "store/reports.hpp"
#include "store/store.hpp"

// The device counters are inserted directly: counting them is the pipeline's.
namespace fleet::store {
namespace {

namespace fs = std::filesystem;
using core::TimePoint;
using namespace std::chrono_literals;

using test::Ok;
using test::RefusalOf;
using test::T;

class OperationsStoreTest : public test::DatabaseTest {
protected:
    void SetUp() override {
        now_ = T("2026-03-02T11:00:00Z");  // 12:00 in Paris
        OpenDatabase("Europe/Paris");
        if (HasFatalFailure()) return;
        ops_ = std::make_unique<OperationsStore>(*accounts_);
        van_ = AddVehicle(acme_, "Van");
        car_ = AddVehicle(globex_, "Car");
        Exec(fmt::format("INSERT INTO devices (id, imei, protocol, status, created_at, tenant_id) VALUES "
                         "(11, '1', 'teltonika', 'active', 0, {0});"
                         "INSERT INTO installations (tenant_id, vehicle_id, device_id, from_time, created_at) VALUES "
                         "({0}, {1}, 11, 0, 0);",
                         acme_.tenant_id(), van_));
    }
    void TearDown() override {
        ops_.reset();
        DatabaseTest::TearDown();
    }

    void Exec(const std::string& sql) {
        store::test::ExecSql(path_, sql);
    }
    int64_t Scalar(const std::string& sql) {
        sqlite3* db = nullptr;
        sqlite3_open(path_.c_str(), &db);
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
        sqlite3_step(s);
        int64_t v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        sqlite3_close(db);
        return v;
    }
    void Counters(double odometer_m, double engine_s) {
        Exec(fmt::format("INSERT OR REPLACE INTO device_counters (device_id, time, odometer_m, engine_s) "
                         "VALUES (11, 0, {}, {})",
                         odometer_m, engine_s));
    }
    int64_t AddVehicle(TenantScope scope, const std::string& name) {
        VehicleChange c;
        c.name = name;
        return Ok(fleet_->AddVehicle(Viewer{scope}, c, cli_, now_)).id;
    }
    static GeofenceChange Circle(const std::string& name) {
        GeofenceChange c;
        c.name = name;
        c.kind = "circle";
        c.geometry_json = R"({"type":"Point","coordinates":[2.35,48.85]})";
        c.radius_m = 200;
        return c;
    }

    std::unique_ptr<OperationsStore> ops_;
    int64_t van_ = 0, car_ = 0;
};

TEST_F(OperationsStoreTest, ProcessingSettingsAreEmptyUntilSetThenAudited) {
    EXPECT_EQ(*ops_->ProcessingSettings(acme_), "{}");
    Ok(ops_->SetProcessingSettings(acme_, R"({"idle_event_s":120})", cli_, now_));
    Ok(ops_->SetProcessingSettings(acme_, R"({"idle_event_s":180})", cli_, now_));
    EXPECT_EQ(*ops_->ProcessingSettings(acme_), R"({"idle_event_s":180})");
    EXPECT_EQ(*ops_->ProcessingSettings(globex_), "{}");
    EXPECT_EQ(Scalar("SELECT count(*) FROM audit_log WHERE action = 'settings.processing.update'"), 2);
}

TEST_F(OperationsStoreTest, GeofencesAreCheckedUniqueAndOfTheirTenant) {
    Geofence g = Ok(ops_->AddGeofence(acme_, Circle("Depot"), cli_, now_));
    EXPECT_EQ(g.kind, "circle");
    EXPECT_EQ(RefusalOf(ops_->AddGeofence(acme_, Circle("Depot"), cli_, now_)), Refusal::kConflict);
    Ok(ops_->AddGeofence(globex_, Circle("Depot"), cli_, now_));  // names are per tenant
    GeofenceChange no_radius = Circle("Yard");
    no_radius.radius_m.reset();
    EXPECT_EQ(RefusalOf(ops_->AddGeofence(acme_, no_radius, cli_, now_)), Refusal::kInvalid);
    GeofenceChange huge = Circle("Yard");
    huge.radius_m = 1e6;
    EXPECT_EQ(RefusalOf(ops_->AddGeofence(acme_, huge, cli_, now_)), Refusal::kInvalid);
    GeofenceChange blank = Circle(" ");
    EXPECT_EQ(RefusalOf(ops_->AddGeofence(acme_, blank, cli_, now_)), Refusal::kInvalid);

    // Turning a circle into a polygon drops its radius.
    GeofenceChange to_polygon;
    to_polygon.kind = "polygon";
    to_polygon.geometry_json = R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]})";
    to_polygon.speed_limit_kmh = 30.0;
    Geofence p = Ok(ops_->UpdateGeofence(acme_, g.id, to_polygon, cli_, now_ + 1h));
    EXPECT_FALSE(p.radius_m);
    EXPECT_EQ(p.speed_limit_kmh, 30.0);
    EXPECT_EQ(p.updated_at, now_ + 1h);
    EXPECT_EQ((*ops_->FindGeofence(acme_, g.id))->geometry_json, *to_polygon.geometry_json);

    EXPECT_FALSE(ops_->FindGeofence(globex_, g.id)->has_value());
    EXPECT_EQ(RefusalOf(ops_->UpdateGeofence(globex_, g.id, Circle("X"), cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ(RefusalOf(ops_->DeleteGeofence(globex_, g.id, cli_, now_)), Refusal::kNotFound);
    GeofenceFilter polygons;
    polygons.kind = "polygon";
    EXPECT_EQ(ops_->ListGeofences(acme_, polygons, {})->total, 1);
    EXPECT_EQ(ops_->ListGeofences(acme_, {}, {})->total, 1);
    Ok(ops_->DeleteGeofence(acme_, g.id, cli_, now_));
    EXPECT_EQ(ops_->ListGeofences(acme_, {}, {})->total, 0);
    EXPECT_EQ(Scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'geofence.%'"), 4);
}

TEST_F(OperationsStoreTest, ImportIsAllOrNothingAndSaysWhichFeatureIsWrong) {
    Ok(ops_->AddGeofence(acme_, Circle("Depot"), cli_, now_));
    std::vector<GeofenceChange> bad{Circle("A"), Circle("B"), Circle("A"), Circle("Depot")};
    bad[1].radius_m = -5;
    ImportResult r = Ok(ops_->ImportGeofences(acme_, bad, cli_, now_));
    EXPECT_EQ(r.created, 0);
    ASSERT_EQ(r.errors.size(), 2u);  // the shape and the duplicate first; the database's check after
    EXPECT_EQ(r.errors[0].index, 1);
    EXPECT_EQ(r.errors[1].index, 2);
    bad.erase(bad.begin() + 1, bad.begin() + 3);  // A, Depot
    r = Ok(ops_->ImportGeofences(acme_, bad, cli_, now_));
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].index, 1);
    EXPECT_EQ(ops_->ListGeofences(acme_, {}, {})->total, 1);
    r = Ok(ops_->ImportGeofences(acme_, {Circle("A"), Circle("B")}, cli_, now_));
    EXPECT_EQ(r.created, 2);
    EXPECT_EQ(ops_->ListGeofences(acme_, {}, {})->total, 3);
    EXPECT_EQ(Scalar("SELECT count(*) FROM audit_log WHERE action = 'geofence.import'"), 1);
}

TEST_F(OperationsStoreTest, OdometerIsTheDashboardReadingPlusWhatTheDeviceCountedSince) {
    Viewer acme{acme_};
    EXPECT_FALSE(Ok(ops_->GetOdometer(acme, van_)).odometer_km);
    Counters(1000000, 36000);  // the device: 1,000 km and 10 h
    Odometer before = Ok(ops_->GetOdometer(acme, van_));
    EXPECT_DOUBLE_EQ(*before.odometer_km, 1000);
    EXPECT_DOUBLE_EQ(*before.engine_hours, 10);
    EXPECT_FALSE(before.set_at);
    Odometer set = Ok(ops_->SetOdometer(acme, van_, 52000, std::nullopt, cli_, now_));
    EXPECT_DOUBLE_EQ(*set.odometer_km, 52000);
    EXPECT_DOUBLE_EQ(*set.engine_hours, 10);  // kept
    EXPECT_EQ(set.set_at, now_);
    Counters(1250000, 43200);  // 250 km and 2 h later
    Odometer after = Ok(ops_->GetOdometer(acme, van_));
    EXPECT_DOUBLE_EQ(*after.odometer_km, 52250);
    EXPECT_DOUBLE_EQ(*after.engine_hours, 12);
    Ok(ops_->SetOdometer(acme, van_, 52300, 2000.0, cli_, now_));
    EXPECT_DOUBLE_EQ(*Ok(ops_->GetOdometer(acme, van_)).engine_hours, 2000);
    EXPECT_EQ(RefusalOf(ops_->SetOdometer(acme, van_, -1, std::nullopt, cli_, now_)), Refusal::kInvalid);
    EXPECT_EQ(RefusalOf(ops_->GetOdometer(acme, car_)), Refusal::kNotFound);
    EXPECT_EQ(RefusalOf(ops_->SetOdometer(acme, car_, 1, std::nullopt, cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ(Scalar("SELECT count(*) FROM audit_log WHERE action = 'vehicle.odometer.set'"), 2);
}

TEST_F(OperationsStoreTest, AssignmentsOfAVehicleNeverOverlap) {
    Viewer acme{acme_};
    DriverChange d;
    d.name = "Ann";
    int64_t ann = Ok(fleet_->AddDriver(acme_, d, cli_, now_)).id;
    d.name = "Gus";
    int64_t gus = Ok(fleet_->AddDriver(globex_, d, cli_, now_)).id;
    auto t0 = T("2026-03-01T00:00:00Z"), t1 = T("2026-03-02T00:00:00Z"), t2 = T("2026-03-03T00:00:00Z");
    Assignment a = Ok(ops_->AddAssignment(acme, van_, ann, t0, t1, cli_, now_));
    EXPECT_EQ(a.driver_name, "Ann");
    EXPECT_EQ(RefusalOf(ops_->AddAssignment(acme, van_, ann, t0 + 1h, t2, cli_, now_)), Refusal::kConflict);
    Ok(ops_->AddAssignment(acme, van_, ann, t1, t2, cli_, now_));  // touching is not overlapping
    EXPECT_EQ(RefusalOf(ops_->AddAssignment(acme, van_, ann, t0 - 24h, std::nullopt, cli_, now_)),
              Refusal::kConflict);  // an open one runs forever
    int64_t open = Ok(ops_->AddAssignment(acme, van_, ann, t2 + 1h, std::nullopt, cli_, now_)).id;
    EXPECT_EQ(RefusalOf(ops_->AddAssignment(acme, van_, ann, t2 + 48h, t2 + 50h, cli_, now_)), Refusal::kConflict);
    EXPECT_EQ(RefusalOf(ops_->AddAssignment(acme, van_, ann, t1, t0, cli_, now_)), Refusal::kInvalid);
    EXPECT_EQ(RefusalOf(ops_->AddAssignment(acme, van_, gus, t2 + 48h, t2 + 50h, cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ(RefusalOf(ops_->AddAssignment(acme, car_, ann, t0, t1, cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ(Ok(ops_->ListAssignments(acme, van_, {})).total, 3);
    EXPECT_EQ(RefusalOf(ops_->DeleteAssignment(Viewer{globex_}, open, cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ(Ok(ops_->DeleteAssignment(acme, open, cli_, now_)), van_);
    Ok(ops_->AddAssignment(acme, van_, ann, t2 + 48h, t2 + 50h, cli_, now_));
}

TEST_F(OperationsStoreTest, PlansAreValidatedAndArchived) {
    Viewer acme{acme_};
    PlanChange c;
    c.vehicle_id = van_;
    c.name = "Oil";
    EXPECT_EQ(RefusalOf(ops_->AddPlan(acme, c, cli_, now_)), Refusal::kInvalid);  // no interval
    c.interval_km = 0.0;
    EXPECT_EQ(RefusalOf(ops_->AddPlan(acme, c, cli_, now_)), Refusal::kInvalid);
    c.interval_km = 15000.0;
    c.due_date = std::optional<std::string>("2026-02-30");
    EXPECT_EQ(RefusalOf(ops_->AddPlan(acme, c, cli_, now_)), Refusal::kInvalid);
    c.due_date.reset();
    MaintenancePlan p = Ok(ops_->AddPlan(acme, c, cli_, now_));
    EXPECT_EQ(p.warn_km, 1000);
    c.vehicle_id = car_;
    EXPECT_EQ(RefusalOf(ops_->AddPlan(acme, c, cli_, now_)), Refusal::kNotFound);
    PlanChange rename;
    rename.name = "Oil and filters";
    rename.interval_km = std::nullopt;  // unset: kept
    EXPECT_EQ(Ok(ops_->UpdatePlan(acme, p.id, rename, cli_, now_)).interval_km, 15000.0);
    PlanChange clear;
    clear.interval_km = std::optional<std::optional<double>>(std::optional<double>());
    EXPECT_EQ(RefusalOf(ops_->UpdatePlan(acme, p.id, clear, cli_, now_)), Refusal::kInvalid);  // nothing left
    EXPECT_FALSE(ops_->FindPlan(Viewer{globex_}, p.id)->has_value());
    Ok(ops_->ArchivePlan(acme, p.id, cli_, now_));
    EXPECT_EQ(ops_->ListPlans(acme, {}, {})->total, 0);
    PlanFilter all;
    all.include_archived = true;
    EXPECT_EQ(ops_->ListPlans(acme, all, {})->total, 1);
    EXPECT_EQ(RefusalOf(ops_->UpdatePlan(acme, p.id, rename, cli_, now_)), Refusal::kConflict);
}

TEST_F(OperationsStoreTest, MaintenanceCheckRaisesEachThresholdOnceAndAServiceStartsANewCycle) {
    Viewer acme{acme_};
    Counters(14500000, 0);  // 14,500 km
    PlanChange c;
    c.vehicle_id = van_;
    c.name = "Oil";
    c.interval_km = 15000.0;
    int64_t plan = Ok(ops_->AddPlan(acme, c, cli_, now_)).id;
    PlanChange far;  // not due
    far.vehicle_id = van_;
    far.name = "Inspection";
    far.due_date = std::optional<std::string>("2027-01-01");
    Ok(ops_->AddPlan(acme, far, cli_, now_));

    MaintenanceCheck check = *ops_->CheckMaintenance(now_);
    EXPECT_EQ(check.plans, 2);
    EXPECT_EQ(check.raised, 1);
    EXPECT_EQ(ops_->CheckMaintenance(now_ + 1h)->raised, 0);  // once per cycle
    EXPECT_EQ(Scalar("SELECT count(*) FROM events WHERE type = 'maintenance_due'"), 1);
    EXPECT_EQ(Scalar(fmt::format("SELECT vehicle_id FROM events WHERE type = 'maintenance_due'")), van_);

    Counters(15100000, 0);  // overdue now
    EXPECT_EQ(ops_->CheckMaintenance(now_ + 2h)->raised, 1);
    EXPECT_EQ(ops_->CheckMaintenance(now_ + 3h)->raised, 0);
    EXPECT_EQ(Scalar("SELECT count(*) FROM events WHERE type = 'maintenance_overdue'"), 1);

    // The service moves the plan (its odometer: the vehicle's now) and the report shows it ok.
    ServiceRecord s;
    s.plan_id = plan;
    s.date = "2026-03-02";
    s.cost_cents = 12000;
    ServiceRecord made = Ok(ops_->AddService(acme, s, cli_, now_));
    EXPECT_EQ(made.vehicle_id, van_);
    MaintenancePlan moved = **ops_->FindPlan(acme, plan);
    EXPECT_EQ(moved.last_done_date, "2026-03-02");
    EXPECT_DOUBLE_EQ(*moved.last_done_odometer_m, 15100000);
    ReportStore reports(*accounts_);
    ReportFilter filter;
    filter.vehicle_id = van_;
    auto due = Ok(reports.MaintenanceDue(acme, filter, *core::ParseLocalDay("2026-03-02"), {}));
    for (const auto& row : due.items) EXPECT_EQ(row.status, DueStatus::kOk) << row.name;
    EXPECT_EQ(ops_->CheckMaintenance(now_ + 4h)->raised, 0);

    // The next cycle raises again.
    Counters(30200000, 0);  // past 15,100 + 15,000 km
    EXPECT_EQ(ops_->CheckMaintenance(now_ + 5h)->raised, 1);
    EXPECT_EQ(Scalar("SELECT count(*) FROM events WHERE type = 'maintenance_overdue'"), 2);
    EXPECT_EQ(ops_->ListServices(acme, {}, {})->total, 1);
}

TEST_F(OperationsStoreTest, ServicesAreCheckedAgainstThePlanAndTheVehicle) {
    Viewer acme{acme_};
    PlanChange c;
    c.vehicle_id = van_;
    c.name = "Oil";
    c.interval_months = int64_t{12};
    int64_t plan = Ok(ops_->AddPlan(acme, c, cli_, now_)).id;
    ServiceRecord s;
    s.date = "2026-03-01";
    EXPECT_EQ(RefusalOf(ops_->AddService(acme, s, cli_, now_)), Refusal::kInvalid);  // no vehicle, no plan
    s.vehicle_id = car_;
    EXPECT_EQ(RefusalOf(ops_->AddService(acme, s, cli_, now_)), Refusal::kNotFound);
    s.vehicle_id = van_;
    s.currency = "eur";
    EXPECT_EQ(RefusalOf(ops_->AddService(acme, s, cli_, now_)), Refusal::kInvalid);
    s.currency = "EUR";
    s.date = "yesterday";
    EXPECT_EQ(RefusalOf(ops_->AddService(acme, s, cli_, now_)), Refusal::kInvalid);
    s.date = "2026-03-01";
    s.plan_id = plan + 100;
    EXPECT_EQ(RefusalOf(ops_->AddService(acme, s, cli_, now_)), Refusal::kNotFound);
    s.plan_id = plan;
    s.note = "Filters\nand oil";
    Ok(ops_->AddService(acme, s, cli_, now_));
    s.date = "2025-12-01";  // an older service does not move the plan back
    Ok(ops_->AddService(acme, s, cli_, now_));
    EXPECT_EQ((*ops_->FindPlan(acme, plan))->last_done_date, "2026-03-01");
    ServiceFilter of_plan;
    of_plan.plan_id = plan;
    EXPECT_EQ(ops_->ListServices(acme, of_plan, {})->total, 2);
    EXPECT_EQ(ops_->ListServices(Viewer{globex_}, {}, {})->total, 0);
}

}  // namespace
}  // namespace fleet::store
