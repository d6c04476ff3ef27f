// OperationsStore: what a tenant's managers configure for the pipeline and the reports — the
// processing settings, geofences, the vehicles' dashboard odometers, driver assignments,
// maintenance plans and the service log — and the maintenance check that raises maintenance_due /
// maintenance_overdue events. On the SQLite connection of an AccountStore (same transactions, same
// audit chain); the schema is migration 4's (tenant_settings, geofences, vehicle_odometer,
// driver_assignments, maintenance_plans, service_log, events).
//
// Tenancy: every method but the maintenance check takes the caller's TenantScope or Viewer; an id
// of another tenant (or a vehicle the viewer does not see) is refused as kNotFound, like a missing
// one. Every change is audited in its own transaction ("geofence.add", "maintenance_plan.update",
// ...).
//
// What is checked where: the API checks the shapes of requests (JSON types, GeoJSON geometry,
// settings through pipeline::ParseSettings); this store checks names, ranges, dates and everything
// that needs the database (uniqueness, overlaps, visibility).
//
// Thread-safety: as AccountStore — one connection, NOT thread-safe; use the calling thread's own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"
#include "store/accounts.hpp"
#include "store/fleet.hpp"
#include "store/outcome.hpp"

namespace fleet::store {

// Bounds: what one tenant may hold, and what one import may bring.
inline constexpr int64_t kMaxGeofencesPerTenant = 5000;
inline constexpr int64_t kMaxAssignmentsPerVehicle = 10000;
inline constexpr int64_t kMaxPlansPerVehicle = 100;

// --- geofences
// --------------------------------------------------------------------------------------

// A geofence. `geometry_json` is a canonical GeoJSON geometry written by the API
// (api/detail/geojson):
// {"type":"Point","coordinates":[lon,lat]} for a circle (with radius_m), {"type":"Polygon",
// "coordinates":[[[lon,lat],...,first again]]} (one closed outer ring) for a polygon.
struct Geofence {
    int64_t id = 0;
    std::string name;
    std::string description;
    std::string kind;  // "circle" or "polygon"
    std::string geometry_json;
    std::optional<double> radius_m;         // circles only
    std::optional<double> speed_limit_kmh;  // overspeed limit inside; nullopt: none of its own
    core::TimePoint created_at{};
    core::TimePoint updated_at{};
};

// Unset members keep their value (on AddGeofence: name, kind and geometry_json are required; the
// kind and geometry go together, with radius_m for a circle). The inner nullopt clears the limit.
struct GeofenceChange {
    std::optional<std::string> name;
    std::optional<std::string> description;
    std::optional<std::string> kind;
    std::optional<std::string> geometry_json;
    std::optional<double> radius_m;
    std::optional<std::optional<double>> speed_limit_kmh;
};

struct GeofenceFilter {
    std::string q;                    // in the name or description
    std::optional<std::string> kind;  // "circle" or "polygon"
};

// One refused feature of an import: its index in the collection and why.
struct ImportError {
    int64_t index = 0;
    std::string detail;
};
struct ImportResult {
    int64_t created = 0;
    std::vector<ImportError> errors;  // non-empty: nothing was created
};

// --- odometer
// -------------------------------------------------------------------------------------------

// A vehicle's odometer and engine hours now: the dashboard reading a manager set plus what the
// installed device counted since (device_counters), else the device's own totals; nullopt when
// neither is known.
struct Odometer {
    std::optional<double> odometer_km;
    std::optional<double> engine_hours;
    std::optional<core::TimePoint> set_at;  // when the dashboard reading was set
};

// --- driver assignments
// -----------------------------------------------------------------------------

struct Assignment {
    int64_t id = 0;
    int64_t vehicle_id = 0;
    int64_t driver_id = 0;
    std::string driver_name;
    core::TimePoint from{};
    std::optional<core::TimePoint> to;  // nullopt: open
    core::TimePoint created_at{};
};

// --- maintenance
// ----------------------------------------------------------------------------------------

// A maintenance plan (maintenance_plans). Dates are local days "YYYY-MM-DD" of the tenant.
struct MaintenancePlan {
    int64_t id = 0;
    int64_t vehicle_id = 0;
    std::string name;
    std::optional<double> interval_km;
    std::optional<double> interval_engine_h;
    std::optional<int64_t> interval_months;
    std::optional<std::string> due_date;  // a one-off date (inspection, insurance renewal)
    double warn_km = 1000;
    double warn_engine_h = 25;
    int64_t warn_days = 30;
    std::optional<std::string> last_done_date;
    std::optional<double> last_done_odometer_m;
    std::optional<double> last_done_engine_h;
    core::TimePoint created_at{};
    std::optional<core::TimePoint> archived_at;
};

// Unset members keep their value (on AddPlan vehicle_id and name are required, and the plan needs
// at least one of interval_km, interval_engine_h, interval_months or due_date); the inner nullopt
// clears a value. The vehicle of a plan does not change.
struct PlanChange {
    std::optional<int64_t> vehicle_id;
    std::optional<std::string> name;
    std::optional<std::optional<double>> interval_km;
    std::optional<std::optional<double>> interval_engine_h;
    std::optional<std::optional<int64_t>> interval_months;
    std::optional<std::optional<std::string>> due_date;
    std::optional<double> warn_km;
    std::optional<double> warn_engine_h;
    std::optional<int64_t> warn_days;
    std::optional<std::optional<std::string>> last_done_date;
    std::optional<std::optional<double>> last_done_odometer_m;
    std::optional<std::optional<double>> last_done_engine_h;
};

struct PlanFilter {
    std::optional<int64_t> vehicle_id;
    bool include_archived = false;
};

// A service done (service_log).
struct ServiceRecord {
    int64_t id = 0;
    int64_t vehicle_id = 0;
    std::optional<int64_t> plan_id;
    std::string date;  // YYYY-MM-DD
    std::optional<double> odometer_m;
    std::optional<double> engine_h;
    std::optional<int64_t> cost_cents;
    std::string currency = "EUR";  // ISO 4217: three upper-case letters
    std::string note;
    core::TimePoint created_at{};
};

struct ServiceFilter {
    std::optional<int64_t> vehicle_id;
    std::optional<int64_t> plan_id;
};

// What one run of the maintenance check did.
struct MaintenanceCheck {
    int64_t plans = 0;   // plans looked at
    int64_t raised = 0;  // events written (those raised before are not counted)
};

class OperationsStore {
public:
    // Works on `accounts`' connection, which must outlive this object.
    explicit OperationsStore(AccountStore& accounts);

    // --- processing settings (kTenantSettings to change)
    // --------------------------------------------- The tenant's stored settings: a JSON object
    // ("{}" when never set; the API fills the defaults).
    Result<std::string> ProcessingSettings(TenantScope scope);
    // Replaces them with `settings_json` (already validated and complete), audited
    // (settings.processing.update, with the settings as detail).
    Outcome<Done> SetProcessingSettings(TenantScope scope, const std::string& settings_json,
                                        const Actor& actor, core::TimePoint now);

    // --- geofences (kReportsRead to read, kOperationsWrite to change)
    // -------------------------------- Sort fields: id, name, created_at, updated_at.
    Result<Page<Geofence>> ListGeofences(TenantScope scope, const GeofenceFilter& filter,
                                         const Paging& paging);
    Result<std::optional<Geofence>> FindGeofence(TenantScope scope, int64_t id);
    // Names unique in the tenant (kConflict), one line, not blank; description one line; radius
    // from 1 m to 100 km for circles (none for polygons); speed limit from 1 to 300 km/h
    // (kInvalid). kConflict at kMaxGeofencesPerTenant.
    Outcome<Geofence> AddGeofence(TenantScope scope, const GeofenceChange& change,
                                  const Actor& actor, core::TimePoint now);
    Outcome<Geofence> UpdateGeofence(TenantScope scope, int64_t id, const GeofenceChange& change,
                                     const Actor& actor, core::TimePoint now);
    // Its visits and events stay (they name a geofence that is gone).
    Outcome<Done> DeleteGeofence(TenantScope scope, int64_t id, const Actor& actor,
                                 core::TimePoint now);
    // All or nothing: every geofence is checked as AddGeofence would (and against the others of the
    // import); when any is refused nothing is created and the errors say which and why. One audit
    // entry (geofence.import) for the import.
    Outcome<ImportResult> ImportGeofences(TenantScope scope,
                                          const std::vector<GeofenceChange>& geofences,
                                          const Actor& actor, core::TimePoint now);

    // --- odometer (kFleetRead to read, kOperationsWrite to set)
    // ----------------------------------------- kNotFound when the viewer does not see the vehicle.
    Outcome<Odometer> GetOdometer(const Viewer& viewer, int64_t vehicle_id);
    // Sets the dashboard reading: from now on the vehicle's odometer is `odometer_km` plus what its
    // device counts from here (and its engine hours likewise; without `engine_hours` they keep
    // their current value). 0 to 10,000,000 km and 0 to 1,000,000 h (kInvalid). Audited
    // (vehicle.odometer.set).
    Outcome<Odometer> SetOdometer(const Viewer& viewer, int64_t vehicle_id, double odometer_km,
                                  std::optional<double> engine_hours, const Actor& actor,
                                  core::TimePoint now);

    // --- driver assignments (kFleetRead to read, kOperationsWrite to change)
    // ----------------------------- The vehicle's assignments by from (then id). Sort fields: from.
    // kNotFound for an unseen vehicle.
    Outcome<Page<Assignment>> ListAssignments(const Viewer& viewer, int64_t vehicle_id,
                                              const Paging& paging);
    // kNotFound: the vehicle (unseen or archived) or the driver (not of the tenant). kInvalid: `to`
    // not after `from`. kConflict: it overlaps another assignment of the vehicle ([from, to), open
    // ones running forever), or kMaxAssignmentsPerVehicle. Audited (assignment.add).
    Outcome<Assignment> AddAssignment(const Viewer& viewer, int64_t vehicle_id, int64_t driver_id,
                                      core::TimePoint from, std::optional<core::TimePoint> to,
                                      const Actor& actor, core::TimePoint now);
    // Returns the vehicle it was of (for the configuration-change hook). Audited
    // (assignment.delete).
    Outcome<int64_t> DeleteAssignment(const Viewer& viewer, int64_t id, const Actor& actor,
                                      core::TimePoint now);

    // --- maintenance (kReportsRead to read, kOperationsWrite to change)
    // ---------------------------------- Plans of visible vehicles, sort fields: id, name,
    // created_at.
    Result<Page<MaintenancePlan>> ListPlans(const Viewer& viewer, const PlanFilter& filter,
                                            const Paging& paging);
    Result<std::optional<MaintenancePlan>> FindPlan(const Viewer& viewer, int64_t id);
    // kInvalid: a name that is blank or not one line, no interval and no due date, an interval or
    // warning out of range (km and hours > 0 up to 10,000,000; months 1 to 120; warnings >= 0), a
    // date that is not YYYY-MM-DD. kNotFound: the vehicle. kConflict at kMaxPlansPerVehicle.
    // Audited.
    Outcome<MaintenancePlan> AddPlan(const Viewer& viewer, const PlanChange& change,
                                     const Actor& actor, core::TimePoint now);
    // kConflict for an archived plan.
    Outcome<MaintenancePlan> UpdatePlan(const Viewer& viewer, int64_t id, const PlanChange& change,
                                        const Actor& actor, core::TimePoint now);
    // Archives (the service log keeps naming it). Again: unchanged. Audited
    // (maintenance_plan.archive).
    Outcome<MaintenancePlan> ArchivePlan(const Viewer& viewer, int64_t id, const Actor& actor,
                                         core::TimePoint now);

    // The service log of visible vehicles, newest date first. Sort fields: date, id.
    Result<Page<ServiceRecord>> ListServices(const Viewer& viewer, const ServiceFilter& filter,
                                             const Paging& paging);
    // Records a service. With a plan (of the same vehicle, not archived; the vehicle may then be
    // left out), the plan's last_done_* move to the service's date, odometer and engine hours —
    // those left out are taken from the vehicle's reading now — so its next due is counted from
    // this service. kInvalid: a date that is not YYYY-MM-DD, a negative cost or reading, a currency
    // that is not three upper-case letters, a note longer than 2,000 bytes. Audited (service.add).
    Outcome<ServiceRecord> AddService(const Viewer& viewer, const ServiceRecord& service,
                                      const Actor& actor, core::TimePoint now);

    // --- the maintenance check (its own thread; every tenant)
    // ---------------------------------------- Evaluates every plan of every active tenant's
    // vehicles on the tenant's `today` (by `now`) with the reports' computation
    // (ReportStore::MaintenanceDue's), and writes one event per plan, threshold and due cycle:
    // maintenance_due when due soon, maintenance_overdue when overdue. The event key names the
    // plan, the threshold and the due point (odometer, engine hours, date), so a plan raises each
    // once until a service (or a change of the plan) moves its due point.
    Result<MaintenanceCheck> CheckMaintenance(core::TimePoint now);

private:
    AccountStore::Impl& db_;
};

}  // namespace fleet::store
