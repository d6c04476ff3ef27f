// The tenant's settings: /api/v1/settings/processing (the pipeline's thresholds and eco weights,
// pipeline::Settings) and /api/v1/settings/tenant (its time zone, which tenant administrators may
// change; the operator changes the rest of a tenant under /api/v1/tenants).
#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/detail/operations_routes.hpp"
#include "api/detail/time_zone.hpp"
#include "core/json.hpp"
#include "pipeline/engine.hpp"
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

std::optional<std::optional<double>> NullableNumber(const boost::json::object& body,
                                                    std::string_view name) {
    if (IsNull(body, name)) return std::optional<double>();
    if (auto v = GetNumber(body, name)) return std::optional<double>(*v);
    return std::nullopt;
}

namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// The stored settings with every key (defaults filled), or the problem of a failed read. Stored
// settings that no longer parse (a key a newer version dropped or narrowed) are the defaults, as
// the pipeline's runner reads them too; a warning is logged, and the next PUT writes valid ones.
std::variant<pipeline::Settings, http::Response> Effective(const Result<std::string>& stored,
                                                           int64_t tenant_id) {
    if (!stored) return ProblemOf(nullptr, &stored.error());
    auto settings = pipeline::ParseSettings(*stored);
    if (!settings) {
        spdlog::warn("api: tenant {} processing settings: {} (the defaults apply)", tenant_id,
                     settings.error().message);
        return pipeline::Settings{};
    }
    return *settings;
}

asio::awaitable<void> GetProcessing(Service& s, Ctx& ctx, http::Response& res) {
    store::TenantScope scope = ctx.caller->scope();
    Result<std::string> stored = Error{"not run"};
    Database::Task fn = [&](Conn& c) {
        stored = store::OperationsStore(c.accounts).ProcessingSettings(scope);
    };
    co_await s.Run(fn);
    auto settings = Effective(stored, scope.tenant_id());
    if (auto* problem = std::get_if<http::Response>(&settings)) {
        res = std::move(*problem);
        co_return;
    }
    res = Json(200, pipeline::SettingsJson(std::get<pipeline::Settings>(settings)));
}

// A partial object: its members replace the current values, the others stay. Checked by
// pipeline::ParseSettings (unknown keys, types, ranges) and saved complete.
asio::awaitable<void> PutProcessing(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseBody(ctx.req, {});  // only the media type and the JSON object; keys below
    if (auto* problem = std::get_if<http::Response>(&parsed); problem && problem->status == 415) {
        res = std::move(*problem);
        co_return;
    }
    boost::system::error_code ec;
    json::value body = json::parse(ctx.req.body, ec);
    if (ec || !body.is_object()) {
        res = InvalidBody("the body must be a JSON object of settings");
        co_return;
    }
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    std::optional<http::Response> problem;
    store::Outcome<store::Done> saved = store::Done{};
    std::string answer;
    Database::Task fn = [&](Conn& c) {
        store::OperationsStore ops(c.accounts);
        auto current = Effective(ops.ProcessingSettings(scope), scope.tenant_id());
        if (auto* p = std::get_if<http::Response>(&current)) {
            problem = std::move(*p);
            return;
        }
        json::object merged =
            json::parse(pipeline::SettingsJson(std::get<pipeline::Settings>(current))).as_object();
        for (const auto& kv : body.as_object()) merged[kv.key()] = kv.value();
        auto settings = pipeline::ParseSettings(json::serialize(merged));
        if (!settings) {
            problem = InvalidBody(settings.error().message);
            return;
        }
        answer = pipeline::SettingsJson(*settings);
        saved = ops.SetProcessingSettings(scope, answer, actor, ctx.now);
        if (saved) ConfigChanged(s, scope.tenant_id());
    };
    co_await s.Run(fn);
    if (problem) {
        res = std::move(*problem);
        co_return;
    }
    Answer(res, saved, 200, [&](const store::Done&) { return answer; });
}

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
    AddRoute(s, "GET", "/api/v1/settings/processing", Permission::kTenantSettings, GetProcessing);
    AddRoute(s, "PUT", "/api/v1/settings/processing", Permission::kTenantSettings, PutProcessing);
    AddRoute(s, "GET", "/api/v1/settings/tenant", Permission::kReportsRead, GetTenantSettings);
    AddRoute(s, "PATCH", "/api/v1/settings/tenant", Permission::kTenantSettings,
             PatchTenantSettings);
}

void AddOperationsRoutes(Service& s) {
    AddSettingsRoutes(s);
    AddGeofenceRoutes(s);
    AddAssignmentRoutes(s);
    AddMaintenanceRoutes(s);
}

}  // namespace fleet::api::detail
