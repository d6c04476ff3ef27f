// Installations — which device is in which vehicle, from when to when: /api/v1/installations[/{id}
// [/end]] and a vehicle's history, /api/v1/vehicles/{id}/installations.
#include <fmt/format.h>

#include "api/detail/fleet_common.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

const ListSpec kSpec{{"id", "from", "to"}, {"vehicle_id", "device_id", "open"}};

// The list's filters (vehicle_id, device_id, open); the problem when one is malformed.
std::optional<http::Response> FilterOf(const ListQuery& q, store::InstallationFilter& f) {
    if (auto problem = IntFilter(q, "vehicle_id", f.vehicle_id)) return problem;
    if (auto problem = IntFilter(q, "device_id", f.device_id)) return problem;
    return BoolFilter(q, "open", f.open);
}

asio::awaitable<void> ListInstallations(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(ctx.query, kSpec);
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const ListQuery& q = std::get<ListQuery>(parsed);
    store::InstallationFilter filter;
    if (auto problem = FilterOf(q, filter)) {
        res = std::move(*problem);
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    store::Paging paging = PagingOf(q);
    Result<store::Page<store::Installation>> page = Error{"not run"};
    Database::Task fn = [&](Conn& c) { page = c.fleet.ListInstallations(viewer, filter, paging); };
    co_await s.Run(fn);
    AnswerPage(res, page, q, InstallationJson);
}

asio::awaitable<void> ListVehicleInstallations(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("vehicle");
        co_return;
    }
    auto parsed = ParseListQuery(ctx.query, ListSpec{{"from", "id", "to"}, {"open"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const ListQuery& q = std::get<ListQuery>(parsed);
    store::InstallationFilter filter;
    if (auto problem = FilterOf(q, filter)) {
        res = std::move(*problem);
        co_return;
    }
    filter.vehicle_id = *id;
    store::Viewer viewer = ViewerOf(ctx);
    store::Paging paging = PagingOf(q);
    bool visible = false;
    Result<store::Page<store::Installation>> page = Error{"not run"};
    Database::Task fn = [&](Conn& c) {
        auto vehicle = c.fleet.FindVehicle(viewer, *id);
        if (!vehicle) {
            page = vehicle.error();
            return;
        }
        visible = vehicle->has_value();
        page = visible ? c.fleet.ListInstallations(viewer, filter, paging) : store::Page<store::Installation>{};
    };
    co_await s.Run(fn);
    if (page && !visible) {
        res = NotFound("vehicle");
        co_return;
    }
    AnswerPage(res, page, q, InstallationJson);
}

asio::awaitable<void> GetInstallation(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("installation");
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    Result<std::optional<store::Installation>> found = Error{"not run"};
    Database::Task fn = [&](Conn& c) { found = c.fleet.FindInstallation(viewer, *id); };
    co_await s.Run(fn);
    AnswerFound(res, found, "installation", InstallationJson);
}

asio::awaitable<void> PostInstallation(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseBody(ctx.req, {{"vehicle_id", FieldType::kInt, true, false},
                                      {"device_id", FieldType::kInt, true, false},
                                      {"from", FieldType::kString, false, false, 64},
                                      {"to", FieldType::kString, false, true, 64},
                                      {"note", FieldType::kString, false, false, 256}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const json::object& body = std::get<0>(parsed);
    store::NewInstallation in;
    in.vehicle_id = *GetInt(body, "vehicle_id");
    in.device_id = *GetInt(body, "device_id");
    in.note = GetString(body, "note").value_or("");
    std::optional<core::TimePoint> from;
    if (auto problem = TimeField(body, "from", from)) {
        res = std::move(*problem);
        co_return;
    }
    if (auto problem = TimeField(body, "to", in.to)) {
        res = std::move(*problem);
        co_return;
    }
    in.from = from.value_or(ctx.now);
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Installation> out;
    Database::Task fn = [&](Conn& c) { out = c.fleet.AddInstallation(viewer, in, actor, ctx.now); };
    co_await s.Run(fn);
    Answer(res, out, 201, InstallationJson);
    if (out) res.headers.emplace_back("Location", fmt::format("/api/v1/installations/{}", out->id));
}

asio::awaitable<void> EndInstallation(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("installation");
        co_return;
    }
    auto parsed = ParseOptionalBody(ctx.req, {{"to", FieldType::kString, false, false, 64}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    std::optional<core::TimePoint> to;
    if (auto problem = TimeField(std::get<0>(parsed), "to", to)) {
        res = std::move(*problem);
        co_return;
    }
    core::TimePoint end = to.value_or(ctx.now);
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Installation> out;
    Database::Task fn = [&](Conn& c) { out = c.fleet.EndInstallation(viewer, *id, end, actor, ctx.now); };
    co_await s.Run(fn);
    Answer(res, out, 200, InstallationJson);
}

}  // namespace

void AddInstallationRoutes(Service& s) {
    AddRoute(s, "GET", "/api/v1/installations", Permission::kFleetRead, ListInstallations);
    AddRoute(s, "POST", "/api/v1/installations", Permission::kFleetWrite, PostInstallation);
    AddRoute(s, "GET", "/api/v1/installations/{id}", Permission::kFleetRead, GetInstallation);
    AddRoute(s, "POST", "/api/v1/installations/{id}/end", Permission::kFleetWrite, EndInstallation);
    AddRoute(s, "GET", "/api/v1/vehicles/{id}/installations", Permission::kFleetRead, ListVehicleInstallations);
}

}  // namespace fleet::api::detail
