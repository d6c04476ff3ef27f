// Devices: /api/v1/devices[/{id}] and the pending list, /api/v1/devices/pending[/{imei}/approve].
// A tenant sees and names its own devices; the operator (devices.admin) sees every device,
// registers and approves them, gives them to tenants, and sets their model, firmware and status.
#include <fmt/format.h>

#include "api/detail/fleet_common.hpp"
#include "core/validate.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

std::optional<store::DeviceStatus> ParseStatus(std::string_view s) {
    if (s == "active") return store::DeviceStatus::kActive;
    if (s == "disabled") return store::DeviceStatus::kDisabled;
    return std::nullopt;
}

// The scope of the tenant named `name` (operator only); nullopt when there is none.
Result<std::optional<store::TenantScope>> TenantNamed(store::AccountStore& accounts, const std::string& name) {
    auto tenant = accounts.FindTenant(name);
    if (!tenant) return tenant.error();
    if (!tenant->has_value()) return std::optional<store::TenantScope>();
    auto scope = accounts.OperatorScope(name);
    if (!scope) return scope.error();
    return std::optional<store::TenantScope>(*scope);
}

// The tenant a body names ("tenant": a name, or null for the operator's stock); refused when
// there is no such tenant. Runs on a database worker.
store::Outcome<std::optional<store::TenantScope>> TenantOfBody(store::AccountStore& accounts,
                                                               const std::optional<std::string>& name) {
    if (!name) return std::optional<store::TenantScope>();
    auto scope = TenantNamed(accounts, *name);
    if (!scope) return scope.error();
    if (!scope->has_value()) return store::Refused{store::Refusal::kNotFound, "no such tenant"};
    return *scope;
}

asio::awaitable<void> ListDevices(Service& s, Ctx& ctx, http::Response& res) {
    bool op = ctx.caller->Can(Permission::kDevicesAdmin);
    ListSpec spec{{"id", "imei", "name", "model", "created_at"}, {"q", "status", "protocol"}};
    if (op) spec.filter_fields.insert(spec.filter_fields.end(), {"tenant", "stock"});
    auto parsed = ParseListQuery(ctx.query, spec);
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const ListQuery& q = std::get<ListQuery>(parsed);
    store::DeviceFilter filter;
    if (q.filters.count("q")) filter.q = q.filters.at("q");
    if (q.filters.count("status")) {
        filter.status = ParseStatus(q.filters.at("status"));
        if (!filter.status) {
            res = InvalidQuery("'status' must be active or disabled");
            co_return;
        }
    }
    if (q.filters.count("protocol")) {
        filter.protocol = q.filters.at("protocol");
        if (!core::KnownProtocol(*filter.protocol)) {
            res = InvalidQuery("'protocol' must be teltonika, gt06 or osmand");
            co_return;
        }
    }
    std::optional<bool> stock;
    if (auto problem = BoolFilter(q, "stock", stock)) {
        res = std::move(*problem);
        co_return;
    }
    std::optional<std::string> tenant_name;
    if (q.filters.count("tenant")) tenant_name = q.filters.at("tenant");
    if (tenant_name && stock.value_or(false)) {
        res = InvalidQuery("use either 'tenant' or 'stock=true'");
        co_return;
    }
    if (stock.value_or(false)) filter.tenant = std::optional<store::TenantScope>();
    store::TenantScope scope = ctx.caller->scope();
    store::Paging paging = PagingOf(q);
    Result<store::Page<store::FleetDevice>> page = Error{"not run"};
    Database::Task fn = [&](Conn& c) {
        if (!op) {
            page = c.fleet.ListDevices(scope, filter, paging);
            return;
        }
        if (tenant_name) {
            auto named = TenantNamed(c.accounts, *tenant_name);
            if (!named) {
                page = named.error();
                return;
            }
            if (!named->has_value()) {
                page = store::Page<store::FleetDevice>{};  // no such tenant: it has no devices
                return;
            }
            filter.tenant = *named;
        }
        page = c.fleet.OperatorListDevices(filter, paging);
    };
    co_await s.Run(fn);
    AnswerPage(res, page, q, DeviceJson);
}

asio::awaitable<void> GetDevice(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("device");
        co_return;
    }
    bool op = ctx.caller->Can(Permission::kDevicesAdmin);
    store::TenantScope scope = ctx.caller->scope();
    Result<std::optional<store::FleetDevice>> found = Error{"not run"};
    Database::Task fn = [&](Conn& c) {
        found = op ? c.fleet.OperatorFindDevice(*id) : c.fleet.FindDevice(scope, *id);
    };
    co_await s.Run(fn);
    AnswerFound(res, found, "device", DeviceJson);
}

// PATCH by the operator: name, model, firmware, status, tenant (a name or null).
asio::awaitable<void> PatchDeviceAsOperator(Service& s, Ctx& ctx, http::Response& res, int64_t id) {
    auto parsed = ParseBody(ctx.req, {{"name", FieldType::kString, false, false, 128},
                                      {"model", FieldType::kString, false, false, 64},
                                      {"firmware", FieldType::kString, false, false, 64},
                                      {"status", FieldType::kString, false, false, 16},
                                      {"tenant", FieldType::kString, false, true, 64}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const json::object& body = std::get<0>(parsed);
    store::DeviceChange change;
    change.name = GetString(body, "name");
    change.model = GetString(body, "model");
    change.firmware = GetString(body, "firmware");
    if (auto status = GetString(body, "status")) {
        change.status = ParseStatus(*status);
        if (!change.status) {
            res = InvalidBody("'status' must be active or disabled");
            co_return;
        }
    }
    bool tenant_given = body.contains("tenant");
    std::optional<std::string> tenant = GetString(body, "tenant");
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::FleetDevice> out;
    Database::Task fn = [&](Conn& c) {
        if (tenant_given) {
            auto scope = TenantOfBody(c.accounts, tenant);
            if (!scope) {
                out = scope.Failure<store::FleetDevice>();
                return;
            }
            change.tenant = *scope;
        }
        out = c.fleet.OperatorUpdateDevice(id, change, actor, ctx.now);
    };
    co_await s.Run(fn);
    Answer(res, out, 200, DeviceJson);
}

asio::awaitable<void> PatchDevice(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("device");
        co_return;
    }
    if (ctx.caller->Can(Permission::kDevicesAdmin)) {
        co_await PatchDeviceAsOperator(s, ctx, res, *id);
        co_return;
    }
    if (!ctx.caller->Can(Permission::kFleetWrite)) {
        res = Forbidden("your role does not allow fleet.write");
        co_return;
    }
    // A tenant names its devices; the rest is the operator's.
    auto parsed = ParseBody(ctx.req, {{"name", FieldType::kString, true, false, 128}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    std::string name = *GetString(std::get<0>(parsed), "name");
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::FleetDevice> out;
    Database::Task fn = [&](Conn& c) { out = c.fleet.RenameDevice(scope, *id, name, actor, ctx.now); };
    co_await s.Run(fn);
    Answer(res, out, 200, DeviceJson);
}

// The device fields the operator gives when registering or approving (all but imei and protocol
// optional); `with_id` adds imei and protocol (required).
std::variant<json::object, http::Response> DeviceBody(const http::Request& req, bool with_id) {
    if (with_id) {
        return ParseBody(req, {{"imei", FieldType::kString, true, false, 64},
                               {"protocol", FieldType::kString, true, false, 16},
                               {"name", FieldType::kString, false, false, 128},
                               {"model", FieldType::kString, false, false, 64},
                               {"firmware", FieldType::kString, false, false, 64},
                               {"tenant", FieldType::kString, false, true, 64}});
    }
    return ParseOptionalBody(req, {{"name", FieldType::kString, false, false, 128},
                                   {"model", FieldType::kString, false, false, 64},
                                   {"firmware", FieldType::kString, false, false, 64},
                                   {"tenant", FieldType::kString, false, true, 64}});
}

// Registers (POST /devices) or approves (POST /devices/pending/{imei}/approve) a device.
asio::awaitable<void> AddDevice(Service& s, Ctx& ctx, http::Response& res, const std::string* pending_imei) {
    auto parsed = DeviceBody(ctx.req, pending_imei == nullptr);
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const json::object& body = std::get<0>(parsed);
    store::NewDevice device;
    device.imei = GetString(body, "imei").value_or("");
    device.protocol = GetString(body, "protocol").value_or("");
    device.name = GetString(body, "name").value_or("");
    device.model = GetString(body, "model").value_or("");
    device.firmware = GetString(body, "firmware").value_or("");
    if (!pending_imei && !core::KnownProtocol(device.protocol)) {
        res = InvalidBody("'protocol' must be teltonika, gt06 or osmand");
        co_return;
    }
    std::optional<std::string> tenant = GetString(body, "tenant");
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::FleetDevice> out;
    Database::Task fn = [&](Conn& c) {
        auto scope = TenantOfBody(c.accounts, tenant);
        if (!scope) {
            out = scope.Failure<store::FleetDevice>();
            return;
        }
        device.tenant = *scope;
        out = pending_imei ? c.fleet.OperatorApprovePending(*pending_imei, device, actor, ctx.now)
                           : c.fleet.OperatorAddDevice(device, actor, ctx.now);
    };
    co_await s.Run(fn);
    Answer(res, out, 201, DeviceJson);
    if (out) res.headers.emplace_back("Location", fmt::format("/api/v1/devices/{}", out->id));
}

asio::awaitable<void> PostDevice(Service& s, Ctx& ctx, http::Response& res) {
    co_await AddDevice(s, ctx, res, nullptr);
}

asio::awaitable<void> ApprovePending(Service& s, Ctx& ctx, http::Response& res) {
    const std::string& imei = ctx.params.at("imei");
    co_await AddDevice(s, ctx, res, &imei);
}

asio::awaitable<void> ListPending(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(ctx.query, ListSpec{{"last_attempt", "first_attempt", "imei", "attempts"}, {"q"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const ListQuery& q = std::get<ListQuery>(parsed);
    std::string text = q.filters.count("q") ? q.filters.at("q") : "";
    store::Paging paging = PagingOf(q);
    Result<store::Page<store::PendingDevice>> page = Error{"not run"};
    Database::Task fn = [&](Conn& c) { page = c.fleet.OperatorListPending(text, paging); };
    co_await s.Run(fn);
    AnswerPage(res, page, q, PendingJson);
}

}  // namespace

void AddDeviceRoutes(Service& s) {
    // The pending routes come first: the router takes the first pattern that matches, and
    // /api/v1/devices/{id} would match /api/v1/devices/pending.
    AddRoute(s, "GET", "/api/v1/devices/pending", Permission::kDevicesAdmin, ListPending);
    AddRoute(s, "POST", "/api/v1/devices/pending/{imei}/approve", Permission::kDevicesAdmin, ApprovePending);
    AddRoute(s, "GET", "/api/v1/devices", Permission::kFleetRead, ListDevices);
    AddRoute(s, "POST", "/api/v1/devices", Permission::kDevicesAdmin, PostDevice);
    AddRoute(s, "GET", "/api/v1/devices/{id}", Permission::kFleetRead, GetDevice);
    // Tenants need fleet.write, the operator devices.admin: the handler checks which.
    AddRoute(s, "PATCH", "/api/v1/devices/{id}", std::nullopt, PatchDevice);
}

}  // namespace fleet::api::detail
