// The pure pieces of the token and administration routes: token text and Bearer headers, time-zone
// names, the role rules of user administration, and who holds the support-grant permission.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "api/detail/router.hpp"
#include "api/detail/time_zone.hpp"
#include "api/detail/tokens.hpp"
#include "api/detail/user_rules.hpp"
#include "auth/auth.hpp"

namespace fleet::api {
namespace {

namespace fs = std::filesystem;
using namespace detail;
using store::Refusal;
using store::Role;

TEST(ApiTokenTextTest, NewTokensHaveTheDocumentedShapeAndDiffer) {
    ASSERT_TRUE(auth::Init().ok());
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        std::string t = NewApiTokenText();
        EXPECT_EQ(t.size(), 50u);
        EXPECT_EQ(t.substr(0, 7), "fleetd_");
        EXPECT_TRUE(IsApiTokenText(t)) << t;
        seen.insert(t);
    }
    EXPECT_EQ(seen.size(), 100u);
}

TEST(ApiTokenTextTest, MalformedTokensAreRefusedBeforeAnyLookup) {
    std::string good = "fleetd_" + std::string(43, 'A');
    EXPECT_TRUE(IsApiTokenText(good));
    EXPECT_FALSE(IsApiTokenText("fleetd_" + std::string(42, 'A')));
    EXPECT_FALSE(IsApiTokenText("fleetd_" + std::string(44, 'A')));
    EXPECT_FALSE(IsApiTokenText("fleetx_" + std::string(43, 'A')));
    EXPECT_FALSE(IsApiTokenText("fleetd_" + std::string(42, 'A') + "="));
    EXPECT_FALSE(IsApiTokenText("fleetd_" + std::string(42, 'A') + "/"));
    EXPECT_FALSE(IsApiTokenText(""));
}

TEST(ApiTokenTextTest, BearerHeadersCarryTheToken) {
    std::string good = "fleetd_" + std::string(43, 'b');
    EXPECT_EQ(BearerToken("Bearer " + good), good);
    EXPECT_EQ(BearerToken("bearer  " + good + " "), good);
    EXPECT_EQ(BearerToken("Basic " + good), std::nullopt);
    EXPECT_EQ(BearerToken("Bearer"), std::nullopt);
    EXPECT_EQ(BearerToken("Bearer " + good + "x"), std::nullopt);
    EXPECT_EQ(BearerToken("Bearer " + good + " extra"), std::nullopt);
}

TEST(TimeZoneTest, KnowsZonesOfTheSystemDatabase) {
    ASSERT_TRUE(fs::exists(kZoneInfoDir)) << "install tzdata";
    EXPECT_TRUE(IsTimeZone("Europe/Paris"));
    EXPECT_TRUE(IsTimeZone("UTC"));
    EXPECT_TRUE(IsTimeZone("America/Argentina/Salta"));
    EXPECT_TRUE(IsTimeZone("Etc/GMT+5"));
    EXPECT_FALSE(IsTimeZone("Europe/Pariss"));
    EXPECT_FALSE(IsTimeZone("Europe"));  // a folder
    EXPECT_FALSE(IsTimeZone("zone.tab"));
    EXPECT_FALSE(IsTimeZone(""));
}

TEST(TimeZoneTest, RefusesPathsBeforeOpeningAnything) {
    // A folder where every name below would exist as a TZif file, were it opened.
    fs::path dir = fs::temp_directory_path() / ("fleetd_tz_test_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "zones" / "A");
    for (const char* f : {"secret", "zones/A/B", "zones/-x"}) {
        std::ofstream(dir / f) << "TZif2";
    }
    std::string zones = (dir / "zones").string();
    EXPECT_TRUE(IsTimeZone("A/B", zones));
    EXPECT_FALSE(IsTimeZone("../secret", zones));
    EXPECT_FALSE(IsTimeZone("A/../../secret", zones));
    EXPECT_FALSE(IsTimeZone((dir / "secret").string(), zones));  // absolute
    EXPECT_FALSE(IsTimeZone("A//B", zones));
    EXPECT_FALSE(IsTimeZone("A/B/", zones));
    EXPECT_FALSE(IsTimeZone("-x", zones));
    EXPECT_FALSE(IsTimeZone("A\\B", zones));
    EXPECT_FALSE(IsTimeZone(std::string("A/B\0", 4), zones));
    EXPECT_FALSE(IsTimeZone(std::string(65, 'A'), zones));
    fs::remove_all(dir);
}

store::User UserWith(int64_t id, Role role) {
    store::User u;
    u.id = id;
    u.role = role;
    return u;
}

store::UserDetail DetailOf(const store::User& u, std::vector<int64_t> groups = {}) {
    return store::UserDetail{u, "", std::move(groups)};
}

TEST(UserRulesTest, NobodyGivesARoleAboveTheirOwn) {
    store::User tenant_admin = UserWith(1, Role::kTenantAdmin);
    store::User op = UserWith(2, Role::kOperatorAdmin);
    EXPECT_EQ(RefuseRole(tenant_admin, Role::kOperatorAdmin, 0, false)->why, Refusal::kForbidden);
    EXPECT_EQ(RefuseRole(tenant_admin, Role::kOperatorAdmin, 0, true)->why, Refusal::kForbidden);
    EXPECT_FALSE(RefuseRole(tenant_admin, Role::kTenantAdmin, 0, false));
    EXPECT_FALSE(RefuseRole(tenant_admin, Role::kViewer, 3, false));
    EXPECT_FALSE(RefuseRole(op, Role::kOperatorAdmin, 0, true));
    EXPECT_EQ(RefuseRole(op, Role::kOperatorAdmin, 0, false)->why,
              Refusal::kForbidden);  // only the operator's
    EXPECT_FALSE(RefuseRole(op, Role::kTenantAdmin, 0, false));
    EXPECT_EQ(RefuseRole(op, Role::kTenantAdmin, 1, false)->why,
              Refusal::kInvalid);  // admins are not narrowed
}

TEST(UserRulesTest, NobodyDisablesOrDemotesThemself) {
    store::User admin = UserWith(1, Role::kTenantAdmin);
    store::UserChange disable;
    disable.disabled = true;
    EXPECT_EQ(RefuseUserChange(admin, DetailOf(admin), disable, false)->why, Refusal::kForbidden);
    store::UserChange demote;
    demote.role = Role::kViewer;
    EXPECT_EQ(RefuseUserChange(admin, DetailOf(admin), demote, false)->why, Refusal::kForbidden);
    store::UserChange rename;
    rename.name = "Alice";
    rename.disabled = false;
    EXPECT_FALSE(RefuseUserChange(admin, DetailOf(admin), rename, false));
    store::User other = UserWith(2, Role::kTenantAdmin);
    EXPECT_FALSE(RefuseUserChange(admin, DetailOf(other), disable, false));
    EXPECT_FALSE(RefuseUserChange(admin, DetailOf(other), demote, false));
}

TEST(UserRulesTest, NobodyChangesOrPromotesAboveTheirOwnRole) {
    store::User admin = UserWith(1, Role::kTenantAdmin);
    store::User op = UserWith(2, Role::kOperatorAdmin);
    store::UserChange rename;
    rename.name = "x";
    EXPECT_EQ(RefuseUserChange(admin, DetailOf(op), rename, true)->why, Refusal::kForbidden);
    store::UserChange promote;
    promote.role = Role::kOperatorAdmin;
    store::User viewer = UserWith(3, Role::kViewer);
    EXPECT_EQ(RefuseUserChange(admin, DetailOf(viewer), promote, false)->why, Refusal::kForbidden);
    EXPECT_EQ(RefuseUserChange(op, DetailOf(viewer), promote, false)->why, Refusal::kForbidden);
    EXPECT_FALSE(RefuseUserChange(op, DetailOf(viewer), promote, true));
    // Promoting a narrowed user to administrator needs the narrowing cleared in the same change.
    store::UserChange to_admin;
    to_admin.role = Role::kTenantAdmin;
    EXPECT_EQ(RefuseUserChange(admin, DetailOf(viewer, {7}), to_admin, false)->why,
              Refusal::kInvalid);
    to_admin.group_ids = std::vector<int64_t>{};
    EXPECT_FALSE(RefuseUserChange(admin, DetailOf(viewer, {7}), to_admin, false));
}

TEST(SupportGrantPermissionTest, OnlyTenantAdminsGrantAndTokensNeedWrite) {
    Caller admin;
    admin.user.role = Role::kTenantAdmin;
    EXPECT_TRUE(admin.Can(Permission::kSupportGrant));
    for (Role r : {Role::kOperatorAdmin, Role::kFleetManager, Role::kViewer, Role::kDriver}) {
        Caller c;
        c.user.role = r;
        EXPECT_FALSE(c.Can(Permission::kSupportGrant)) << store::ToString(r);
    }
    admin.token_id = 1;
    admin.token_scopes = {"read"};
    EXPECT_FALSE(admin.Can(Permission::kSupportGrant));
    admin.token_scopes = {"write"};
    EXPECT_TRUE(admin.Can(Permission::kSupportGrant));
}

}  // namespace
}  // namespace fleet::api
