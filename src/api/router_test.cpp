// The route table, list queries, strict bodies, and the OpenAPI document against the routes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <set>

#include "api/api.hpp"
#include "api/detail/body.hpp"
#include "api/detail/router.hpp"
#include "store/store.hpp"

namespace fleet::api {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace detail;

RouteFn Nothing() {
    return [](Ctx&, http::Response&) -> boost::asio::awaitable<void> { co_return; };
}

TEST(RouterTest, MatchesPatternsAndDecodesParameters) {
    Router r;
    r.Add({"GET", "/api/v1/vehicles", Access::kSignedIn, Permission::kFleetRead, false, Nothing()});
    r.Add({"GET", "/api/v1/vehicles/{id}", Access::kSignedIn, Permission::kFleetRead, false, Nothing()});
    r.Add({"DELETE", "/api/v1/vehicles/{id}", Access::kSignedIn, Permission::kFleetWrite, false, Nothing()});
    auto m = r.Find("GET", "/api/v1/vehicles/4%32");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->pattern, "/api/v1/vehicles/{id}");
    EXPECT_EQ(m.params.at("id"), "42");
    m = r.Find("PUT", "/api/v1/vehicles/42");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "DELETE"}));
    EXPECT_EQ(r.Find("GET", "/api/v1/vehicles/42/x").route, nullptr);
    EXPECT_TRUE(r.Find("GET", "/api/v1/vehicles/42/x").allowed.empty());
    EXPECT_EQ(r.Find("GET", "/api/v1/vehicles/").route, nullptr);
    EXPECT_EQ(r.Find("GET", "/api/v1/vehicles/%zz").route, nullptr);
}

TEST(RouterTest, RolesAndTokenScopesNarrowPermissions) {
    Caller viewer;
    viewer.user.role = store::Role::kViewer;
    EXPECT_TRUE(viewer.Can(Permission::kFleetRead));
    EXPECT_FALSE(viewer.Can(Permission::kFleetWrite));
    EXPECT_FALSE(viewer.Can(Permission::kUsersRead));
    Caller admin;
    admin.user.role = store::Role::kTenantAdmin;
    EXPECT_TRUE(admin.Can(Permission::kUsersWrite));
    EXPECT_FALSE(admin.Can(Permission::kTenantsWrite));
    admin.token_id = 1;
    admin.token_scopes = {"read"};
    EXPECT_TRUE(admin.Can(Permission::kFleetRead));
    EXPECT_FALSE(admin.Can(Permission::kFleetWrite));
    EXPECT_FALSE(admin.Can(Permission::kCommands));
    Caller op;
    op.user.role = store::Role::kOperatorAdmin;
    EXPECT_TRUE(op.Can(Permission::kTenantsWrite));
    EXPECT_FALSE(op.Can(Permission::kPositionsRead));  // only under a support grant
    // A driver reads (its own vehicle, on the routes open to drivers: Route::drivers), nothing more.
    Caller driver;
    driver.user.role = store::Role::kDriver;
    EXPECT_TRUE(driver.Can(Permission::kFleetRead));
    EXPECT_TRUE(driver.Can(Permission::kPositionsRead));
    for (auto p : {Permission::kFleetWrite, Permission::kUsersRead, Permission::kUsersWrite, Permission::kAuditRead,
                   Permission::kTenantsRead, Permission::kTenantsWrite, Permission::kDevicesAdmin, Permission::kCommands,
                   Permission::kSupportGrant, Permission::kReportsRead, Permission::kOperationsWrite,
                   Permission::kTenantSettings}) {
        EXPECT_FALSE(driver.Can(p)) << ToString(p);
    }
}

TEST(QueryTest, ParsesAndDecodes) {
    auto q = ParseQuery("a=1&b=x%20y&c=p+q&&d=");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->at("a"), "1");
    EXPECT_EQ(q->at("b"), "x y");
    EXPECT_EQ(q->at("c"), "p q");
    EXPECT_EQ(q->at("d"), "");
    EXPECT_FALSE(ParseQuery("a=%4"));
    EXPECT_FALSE(ParseQuery("=1"));
}

TEST(ListQueryTest, AcceptsOnlyDeclaredParameters) {
    ListSpec spec{{"name", "created_at"}, {"q", "group_id"}};
    auto ok = ParseListQuery({{"limit", "10"}, {"offset", "20"}, {"sort", "-created_at"}, {"q", "van"}}, spec);
    ASSERT_TRUE(std::holds_alternative<ListQuery>(ok));
    const auto& q = std::get<ListQuery>(ok);
    EXPECT_EQ(q.limit, 10);
    EXPECT_EQ(q.offset, 20);
    EXPECT_EQ(q.sort, "created_at");
    EXPECT_TRUE(q.descending);
    EXPECT_EQ(q.filters.at("q"), "van");
    EXPECT_EQ(std::get<ListQuery>(ParseListQuery({}, spec)).sort, "name");
    for (auto bad : std::vector<std::map<std::string, std::string>>{
             {{"limit", "0"}}, {{"limit", "1001"}}, {{"limit", "x"}}, {{"offset", "-1"}}, {{"sort", "vin"}},
             {{"colour", "red"}}}) {
        auto r = ParseListQuery(bad, spec);
        ASSERT_TRUE(std::holds_alternative<http::Response>(r));
        EXPECT_EQ(std::get<http::Response>(r).status, 400);
    }
}

http::Request JsonRequest(std::string body) {
    http::Request r;
    r.method = "POST";
    r.content_type = "application/json; charset=utf-8";
    r.body = std::move(body);
    return r;
}

TEST(BodyTest, RefusesUnknownFieldsWrongTypesAndMissingFields) {
    Schema schema = {{"name", FieldType::kString, true, false, 8},
                     {"year", FieldType::kInt, false, true},
                     {"tags", FieldType::kStringArray, false, false, 4}};
    auto ok = ParseBody(JsonRequest(R"({"name":"van","year":null,"tags":["a"]})"), schema);
    ASSERT_TRUE(std::holds_alternative<json::object>(ok));
    EXPECT_TRUE(IsNull(std::get<json::object>(ok), "year"));
    for (auto bad : {R"({"year":2})", R"({"name":1})", R"({"name":"123456789"})", R"({"name":"a","x":1})",
                     R"({"name":"a","year":1.5})", R"({"name":"a","tags":[1]})", R"({"name":"a","tags":["12345"]})",
                     R"([])", R"({"name":"a")", R"({"name":null})"}) {
        auto r = ParseBody(JsonRequest(bad), schema);
        ASSERT_TRUE(std::holds_alternative<http::Response>(r)) << bad;
        EXPECT_EQ(std::get<http::Response>(r).status, 400) << bad;
    }
    http::Request form = JsonRequest("{}");
    form.content_type = "application/x-www-form-urlencoded";
    EXPECT_EQ(std::get<http::Response>(ParseBody(form, schema)).status, 415);
}

TEST(BodyTest, IntArraysHoldOnlyIntegers) {
    Schema schema = {{"ids", FieldType::kIntArray, true, false}};
    auto ok = ParseBody(JsonRequest(R"({"ids":[3,1,3]})"), schema);
    ASSERT_TRUE(std::holds_alternative<json::object>(ok));
    EXPECT_EQ(*GetIntArray(std::get<json::object>(ok), "ids"), (std::vector<int64_t>{3, 1, 3}));
    EXPECT_TRUE(GetIntArray(std::get<json::object>(ParseBody(JsonRequest(R"({"ids":[]})"), schema)), "ids")->empty());
    for (auto bad : {R"({"ids":[1.5]})", R"({"ids":["1"]})", R"({"ids":[null]})", R"({"ids":1})",
                     R"({"ids":[18446744073709551615]})"}) {
        auto r = ParseBody(JsonRequest(bad), schema);
        ASSERT_TRUE(std::holds_alternative<http::Response>(r)) << bad;
        EXPECT_EQ(std::get<http::Response>(r).status, 400) << bad;
    }
    std::string many = "{\"ids\":[1";
    for (int i = 0; i < 1000; ++i) many += ",1";
    many += "]}";
    EXPECT_EQ(std::get<http::Response>(ParseBody(JsonRequest(many), schema)).status, 400);  // 1,001 elements
}

// The document describes exactly the routes: every route has an operation, every operation a route.
TEST(OpenApiTest, DescribesEveryRouteAndNothingElse) {
    fs::path dir = fs::temp_directory_path() / ("fleetd_openapi_test_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::string db = (dir / "fleetd.db").string();
    ASSERT_TRUE(store::OpenSqliteStore(db).ok());
    Options o;
    o.db_path = db;
    o.secret_key_path = (dir / "secret.key").string();
    o.db_threads = 1;
    o.hash_cost = auth::HashCost{1, 64 * 1024};
    auto api = Api::Open(o);
    ASSERT_TRUE(api.ok()) << api.error().message;
    json::value doc = json::parse((*api)->OpenApiDocument());
    EXPECT_EQ(doc.at("openapi").as_string(), "3.1.0");
    std::set<std::pair<std::string, std::string>> documented, routed, for_drivers;
    for (const auto& [path, item] : doc.at("paths").as_object()) {
        for (const auto& [method, op] : item.as_object()) {
            std::string m(method);
            for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            documented.emplace(m, std::string(path));
            EXPECT_TRUE(op.as_object().contains("responses")) << m << " " << std::string_view(path);
            EXPECT_TRUE(op.as_object().contains("summary")) << m << " " << std::string_view(path);
            EXPECT_TRUE(op.as_object().contains("x-fleetd-access")) << m << " " << std::string_view(path);
            const auto* access = op.as_object().if_contains("x-fleetd-access");
            const auto* drivers = op.as_object().if_contains("x-fleetd-drivers");
            bool needs_permission = access && access->is_string() && access->as_string() != "public" &&
                                    access->as_string() != "signed-in";
            if (needs_permission && drivers && drivers->is_bool() && drivers->as_bool()) {
                for_drivers.emplace(m, std::string(path));
            }
        }
    }
    // Least privilege: of the routes that need a permission, the driver role reaches only these.
    EXPECT_EQ(for_drivers, (std::set<std::pair<std::string, std::string>>{
                               {"GET", "/api/v1/vehicles"},
                               {"GET", "/api/v1/vehicles/{id}"},
                               {"GET", "/api/v1/positions/latest"},
                               {"GET", "/api/v1/vehicles/{id}/positions"},
                               {"GET", "/api/v1/live"},
                               {"GET", "/api/v1/drivers"},
                               {"GET", "/api/v1/drivers/{id}"}}));
    for (const auto& r : (*api)->Routes()) routed.insert(r);
    for (const auto& r : routed) EXPECT_TRUE(documented.count(r)) << "not in the OpenAPI document: " << r.first << " " << r.second;
    for (const auto& d : documented) EXPECT_TRUE(routed.count(d)) << "documented but not routed: " << d.first << " " << d.second;
    EXPECT_GE(routed.size(), 4u);
    api->reset();
    fs::remove_all(dir);
}

}  // namespace
}  // namespace fleet::api
