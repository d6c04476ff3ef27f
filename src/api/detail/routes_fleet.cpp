// Vehicle groups and vehicles: /api/v1/groups[/{id}[/vehicles]], /api/v1/vehicles[/{id}].
// Every read and change goes through the caller's Viewer, so group narrowing applies everywhere.
#include <fmt/format.h>

#include <boost/json/serialize.hpp>

#include "api/detail/fleet_common.hpp"
#include "api/detail/operations_routes.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// --- groups --------------------------------------------------------------------------------------

asio::awaitable<void> ListGroups(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(ctx.query, ListSpec{{"id", "name", "created_at"}, {"q"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const ListQuery& q = std::get<ListQuery>(parsed);
    store::Viewer viewer = ViewerOf(ctx);
    std::string text = q.filters.count("q") ? q.filters.at("q") : "";
    store::Paging paging = PagingOf(q);
    Result<store::Page<store::Group>> page = Error{"not run"};
    Database::Task fn = [&](Conn& c) { page = c.fleet.ListGroups(viewer, text, paging); };
    co_await s.Run(fn);
    AnswerPage(res, page, q, GroupJson);
}

asio::awaitable<void> GetGroup(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("group");
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    Result<std::optional<store::Group>> found = Error{"not run"};
    Database::Task fn = [&](Conn& c) { found = c.fleet.FindGroup(viewer, *id); };
    co_await s.Run(fn);
    AnswerFound(res, found, "group", GroupJson);
}

asio::awaitable<void> PostGroup(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseBody(ctx.req, {{"name", FieldType::kString, true, false, 128}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    std::string name = *GetString(std::get<0>(parsed), "name");
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Group> out;
    Database::Task fn = [&](Conn& c) { out = c.fleet.AddGroup(viewer, name, actor, ctx.now); };
    co_await s.Run(fn);
    Answer(res, out, 201, GroupJson);
    if (out) res.headers.emplace_back("Location", fmt::format("/api/v1/groups/{}", out->id));
}

asio::awaitable<void> PatchGroup(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("group");
        co_return;
    }
    auto parsed = ParseBody(ctx.req, {{"name", FieldType::kString, true, false, 128}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    std::string name = *GetString(std::get<0>(parsed), "name");
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Group> out;
    Database::Task fn = [&](Conn& c) { out = c.fleet.RenameGroup(viewer, *id, name, actor, ctx.now); };
    co_await s.Run(fn);
    Answer(res, out, 200, GroupJson);
}

asio::awaitable<void> DeleteGroup(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("group");
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Done> out;
    Database::Task fn = [&](Conn& c) { out = c.fleet.DeleteGroup(viewer, *id, actor, ctx.now); };
    co_await s.Run(fn);
    AnswerDone(res, out);
}

asio::awaitable<void> PutGroupVehicles(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("group");
        co_return;
    }
    auto parsed = ParseBody(ctx.req, {{"vehicle_ids", FieldType::kIntArray, true, false}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    std::vector<int64_t> vehicles = *GetIntArray(std::get<0>(parsed), "vehicle_ids");
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Group> out;
    Database::Task fn = [&](Conn& c) { out = c.fleet.SetGroupVehicles(viewer, *id, vehicles, actor, ctx.now); };
    co_await s.Run(fn);
    Answer(res, out, 200, GroupJson);
}

// --- vehicles ------------------------------------------------------------------------------------

// The vehicle body (POST: name required; PATCH: every field optional), as a change.
std::variant<store::VehicleChange, http::Response> VehicleBody(const http::Request& req, bool adding) {
    auto parsed = ParseBody(req, {{"name", FieldType::kString, adding, false, 128},
                                  {"vin", FieldType::kString, false, true, 32},
                                  {"plate", FieldType::kString, false, false, 32},
                                  {"make", FieldType::kString, false, false, 64},
                                  {"model", FieldType::kString, false, false, 64},
                                  {"sale_date", FieldType::kString, false, true, 32},
                                  {"insurance_date", FieldType::kString, false, true, 32},
                                  {"technical", FieldType::kObject, false, false, 8192},
                                  {"speed_limit_kmh", FieldType::kNumber, false, true},
                                  {"group_ids", FieldType::kIntArray, false, false}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) return std::move(*problem);
    const json::object& body = std::get<0>(parsed);
    store::VehicleChange c;
    c.name = GetString(body, "name");
    c.plate = GetString(body, "plate");
    c.make = GetString(body, "make");
    c.model = GetString(body, "model");
    for (auto [name, field] : {std::pair{"vin", &c.vin}, {"sale_date", &c.sale_date},
                               {"insurance_date", &c.insurance_date}}) {
        if (IsNull(body, name)) {
            *field = std::optional<std::string>();
        } else if (auto v = GetString(body, name)) {
            *field = std::optional<std::string>(*v);
        }
    }
    if (auto it = body.find("technical"); it != body.end()) c.technical_json = json::serialize(it->value());
    c.speed_limit_kmh = NullableNumber(body, "speed_limit_kmh");
    c.group_ids = GetIntArray(body, "group_ids");
    return c;
}

asio::awaitable<void> ListVehicles(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(ctx.query, ListSpec{{"id", "name", "plate", "vin", "make", "model", "sale_date",
                                                      "insurance_date", "created_at"},
                                                     {"q", "group_id", "make", "model", "archived"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const ListQuery& q = std::get<ListQuery>(parsed);
    store::VehicleFilter filter;
    std::optional<bool> archived;
    if (auto problem = IntFilter(q, "group_id", filter.group_id)) {
        res = std::move(*problem);
        co_return;
    }
    if (auto problem = BoolFilter(q, "archived", archived)) {
        res = std::move(*problem);
        co_return;
    }
    filter.include_archived = archived.value_or(false);
    if (q.filters.count("q")) filter.q = q.filters.at("q");
    if (q.filters.count("make")) filter.make = q.filters.at("make");
    if (q.filters.count("model")) filter.model = q.filters.at("model");
    store::Viewer viewer = ViewerOf(ctx);
    store::Paging paging = PagingOf(q);
    Result<store::Page<store::Vehicle>> page = Error{"not run"};
    Database::Task fn = [&](Conn& c) { page = c.fleet.ListVehicles(viewer, filter, paging); };
    co_await s.Run(fn);
    AnswerPage(res, page, q, VehicleJson);
}

asio::awaitable<void> GetVehicle(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("vehicle");
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    Result<std::optional<store::Vehicle>> found = Error{"not run"};
    Database::Task fn = [&](Conn& c) { found = c.fleet.FindVehicle(viewer, *id); };
    co_await s.Run(fn);
    AnswerFound(res, found, "vehicle", VehicleJson);
}

asio::awaitable<void> PostVehicle(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = VehicleBody(ctx.req, true);
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const store::VehicleChange& change = std::get<0>(parsed);
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Vehicle> out;
    Database::Task fn = [&](Conn& c) { out = c.fleet.AddVehicle(viewer, change, actor, ctx.now); };
    co_await s.Run(fn);
    Answer(res, out, 201, VehicleJson);
    if (out) res.headers.emplace_back("Location", fmt::format("/api/v1/vehicles/{}", out->id));
}

asio::awaitable<void> PatchVehicle(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("vehicle");
        co_return;
    }
    auto parsed = VehicleBody(ctx.req, false);
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const store::VehicleChange& change = std::get<0>(parsed);
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Vehicle> out;
    Database::Task fn = [&](Conn& c) {
        out = c.fleet.UpdateVehicle(viewer, *id, change, actor, ctx.now);
        if (out && change.speed_limit_kmh) ConfigChanged(s, viewer.scope.tenant_id());  // the pipeline's limit
    };
    co_await s.Run(fn);
    Answer(res, out, 200, VehicleJson);
}

asio::awaitable<void> DeleteVehicle(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("vehicle");
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Vehicle> out;
    Database::Task fn = [&](Conn& c) { out = c.fleet.ArchiveVehicle(viewer, *id, actor, ctx.now); };
    co_await s.Run(fn);
    if (!out) {
        res = ProblemOf(out.refused(), out.error());
        co_return;
    }
    res.status = 204;
    res.content_type.clear();
}

}  // namespace

void AddVehicleRoutes(Service& s) {
    constexpr auto kRead = Permission::kFleetRead;
    constexpr auto kWrite = Permission::kFleetWrite;
    AddRoute(s, "GET", "/api/v1/groups", kRead, ListGroups);
    AddRoute(s, "POST", "/api/v1/groups", kWrite, PostGroup);
    AddRoute(s, "GET", "/api/v1/groups/{id}", kRead, GetGroup);
    AddRoute(s, "PATCH", "/api/v1/groups/{id}", kWrite, PatchGroup);
    AddRoute(s, "DELETE", "/api/v1/groups/{id}", kWrite, DeleteGroup);
    AddRoute(s, "PUT", "/api/v1/groups/{id}/vehicles", kWrite, PutGroupVehicles);
    AddRoute(s, "GET", "/api/v1/vehicles", kRead, ListVehicles, false, /*drivers=*/true);
    AddRoute(s, "POST", "/api/v1/vehicles", kWrite, PostVehicle);
    AddRoute(s, "GET", "/api/v1/vehicles/{id}", kRead, GetVehicle, false, /*drivers=*/true);
    AddRoute(s, "PATCH", "/api/v1/vehicles/{id}", kWrite, PatchVehicle);
    AddRoute(s, "DELETE", "/api/v1/vehicles/{id}", kWrite, DeleteVehicle);
}

}  // namespace fleet::api::detail
