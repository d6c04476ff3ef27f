// The API's routing: a table of routes (method, path pattern with {name} segments, who may call
// it) that every part of the API adds to, the request context a route handler gets, and the
// permission model (roles and token scopes to permissions). The OpenAPI document must describe
// exactly this table (api_test checks both ways).
// Thread-safety: a Router is filled once at start-up, then only read.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_server.hpp"
#include "store/accounts.hpp"

namespace fleet::api::detail {

// What a caller may do. Roles grant sets of permissions (PermissionsOf); API tokens are further
// narrowed by their scopes (read, write, commands).
enum class Permission {
    kFleetRead,      // vehicles, devices, installations, drivers, groups of the tenant
    kFleetWrite,     // create, change and delete them
    kPositionsRead,  // position history and latest positions of the tenant's vehicles
    kUsersRead,      // the tenant's users
    kUsersWrite,     // create users, change roles, disable
    kAuditRead,      // the tenant's audit log (all tenants for the operator)
    kTenantsRead,    // operator: list tenants
    kTenantsWrite,   // operator: create, suspend tenants
    kDevicesAdmin,   // operator: devices of every tenant, approve pending devices
    kCommands,       // send commands to vehicles
    kSupportGrant,   // tenant admin: let the operator's staff read the tenant's vehicle data for a while
    kReportsRead,    // trips, stops, events, reports, scores, geofences, maintenance, rules of the tenant
    kOperationsWrite,  // geofences, maintenance plans and service log, driver assignments, odometer,
                       // acknowledging events, notification rules
    kTenantSettings,   // the tenant's processing settings (thresholds, eco weights) and webhooks
};
std::string_view ToString(Permission p);

bool RoleHas(store::Role role, Permission p);

// The signed-in caller: a user by session cookie, or by API token.
struct Caller {
    store::User user;
    std::optional<store::Session> session;  // set when signed in with the session cookie
    std::optional<int64_t> token_id;        // set when signed in with an API token
    std::string token_hash;                 // that token's hash (the live feed re-checks it)
    std::vector<std::string> token_scopes;  // "read", "write", "commands" (tokens only)
    // Set when an operator-admin reads a customer's vehicle data under that customer's active
    // support grant (?support_tenant=NAME): the scope of the request becomes that tenant's, for
    // reading only (see Service::Dispatch).
    std::optional<store::TenantScope> support_scope;
    int64_t support_grant_id = 0;

    store::TenantScope scope() const { return support_scope.value_or(store::AccountStore::ScopeOf(user)); }
    bool IsOperator() const { return user.role == store::Role::kOperatorAdmin; }
    // The role grants it and, for a token, the token's scopes cover it; under a support grant,
    // reading the fleet and its positions.
    bool Can(Permission p) const;
};

// What a route handler gets.
struct Ctx {
    const http::Request& req;
    std::string path;
    std::map<std::string, std::string> params;  // {name} segments of the pattern, percent-decoded
    std::map<std::string, std::string> query;   // the query string, percent-decoded (last value wins)
    const Caller* caller = nullptr;             // null on public routes
    std::string ip;
    core::TimePoint now{};
    // Set when the request asks for a WebSocket upgrade; a route that accepts one fills it in (and
    // leaves `res` alone), any other answer refuses the upgrade.
    http::Upgrade* upgrade = nullptr;
};

using RouteFn = std::function<boost::asio::awaitable<void>(Ctx&, http::Response&)>;

enum class Access {
    kPublic,    // anyone (sign-in, the OpenAPI document)
    kSignedIn,  // a valid session or token, with `permission` when set
};

struct Route {
    std::string method;   // "GET", "POST", "PUT", "PATCH", "DELETE"
    std::string pattern;  // "/api/v1/vehicles/{id}"
    Access access = Access::kSignedIn;
    std::optional<Permission> permission;
    // Allowed while the caller must still change their password or enrol TOTP (the routes that
    // let them do so, /me and sign-out). Every other route answers 403 until then.
    bool allowed_before_setup = false;
    RouteFn fn;
    // Refused to API tokens (403 session-required): the routes that manage credentials or access,
    // so that a token cannot mint tokens or sidestep the sign-in's second factor.
    bool session_only = false;
    // Needs a password or TOTP check from the last 5 minutes in this session (sign-in counts; else
    // POST /api/v1/auth/step-up): 403 step-up-required. API tokens cannot step up.
    bool step_up = false;
    // Open to the driver role, whose permissions (fleet.read, positions.read) reach only the routes
    // that say so: the handler narrows what it answers to the driver's own vehicle and driver record
    // (store::Viewer::driver_at). Every other route with a permission answers 403 to a driver, so a
    // route added later is closed to drivers until someone decides otherwise. Routes without a
    // permission (the caller's own account) are open to every signed-in user, drivers included.
    bool drivers = false;
};

class Router {
public:
    void Add(Route route);

    struct Match {
        const Route* route = nullptr;       // set when method and path match
        std::vector<std::string> allowed;   // path matched with other methods only (405)
        std::map<std::string, std::string> params;
    };
    Match Find(std::string_view method, std::string_view path) const;
    const std::vector<Route>& routes() const { return routes_; }

private:
    std::vector<Route> routes_;
};

// Splits and percent-decodes a query string ("a=1&b=x%20y"). nullopt when it is malformed.
std::optional<std::map<std::string, std::string>> ParseQuery(std::string_view query);

}  // namespace fleet::api::detail
