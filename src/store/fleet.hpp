// FleetStore: a tenant's fleet — vehicle groups, vehicles, devices, installations (which device is
// in which vehicle, from when to when) and drivers — on the SQLite connection of an AccountStore
// (same database, same transactions, same audit chain). The schema is migration 3's.
//
// Tenancy: every method takes the caller's TenantScope, or a Viewer (the scope and the user whose
// group narrowing applies). An id of another tenant is answered exactly like a missing id. The only
// methods without a scope are the operator's device methods, named Operator*: they are for routes
// that require the operator's devices permission, and for nothing else.
//
// Group narrowing: a user with rows in user_groups sees only the vehicles of those groups. The rule
// is written once, in VisibleVehicleSql (detail/fleet_impl.hpp); every vehicle read and change here
// goes through it, and VisibleVehicleIds exposes it to the positions and live features.
//
// Every change is audited in its own transaction ("vehicle.add", "device.update", ...).
// Thread-safety: as AccountStore — one connection, NOT thread-safe; use the calling worker's own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/record.hpp"
#include "core/result.hpp"
#include "store/accounts.hpp"
#include "store/outcome.hpp"
#include "store/store.hpp"

namespace fleet::store {

// Who is looking: the tenant, and the signed-in user whose group narrowing applies (0: nobody's,
// for the operator's tools and tests; a user without user_groups rows is not narrowed either).
struct Viewer {
    TenantScope scope;
    int64_t user_id = 0;
    // Set for a user of the driver role: the time at which "their own vehicle" is decided. Such a
    // viewer sees only the vehicles that its driver record (drivers.user_id = user_id) is assigned
    // to at that time (driver_assignments: from <= driver_at < to), no groups, and of a vehicle's
    // positions only those inside its own assignment periods of that vehicle. A driver user
    // without a driver record sees nothing.
    std::optional<core::TimePoint> driver_at;
};

// The viewer for `user` reading with `scope` at `now`: narrowed to its own vehicle when its role is
// driver (see Viewer::driver_at), to its groups when it has some.
Viewer ViewerFor(const User& user, TenantScope scope, core::TimePoint now);

// --- groups --------------------------------------------------------------------------------------

struct Group {
    int64_t id = 0;
    std::string name;
    int64_t vehicle_count = 0;  // members that are not archived
    core::TimePoint created_at{};
};

// --- vehicles ------------------------------------------------------------------------------------

// The device installed in a vehicle now: its installation without an end.
struct Installed {
    int64_t installation_id = 0;
    int64_t device_id = 0;
    std::string imei;
    core::TimePoint from{};
};

struct Vehicle {
    int64_t id = 0;
    std::string name;
    std::optional<std::string> vin;  // upper-case
    std::string plate;
    std::string make;
    std::string model;
    std::optional<std::string> sale_date;       // YYYY-MM-DD
    std::optional<std::string> insurance_date;  // YYYY-MM-DD
    std::string technical_json = "{}";          // a JSON object
    std::optional<double> speed_limit_kmh;      // the overspeed limit; nullopt: the tenant's default
    std::vector<int64_t> group_ids;             // the groups the viewer can see, ascending
    core::TimePoint created_at{};
    std::optional<core::TimePoint> archived_at;
    std::optional<Installed> installation;
};

// The fields to set; members left unset keep their value (on AddVehicle: the default, and `name`
// is required). Inner nullopt clears a nullable field. Checked here: name not blank, text on one
// line, VIN (upper-cased, see core::NormaliseVin) and dates (YYYY-MM-DD that exist); the caller
// bounds lengths and makes sure technical_json is a serialised JSON object.
struct VehicleChange {
    std::optional<std::string> name;
    std::optional<std::optional<std::string>> vin;
    std::optional<std::string> plate;
    std::optional<std::string> make;
    std::optional<std::string> model;
    std::optional<std::optional<std::string>> sale_date;
    std::optional<std::optional<std::string>> insurance_date;
    std::optional<std::string> technical_json;
    std::optional<std::optional<double>> speed_limit_kmh;  // 1 to 300
    std::optional<std::vector<int64_t>> group_ids;  // replaces the memberships the viewer can see
};

struct VehicleFilter {
    std::string q;                   // in name, plate, VIN, make or model (case-insensitive ASCII)
    std::optional<int64_t> group_id;
    std::optional<std::string> make;
    std::optional<std::string> model;
    bool include_archived = false;
};

// --- devices -------------------------------------------------------------------------------------

struct FleetDevice {
    int64_t id = 0;
    std::string imei;
    std::string protocol;
    std::string name;
    DeviceStatus status = DeviceStatus::kActive;
    std::string model;
    std::string firmware;
    std::optional<int64_t> tenant_id;  // nullopt: the operator's stock
    std::string tenant;                // the tenant's name ("" for stock)
    std::optional<int64_t> vehicle_id;  // the vehicle it is installed in now
    core::TimePoint created_at{};
};

struct DeviceFilter {
    std::string q;  // in IMEI, name or model
    std::optional<DeviceStatus> status;
    std::optional<std::string> protocol;
    // Operator lists only: unset = every device; set to nullopt = the stock; set = that tenant's.
    std::optional<std::optional<TenantScope>> tenant;
};

// A device the operator registers (or approves from the pending list).
struct NewDevice {
    std::string imei;      // checked with core::ValidateDeviceId (except on approval)
    std::string protocol;  // teltonika, gt06, osmand
    std::string name;
    std::string model;
    std::string firmware;
    std::optional<TenantScope> tenant;  // nullopt: stock
};

// The operator's changes to a device; unset members stay as they are.
struct DeviceChange {
    std::optional<std::string> name;
    std::optional<std::string> model;
    std::optional<std::string> firmware;
    std::optional<DeviceStatus> status;
    std::optional<std::optional<TenantScope>> tenant;  // inner nullopt: back to stock
};

// --- installations -------------------------------------------------------------------------------

struct Installation {
    int64_t id = 0;
    int64_t vehicle_id = 0;
    int64_t device_id = 0;
    std::string imei;
    core::TimePoint from{};
    std::optional<core::TimePoint> to;  // nullopt: still installed
    std::string note;
    core::TimePoint created_at{};
};

struct NewInstallation {
    int64_t vehicle_id = 0;
    int64_t device_id = 0;
    core::TimePoint from{};
    std::optional<core::TimePoint> to;  // for recording a past installation
    std::string note;
};

struct InstallationFilter {
    std::optional<int64_t> vehicle_id;
    std::optional<int64_t> device_id;
    std::optional<bool> open;  // true: without an end; false: ended
};

// --- drivers -------------------------------------------------------------------------------------

struct Driver {
    int64_t id = 0;
    std::string name;
    std::optional<std::string> badge_id;  // as the device reports it (iButton, RFID); unique in the tenant
    std::string employee_number;
    std::optional<int64_t> user_id;       // the driver's account, of the same tenant
    core::TimePoint created_at{};
};

// Unset members keep their value (on AddDriver `name` is required); inner nullopt clears.
struct DriverChange {
    std::optional<std::string> name;
    std::optional<std::optional<std::string>> badge_id;
    std::optional<std::string> employee_number;
    std::optional<std::optional<int64_t>> user_id;
};

struct DriverFilter {
    std::string q;  // in name, badge id or employee number
    std::optional<int64_t> user_id;
};

class FleetStore {
public:
    // Works on `accounts`' connection, which must outlive this object.
    explicit FleetStore(AccountStore& accounts);

    // --- visibility (the narrowing rule) ------------------------------------------------------------
    // The ids of the vehicles `viewer` may see, ascending: the tenant's, and when the viewer's user
    // is narrowed to groups only the members of those groups. Archived ones only when asked.
    Result<std::vector<int64_t>> VisibleVehicleIds(const Viewer& viewer, bool include_archived);
    // True when the viewer's user is narrowed to groups, or is a driver.
    Result<bool> IsNarrowed(const Viewer& viewer);

    // --- groups -------------------------------------------------------------------------------------
    // Sort fields: id, name, created_at. q: in the name. A narrowed user sees only its own groups.
    Result<Page<Group>> ListGroups(const Viewer& viewer, const std::string& q, const Paging& paging);
    Result<std::optional<Group>> FindGroup(const Viewer& viewer, int64_t id);
    // Names are unique in the tenant (kConflict), not blank, one line. A narrowed user may not change
    // groups (kForbidden): groups decide what users see.
    Outcome<Group> AddGroup(const Viewer& viewer, const std::string& name, const Actor& actor, core::TimePoint now);
    Outcome<Group> RenameGroup(const Viewer& viewer, int64_t id, const std::string& name, const Actor& actor,
                               core::TimePoint now);
    // Deletes a group and its memberships. kConflict while users are narrowed to it: removing their
    // last group would widen what they see.
    Outcome<Done> DeleteGroup(const Viewer& viewer, int64_t id, const Actor& actor, core::TimePoint now);
    // Makes `vehicle_ids` (visible vehicles; duplicates ignored) the group's members.
    Outcome<Group> SetGroupVehicles(const Viewer& viewer, int64_t id, const std::vector<int64_t>& vehicle_ids,
                                    const Actor& actor, core::TimePoint now);

    // --- vehicles -----------------------------------------------------------------------------------
    // Sort fields: id, name, plate, vin, make, model, sale_date, insurance_date, created_at.
    Result<Page<Vehicle>> ListVehicles(const Viewer& viewer, const VehicleFilter& filter, const Paging& paging);
    // A visible vehicle, archived or not.
    Result<std::optional<Vehicle>> FindVehicle(const Viewer& viewer, int64_t id);
    // VIN unique in the tenant, archived vehicles included (kConflict); group ids must be visible
    // groups (kNotFound). A narrowed user's vehicle must stay in one of its groups (kInvalid).
    Outcome<Vehicle> AddVehicle(const Viewer& viewer, const VehicleChange& change, const Actor& actor,
                                core::TimePoint now);
    // As AddVehicle; an archived vehicle cannot be changed (kConflict).
    Outcome<Vehicle> UpdateVehicle(const Viewer& viewer, int64_t id, const VehicleChange& change, const Actor& actor,
                                   core::TimePoint now);
    // Archives a vehicle (it leaves lists, keeps its history) and ends its open installation at
    // `now`. Archiving an archived vehicle changes nothing.
    Outcome<Vehicle> ArchiveVehicle(const Viewer& viewer, int64_t id, const Actor& actor, core::TimePoint now);

    // --- devices of a tenant ------------------------------------------------------------------------
    // Sort fields: id, imei, name, model, created_at. filter.tenant is ignored (always the scope).
    Result<Page<FleetDevice>> ListDevices(TenantScope scope, const DeviceFilter& filter, const Paging& paging);
    Result<std::optional<FleetDevice>> FindDevice(TenantScope scope, int64_t id);
    // A tenant may only name its devices.
    Outcome<FleetDevice> RenameDevice(TenantScope scope, int64_t id, const std::string& name, const Actor& actor,
                                      core::TimePoint now);

    // --- devices: the operator's, across tenants -----------------------------------------------------
    Result<Page<FleetDevice>> OperatorListDevices(const DeviceFilter& filter, const Paging& paging);
    Result<std::optional<FleetDevice>> OperatorFindDevice(int64_t id);
    // Registers an active device (the IMEI is unique: kConflict) and clears it from the pending list.
    Outcome<FleetDevice> OperatorAddDevice(const NewDevice& device, const Actor& actor, core::TimePoint now);
    // A device that is installed in a vehicle cannot change tenant (kConflict): end the installation.
    Outcome<FleetDevice> OperatorUpdateDevice(int64_t id, const DeviceChange& change, const Actor& actor,
                                              core::TimePoint now);
    // Devices that tried to connect unregistered. Sort fields: last_attempt, first_attempt, imei,
    // attempts. q: in the IMEI.
    Result<Page<PendingDevice>> OperatorListPending(const std::string& q, const Paging& paging);
    // Registers a pending device with the protocol it used (kNotFound when it is not pending). Its id
    // is not checked: it is what the device sent. `details.imei` and `.protocol` are ignored.
    Outcome<FleetDevice> OperatorApprovePending(const std::string& imei, const NewDevice& details,
                                                const Actor& actor, core::TimePoint now);

    // --- installations ------------------------------------------------------------------------------
    // Installations of visible vehicles. Sort fields: id, from, to.
    Result<Page<Installation>> ListInstallations(const Viewer& viewer, const InstallationFilter& filter,
                                                 const Paging& paging);
    Result<std::optional<Installation>> FindInstallation(const Viewer& viewer, int64_t id);
    // The vehicle must be visible and not archived, the device the tenant's (kNotFound), and neither
    // installed during [from, to) (kConflict); `to` after `from` (kInvalid).
    Outcome<Installation> AddInstallation(const Viewer& viewer, const NewInstallation& in, const Actor& actor,
                                          core::TimePoint now);
    // Ends an open installation at `to` (after its start: kInvalid; already ended: kConflict).
    Outcome<Installation> EndInstallation(const Viewer& viewer, int64_t id, core::TimePoint to, const Actor& actor,
                                          core::TimePoint now);

    // --- drivers ------------------------------------------------------------------------------------
    // Sort fields: id, name, badge_id, employee_number, created_at.
    Result<Page<Driver>> ListDrivers(TenantScope scope, const DriverFilter& filter, const Paging& paging);
    Result<std::optional<Driver>> FindDriver(TenantScope scope, int64_t id);
    // Badge ids unique in the tenant (kConflict); user_id a user of the tenant (kNotFound) that is no
    // other driver (kConflict).
    Outcome<Driver> AddDriver(TenantScope scope, const DriverChange& change, const Actor& actor, core::TimePoint now);
    Outcome<Driver> UpdateDriver(TenantScope scope, int64_t id, const DriverChange& change, const Actor& actor,
                                 core::TimePoint now);
    Outcome<Done> DeleteDriver(TenantScope scope, int64_t id, const Actor& actor, core::TimePoint now);

private:
    AccountStore::Impl& db_;
};

}  // namespace fleet::store
