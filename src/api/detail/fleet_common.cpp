#include "api/detail/fleet_common.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <charconv>

#include "core/json.hpp"
#include "core/time.hpp"

namespace fleet::api::detail {

void AddFleetRoutes(Service& s) {
    AddVehicleRoutes(s);
    AddDeviceRoutes(s);
    AddInstallationRoutes(s);
    AddDriverRoutes(s);
}

void AddRoute(Service& s, const char* method, const char* pattern, std::optional<Permission> permission, Handler fn,
              bool step_up, bool drivers) {
    Route route{method, pattern, Access::kSignedIn, permission, false,
                [&s, fn](Ctx& ctx, http::Response& res) { return fn(s, ctx, res); }};
    route.step_up = step_up;
    route.drivers = drivers;
    s.router.Add(std::move(route));
}

store::Actor ActorOf(const Ctx& ctx) {
    return store::Actor{fmt::format("user:{}", ctx.caller->user.id), ctx.caller->user.id, ctx.ip};
}

store::Viewer ViewerOf(const Ctx& ctx) { return store::ViewerFor(ctx.caller->user, ctx.caller->scope(), ctx.now); }

namespace {

std::optional<int64_t> PositiveInt(std::string_view s) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v < 1) return std::nullopt;
    return v;
}

}  // namespace

std::optional<int64_t> PathId(const Ctx& ctx, const char* name) {
    auto it = ctx.params.find(name);
    return it == ctx.params.end() ? std::nullopt : PositiveInt(it->second);
}

std::optional<http::Response> IntFilter(const ListQuery& q, std::string_view name, std::optional<int64_t>& out) {
    auto it = q.filters.find(std::string(name));
    if (it == q.filters.end()) return std::nullopt;
    out = PositiveInt(it->second);
    if (!out) return InvalidQuery(fmt::format("'{}' must be a positive integer", name));
    return std::nullopt;
}

std::optional<http::Response> BoolFilter(const ListQuery& q, std::string_view name, std::optional<bool>& out) {
    auto it = q.filters.find(std::string(name));
    if (it == q.filters.end()) return std::nullopt;
    if (it->second == "true") {
        out = true;
    } else if (it->second == "false") {
        out = false;
    } else {
        return InvalidQuery(fmt::format("'{}' must be true or false", name));
    }
    return std::nullopt;
}

store::Paging PagingOf(const ListQuery& q) { return store::Paging{q.limit, q.offset, q.sort, q.descending}; }

std::variant<boost::json::object, http::Response> ParseOptionalBody(const http::Request& req, Schema schema) {
    if (req.body.empty()) return boost::json::object();
    return ParseBody(req, schema);
}

std::optional<http::Response> TimeField(const boost::json::object& body, std::string_view name,
                                        std::optional<core::TimePoint>& out) {
    auto text = GetString(body, name);
    if (!text) return std::nullopt;
    auto t = core::ParseIso(*text);
    if (!t) return InvalidBody(fmt::format("'{}' must be an ISO 8601 time such as 2026-03-01T08:00:00Z", name));
    out = *t;
    return std::nullopt;
}

http::Response ProblemOf(const store::Refused* refused, const Error* error) {
    if (!refused) {
        spdlog::error("api: fleet: {}", error ? error->message : "no outcome");
        return Internal();
    }
    switch (refused->why) {
        case store::Refusal::kInvalid: return InvalidBody(refused->detail);
        case store::Refusal::kForbidden: return Forbidden(refused->detail);
        case store::Refusal::kNotFound: return http::Problem(404, "not-found", "Not found", refused->detail);
        case store::Refusal::kConflict: return Conflict(refused->detail);
    }
    return Internal();
}

void AnswerDone(http::Response& res, const store::Outcome<store::Done>& out) {
    if (!out) {
        res = ProblemOf(out.refused(), out.error());
        return;
    }
    res.status = 204;
    res.content_type.clear();
}

namespace {

void Member(std::string& out, std::string_view key) {
    out += out.back() == '{' ? "\"" : ",\"";
    out += key;
    out += "\":";
}
void Str(std::string& out, std::string_view key, std::string_view value) {
    Member(out, key);
    core::AppendJsonString(out, value);
}
void OptStr(std::string& out, std::string_view key, const std::optional<std::string>& value) {
    Member(out, key);
    if (value) {
        core::AppendJsonString(out, *value);
    } else {
        out += "null";
    }
}
void Int(std::string& out, std::string_view key, int64_t value) {
    Member(out, key);
    out += std::to_string(value);
}
void OptInt(std::string& out, std::string_view key, std::optional<int64_t> value) {
    Member(out, key);
    out += value ? std::to_string(*value) : "null";
}
void Time(std::string& out, std::string_view key, std::optional<core::TimePoint> value) {
    Member(out, key);
    out += value ? "\"" + core::FormatIso(*value) + "\"" : "null";
}

}  // namespace

std::string GroupJson(const store::Group& g) {
    std::string out = "{";
    Int(out, "id", g.id);
    Str(out, "name", g.name);
    Int(out, "vehicle_count", g.vehicle_count);
    Time(out, "created_at", g.created_at);
    return out + "}";
}

std::string VehicleJson(const store::Vehicle& v) {
    std::string out = "{";
    Int(out, "id", v.id);
    Str(out, "name", v.name);
    OptStr(out, "vin", v.vin);
    Str(out, "plate", v.plate);
    Str(out, "make", v.make);
    Str(out, "model", v.model);
    OptStr(out, "sale_date", v.sale_date);
    OptStr(out, "insurance_date", v.insurance_date);
    Member(out, "technical");
    out += v.technical_json;  // a JSON object, serialised by the API when it was set
    Member(out, "speed_limit_kmh");
    if (v.speed_limit_kmh) {
        core::AppendJsonNumber(out, *v.speed_limit_kmh);
    } else {
        out += "null";
    }
    Member(out, "group_ids");
    out += '[';
    for (size_t i = 0; i < v.group_ids.size(); ++i) out += (i ? "," : "") + std::to_string(v.group_ids[i]);
    out += ']';
    Time(out, "created_at", v.created_at);
    Time(out, "archived_at", v.archived_at);
    Member(out, "installation");
    if (v.installation) {
        out += "{";
        Int(out, "id", v.installation->installation_id);
        Int(out, "device_id", v.installation->device_id);
        Str(out, "imei", v.installation->imei);
        Time(out, "from", v.installation->from);
        out += "}";
    } else {
        out += "null";
    }
    return out + "}";
}

std::string DeviceJson(const store::FleetDevice& d) {
    std::string out = "{";
    Int(out, "id", d.id);
    Str(out, "imei", d.imei);
    Str(out, "protocol", d.protocol);
    Str(out, "name", d.name);
    Str(out, "status", store::ToString(d.status));
    Str(out, "model", d.model);
    Str(out, "firmware", d.firmware);
    OptStr(out, "tenant", d.tenant_id ? std::optional<std::string>(d.tenant) : std::nullopt);
    OptInt(out, "vehicle_id", d.vehicle_id);
    Time(out, "created_at", d.created_at);
    return out + "}";
}

std::string PendingJson(const store::PendingDevice& p) {
    std::string out = "{";
    Str(out, "imei", p.imei);
    Str(out, "protocol", p.protocol);
    Time(out, "first_attempt", p.first_attempt);
    Time(out, "last_attempt", p.last_attempt);
    Str(out, "address", p.address);
    Int(out, "attempts", p.attempts);
    return out + "}";
}

std::string InstallationJson(const store::Installation& i) {
    std::string out = "{";
    Int(out, "id", i.id);
    Int(out, "vehicle_id", i.vehicle_id);
    Int(out, "device_id", i.device_id);
    Str(out, "imei", i.imei);
    Time(out, "from", i.from);
    Time(out, "to", i.to);
    Str(out, "note", i.note);
    Time(out, "created_at", i.created_at);
    return out + "}";
}

std::string DriverJson(const store::Driver& d) {
    std::string out = "{";
    Int(out, "id", d.id);
    Str(out, "name", d.name);
    OptStr(out, "badge_id", d.badge_id);
    Str(out, "employee_number", d.employee_number);
    OptInt(out, "user_id", d.user_id);
    Time(out, "created_at", d.created_at);
    return out + "}";
}

}  // namespace fleet::api::detail
