// Geofences: /api/v1/geofences[/{id}] and /api/v1/geofences/import (a GeoJSON FeatureCollection,
// all or nothing). Geometries are checked and made canonical by geojson.*; bodies with geometries
// are parsed and checked (quadratic in a ring's positions) on a database worker, not on the I/O
// thread.
#include <fmt/format.h>

#include <boost/json/parse.hpp>

#include "api/detail/geojson.hpp"
#include "api/detail/operations_routes.hpp"
#include "core/json.hpp"
#include "store/operations.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

std::string GeofenceJson(const store::Geofence& g) {
    std::string out = fmt::format("{{\"id\":{},\"name\":", g.id);
    core::AppendJsonString(out, g.name);
    out += ",\"description\":";
    core::AppendJsonString(out, g.description);
    out += fmt::format(
        ",\"kind\":\"{}\",\"geometry\":{},\"radius_m\":{},\"speed_limit_kmh\":{},\"created_at\":{},"
        "\"updated_at\":{}}}",
        g.kind, g.geometry_json, NumberJson(g.radius_m), NumberJson(g.speed_limit_kmh),
        JsonTime(g.created_at), JsonTime(g.updated_at));
    return out;
}

// The body of a POST (name, geometry required) or PATCH as a change. The kind follows the geometry
// (a Point is a circle); "kind", when sent, must agree with it.
std::variant<store::GeofenceChange, http::Response> GeofenceBody(const http::Request& req,
                                                                 bool adding) {
    auto parsed = ParseBody(req, {{"name", FieldType::kString, adding, false, 128},
                                  {"description", FieldType::kString, false, false, 1000},
                                  {"kind", FieldType::kString, false, false, 16},
                                  {"geometry", FieldType::kObject, adding, false, 60000},
                                  {"radius_m", FieldType::kNumber},
                                  {"speed_limit_kmh", FieldType::kNumber, false, true}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) return std::move(*problem);
    const json::object& body = std::get<0>(parsed);
    store::GeofenceChange c;
    c.name = GetString(body, "name");
    c.description = GetString(body, "description");
    c.radius_m = GetNumber(body, "radius_m");
    c.speed_limit_kmh = NullableNumber(body, "speed_limit_kmh");
    auto kind = GetString(body, "kind");
    if (kind && *kind != "circle" && *kind != "polygon")
        return InvalidBody("'kind' is \"circle\" or \"polygon\"");
    if (const json::value* geometry = body.if_contains("geometry")) {
        auto g = ParseGeometry(*geometry);
        if (auto* bad = std::get_if<std::string>(&g)) return InvalidBody(*bad);
        Geometry& shape = std::get<Geometry>(g);
        if (kind && *kind != shape.kind) {
            return InvalidBody(fmt::format("a {} has a {} geometry", *kind,
                                           *kind == "circle" ? "Point" : "Polygon"));
        }
        if (shape.kind == "polygon" && c.radius_m)
            return InvalidBody("a polygon has no 'radius_m'");
        c.kind = shape.kind;
        c.geometry_json = std::move(shape.json);
    } else if (kind) {
        return InvalidBody("'kind' changes with 'geometry'");
    }
    return c;
}

asio::awaitable<void> ListGeofences(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(
        ctx.query, ListSpec{{"id", "name", "created_at", "updated_at"}, {"q", "kind"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const ListQuery& q = std::get<ListQuery>(parsed);
    store::GeofenceFilter filter;
    if (q.filters.count("q")) filter.q = q.filters.at("q");
    if (q.filters.count("kind")) filter.kind = q.filters.at("kind");
    if (filter.kind && *filter.kind != "circle" && *filter.kind != "polygon") {
        res = InvalidQuery("'kind' is circle or polygon");
        co_return;
    }
    store::TenantScope scope = ctx.caller->scope();
    store::Paging paging = PagingOf(q);
    Result<store::Page<store::Geofence>> page = Error{"not run"};
    Database::Task fn = [&](Conn& c) {
        page = store::OperationsStore(c.accounts).ListGeofences(scope, filter, paging);
    };
    co_await s.Run(fn);
    AnswerPage(res, page, q, GeofenceJson);
}

asio::awaitable<void> GetGeofence(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("geofence");
        co_return;
    }
    store::TenantScope scope = ctx.caller->scope();
    Result<std::optional<store::Geofence>> found = Error{"not run"};
    Database::Task fn = [&](Conn& c) {
        found = store::OperationsStore(c.accounts).FindGeofence(scope, *id);
    };
    co_await s.Run(fn);
    AnswerFound(res, found, "geofence", GeofenceJson);
}

// The body is checked on the database worker too: a ring's check is quadratic (see geojson.hpp).
asio::awaitable<void> PostGeofence(Service& s, Ctx& ctx, http::Response& res) {
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    std::optional<http::Response> problem;
    store::Outcome<store::Geofence> out;
    Database::Task fn = [&](Conn& c) {
        auto parsed = GeofenceBody(ctx.req, true);
        if (auto* p = std::get_if<http::Response>(&parsed)) {
            problem = std::move(*p);
            return;
        }
        out = store::OperationsStore(c.accounts)
                  .AddGeofence(scope, std::get<store::GeofenceChange>(parsed), actor, ctx.now);
        if (out) ConfigChanged(s, scope.tenant_id());
    };
    co_await s.Run(fn);
    if (problem) {
        res = std::move(*problem);
        co_return;
    }
    Answer(res, out, 201, GeofenceJson);
    if (out) res.headers.emplace_back("Location", fmt::format("/api/v1/geofences/{}", out->id));
}

asio::awaitable<void> PatchGeofence(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("geofence");
        co_return;
    }
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    std::optional<http::Response> problem;
    store::Outcome<store::Geofence> out;
    Database::Task fn = [&](Conn& c) {
        auto parsed = GeofenceBody(ctx.req, false);
        if (auto* p = std::get_if<http::Response>(&parsed)) {
            problem = std::move(*p);
            return;
        }
        out = store::OperationsStore(c.accounts)
                  .UpdateGeofence(scope, *id, std::get<store::GeofenceChange>(parsed), actor,
                                  ctx.now);
        if (out) ConfigChanged(s, scope.tenant_id());
    };
    co_await s.Run(fn);
    if (problem) {
        res = std::move(*problem);
        co_return;
    }
    Answer(res, out, 200, GeofenceJson);
}

asio::awaitable<void> DeleteGeofence(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("geofence");
        co_return;
    }
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Done> out;
    Database::Task fn = [&](Conn& c) {
        out = store::OperationsStore(c.accounts).DeleteGeofence(scope, *id, actor, ctx.now);
        if (out) ConfigChanged(s, scope.tenant_id());
    };
    co_await s.Run(fn);
    AnswerDone(res, out);
}

std::string ImportErrorsJson(const std::vector<store::ImportError>& errors) {
    std::string out = "[";
    for (size_t i = 0; i < errors.size(); ++i) {
        if (i) out += ',';
        out += fmt::format("{{\"index\":{},\"detail\":", errors[i].index);
        core::AppendJsonString(out, errors[i].detail);
        out += '}';
    }
    return out + "]";
}

// 400 invalid-import: the problem with the features' errors; nothing was created.
http::Response InvalidImport(const std::vector<store::ImportError>& errors) {
    http::Response r = http::Problem(
        400, "invalid-import", "Invalid import",
        fmt::format("{} feature(s) are not valid geofences; nothing was imported", errors.size()));
    r.body.pop_back();
    r.body += ",\"created\":0,\"errors\":" + ImportErrorsJson(errors) + "}";
    return r;
}

asio::awaitable<void> ImportGeofences(Service& s, Ctx& ctx, http::Response& res) {
    auto media =
        ParseBody(ctx.req, {});  // for the media type only; the collection is checked below
    if (auto* problem = std::get_if<http::Response>(&media); problem && problem->status == 415) {
        res = std::move(*problem);
        co_return;
    }
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    std::optional<http::Response> problem;
    store::Outcome<store::ImportResult> out;
    Database::Task fn = [&](Conn& c) {
        boost::system::error_code ec;
        json::value body = json::parse(ctx.req.body, ec);
        if (ec) {
            problem = InvalidBody("the body is not JSON: " + ec.message());
            return;
        }
        ImportParse parsed = ParseFeatureCollection(body);
        if (!parsed.errors.empty()) {
            problem = InvalidImport(parsed.errors);
            return;
        }
        out = store::OperationsStore(c.accounts)
                  .ImportGeofences(scope, parsed.geofences, actor, ctx.now);
        if (out && out->created > 0) ConfigChanged(s, scope.tenant_id());
    };
    co_await s.Run(fn);
    if (problem) {
        res = std::move(*problem);
    } else if (out && !out->errors.empty()) {
        res = InvalidImport(out->errors);
    } else {
        Answer(res, out, 201, [](const store::ImportResult& r) {
            return fmt::format("{{\"created\":{},\"errors\":[]}}", r.created);
        });
    }
}

}  // namespace

void AddGeofenceRoutes(Service& s) {
    AddRoute(s, "GET", "/api/v1/geofences", Permission::kReportsRead, ListGeofences);
    AddRoute(s, "POST", "/api/v1/geofences", Permission::kOperationsWrite, PostGeofence);
    AddRoute(s, "POST", "/api/v1/geofences/import", Permission::kOperationsWrite, ImportGeofences);
    AddRoute(s, "GET", "/api/v1/geofences/{id}", Permission::kReportsRead, GetGeofence);
    AddRoute(s, "PATCH", "/api/v1/geofences/{id}", Permission::kOperationsWrite, PatchGeofence);
    AddRoute(s, "DELETE", "/api/v1/geofences/{id}", Permission::kOperationsWrite, DeleteGeofence);
}

}  // namespace fleet::api::detail
