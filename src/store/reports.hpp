// ReportStore: the reports of a tenant's fleet, read from what the pipeline derives (trips, stops,
// events, geofence visits, device counters — migration 4's tables), the events inbox with its
// acknowledgement, and the users' scheduled reports. On the SQLite connection of an AccountStore,
// like FleetStore.
//
// Tenancy: every method takes the caller's Viewer; a report covers only the vehicles the viewer
// sees (FleetStore's VisibleVehicleSql: the tenant's, narrowed to the user's groups). A vehicle,
// group, driver or event id the viewer cannot see is refused as kNotFound, exactly like a missing one.
//
// Ranges: [from, to). Rows that have a duration (trips, stops, geofence visits) belong to a range
// when they overlap it and are reported whole, once, with their own start and end — a trip across
// midnight or across the range's end is not cut. Aggregates (daily summary, eco-driving, fuel,
// utilisation) count each trip once, in the range and on the local day where it STARTS, so that
// consecutive ranges and days add up to the whole. A vehicle's trips (and stops) never overlap each
// other (a vehicle has one device at a time), which is what lets the trip that started before `from`
// and is still running be found with one index seek (see reports_trips.cpp).
//
// Thread-safety: as AccountStore — one connection, NOT thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"
#include "store/fleet.hpp"
#include "store/outcome.hpp"

namespace fleet::store {

// The reports work in local days of the tenant's zone (core/zone.hpp).
using core::LocalDay;
using core::ParseLocalDay;
using core::Zone;

// The longest range a report covers (a year, leap day included).
inline constexpr int kMaxReportDays = 366;

// Which part of the fleet and which period a report covers. Unset ids: every visible vehicle.
struct ReportFilter {
    core::TimePoint from{};
    core::TimePoint to{};
    std::optional<int64_t> vehicle_id;
    std::optional<int64_t> group_id;
    std::optional<int64_t> driver_id;  // trips and stops attributed to this driver only
};

// One page of a report's rows: at most `limit` from `offset`, in the report's own order.
struct ReportPage {
    int64_t limit = 100;
    int64_t offset = 0;
};

struct TripRow {
    int64_t id = 0;
    int64_t vehicle_id = 0;
    std::string vehicle_name;
    int64_t device_id = 0;
    std::optional<int64_t> driver_id;
    std::string driver_name;  // "" without a driver
    core::TimePoint start_time{}, end_time{};
    double start_lat = 0, start_lon = 0, end_lat = 0, end_lon = 0;
    double start_odometer_m = 0, end_odometer_m = 0, distance_m = 0;
    double max_speed_kmh = 0, avg_speed_kmh = 0, idle_s = 0, overspeed_s = 0;
    int64_t harsh_acceleration = 0, harsh_braking = 0, harsh_cornering = 0;
    std::optional<double> fuel_used_l;
    std::optional<double> eco_score;
};

struct StopRow {
    int64_t id = 0;
    int64_t vehicle_id = 0;
    std::string vehicle_name;
    int64_t device_id = 0;
    std::optional<int64_t> driver_id;
    std::string driver_name;
    core::TimePoint start_time{}, end_time{};
    double lat = 0, lon = 0, odometer_m = 0, engine_on_s = 0;
};

// One vehicle's local day: the trips that started that day.
struct DaySummary {
    LocalDay day;
    int64_t vehicle_id = 0;
    std::string vehicle_name;
    int64_t trips = 0;
    double distance_m = 0;
    double driving_s = 0;  // trip time less idling
    double idle_s = 0;
    std::optional<double> max_speed_kmh;         // nullopt without trips
    std::optional<core::TimePoint> first_start;  // of the day's first trip
    std::optional<core::TimePoint> last_end;     // of the day's last trip (may be the next day)
    std::optional<double> fuel_used_l;           // nullopt when no trip reported fuel
};

struct EventRow {
    int64_t id = 0;
    std::string type;
    core::TimePoint time{};
    std::optional<int64_t> vehicle_id;
    std::string vehicle_name;
    std::optional<int64_t> device_id;
    std::optional<int64_t> driver_id;
    std::string driver_name;
    std::optional<int64_t> geofence_id;
    std::string geofence_name;
    std::optional<double> lat, lon;
    std::string detail_json = "{}";  // a JSON object, as the pipeline wrote it
    core::TimePoint created_at{};
    std::optional<core::TimePoint> acknowledged_at;
    std::optional<int64_t> acknowledged_by;  // a user id
};

struct EventFilter {
    std::optional<core::TimePoint> from;  // time >= from
    std::optional<core::TimePoint> to;    // time < to
    std::vector<std::string> types;       // any of them; empty: every type
    std::optional<int64_t> vehicle_id;
    std::optional<int64_t> group_id;
    std::optional<int64_t> driver_id;
    std::optional<bool> acknowledged;
};

// Where an inbox page ends: the next page has the events strictly older (time, then id).
struct EventCursor {
    core::TimePoint time{};
    int64_t id = 0;
};

struct VisitRow {
    int64_t id = 0;
    int64_t vehicle_id = 0;
    std::string vehicle_name;
    std::optional<int64_t> driver_id;
    std::string driver_name;
    int64_t geofence_id = 0;
    std::string geofence_name;
    core::TimePoint enter_time{};
    std::optional<core::TimePoint> exit_time;  // nullopt: still inside
    std::optional<double> duration_s;          // nullopt while inside
};

enum class EcoBy { kDriver, kVehicle };

// A driver's or a vehicle's driving over the range, from its trips; best eco_score first.
struct EcoRow {
    int64_t id = 0;  // the driver's or the vehicle's
    std::string name;
    int64_t trips = 0;
    double distance_m = 0;
    double duration_s = 0;               // trip time
    std::optional<double> eco_score;     // distance-weighted mean of the trips' scores
    int64_t harsh_acceleration = 0, harsh_braking = 0, harsh_cornering = 0;
    std::optional<double> harsh_per_100km;    // all three kinds; nullopt without distance
    std::optional<double> overspeed_share;    // of trip time, 0..1; nullopt without trip time
    std::optional<double> idle_share;         // of trip time, 0..1
};

struct FuelRow {
    int64_t vehicle_id = 0;
    std::string vehicle_name;
    int64_t trips = 0;
    double distance_m = 0;
    std::optional<double> fuel_used_l;        // trips that reported fuel
    double fuel_distance_m = 0;               // the distance of those trips
    std::optional<double> l_per_100km;        // fuel_used_l over fuel_distance_m
    int64_t refuels = 0;
    double refuel_l = 0;                      // events' detail.litres
    int64_t fuel_drops = 0;
    double fuel_drop_l = 0;
};

struct UtilisationRow {
    int64_t vehicle_id = 0;
    std::string vehicle_name;
    int64_t days = 0;       // local days of the range
    int64_t days_used = 0;  // with at least one trip starting
    double used_share = 0;  // days_used / days
    int64_t trips = 0;
    double trips_per_day = 0;
    double distance_m = 0;
    double duration_s = 0;  // trip time
    std::optional<double> avg_trip_distance_m;
    std::optional<double> avg_trip_duration_s;
};

enum class DueStatus { kOk, kDueSoon, kOverdue };
std::string_view ToString(DueStatus s);  // "ok", "due_soon", "overdue"

// A maintenance plan of a visible vehicle with how far it is from its next service.
struct MaintenanceDueRow {
    int64_t plan_id = 0;
    int64_t vehicle_id = 0;
    std::string vehicle_name;
    std::string name;
    std::optional<double> odometer_m;         // the vehicle's odometer now, when known
    std::optional<double> engine_h;           // its engine hours now, when known
    std::optional<double> due_odometer_m;     // distance plans
    std::optional<double> remaining_km;
    std::optional<double> due_engine_h;       // engine-hour plans
    std::optional<double> remaining_engine_h;
    std::optional<LocalDay> due_date;         // calendar plans and one-off dates
    std::optional<int64_t> remaining_days;
    DueStatus status = DueStatus::kOk;        // the worst of the plan's measures
};

// --- scheduled reports ----------------------------------------------------------------------------

inline constexpr int64_t kMaxSchedulesPerUser = 20;

struct ReportSchedule {
    int64_t id = 0;
    int64_t tenant_id = 0;
    int64_t user_id = 0;
    std::string report;       // a report name (trips, summary, ...), checked by the API
    std::string params_json;  // a JSON object of the report's filters, checked by the API
    std::string frequency;    // "daily", "weekly"
    std::string format;       // "csv", "xlsx"
    core::TimePoint next_run_at{};
    std::optional<core::TimePoint> last_run_at;
    core::TimePoint created_at{};
};

// Unset members keep their value; on AddSchedule report, frequency and format are required.
struct ScheduleChange {
    std::optional<std::string> report;
    std::optional<std::string> params_json;
    std::optional<std::string> frequency;
    std::optional<std::string> format;
};

// When a schedule sends (06:00 local time: late records of the night have arrived by then): a daily
// one every day, covering the day before; a weekly one on Mondays, covering Monday to Sunday of the
// week before. The first run strictly after `after`.
core::TimePoint NextScheduleRun(const std::string& frequency, const Zone& zone, core::TimePoint after);
// The local days [first, last] a run at `run` covers.
std::pair<LocalDay, LocalDay> ScheduleDays(const std::string& frequency, const Zone& zone, core::TimePoint run);

class ReportStore {
public:
    // Works on `accounts`' connection, which must outlive this object.
    explicit ReportStore(AccountStore& accounts);

    // The tenant's time zone.
    Result<Zone> TenantZone(TenantScope scope);

    // Checked by every report: to after from, at most kMaxReportDays apart (kInvalid), and the
    // filter's vehicle, group and driver visible (kNotFound).
    Outcome<Done> CheckFilter(const Viewer& viewer, const ReportFilter& filter);

    // Trips overlapping the range, whole, by start time (then id).
    Outcome<Page<TripRow>> Trips(const Viewer& viewer, const ReportFilter& filter, const ReportPage& page);
    // Stops overlapping the range, whole, by start time.
    Outcome<Page<StopRow>> Stops(const Viewer& viewer, const ReportFilter& filter, const ReportPage& page);
    // One row per visible vehicle and local day of the range (days without trips included), by day
    // then vehicle name. Vehicles archived before the range are left out.
    Outcome<Page<DaySummary>> DailySummary(const Viewer& viewer, const ReportFilter& filter, const Zone& zone,
                                           const ReportPage& page);
    // Geofence visits overlapping the range, whole, by enter time. geofence_id narrows to one.
    Outcome<Page<VisitRow>> GeofenceVisits(const Viewer& viewer, const ReportFilter& filter,
                                           std::optional<int64_t> geofence_id, const ReportPage& page);
    // Drivers (trips without a driver are left out) or vehicles with trips starting in the range,
    // best score first (those without a score last), then by name.
    Outcome<Page<EcoRow>> EcoRanking(const Viewer& viewer, const ReportFilter& filter, EcoBy by,
                                     const ReportPage& page);
    // Each vehicle with trips or fuel events in the range, by name.
    Outcome<Page<FuelRow>> Fuel(const Viewer& viewer, const ReportFilter& filter, const ReportPage& page);
    // Each visible vehicle (as DailySummary), by name.
    Outcome<Page<UtilisationRow>> Utilisation(const Viewer& viewer, const ReportFilter& filter, const Zone& zone,
                                              const ReportPage& page);
    // The maintenance plans (not archived) of visible vehicles with their status on `today`, worst
    // first (overdue, due soon, ok), then by vehicle name. The filter's range is not used. (This is
    // the reports' own reading of maintenance_plans, vehicle_odometer and device_counters; see
    // reports_maintenance.cpp.)
    Outcome<Page<MaintenanceDueRow>> MaintenanceDue(const Viewer& viewer, const ReportFilter& filter,
                                                    LocalDay today, const ReportPage& page);

    // --- events --------------------------------------------------------------------------------------
    // Events of visible vehicles, and (for a viewer who is not narrowed, with no vehicle, group or
    // driver filter) the tenant's events that have no vehicle. Newest first (time, then id).
    Outcome<Page<EventRow>> Events(const Viewer& viewer, const EventFilter& filter, const ReportPage& page);
    // The inbox: as Events, a page of at most `limit` older than `before` (keyset paging, no total).
    Outcome<std::vector<EventRow>> EventInbox(const Viewer& viewer, const EventFilter& filter,
                                              const std::optional<EventCursor>& before, int64_t limit);
    Result<std::optional<EventRow>> FindEvent(const Viewer& viewer, int64_t id);
    // Notes who acknowledged the event and when, audited (event.acknowledge). Acknowledging an
    // acknowledged event changes nothing (the first acknowledgement stays) and is not audited again.
    Outcome<EventRow> AcknowledgeEvent(const Viewer& viewer, int64_t id, const Actor& actor, core::TimePoint now);

    // --- scheduled reports: the owner's own ---------------------------------------------------------
    // The user's schedules, by id (at most kMaxSchedulesPerUser).
    Result<std::vector<ReportSchedule>> ListSchedules(const Viewer& owner);
    Result<std::optional<ReportSchedule>> FindSchedule(const Viewer& owner, int64_t id);
    // kConflict at kMaxSchedulesPerUser. The first run is computed from `now` in `zone`. Audited
    // (report_schedule.add / .update / .delete).
    Outcome<ReportSchedule> AddSchedule(const Viewer& owner, const ScheduleChange& change, const Zone& zone,
                                        const Actor& actor, core::TimePoint now);
    // A new frequency moves the next run.
    Outcome<ReportSchedule> UpdateSchedule(const Viewer& owner, int64_t id, const ScheduleChange& change,
                                           const Zone& zone, const Actor& actor, core::TimePoint now);
    Outcome<Done> DeleteSchedule(const Viewer& owner, int64_t id, const Actor& actor, core::TimePoint now);

    // --- scheduled reports: the sender's (every tenant's) -------------------------------------------
    // Schedules due at `now`, oldest due first, at most `limit`.
    Result<std::vector<ReportSchedule>> DueSchedules(core::TimePoint now, int64_t limit);
    // Records a run in one transaction: queues `mail` (when set), moves the schedule to
    // `next_run_at`, notes `now` as its last run, and appends `audit` (when set). False when the
    // schedule is gone or was already moved past `due` (another sender ran it): nothing is queued.
    Result<bool> CompleteScheduleRun(int64_t id, core::TimePoint due, core::TimePoint now,
                                     core::TimePoint next_run_at, const std::optional<OutgoingMail>& mail,
                                     const std::optional<AuditEntry>& audit);

private:
    AccountStore::Impl& db_;
    FleetStore fleet_;  // the visibility checks of the filter's ids
};

}  // namespace fleet::store
