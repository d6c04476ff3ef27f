// Drivers: /api/v1/drivers[/{id}]. A caller of the driver role reads its own record only.
#include <fmt/format.h>

#include "api/detail/fleet_common.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// The driver body (POST: name required), as a change.
std::variant<store::DriverChange, http::Response> DriverBody(const http::Request& req, bool adding) {
    auto parsed = ParseBody(req, {{"name", FieldType::kString, adding, false, 128},
                                  {"badge_id", FieldType::kString, false, true, 64},
                                  {"employee_number", FieldType::kString, false, false, 64},
                                  {"user_id", FieldType::kInt, false, true}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) return std::move(*problem);
    const json::object& body = std::get<0>(parsed);
    store::DriverChange c;
    c.name = GetString(body, "name");
    c.employee_number = GetString(body, "employee_number");
    if (IsNull(body, "badge_id")) {
        c.badge_id = std::optional<std::string>();
    } else if (auto badge = GetString(body, "badge_id")) {
        c.badge_id = std::optional<std::string>(*badge);
    }
    if (IsNull(body, "user_id")) {
        c.user_id = std::optional<int64_t>();
    } else if (auto user = GetInt(body, "user_id")) {
        c.user_id = std::optional<int64_t>(*user);
    }
    return c;
}

asio::awaitable<void> ListDrivers(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(
        ctx.query,
        ListSpec{{"id", "name", "badge_id", "employee_number", "created_at"}, {"q", "user_id"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const ListQuery& q = std::get<ListQuery>(parsed);
    store::DriverFilter filter;
    if (auto problem = IntFilter(q, "user_id", filter.user_id)) {
        res = std::move(*problem);
        co_return;
    }
    if (q.filters.count("q")) filter.q = q.filters.at("q");
    // A driver reads its own driver record only: other drivers' names and badges are personal data.
    if (ctx.caller->user.role == store::Role::kDriver) filter.user_id = ctx.caller->user.id;
    store::TenantScope scope = ctx.caller->scope();
    store::Paging paging = PagingOf(q);
    Result<store::Page<store::Driver>> page = Error{"not run"};
    Database::Task fn = [&](Conn& c) { page = c.fleet.ListDrivers(scope, filter, paging); };
    co_await s.Run(fn);
    AnswerPage(res, page, q, DriverJson);
}

asio::awaitable<void> GetDriver(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("driver");
        co_return;
    }
    store::TenantScope scope = ctx.caller->scope();
    Result<std::optional<store::Driver>> found = Error{"not run"};
    Database::Task fn = [&](Conn& c) { found = c.fleet.FindDriver(scope, *id); };
    co_await s.Run(fn);
    const store::User& user = ctx.caller->user;
    if (found && *found && user.role == store::Role::kDriver && (**found).user_id != user.id) {
        found = std::optional<store::Driver>();  // another driver's record: as if missing
    }
    AnswerFound(res, found, "driver", DriverJson);
}

asio::awaitable<void> PostDriver(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = DriverBody(ctx.req, true);
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const store::DriverChange& change = std::get<0>(parsed);
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Driver> out;
    Database::Task fn = [&](Conn& c) { out = c.fleet.AddDriver(scope, change, actor, ctx.now); };
    co_await s.Run(fn);
    Answer(res, out, 201, DriverJson);
    if (out) res.headers.emplace_back("Location", fmt::format("/api/v1/drivers/{}", out->id));
}

asio::awaitable<void> PatchDriver(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("driver");
        co_return;
    }
    auto parsed = DriverBody(ctx.req, false);
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const store::DriverChange& change = std::get<0>(parsed);
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Driver> out;
    Database::Task fn = [&](Conn& c) { out = c.fleet.UpdateDriver(scope, *id, change, actor, ctx.now); };
    co_await s.Run(fn);
    Answer(res, out, 200, DriverJson);
}

asio::awaitable<void> DeleteDriver(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("driver");
        co_return;
    }
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Done> out;
    Database::Task fn = [&](Conn& c) { out = c.fleet.DeleteDriver(scope, *id, actor, ctx.now); };
    co_await s.Run(fn);
    AnswerDone(res, out);
}

}  // namespace

void AddDriverRoutes(Service& s) {
    AddRoute(s, "GET", "/api/v1/drivers", Permission::kFleetRead, ListDrivers, false, /*drivers=*/true);
    AddRoute(s, "POST", "/api/v1/drivers", Permission::kFleetWrite, PostDriver);
    AddRoute(s, "GET", "/api/v1/drivers/{id}", Permission::kFleetRead, GetDriver, false, /*drivers=*/true);
    AddRoute(s, "PATCH", "/api/v1/drivers/{id}", Permission::kFleetWrite, PatchDriver);
    AddRoute(s, "DELETE", "/api/v1/drivers/{id}", Permission::kFleetWrite, DeleteDriver);
}

}  // namespace fleet::api::detail
