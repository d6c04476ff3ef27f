#include "store/fleet.hpp"

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

using test::Ok;
using test::RefusalOf;
using test::T;

class FleetStoreTest : public test::DatabaseTest {
protected:
    void SetUp() override {
        OpenDatabase();
        if (HasFatalFailure()) return;
    }

    // SQL on a connection of its own, for what no method does yet (narrowing users to groups).
    void Exec(const std::string& sql) {
        store::test::ExecSql(path_, sql);
    }

    int64_t AddUser(TenantScope scope, const std::string& email) {
        auto u = accounts_->AddUser(scope, NewUser{email, "$argon2id$fake", Role::kFleetManager, false}, cli_, now_);
        EXPECT_TRUE(u.ok());
        return u.ok() ? u->id : 0;
    }
    int64_t AddVehicle(const Viewer& viewer, const std::string& name, std::vector<int64_t> groups = {}) {
        VehicleChange c;
        c.name = name;
        if (!groups.empty()) c.group_ids = groups;
        return Ok(fleet_->AddVehicle(viewer, c, cli_, now_)).id;
    }
    int64_t AddDevice(const std::string& imei, std::optional<TenantScope> tenant) {
        NewDevice d;
        d.imei = imei;
        d.protocol = "teltonika";
        d.tenant = tenant;
        return Ok(fleet_->OperatorAddDevice(d, cli_, now_)).id;
    }
    Outcome<Installation> Install(const Viewer& viewer, int64_t vehicle, int64_t device, TimePoint from,
                                  std::optional<TimePoint> to = std::nullopt) {
        return fleet_->AddInstallation(viewer, NewInstallation{vehicle, device, from, to, ""}, cli_, now_);
    }
    std::vector<std::string> AuditActions() {
        auto entries = accounts_->ListAudit(std::nullopt, 1000);
        std::vector<std::string> out;
        for (auto it = entries->rbegin(); it != entries->rend(); ++it) out.push_back(it->action);
        return out;
    }

};

TEST_F(FleetStoreTest, VehicleFieldsAreCheckedAndTheVinUpperCased) {
    Viewer acme{acme_};
    VehicleChange c;
    c.name = "Van 1";
    c.vin = std::optional<std::string>("wp0zzz99zts392124");
    c.plate = "AB-123-CD";
    c.sale_date = std::optional<std::string>("2024-02-29");
    c.technical_json = R"({"fuel":"diesel"})";
    Vehicle v = Ok(fleet_->AddVehicle(acme, c, cli_, now_));
    EXPECT_EQ(v.vin, "WP0ZZZ99ZTS392124");
    EXPECT_EQ(v.sale_date, "2024-02-29");
    EXPECT_EQ(v.technical_json, R"({"fuel":"diesel"})");
    EXPECT_EQ(v.created_at, now_);

    for (auto bad : std::vector<VehicleChange>{
             [] { VehicleChange b; b.name = "x"; b.vin = std::optional<std::string>("WP0ZZZ99ZTS39212O"); return b; }(),
             [] { VehicleChange b; b.name = "x"; b.sale_date = std::optional<std::string>("2023-02-29"); return b; }(),
             [] { VehicleChange b; b.name = "  "; return b; }(),
             [] { VehicleChange b; b.name = "a\nb"; return b; }(),
             [] { VehicleChange b; b.plate = "AB"; return b; }(),  // no name
         }) {
        EXPECT_EQ(RefusalOf(fleet_->AddVehicle(acme, bad, cli_, now_)), Refusal::kInvalid);
    }
}

TEST_F(FleetStoreTest, VinIsUniqueInATenantOnly) {
    VehicleChange c;
    c.name = "Van";
    c.vin = std::optional<std::string>("WP0ZZZ99ZTS392124");
    Ok(fleet_->AddVehicle(Viewer{acme_}, c, cli_, now_));
    c.vin = std::optional<std::string>("wp0zzz99zts392124");
    EXPECT_EQ(RefusalOf(fleet_->AddVehicle(Viewer{acme_}, c, cli_, now_)), Refusal::kConflict);
    Ok(fleet_->AddVehicle(Viewer{globex_}, c, cli_, now_));
}

TEST_F(FleetStoreTest, AnotherTenantsIdsAreNotFound) {
    Viewer acme{acme_}, globex{globex_};
    int64_t vehicle = AddVehicle(acme, "Acme van");
    int64_t group = Ok(fleet_->AddGroup(acme, "North", cli_, now_)).id;
    int64_t device = AddDevice("356307042441013", acme_);
    int64_t installation = Ok(Install(acme, vehicle, device, now_)).id;
    DriverChange dc;
    dc.name = "Ann";
    int64_t driver = Ok(fleet_->AddDriver(acme_, dc, cli_, now_)).id;

    EXPECT_FALSE(fleet_->FindVehicle(globex, vehicle)->has_value());
    EXPECT_FALSE(fleet_->FindGroup(globex, group)->has_value());
    EXPECT_FALSE(fleet_->FindDevice(globex_, device)->has_value());
    EXPECT_FALSE(fleet_->FindInstallation(globex, installation)->has_value());
    EXPECT_FALSE(fleet_->FindDriver(globex_, driver)->has_value());
    EXPECT_EQ(fleet_->ListVehicles(globex, {}, {})->total, 0);
    EXPECT_EQ(fleet_->ListGroups(globex, "", {})->total, 0);
    EXPECT_EQ(fleet_->ListDevices(globex_, {}, {})->total, 0);
    EXPECT_EQ(fleet_->ListInstallations(globex, {}, {})->total, 0);
    EXPECT_EQ(fleet_->ListDrivers(globex_, {}, {})->total, 0);

    VehicleChange rename;
    rename.name = "Mine now";
    EXPECT_EQ(RefusalOf(fleet_->UpdateVehicle(globex, vehicle, rename, cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ(RefusalOf(fleet_->ArchiveVehicle(globex, vehicle, cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ(RefusalOf(fleet_->RenameGroup(globex, group, "x", cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ(RefusalOf(fleet_->DeleteGroup(globex, group, cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ(RefusalOf(fleet_->RenameDevice(globex_, device, "x", cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ(RefusalOf(fleet_->EndInstallation(globex, installation, now_ + 1h, cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ(RefusalOf(fleet_->UpdateDriver(globex_, driver, dc, cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ(RefusalOf(fleet_->DeleteDriver(globex_, driver, cli_, now_)), Refusal::kNotFound);
    // Nor can globex use acme's things in its own: a group, a vehicle, a device, a user.
    int64_t own = AddVehicle(globex, "Globex van");
    VehicleChange join;
    join.group_ids = std::vector<int64_t>{group};
    EXPECT_EQ(RefusalOf(fleet_->UpdateVehicle(globex, own, join, cli_, now_)), Refusal::kNotFound);
    int64_t own_group = Ok(fleet_->AddGroup(globex, "North", cli_, now_)).id;  // same name, other tenant
    EXPECT_EQ(RefusalOf(fleet_->SetGroupVehicles(globex, own_group, {own, vehicle}, cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ(RefusalOf(Install(globex, own, device, now_ + 1h)), Refusal::kNotFound);
    DriverChange linked;
    linked.name = "Bob";
    linked.user_id = std::optional<int64_t>(AddUser(acme_, "bob@acme.example"));
    EXPECT_EQ(RefusalOf(fleet_->AddDriver(globex_, linked, cli_, now_)), Refusal::kNotFound);
    // Nothing of acme's changed.
    EXPECT_EQ((*fleet_->FindVehicle(acme, vehicle))->name, "Acme van");
    EXPECT_EQ((*fleet_->FindGroup(acme, group))->vehicle_count, 0);
}

TEST_F(FleetStoreTest, ListsPageSortAndSearch) {
    Viewer acme{acme_};
    for (const char* name : {"bravo", "Alpha", "charlie", "100% electric", "delta_1"}) AddVehicle(acme, name);
    Paging paging;
    paging.sort = "name";
    paging.limit = 2;
    auto first = fleet_->ListVehicles(acme, {}, paging);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->total, 5);
    ASSERT_EQ(first->items.size(), 2u);
    EXPECT_EQ(first->items[0].name, "100% electric");
    EXPECT_EQ(first->items[1].name, "Alpha");  // case-insensitive order
    paging.offset = 4;
    EXPECT_EQ(fleet_->ListVehicles(acme, {}, paging)->items.at(0).name, "delta_1");
    paging = Paging{};
    paging.sort = "name";
    paging.descending = true;
    EXPECT_EQ(fleet_->ListVehicles(acme, {}, paging)->items.at(0).name, "delta_1");
    // % and _ in the search text are plain characters.
    VehicleFilter f;
    f.q = "0%";
    auto found = fleet_->ListVehicles(acme, f, {});
    ASSERT_EQ(found->items.size(), 1u);
    EXPECT_EQ(found->items[0].name, "100% electric");
    f.q = "a_";
    EXPECT_EQ(fleet_->ListVehicles(acme, f, {})->total, 1);
    f.q = "ALPHA";
    EXPECT_EQ(fleet_->ListVehicles(acme, f, {})->total, 1);
    paging.sort = "color";
    EXPECT_FALSE(fleet_->ListVehicles(acme, {}, paging).ok());
}

TEST_F(FleetStoreTest, ArchivedVehiclesLeaveListsKeepHistoryAndFreeTheirDevice) {
    Viewer acme{acme_};
    VehicleChange old;
    old.name = "Old van";
    old.vin = std::optional<std::string>("WP0ZZZ99ZTS392124");
    int64_t vehicle = Ok(fleet_->AddVehicle(acme, old, cli_, now_)).id;
    AddVehicle(acme, "New van");
    int64_t device = AddDevice("356307042441013", acme_);
    int64_t installation = Ok(Install(acme, vehicle, device, now_ - 24h)).id;
    ASSERT_TRUE((*fleet_->FindVehicle(acme, vehicle))->installation.has_value());

    Vehicle archived = Ok(fleet_->ArchiveVehicle(acme, vehicle, cli_, now_));
    EXPECT_EQ(archived.archived_at, now_);
    EXPECT_FALSE(archived.installation.has_value());
    EXPECT_EQ(fleet_->ListVehicles(acme, {}, {})->total, 1);
    VehicleFilter all;
    all.include_archived = true;
    EXPECT_EQ(fleet_->ListVehicles(acme, all, {})->total, 2);
    EXPECT_TRUE(fleet_->FindVehicle(acme, vehicle)->has_value());
    auto history = fleet_->FindInstallation(acme, installation);
    ASSERT_TRUE(history.ok() && history->has_value());
    EXPECT_EQ((*history)->to, now_);
    // Archived: no changes, no new installation; archiving again changes nothing.
    VehicleChange rename;
    rename.name = "x";
    EXPECT_EQ(RefusalOf(fleet_->UpdateVehicle(acme, vehicle, rename, cli_, now_)), Refusal::kConflict);
    EXPECT_EQ(RefusalOf(Install(acme, vehicle, device, now_ + 1h)), Refusal::kConflict);
    size_t audited = AuditActions().size();
    EXPECT_EQ(Ok(fleet_->ArchiveVehicle(acme, vehicle, cli_, now_ + 1h)).archived_at, now_);
    EXPECT_EQ(AuditActions().size(), audited);
    // The VIN of an archived vehicle stays taken (its history keeps pointing at it).
    old.name = "Old van again";
    EXPECT_EQ(RefusalOf(fleet_->AddVehicle(acme, old, cli_, now_)), Refusal::kConflict);
}

TEST_F(FleetStoreTest, InstallationsRefuseOverlapsOfTheDeviceOrTheVehicle) {
    Viewer acme{acme_};
    int64_t van = AddVehicle(acme, "Van");
    int64_t truck = AddVehicle(acme, "Truck");
    int64_t d1 = AddDevice("356307042441013", acme_);
    int64_t d2 = AddDevice("352093086403655", acme_);
    TimePoint t0 = now_ - 72h, t1 = now_ - 48h;

    // A past installation [t0, t1) of d1 in the van, recorded afterwards.
    Ok(Install(acme, van, d1, t0, t1));
    EXPECT_EQ(RefusalOf(Install(acme, truck, d1, t0 + 1h, t1 - 1h)), Refusal::kConflict);  // inside
    EXPECT_EQ(RefusalOf(Install(acme, truck, d1, t0 - 1h)), Refusal::kConflict);           // open over it
    EXPECT_EQ(RefusalOf(Install(acme, van, d2, t1 - 1ms)), Refusal::kConflict);            // the van, 1 ms
    EXPECT_EQ(RefusalOf(Install(acme, van, d1, t1, t0)), Refusal::kInvalid);               // to before from
    // Back to back is fine: [t1, open) of d1 in the truck.
    int64_t open = Ok(Install(acme, truck, d1, t1)).id;
    EXPECT_EQ(RefusalOf(Install(acme, van, d1, now_)), Refusal::kConflict);     // the device is in the truck
    EXPECT_EQ(RefusalOf(Install(acme, truck, d2, now_)), Refusal::kConflict);   // the truck has a device
    Ok(Install(acme, van, d2, now_));
    EXPECT_EQ((*fleet_->FindVehicle(acme, truck))->installation->imei, "356307042441013");
    EXPECT_EQ((*fleet_->FindDevice(acme_, d1))->vehicle_id, truck);

    EXPECT_EQ(RefusalOf(fleet_->EndInstallation(acme, open, t1, cli_, now_)), Refusal::kInvalid);
    Ok(fleet_->EndInstallation(acme, open, now_, cli_, now_));
    EXPECT_EQ(RefusalOf(fleet_->EndInstallation(acme, open, now_ + 1h, cli_, now_)), Refusal::kConflict);
    EXPECT_FALSE((*fleet_->FindVehicle(acme, truck))->installation.has_value());
    Ok(Install(acme, truck, d1, now_));

    InstallationFilter of_van;
    of_van.vehicle_id = van;
    Paging by_from;
    by_from.sort = "from";
    auto history = fleet_->ListInstallations(acme, of_van, by_from);
    ASSERT_EQ(history->items.size(), 2u);
    EXPECT_EQ(history->items[0].from, t0);
    EXPECT_EQ(history->items[1].imei, "352093086403655");
    InstallationFilter ended;
    ended.open = false;
    EXPECT_EQ(fleet_->ListInstallations(acme, ended, {})->total, 2);
}

TEST_F(FleetStoreTest, OnlyTheDriverRoleIsNarrowedToItsAssignedVehicle) {
    for (Role role : {Role::kOperatorAdmin, Role::kTenantAdmin, Role::kFleetManager, Role::kViewer}) {
        User u{7, acme_.tenant_id()};
        u.role = role;
        EXPECT_FALSE(ViewerFor(u, acme_, now_).driver_at.has_value());
    }
    User driver{8, acme_.tenant_id()};
    driver.role = Role::kDriver;
    Viewer v = ViewerFor(driver, acme_, now_);
    EXPECT_EQ(v.driver_at, now_);
    EXPECT_EQ(v.user_id, 8);
    EXPECT_EQ(v.scope.tenant_id(), acme_.tenant_id());
    // positions_test.cpp checks what such a viewer sees.
}

TEST_F(FleetStoreTest, ANarrowedUserSeesAndChangesOnlyItsGroupsVehicles) {
    Viewer admin{acme_};
    int64_t north = Ok(fleet_->AddGroup(admin, "North", cli_, now_)).id;
    int64_t south = Ok(fleet_->AddGroup(admin, "South", cli_, now_)).id;
    int64_t n1 = AddVehicle(admin, "N1", {north});
    int64_t both = AddVehicle(admin, "Both", {north, south});
    int64_t s1 = AddVehicle(admin, "S1", {south});
    int64_t loose = AddVehicle(admin, "Loose");
    int64_t user = AddUser(acme_, "nora@acme.example");
    Viewer nora{acme_, user};
    EXPECT_EQ(*fleet_->VisibleVehicleIds(nora, false), (std::vector<int64_t>{n1, both, s1, loose}));
    EXPECT_FALSE(*fleet_->IsNarrowed(nora));

    Exec(fmt::format("INSERT INTO user_groups (user_id, group_id) VALUES ({}, {})", user, north));
    EXPECT_TRUE(*fleet_->IsNarrowed(nora));
    EXPECT_EQ(*fleet_->VisibleVehicleIds(nora, false), (std::vector<int64_t>{n1, both}));
    auto list = fleet_->ListVehicles(nora, {}, {});
    ASSERT_EQ(list->total, 2);
    EXPECT_EQ(list->items[1].group_ids, std::vector<int64_t>{north});  // South is not hers to see
    EXPECT_EQ((*fleet_->FindVehicle(admin, both))->group_ids, (std::vector<int64_t>{north, south}));
    EXPECT_FALSE(fleet_->FindVehicle(nora, s1)->has_value());
    EXPECT_FALSE(fleet_->FindVehicle(nora, loose)->has_value());
    VehicleFilter in_south;
    in_south.group_id = south;
    EXPECT_EQ(fleet_->ListVehicles(nora, in_south, {})->total, 0);
    auto groups = fleet_->ListGroups(nora, "", {});
    ASSERT_EQ(groups->total, 1);
    EXPECT_EQ(groups->items[0].name, "North");
    EXPECT_FALSE(fleet_->FindGroup(nora, south)->has_value());

    // Changes: only visible vehicles, and they stay in one of her groups.
    VehicleChange rename;
    rename.name = "Mine";
    EXPECT_EQ(RefusalOf(fleet_->UpdateVehicle(nora, s1, rename, cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ(RefusalOf(fleet_->ArchiveVehicle(nora, loose, cli_, now_)), Refusal::kNotFound);
    VehicleChange leave;
    leave.group_ids = std::vector<int64_t>{};
    EXPECT_EQ(RefusalOf(fleet_->UpdateVehicle(nora, both, leave, cli_, now_)), Refusal::kInvalid);
    VehicleChange to_south;
    to_south.group_ids = std::vector<int64_t>{south};
    EXPECT_EQ(RefusalOf(fleet_->UpdateVehicle(nora, n1, to_south, cli_, now_)), Refusal::kNotFound);
    VehicleChange add;
    add.name = "New";
    EXPECT_EQ(RefusalOf(fleet_->AddVehicle(nora, add, cli_, now_)), Refusal::kInvalid);
    add.group_ids = std::vector<int64_t>{north};
    int64_t added = Ok(fleet_->AddVehicle(nora, add, cli_, now_)).id;
    EXPECT_EQ(fleet_->VisibleVehicleIds(nora, false)->size(), 3u);
    // Rewriting Both's groups keeps its South membership, which she cannot see.
    VehicleChange keep;
    keep.group_ids = std::vector<int64_t>{north};
    Ok(fleet_->UpdateVehicle(nora, both, keep, cli_, now_));
    EXPECT_EQ((*fleet_->FindVehicle(admin, both))->group_ids, (std::vector<int64_t>{north, south}));
    // Groups decide what she sees: she cannot change them.
    EXPECT_EQ(RefusalOf(fleet_->AddGroup(nora, "Mine", cli_, now_)), Refusal::kForbidden);
    EXPECT_EQ(RefusalOf(fleet_->RenameGroup(nora, north, "x", cli_, now_)), Refusal::kForbidden);
    EXPECT_EQ(RefusalOf(fleet_->SetGroupVehicles(nora, north, {n1, s1, loose}, cli_, now_)), Refusal::kForbidden);
    EXPECT_EQ(RefusalOf(fleet_->DeleteGroup(nora, north, cli_, now_)), Refusal::kForbidden);
    // Installations follow the vehicles.
    int64_t device = AddDevice("356307042441013", acme_);
    EXPECT_EQ(RefusalOf(Install(nora, s1, device, now_)), Refusal::kNotFound);
    int64_t in_s1 = Ok(Install(admin, s1, device, now_)).id;
    EXPECT_FALSE(fleet_->FindInstallation(nora, in_s1)->has_value());
    EXPECT_EQ(fleet_->ListInstallations(nora, {}, {})->total, 0);
    EXPECT_EQ(RefusalOf(fleet_->EndInstallation(nora, in_s1, now_ + 1h, cli_, now_)), Refusal::kNotFound);
    (void)added;
}

TEST_F(FleetStoreTest, AGroupThatNarrowsUsersCannotBeDeleted) {
    Viewer admin{acme_};
    int64_t north = Ok(fleet_->AddGroup(admin, "North", cli_, now_)).id;
    int64_t van = AddVehicle(admin, "Van", {north});
    int64_t user = AddUser(acme_, "nora@acme.example");
    Exec(fmt::format("INSERT INTO user_groups (user_id, group_id) VALUES ({}, {})", user, north));
    EXPECT_EQ(RefusalOf(fleet_->DeleteGroup(admin, north, cli_, now_)), Refusal::kConflict);
    Exec(fmt::format("DELETE FROM user_groups WHERE user_id = {}", user));
    Ok(fleet_->DeleteGroup(admin, north, cli_, now_));
    EXPECT_TRUE((*fleet_->FindVehicle(admin, van))->group_ids.empty());
}

TEST_F(FleetStoreTest, GroupNamesAreUniqueAndMembershipsAreSetWhole) {
    Viewer acme{acme_};
    int64_t north = Ok(fleet_->AddGroup(acme, "North", cli_, now_)).id;
    EXPECT_EQ(RefusalOf(fleet_->AddGroup(acme, "North", cli_, now_)), Refusal::kConflict);
    int64_t south = Ok(fleet_->AddGroup(acme, "South", cli_, now_)).id;
    EXPECT_EQ(RefusalOf(fleet_->RenameGroup(acme, south, "North", cli_, now_)), Refusal::kConflict);
    int64_t a = AddVehicle(acme, "A"), b = AddVehicle(acme, "B"), c = AddVehicle(acme, "C");
    EXPECT_EQ(Ok(fleet_->SetGroupVehicles(acme, north, {a, b, b}, cli_, now_)).vehicle_count, 2);
    EXPECT_EQ(Ok(fleet_->SetGroupVehicles(acme, north, {c}, cli_, now_)).vehicle_count, 1);
    EXPECT_TRUE((*fleet_->FindVehicle(acme, a))->group_ids.empty());
    EXPECT_EQ(RefusalOf(fleet_->SetGroupVehicles(acme, north, {c, 9999}, cli_, now_)), Refusal::kNotFound);
    EXPECT_EQ((*fleet_->FindGroup(acme, north))->vehicle_count, 1);  // rolled back whole
    Ok(fleet_->ArchiveVehicle(acme, c, cli_, now_));
    EXPECT_EQ((*fleet_->FindGroup(acme, north))->vehicle_count, 0);
}

TEST_F(FleetStoreTest, OperatorRegistersDevicesWithValidIdsOnce) {
    NewDevice d;
    d.imei = "356307042441014";  // wrong check digit
    d.protocol = "teltonika";
    EXPECT_EQ(RefusalOf(fleet_->OperatorAddDevice(d, cli_, now_)), Refusal::kInvalid);
    d.imei = "356307042441013";
    d.model = "FMB920";
    FleetDevice added = Ok(fleet_->OperatorAddDevice(d, cli_, now_));
    EXPECT_FALSE(added.tenant_id.has_value());
    EXPECT_EQ(added.model, "FMB920");
    d.protocol = "gt06";
    EXPECT_EQ(RefusalOf(fleet_->OperatorAddDevice(d, cli_, now_)), Refusal::kConflict);
    d.imei = "902064";
    d.protocol = "osmand";
    Ok(fleet_->OperatorAddDevice(d, cli_, now_));
    // The gateway's view: an active device like any other.
    auto seen = store_->FindDevice("356307042441013");
    ASSERT_TRUE(seen.ok() && seen->has_value());
    EXPECT_EQ((*seen)->status, DeviceStatus::kActive);
    EXPECT_EQ(fleet_->OperatorListDevices({}, {})->total, 2);
}

TEST_F(FleetStoreTest, OperatorMovesDevicesBetweenTenantsOnlyWhenNotInstalled) {
    int64_t device = AddDevice("356307042441013", std::nullopt);
    EXPECT_EQ(fleet_->ListDevices(acme_, {}, {})->total, 0);
    DeviceChange give;
    give.tenant = std::optional<TenantScope>(acme_);
    EXPECT_EQ(Ok(fleet_->OperatorUpdateDevice(device, give, cli_, now_)).tenant, "acme");
    EXPECT_EQ(fleet_->ListDevices(acme_, {}, {})->total, 1);
    DeviceFilter stock;
    stock.tenant = std::optional<TenantScope>();
    EXPECT_EQ(fleet_->OperatorListDevices(stock, {})->total, 0);

    Viewer acme{acme_};
    int64_t installation = Ok(Install(acme, AddVehicle(acme, "Van"), device, now_)).id;
    DeviceChange take;
    take.tenant = std::optional<TenantScope>(globex_);
    EXPECT_EQ(RefusalOf(fleet_->OperatorUpdateDevice(device, take, cli_, now_)), Refusal::kConflict);
    DeviceChange disable;
    disable.status = DeviceStatus::kDisabled;
    disable.firmware = "03.28.07";
    Ok(fleet_->OperatorUpdateDevice(device, disable, cli_, now_));
    EXPECT_EQ((*store_->FindDevice("356307042441013"))->status, DeviceStatus::kDisabled);
    Ok(fleet_->EndInstallation(acme, installation, now_ + 1h, cli_, now_));
    FleetDevice moved = Ok(fleet_->OperatorUpdateDevice(device, take, cli_, now_));
    EXPECT_EQ(moved.tenant, "globex");
    EXPECT_EQ(moved.firmware, "03.28.07");
    // The old tenant keeps its history out of the new tenant's sight.
    EXPECT_EQ(fleet_->ListInstallations(Viewer{globex_}, {}, {})->total, 0);
    EXPECT_EQ(fleet_->ListInstallations(acme, {}, {})->total, 1);
    EXPECT_EQ(RefusalOf(fleet_->RenameDevice(acme_, device, "x", cli_, now_)), Refusal::kNotFound);
}

TEST_F(FleetStoreTest, OperatorApprovesAPendingDeviceWithTheProtocolItUsed) {
    ASSERT_TRUE(store_->NotePending("864717003664467", "gt06", "192.0.2.7:4000", now_).ok());
    ASSERT_TRUE(store_->NotePending("864717003664467", "gt06", "192.0.2.7:4001", now_ + 1min).ok());
    auto pending = fleet_->OperatorListPending("", {});
    ASSERT_EQ(pending->total, 1);
    EXPECT_EQ(pending->items[0].attempts, 2);
    NewDevice details;
    details.name = "Truck tracker";
    details.tenant = acme_;
    EXPECT_EQ(RefusalOf(fleet_->OperatorApprovePending("356307042441013", details, cli_, now_)), Refusal::kNotFound);
    FleetDevice d = Ok(fleet_->OperatorApprovePending("864717003664467", details, cli_, now_));
    EXPECT_EQ(d.protocol, "gt06");
    EXPECT_EQ(d.tenant_id, acme_.tenant_id());
    EXPECT_EQ(fleet_->OperatorListPending("", {})->total, 0);
    EXPECT_EQ(RefusalOf(fleet_->OperatorApprovePending("864717003664467", details, cli_, now_)), Refusal::kNotFound);
    EXPECT_TRUE(store_->FindDevice("864717003664467")->has_value());
}

TEST_F(FleetStoreTest, DriversHaveUniqueBadgesAndUsersOfTheirTenant) {
    DriverChange ann;
    ann.name = "Ann";
    ann.badge_id = std::optional<std::string>("01A2B3C4D5E6F7");
    int64_t id = Ok(fleet_->AddDriver(acme_, ann, cli_, now_)).id;
    DriverChange again = ann;
    again.name = "Another Ann";
    EXPECT_EQ(RefusalOf(fleet_->AddDriver(acme_, again, cli_, now_)), Refusal::kConflict);
    Ok(fleet_->AddDriver(globex_, again, cli_, now_));  // badges are per tenant
    DriverChange no_badge;
    no_badge.name = "Bea";
    Ok(fleet_->AddDriver(acme_, no_badge, cli_, now_));
    Ok(fleet_->AddDriver(acme_, no_badge, cli_, now_));  // several drivers without a badge

    int64_t user = AddUser(acme_, "ann@acme.example");
    DriverChange link;
    link.user_id = std::optional<int64_t>(user);
    EXPECT_EQ(Ok(fleet_->UpdateDriver(acme_, id, link, cli_, now_)).user_id, user);
    DriverChange twice;
    twice.name = "Ann's twin";
    twice.user_id = std::optional<int64_t>(user);
    EXPECT_EQ(RefusalOf(fleet_->AddDriver(acme_, twice, cli_, now_)), Refusal::kConflict);
    DriverChange clear;
    clear.badge_id = std::optional<std::string>();
    clear.user_id = std::optional<int64_t>();
    Driver cleared = Ok(fleet_->UpdateDriver(acme_, id, clear, cli_, now_));
    EXPECT_FALSE(cleared.badge_id.has_value());
    EXPECT_FALSE(cleared.user_id.has_value());
    EXPECT_EQ(cleared.name, "Ann");
    Ok(fleet_->DeleteDriver(acme_, id, cli_, now_));
    EXPECT_FALSE(fleet_->FindDriver(acme_, id)->has_value());
}

TEST_F(FleetStoreTest, EveryChangeIsAuditedAndARefusalLeavesNoTrace) {
    Viewer acme{acme_};
    Actor alice{"user:7", 7, "192.0.2.1"};
    int64_t group = Ok(fleet_->AddGroup(acme, "North", alice, now_)).id;
    VehicleChange c;
    c.name = "Van";
    int64_t van = Ok(fleet_->AddVehicle(acme, c, alice, now_)).id;
    Ok(fleet_->UpdateVehicle(acme, van, c, alice, now_));
    Ok(fleet_->SetGroupVehicles(acme, group, {van}, alice, now_));
    int64_t device = AddDevice("356307042441013", acme_);
    Ok(fleet_->RenameDevice(acme_, device, "Box", alice, now_));
    int64_t inst = Ok(Install(acme, van, device, now_)).id;
    Ok(fleet_->EndInstallation(acme, inst, now_ + 1h, alice, now_));
    Ok(fleet_->ArchiveVehicle(acme, van, alice, now_));
    Ok(fleet_->RenameGroup(acme, group, "South", alice, now_));
    Ok(fleet_->DeleteGroup(acme, group, alice, now_));
    EXPECT_EQ(RefusalOf(fleet_->AddGroup(acme, "  ", alice, now_)), Refusal::kInvalid);
    EXPECT_EQ(RefusalOf(fleet_->SetGroupVehicles(acme, 999, {}, alice, now_)), Refusal::kNotFound);
    auto actions = AuditActions();
    std::vector<std::string> fleet_actions(actions.end() - 11, actions.end());
    EXPECT_EQ(fleet_actions, (std::vector<std::string>{"group.add", "vehicle.add", "vehicle.update",
                                                       "group.set_vehicles", "device.add", "device.update",
                                                       "installation.add", "installation.end", "vehicle.archive",
                                                       "group.update", "group.delete"}));
    auto entries = accounts_->ListAudit(acme_, 1);
    ASSERT_EQ(entries->size(), 1u);
    EXPECT_EQ(entries->front().actor, "user:7");
    EXPECT_EQ(entries->front().ip, "192.0.2.1");
    EXPECT_TRUE(accounts_->VerifyAudit()->ok);
}

}  // namespace
}  // namespace fleet::store
