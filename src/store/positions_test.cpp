#include "store/positions.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "core/time.hpp"
#include "store/operations.hpp"
#include "store/test_database.hpp"

namespace fleet::store {
namespace {

namespace fs = std::filesystem;
using core::TimePoint;
using namespace std::chrono_literals;

// A 15-digit IMEI with a valid Luhn check digit, from a 14-digit body.
std::string Imei(int64_t body) {
    std::string digits = std::to_string(35000000000000LL + body);
    int sum = 0;
    for (size_t i = 0; i < digits.size(); ++i) {
        int d = digits[digits.size() - 1 - i] - '0';
        if (i % 2 == 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
    }
    return digits + std::to_string((10 - sum % 10) % 10);
}

class PositionStoreTest : public test::DatabaseTest {
protected:
    void SetUp() override {
        OpenDatabase();
        if (HasFatalFailure()) return;
        positions_ = std::make_unique<PositionStore>(*accounts_);
    }
    void TearDown() override {
        positions_.reset();
        DatabaseTest::TearDown();
    }

    // SQL on a connection of its own, for what no method does (narrowing users, disabling).
    void Exec(const std::string& sql) {
        store::test::ExecSql(path_, sql);
    }
    int64_t AddVehicle(TenantScope scope, const std::string& name, std::string plate = "") {
        VehicleChange c;
        c.name = name;
        c.plate = std::move(plate);
        auto v = fleet_->AddVehicle(Viewer{scope}, c, cli_, now_);
        EXPECT_TRUE(v.ok());
        return v.ok() ? v->id : 0;
    }
    int64_t AddDevice(int64_t n, TenantScope scope) {
        NewDevice d;
        d.imei = Imei(n);
        d.protocol = "teltonika";
        d.tenant = scope;
        auto r = fleet_->OperatorAddDevice(d, cli_, now_);
        EXPECT_TRUE(r.ok()) << (r.refused() ? r.refused()->detail : "");
        return r.ok() ? r->id : 0;
    }
    void Install(TenantScope scope, int64_t vehicle, int64_t device, TimePoint from,
                 std::optional<TimePoint> to = std::nullopt) {
        auto r = fleet_->AddInstallation(Viewer{scope}, NewInstallation{vehicle, device, from, to, ""}, cli_, now_);
        ASSERT_TRUE(r.ok()) << (r.refused() ? r.refused()->detail : r.error()->message);
    }
    // A vehicle of `scope` with a device of its own (number `n`) installed from `from`: (vehicle, device).
    std::pair<int64_t, int64_t> Equipped(TenantScope scope, const std::string& name, int64_t n, TimePoint from) {
        int64_t vehicle = AddVehicle(scope, name);
        int64_t device = AddDevice(n, scope);
        Install(scope, vehicle, device, from);
        return {vehicle, device};
    }
    // Stores one position of `device` at `t` (lat marks it; fingerprint from its content).
    void Report(int64_t device, TimePoint t, double lat) {
        core::Record r;
        r.device_time = t;
        r.server_time = t + 1s;
        r.lat = lat;
        r.lon = 2.35;
        r.valid = true;
        IngestBatch b;
        b.device_id = device;
        b.protocol = "teltonika";
        b.received_at = t;
        b.positions.push_back(MakePositionRow(device, r));
        const IngestBatch* batches[] = {&b};
        ASSERT_TRUE(store_->Ingest(batches).ok());
    }
    std::vector<PositionRow> ReadAll(HistoryCursor& cursor, size_t page) {
        std::vector<PositionRow> out;
        while (!cursor.done()) {
            auto rows = positions_->ReadHistory(cursor, page);
            EXPECT_TRUE(rows.ok());
            if (!rows.ok()) break;
            EXPECT_TRUE(rows->size() == page || cursor.done());
            out.insert(out.end(), rows->begin(), rows->end());
        }
        return out;
    }
    static std::vector<double> Lats(const std::vector<PositionRow>& rows) {
        std::vector<double> out;
        for (const auto& r : rows) out.push_back(r.lat);
        return out;
    }
    TimePoint At(const char* iso) { return *core::ParseIso(iso); }

    std::unique_ptr<PositionStore> positions_;
};

TEST_F(PositionStoreTest, HistoryIsEachDevicesPositionsWithinItsInstallationWindow) {
    int64_t van = AddVehicle(acme_, "Van");
    int64_t other = AddVehicle(acme_, "Other");
    int64_t a = AddDevice(1, acme_);
    int64_t b = AddDevice(2, acme_);
    // Device a is in the van on the 2nd, then in the other vehicle; device b is in the van from the 3rd.
    Install(acme_, van, a, At("2026-02-02T00:00:00Z"), At("2026-02-03T00:00:00Z"));
    Install(acme_, other, a, At("2026-02-03T00:00:00Z"));
    Install(acme_, van, b, At("2026-02-03T00:00:00Z"));
    Report(a, At("2026-02-01T12:00:00Z"), 1);  // before installation: nobody's
    Report(a, At("2026-02-02T00:00:00Z"), 2);  // the window's first millisecond: the van's
    Report(a, At("2026-02-02T12:00:00Z"), 3);
    Report(a, At("2026-02-03T00:00:00Z"), 4);  // the window's end is exclusive: the other vehicle's
    Report(b, At("2026-02-02T23:00:00Z"), 5);  // b before its installation
    Report(b, At("2026-02-03T06:00:00Z"), 6);
    Report(a, At("2026-02-03T07:00:00Z"), 7);  // a in the other vehicle

    auto cursor = positions_->OpenHistory(Viewer{acme_}, van, At("2026-02-01T00:00:00Z"), At("2026-02-10T00:00:00Z"));
    ASSERT_TRUE(cursor.ok());
    ASSERT_EQ(cursor->windows().size(), 2u);
    EXPECT_EQ(cursor->vehicle_name(), "Van");
    EXPECT_EQ(Lats(ReadAll(*cursor, 100)), (std::vector<double>{2, 3, 6}));

    auto others = positions_->OpenHistory(Viewer{acme_}, other, At("2026-02-01T00:00:00Z"), At("2026-02-10T00:00:00Z"));
    ASSERT_TRUE(others.ok());
    EXPECT_EQ(Lats(ReadAll(*others, 100)), (std::vector<double>{4, 7}));

    // The range clips the windows too.
    auto part = positions_->OpenHistory(Viewer{acme_}, van, At("2026-02-02T06:00:00Z"), At("2026-02-03T06:00:00Z"));
    ASSERT_TRUE(part.ok());
    EXPECT_EQ(Lats(ReadAll(*part, 100)), (std::vector<double>{3}));
}

TEST_F(PositionStoreTest, HistoryPagesByKeyWithoutGapsOrRepeats) {
    int64_t van = AddVehicle(acme_, "Van");
    int64_t a = AddDevice(1, acme_);
    int64_t b = AddDevice(2, acme_);
    Install(acme_, van, a, At("2026-02-01T00:00:00Z"), At("2026-02-02T00:00:00Z"));
    Install(acme_, van, b, At("2026-02-02T00:00:00Z"));
    TimePoint t0 = At("2026-02-01T00:00:00Z");
    std::vector<double> expected;
    for (int i = 0; i < 40; ++i) {
        // Three records share each second (same device time, different content: different fingerprints).
        TimePoint t = t0 + std::chrono::seconds(i / 3);
        Report(a, t, 100 + i);
    }
    for (int i = 0; i < 13; ++i) Report(b, At("2026-02-02T00:00:00Z") + std::chrono::seconds(i), 200 + i);

    auto all = positions_->OpenHistory(Viewer{acme_}, van, t0, At("2026-02-03T00:00:00Z"));
    ASSERT_TRUE(all.ok());
    std::vector<PositionRow> whole = ReadAll(*all, 1000);
    ASSERT_EQ(whole.size(), 53u);
    for (size_t i = 1; i < whole.size(); ++i) {
        auto key = [](const PositionRow& r) { return std::make_pair(r.device_time, r.fingerprint); };
        if (whole[i].device_id == whole[i - 1].device_id) {
            EXPECT_LT(key(whole[i - 1]), key(whole[i]));
        }
    }
    for (size_t page : {1u, 2u, 3u, 7u, 40u, 52u, 53u}) {
        auto cursor = positions_->OpenHistory(Viewer{acme_}, van, t0, At("2026-02-03T00:00:00Z"));
        ASSERT_TRUE(cursor.ok());
        EXPECT_EQ(Lats(ReadAll(*cursor, page)), Lats(whole)) << "page " << page;
    }

    // Rows stored during a read: behind the cursor they are not returned, ahead of it they are.
    auto cursor = positions_->OpenHistory(Viewer{acme_}, van, t0, At("2026-02-03T00:00:00Z"));
    ASSERT_TRUE(cursor.ok());
    auto first = positions_->ReadHistory(*cursor, 20);
    ASSERT_TRUE(first.ok());
    Report(a, t0, 999);                               // behind
    Report(b, At("2026-02-02T00:00:30Z"), 998);       // ahead
    std::vector<PositionRow> rest = ReadAll(*cursor, 5);
    EXPECT_EQ(first->size() + rest.size(), 54u);
    EXPECT_EQ(rest.back().lat, 998);
}

TEST_F(PositionStoreTest, AnotherTenantsOrAnotherGroupsVehicleIsNotFound) {
    int64_t van = AddVehicle(acme_, "Van");
    int64_t theirs = AddVehicle(globex_, "Theirs");
    TimePoint from = At("2026-02-01T00:00:00Z");
    TimePoint to = At("2026-02-02T00:00:00Z");
    auto refusal = [&](const Viewer& v, int64_t id) {
        auto c = positions_->OpenHistory(v, id, from, to);
        return c.refused() ? std::optional<Refusal>(c.refused()->why) : std::nullopt;
    };
    EXPECT_EQ(refusal(Viewer{acme_}, van), std::nullopt);
    EXPECT_EQ(refusal(Viewer{acme_}, theirs), Refusal::kNotFound);
    EXPECT_EQ(refusal(Viewer{acme_}, 999999), Refusal::kNotFound);

    // A user narrowed to a group the van is not in.
    auto user = accounts_->AddUser(acme_, NewUser{"n@acme.example", "$argon2id$fake", Role::kViewer, false}, cli_, now_);
    ASSERT_TRUE(user.ok());
    auto group = fleet_->AddGroup(Viewer{acme_}, "North", cli_, now_);
    ASSERT_TRUE(group.ok());
    Exec(fmt::format("INSERT INTO user_groups (user_id, group_id) VALUES ({}, {})", user->id, group->id));
    Viewer narrowed{acme_, user->id};
    EXPECT_EQ(refusal(narrowed, van), Refusal::kNotFound);
    ASSERT_TRUE(fleet_->SetGroupVehicles(Viewer{acme_}, group->id, {van}, cli_, now_).ok());
    EXPECT_EQ(refusal(narrowed, van), std::nullopt);
}

TEST_F(PositionStoreTest, RangeMustBeForwardAndAtMostThirtyOneDays) {
    int64_t van = AddVehicle(acme_, "Van");
    TimePoint from = At("2026-01-01T00:00:00Z");
    auto refusal = [&](TimePoint to) {
        auto c = positions_->OpenHistory(Viewer{acme_}, van, from, to);
        return c.refused() ? std::optional<Refusal>(c.refused()->why) : std::nullopt;
    };
    EXPECT_EQ(refusal(from), Refusal::kInvalid);
    EXPECT_EQ(refusal(from - 1ms), Refusal::kInvalid);
    EXPECT_EQ(refusal(from + std::chrono::hours(24 * 31)), std::nullopt);
    EXPECT_EQ(refusal(from + std::chrono::hours(24 * 31) + 1ms), Refusal::kInvalid);
}

TEST_F(PositionStoreTest, LatestIsTheInstalledDevicesPositionSinceItsInstallation) {
    int64_t van = AddVehicle(acme_, "Van", "AB-123");
    int64_t truck = AddVehicle(acme_, "Truck");
    int64_t idle = AddVehicle(acme_, "Idle");
    int64_t theirs = AddVehicle(globex_, "Theirs");
    int64_t a = AddDevice(1, acme_);
    int64_t b = AddDevice(2, acme_);
    int64_t c = AddDevice(3, acme_);
    int64_t g = AddDevice(4, globex_);
    Install(acme_, van, a, At("2026-02-01T00:00:00Z"));
    Install(acme_, truck, b, At("2026-02-01T00:00:00Z"));
    Install(acme_, idle, c, At("2026-02-05T00:00:00Z"));
    Install(globex_, theirs, g, At("2026-02-01T00:00:00Z"));
    Report(a, At("2026-02-02T00:00:00Z"), 1);
    Report(a, At("2026-02-03T00:00:00Z"), 2);
    Report(b, At("2026-02-02T00:00:00Z"), 3);
    Report(c, At("2026-02-04T00:00:00Z"), 4);  // reported before it was installed: not the vehicle's
    Report(g, At("2026-02-02T00:00:00Z"), 5);

    auto latest = positions_->Latest(Viewer{acme_}, {}, 0, 100);
    ASSERT_TRUE(latest.ok());
    ASSERT_EQ(latest->size(), 2u);
    EXPECT_EQ((*latest)[0].vehicle_id, van);
    EXPECT_EQ((*latest)[0].vehicle_name, "Van");
    EXPECT_EQ((*latest)[0].position.lat, 2);
    EXPECT_EQ((*latest)[1].vehicle_id, truck);

    auto page = positions_->Latest(Viewer{acme_}, {}, van, 1);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->size(), 1u);
    EXPECT_EQ(page->front().vehicle_id, truck);

    LatestFilter by_plate;
    by_plate.q = "ab-1";
    auto found = positions_->Latest(Viewer{acme_}, by_plate, 0, 100);
    ASSERT_TRUE(found.ok());
    ASSERT_EQ(found->size(), 1u);
    EXPECT_EQ(found->front().vehicle_id, van);
    LatestFilter wildcard;
    wildcard.q = "%";
    EXPECT_TRUE(positions_->Latest(Viewer{acme_}, wildcard, 0, 100)->empty());

    auto group = fleet_->AddGroup(Viewer{acme_}, "Trucks", cli_, now_);
    ASSERT_TRUE(group.ok());
    ASSERT_TRUE(fleet_->SetGroupVehicles(Viewer{acme_}, group->id, {truck}, cli_, now_).ok());
    LatestFilter by_group;
    by_group.group_id = group->id;
    auto grouped = positions_->Latest(Viewer{acme_}, by_group, 0, 100);
    ASSERT_TRUE(grouped.ok());
    ASSERT_EQ(grouped->size(), 1u);
    EXPECT_EQ(grouped->front().vehicle_id, truck);

    // Archived vehicles are left out (archiving ends the installation).
    ASSERT_TRUE(fleet_->ArchiveVehicle(Viewer{acme_}, van, cli_, now_).ok());
    EXPECT_EQ(positions_->Latest(Viewer{acme_}, {}, 0, 100)->size(), 1u);
}

TEST_F(PositionStoreTest, LiveTargetsAreTheDevicesOfVisibleVehiclesNow) {
    int64_t van = AddVehicle(acme_, "Van");
    int64_t truck = AddVehicle(acme_, "Truck");
    int64_t theirs = AddVehicle(globex_, "Theirs");
    int64_t a = AddDevice(1, acme_);
    int64_t b = AddDevice(2, acme_);
    int64_t g = AddDevice(3, globex_);
    Install(acme_, van, a, At("2026-02-01T00:00:00Z"));
    Install(acme_, truck, b, At("2026-01-01T00:00:00Z"), At("2026-02-01T00:00:00Z"));  // removed
    Install(globex_, theirs, g, At("2026-02-01T00:00:00Z"));
    auto targets = positions_->LiveTargets(Viewer{acme_});
    ASSERT_TRUE(targets.ok());
    ASSERT_EQ(targets->size(), 1u);
    EXPECT_EQ(targets->at(a).vehicle_id, van);
    EXPECT_EQ(targets->at(a).vehicle_name, "Van");
    EXPECT_EQ(targets->at(a).installed_from, At("2026-02-01T00:00:00Z"));
}

// Issue 3's driver role: "their own vehicle" is the vehicle their driver record is assigned to now,
// and of its positions they see only their own assignment periods, never the previous or next
// driver's.
TEST_F(PositionStoreTest, ADriverSeesOnlyTheVehicleAssignedNowAndOnlyItsOwnPeriodsOfIt) {
    const auto [van, a] = Equipped(acme_, "Van", 1, At("2026-02-01T00:00:00Z"));
    const auto [truck, b] = Equipped(acme_, "Truck", 2, At("2026-01-01T00:00:00Z"));
    const int64_t theirs = Equipped(globex_, "Theirs", 3, At("2026-01-01T00:00:00Z")).first;
    ASSERT_TRUE(fleet_->AddGroup(Viewer{acme_}, "All", cli_, now_).ok());
    auto user = [&](const char* email) {
        auto u = accounts_->AddUser(acme_, NewUser{email, "$argon2id$fake", Role::kDriver, false}, cli_, now_);
        EXPECT_TRUE(u.ok());
        return u.ok() ? u->id : 0;
    };
    auto driver = [&](const char* name, std::optional<int64_t> user_id) {
        DriverChange c;
        c.name = name;
        c.user_id = user_id;
        auto d = fleet_->AddDriver(acme_, c, cli_, now_);
        EXPECT_TRUE(d.ok());
        return d.ok() ? d->id : 0;
    };
    int64_t dora_user = user("dora@acme.example");
    int64_t loner_user = user("loner@acme.example");  // no driver record
    int64_t dora = driver("Dora", dora_user);
    int64_t paul = driver("Paul", std::nullopt);
    OperationsStore ops(*accounts_);
    auto assign = [&](int64_t vehicle, int64_t who, const char* from, const char* to) {
        auto r = ops.AddAssignment(Viewer{acme_}, vehicle, who, At(from), At(to), cli_, now_);
        ASSERT_TRUE(r.ok()) << (r.refused() ? r.refused()->detail : r.error()->message);
    };
    assign(van, paul, "2026-02-01T00:00:00Z", "2026-02-10T00:00:00Z");
    assign(van, dora, "2026-02-10T00:00:00Z", "2026-02-20T00:00:00Z");
    assign(van, paul, "2026-02-20T00:00:00Z", "2026-02-28T00:00:00Z");
    assign(truck, dora, "2026-01-01T00:00:00Z", "2026-02-05T00:00:00Z");
    auto dora_at = [&](const char* iso) { return Viewer{acme_, dora_user, At(iso)}; };

    // Visibility: the vehicle assigned at that time, nothing else, no groups.
    EXPECT_EQ(*fleet_->VisibleVehicleIds(dora_at("2026-02-03T00:00:00Z"), false), std::vector<int64_t>{truck});
    EXPECT_EQ(*fleet_->VisibleVehicleIds(dora_at("2026-02-15T00:00:00Z"), false), std::vector<int64_t>{van});
    EXPECT_EQ(*fleet_->VisibleVehicleIds(dora_at("2026-02-10T00:00:00Z"), false), std::vector<int64_t>{van});
    EXPECT_TRUE(fleet_->VisibleVehicleIds(dora_at("2026-02-20T00:00:00Z"), false)->empty());  // ended
    EXPECT_TRUE(fleet_->VisibleVehicleIds(Viewer{acme_, loner_user, At("2026-02-15T00:00:00Z")}, false)->empty());
    EXPECT_EQ(fleet_->ListVehicles(dora_at("2026-02-15T00:00:00Z"), {}, {})->total, 1);
    EXPECT_FALSE(fleet_->FindVehicle(dora_at("2026-02-15T00:00:00Z"), truck)->has_value());
    EXPECT_FALSE(fleet_->FindVehicle(dora_at("2026-02-15T00:00:00Z"), theirs)->has_value());
    EXPECT_EQ(fleet_->ListGroups(dora_at("2026-02-15T00:00:00Z"), "", {})->total, 0);
    EXPECT_TRUE(*fleet_->IsNarrowed(dora_at("2026-02-15T00:00:00Z")));
    // The same user id without driver_at (a role change) is not narrowed by assignments.
    EXPECT_EQ(fleet_->VisibleVehicleIds(Viewer{acme_, dora_user}, false)->size(), 2u);

    // Latest: not where the previous driver left the van.
    Report(a, At("2026-02-05T00:00:00Z"), 1);  // Paul's
    EXPECT_TRUE(positions_->Latest(dora_at("2026-02-11T00:00:00Z"), {}, 0, 100)->empty());
    EXPECT_EQ(positions_->Latest(Viewer{acme_}, {}, 0, 100)->size(), 1u);
    Report(a, At("2026-02-12T00:00:00Z"), 2);  // Dora's
    Report(a, At("2026-02-15T00:00:00Z"), 3);  // Dora's
    auto latest = positions_->Latest(dora_at("2026-02-16T00:00:00Z"), {}, 0, 100);
    ASSERT_EQ(latest->size(), 1u);
    EXPECT_EQ(latest->front().vehicle_id, van);
    EXPECT_EQ(latest->front().position.lat, 3);
    Report(a, At("2026-02-19T23:59:59Z"), 4);  // Dora's, the last
    Report(a, At("2026-02-20T00:00:00Z"), 5);  // Paul's again
    Report(a, At("2026-02-21T00:00:00Z"), 6);  // Paul's
    Report(b, At("2026-02-04T00:00:00Z"), 7);  // Dora in the truck

    // History: the range asked for, cut to her own periods of that vehicle.
    auto cursor = positions_->OpenHistory(dora_at("2026-02-16T00:00:00Z"), van, At("2026-02-01T00:00:00Z"),
                                          At("2026-03-01T00:00:00Z"));
    ASSERT_TRUE(cursor.ok());
    EXPECT_EQ(Lats(ReadAll(*cursor, 1)), (std::vector<double>{2, 3, 4}));
    auto inside = positions_->OpenHistory(dora_at("2026-02-16T00:00:00Z"), van, At("2026-02-13T00:00:00Z"),
                                          At("2026-02-14T00:00:00Z"));
    ASSERT_TRUE(inside.ok());
    EXPECT_TRUE(ReadAll(*inside, 10).empty());
    auto before = positions_->OpenHistory(dora_at("2026-02-16T00:00:00Z"), van, At("2026-02-01T00:00:00Z"),
                                          At("2026-02-09T00:00:00Z"));
    ASSERT_TRUE(before.ok());
    EXPECT_TRUE(before->windows().empty());
    auto all = positions_->OpenHistory(Viewer{acme_}, van, At("2026-02-01T00:00:00Z"), At("2026-03-01T00:00:00Z"));
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(Lats(ReadAll(*all, 100)), (std::vector<double>{1, 2, 3, 4, 5, 6}));
    // A vehicle that is not hers now is not found, even for the time she drove it.
    auto past = positions_->OpenHistory(dora_at("2026-02-16T00:00:00Z"), truck, At("2026-02-01T00:00:00Z"),
                                        At("2026-02-05T00:00:00Z"));
    EXPECT_EQ(past.refused() ? std::optional<Refusal>(past.refused()->why) : std::nullopt, Refusal::kNotFound);

    // Live: her vehicle's device, from the start of her assignment until its end.
    auto targets = positions_->LiveTargets(dora_at("2026-02-16T00:00:00Z"));
    ASSERT_TRUE(targets.ok());
    ASSERT_EQ(targets->size(), 1u);
    EXPECT_EQ(targets->at(a).vehicle_id, van);
    EXPECT_EQ(targets->at(a).installed_from, At("2026-02-10T00:00:00Z"));
    EXPECT_EQ(targets->at(a).until, At("2026-02-20T00:00:00Z"));
    EXPECT_FALSE(positions_->LiveTargets(Viewer{acme_})->at(a).until.has_value());
    EXPECT_TRUE(positions_->LiveTargets(dora_at("2026-02-25T00:00:00Z"))->empty());
}

TEST_F(PositionStoreTest, PeekSessionAppliesTheSessionRulesWithoutNotingAUse) {
    auto user = accounts_->AddUser(acme_, NewUser{"s@acme.example", "$argon2id$fake", Role::kViewer, false}, cli_, now_);
    ASSERT_TRUE(user.ok());
    SessionPolicy policy;  // 15 minutes idle, 12 hours in all
    Session s;
    s.token_hash = "hash-1";
    s.user_id = user->id;
    s.created_at = now_;
    s.last_seen = now_;
    s.expires_at = now_ + 12h;
    ASSERT_TRUE(accounts_->CreateSession(s).ok());

    auto check = [&](TimePoint at) {
        auto r = accounts_->PeekSession("hash-1", at, policy);
        EXPECT_TRUE(r.ok());
        return r.ok() && r->has_value();
    };
    EXPECT_TRUE(check(now_ + 10min));
    EXPECT_EQ(accounts_->PeekSession("hash-1", now_, policy)->value().user.id, user->id);
    // Checking is not activity: 16 minutes after the last use the session has ended.
    EXPECT_TRUE(check(now_ + 14min));
    EXPECT_FALSE(check(now_ + 16min));
    EXPECT_FALSE(accounts_->PeekSession("unknown", now_, policy)->has_value());

    // Activity moves the idle end; the absolute end stays.
    Exec(fmt::format("UPDATE sessions SET last_seen = {} WHERE token_hash = 'hash-1'",
                     (now_ + 11h + 50min).time_since_epoch().count()));
    EXPECT_TRUE(check(now_ + 11h + 55min));
    EXPECT_FALSE(check(now_ + 12h));

    ASSERT_TRUE(accounts_->RevokeSession("hash-1", now_ + 11h + 51min).ok());
    EXPECT_FALSE(check(now_ + 11h + 52min));

    s.token_hash = "hash-2";
    ASSERT_TRUE(accounts_->CreateSession(s).ok());
    Exec(fmt::format("UPDATE users SET disabled = 1 WHERE id = {}", user->id));
    EXPECT_FALSE(accounts_->PeekSession("hash-2", now_ + 1min, policy)->has_value());
    Exec(fmt::format("UPDATE users SET disabled = 0 WHERE id = {}", user->id));
    EXPECT_TRUE(accounts_->PeekSession("hash-2", now_ + 1min, policy)->has_value());
    Exec("UPDATE tenants SET status = 'suspended' WHERE name = 'acme'");  // without revoking, as a race could
    EXPECT_FALSE(accounts_->PeekSession("hash-2", now_ + 1min, policy)->has_value());
}

}  // namespace
}  // namespace fleet::store
