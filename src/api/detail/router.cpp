#include "api/detail/router.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/decode_view.hpp>
#include <boost/url/params_view.hpp>
#include <algorithm>

namespace fleet::api::detail {

std::string_view ToString(Permission p) {
    switch (p) {
        case Permission::kFleetRead: return "fleet.read";
        case Permission::kFleetWrite: return "fleet.write";
        case Permission::kPositionsRead: return "positions.read";
        case Permission::kUsersRead: return "users.read";
        case Permission::kUsersWrite: return "users.write";
        case Permission::kAuditRead: return "audit.read";
        case Permission::kTenantsRead: return "tenants.read";
        case Permission::kTenantsWrite: return "tenants.write";
        case Permission::kDevicesAdmin: return "devices.admin";
        case Permission::kCommands: return "commands";
        case Permission::kSupportGrant: return "support.grant";
        case Permission::kReportsRead: return "reports.read";
        case Permission::kOperationsWrite: return "operations.write";
        case Permission::kTenantSettings: return "tenant.settings";
    }
    return "?";
}

bool RoleHas(store::Role role, Permission p) {
    using P = Permission;
    using R = store::Role;
    switch (role) {
        case R::kOperatorAdmin:
            // The operator manages tenants, devices and its own staff, and reads the audit log. It
            // reads a tenant's vehicle data only under that tenant's support grant (not here).
            return p == P::kTenantsRead || p == P::kTenantsWrite || p == P::kDevicesAdmin || p == P::kUsersRead ||
                   p == P::kUsersWrite || p == P::kAuditRead || p == P::kFleetRead;
        case R::kTenantAdmin:
            return p != P::kTenantsRead && p != P::kTenantsWrite && p != P::kDevicesAdmin;
        case R::kFleetManager:
            return p == P::kFleetRead || p == P::kFleetWrite || p == P::kPositionsRead || p == P::kCommands ||
                   p == P::kUsersRead || p == P::kReportsRead || p == P::kOperationsWrite;
        case R::kViewer:
            return p == P::kFleetRead || p == P::kPositionsRead || p == P::kReportsRead;
        case R::kDriver:
            // Their own vehicle, its positions while they drive it and their own driver record, and
            // only on the routes marked Route::drivers (see Service::Dispatch).
            return p == P::kFleetRead || p == P::kPositionsRead;
    }
    return false;
}

bool Caller::Can(Permission p) const {
    if (support_scope) {
        return p == Permission::kFleetRead || p == Permission::kPositionsRead || p == Permission::kReportsRead;
    }
    if (!RoleHas(user.role, p)) return false;
    if (!token_id) return true;
    auto has = [&](std::string_view s) { return std::find(token_scopes.begin(), token_scopes.end(), s) != token_scopes.end(); };
    switch (p) {
        case Permission::kFleetRead:
        case Permission::kPositionsRead:
        case Permission::kUsersRead:
        case Permission::kAuditRead:
        case Permission::kTenantsRead:
        case Permission::kReportsRead:
            return has("read");
        case Permission::kCommands:
            return has("commands");
        default:
            return has("write");
    }
}

namespace {

std::vector<std::string_view> Segments(std::string_view path) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        out.push_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

std::optional<std::string> Decode(std::string_view s) {
    auto r = boost::urls::make_pct_string_view(s);
    if (!r) return std::nullopt;
    std::string out;
    for (char c : boost::urls::decode_view(*r)) out.push_back(c);
    return out;
}

}  // namespace

void Router::Add(Route route) { routes_.push_back(std::move(route)); }

Router::Match Router::Find(std::string_view method, std::string_view path) const {
    Match match;
    auto want = Segments(path);
    if (!path.empty() && path.back() == '/' && path.size() > 1) return match;  // no trailing slashes
    for (const auto& r : routes_) {
        auto have = Segments(r.pattern);
        if (have.size() != want.size()) continue;
        std::map<std::string, std::string> params;
        bool ok = true;
        for (size_t i = 0; i < have.size() && ok; ++i) {
            if (have[i].size() > 2 && have[i].front() == '{' && have[i].back() == '}') {
                auto v = Decode(want[i]);
                if (!v || v->empty()) ok = false;
                else params[std::string(have[i].substr(1, have[i].size() - 2))] = std::move(*v);
            } else {
                ok = have[i] == want[i];
            }
        }
        if (!ok) continue;
        if (r.method == method) {
            match.route = &r;
            match.params = std::move(params);
            return match;
        }
        match.allowed.push_back(r.method);
    }
    return match;
}

std::optional<std::map<std::string, std::string>> ParseQuery(std::string_view query) {
    std::map<std::string, std::string> out;
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (part.empty()) continue;
        auto eq = part.find('=');
        std::string key(part.substr(0, eq));
        std::string value(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
        std::replace(key.begin(), key.end(), '+', ' ');
        std::replace(value.begin(), value.end(), '+', ' ');
        auto k = Decode(key);
        auto v = Decode(value);
        if (!k || !v || k->empty()) return std::nullopt;
        out[*k] = std::move(*v);
    }
    return out;
}

}  // namespace fleet::api::detail
