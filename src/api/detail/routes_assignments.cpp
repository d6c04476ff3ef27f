// A vehicle's dashboard odometer (/api/v1/vehicles/{id}/odometer) and its drivers' assignments
// (/api/v1/vehicles/{id}/assignments, /api/v1/assignments/{id}).
#include <fmt/format.h>

#include "api/detail/operations_routes.hpp"
#include "core/json.hpp"
#include "store/operations.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

std::string OdometerJson(const store::Odometer& o) {
    return fmt::format("{{\"odometer_km\":{},\"engine_hours\":{},\"set_at\":{}}}",
                       NumberJson(o.odometer_km), NumberJson(o.engine_hours), JsonTime(o.set_at));
}

asio::awaitable<void> GetOdometer(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("vehicle");
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    store::Outcome<store::Odometer> out;
    Database::Task fn = [&](Conn& c) {
        out = store::OperationsStore(c.accounts).GetOdometer(viewer, *id);
    };
    co_await s.Run(fn);
    Answer(res, out, 200, OdometerJson);
}

asio::awaitable<void> PutOdometer(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("vehicle");
        co_return;
    }
    auto parsed = ParseBody(
        ctx.req, {{"odometer_km", FieldType::kNumber, true}, {"engine_hours", FieldType::kNumber}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const json::object& body = std::get<0>(parsed);
    double km = *GetNumber(body, "odometer_km");
    std::optional<double> hours = GetNumber(body, "engine_hours");
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Odometer> out;
    Database::Task fn = [&](Conn& c) {
        out =
            store::OperationsStore(c.accounts).SetOdometer(viewer, *id, km, hours, actor, ctx.now);
    };
    co_await s.Run(fn);
    Answer(res, out, 200, OdometerJson);
}

std::string AssignmentJson(const store::Assignment& a) {
    std::string out =
        fmt::format("{{\"id\":{},\"vehicle_id\":{},\"driver_id\":{},\"driver_name\":", a.id,
                    a.vehicle_id, a.driver_id);
    core::AppendJsonString(out, a.driver_name);
    return out + fmt::format(",\"from\":{},\"to\":{},\"created_at\":{}}}", JsonTime(a.from),
                             JsonTime(a.to), JsonTime(a.created_at));
}

asio::awaitable<void> ListAssignments(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("vehicle");
        co_return;
    }
    auto parsed = ParseListQuery(ctx.query, ListSpec{{"from"}, {}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const ListQuery& q = std::get<ListQuery>(parsed);
    store::Viewer viewer = ViewerOf(ctx);
    store::Paging paging = PagingOf(q);
    store::Outcome<store::Page<store::Assignment>> page;
    Database::Task fn = [&](Conn& c) {
        page = store::OperationsStore(c.accounts).ListAssignments(viewer, *id, paging);
    };
    co_await s.Run(fn);
    Answer(res, page, 200, [&](const store::Page<store::Assignment>& p) {
        std::vector<std::string> items;
        for (const auto& a : p.items) items.push_back(AssignmentJson(a));
        return PageJson(items, p.total, q);
    });
}

asio::awaitable<void> PostAssignment(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("vehicle");
        co_return;
    }
    auto parsed = ParseBody(ctx.req, {{"driver_id", FieldType::kInt, true},
                                      {"from", FieldType::kString, true, false, 40},
                                      {"to", FieldType::kString, false, true, 40}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const json::object& body = std::get<0>(parsed);
    std::optional<core::TimePoint> from, to;
    if (auto problem = TimeField(body, "from", from)) {
        res = std::move(*problem);
        co_return;
    }
    if (auto problem = TimeField(body, "to", to)) {
        res = std::move(*problem);
        co_return;
    }
    int64_t driver = *GetInt(body, "driver_id");
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Assignment> out;
    Database::Task fn = [&](Conn& c) {
        out = store::OperationsStore(c.accounts)
                  .AddAssignment(viewer, *id, driver, *from, to, actor, ctx.now);
        if (out) ConfigChanged(s, viewer.scope.tenant_id());
    };
    co_await s.Run(fn);
    Answer(res, out, 201, AssignmentJson);
}

asio::awaitable<void> DeleteAssignment(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("assignment");
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<int64_t> out;
    Database::Task fn = [&](Conn& c) {
        out = store::OperationsStore(c.accounts).DeleteAssignment(viewer, *id, actor, ctx.now);
        if (out) ConfigChanged(s, viewer.scope.tenant_id());
    };
    co_await s.Run(fn);
    AnswerDone(res, out ? store::Outcome<store::Done>(store::Done{}) : out.Failure<store::Done>());
}

}  // namespace

void AddAssignmentRoutes(Service& s) {
    AddRoute(s, "GET", "/api/v1/vehicles/{id}/odometer", Permission::kFleetRead, GetOdometer);
    AddRoute(s, "PUT", "/api/v1/vehicles/{id}/odometer", Permission::kOperationsWrite, PutOdometer);
    AddRoute(s, "GET", "/api/v1/vehicles/{id}/assignments", Permission::kFleetRead,
             ListAssignments);
    AddRoute(s, "POST", "/api/v1/vehicles/{id}/assignments", Permission::kOperationsWrite,
             PostAssignment);
    AddRoute(s, "DELETE", "/api/v1/assignments/{id}", Permission::kOperationsWrite,
             DeleteAssignment);
}

}  // namespace fleet::api::detail
