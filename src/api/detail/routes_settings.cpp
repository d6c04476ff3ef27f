// The tenant's settings: /api/v1/settings/processing (the pipeline's thresholds and eco weights,
// pipeline::Settings) and /api/v1/settings/tenant (its time zone, which tenant administrators may
// change; the operator changes the rest of a tenant under /api/v1/tenants).
#include <fmt/format.h>

#include "api/detail/operations_routes.hpp"
#include "api/detail/time_zone.hpp"
#include "core/json.hpp"
#include "store/operations.hpp"

namespace fleet::api::detail {

void ConfigChanged(const Service& s, std::optional<int64_t> tenant_id) {
    if (s.options.config_changed) s.options.config_changed(tenant_id);
}

std::string NumberJson(std::optional<double> v) {
    if (!v) return "null";
    std::string out;
    core::AppendJsonNumber(out, *v);
    return out;
}

std::optional<std::optional<double>> NullableNumber(const boost::json::object& body, std::string_view name) {
    if (IsNull(body, name)) return std::optional<double>();
    if (auto v = GetNumber(body, name)) return std::optional<double>(*v);
    return std::nullopt;
}

namespace {

namespace asio = boost::asio;
namespace json = boost::json;

std::string TenantSettingsJson(const store::TenantDetail& d) {
    std::string out = "{\"name\":";
    core::AppendJsonString(out, d.tenant.name);
    out += ",\"time_zone\":";
    core::AppendJsonString(out, d.time_zone);
    return out + "}";
}

asio::awaitable<void> GetTenantSettings(Service& s, Ctx& ctx, http::Response& res) {
    int64_t tenant_id = ctx.caller->scope().tenant_id();
    Result<std::optional<store::TenantDetail>> tenant = Error{"not run"};
    Database::Task fn = [&](Conn& c) { tenant = c.accounts.GetTenant(tenant_id); };
    co_await s.Run(fn);
    AnswerFound(res, tenant, "tenant", TenantSettingsJson);
}

asio::awaitable<void> PatchTenantSettings(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseBody(ctx.req, {{"time_zone", FieldType::kString, false, false, 64}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    store::TenantChange change;
    change.time_zone = GetString(std::get<0>(parsed), "time_zone");
    if (change.time_zone && !IsTimeZone(*change.time_zone)) {
        res = InvalidBody("'time_zone' is not an IANA time-zone name (like \"Europe/Paris\")");
        co_return;
    }
    int64_t tenant_id = ctx.caller->scope().tenant_id();
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::TenantDetail> updated;
    Database::Task fn = [&](Conn& c) {
        updated = c.accounts.UpdateTenant(tenant_id, change, actor, ctx.now);
        if (updated && change.time_zone) ConfigChanged(s, tenant_id);
    };
    co_await s.Run(fn);
    Answer(res, updated, 200, TenantSettingsJson);
}

}  // namespace

void AddSettingsRoutes(Service& s) {
    AddRoute(s, "GET", "/api/v1/settings/tenant", Permission::kReportsRead, GetTenantSettings);
    AddRoute(s, "PATCH", "/api/v1/settings/tenant", Permission::kTenantSettings, PatchTenantSettings);
}

void AddOperationsRoutes(Service& s) {
    AddSettingsRoutes(s);
    AddGeofenceRoutes(s);
    AddAssignmentRoutes(s);
    AddMaintenanceRoutes(s);
}

}  // namespace fleet::api::detail
