// Maintenance: plans (/api/v1/maintenance/plans[/{id}], DELETE archives) and the service log
// (/api/v1/maintenance/services). What is due is the maintenance report's
// (GET /api/v1/reports/maintenance); the maintenance check (maintenance_check.*) raises its events.
#include <fmt/format.h>

#include "api/detail/operations_routes.hpp"
#include "core/json.hpp"
#include "store/operations.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

std::string TextOrNull(const std::optional<std::string>& v) {
    if (!v) return "null";
    std::string out;
    core::AppendJsonString(out, *v);
    return out;
}

std::string PlanJson(const store::MaintenancePlan& p) {
    std::string out = fmt::format("{{\"id\":{},\"vehicle_id\":{},\"name\":", p.id, p.vehicle_id);
    core::AppendJsonString(out, p.name);
    out += fmt::format(
        ",\"interval_km\":{},\"interval_engine_h\":{},\"interval_months\":{},\"due_date\":{},"
        "\"warn_km\":{},"
        "\"warn_engine_h\":{},\"warn_days\":{},\"last_done_date\":{},\"last_done_odometer_m\":{},"
        "\"last_done_engine_h\":{},\"created_at\":{},\"archived_at\":{}}}",
        NumberJson(p.interval_km), NumberJson(p.interval_engine_h),
        p.interval_months ? std::to_string(*p.interval_months) : "null", TextOrNull(p.due_date),
        NumberJson(p.warn_km), NumberJson(p.warn_engine_h), p.warn_days,
        TextOrNull(p.last_done_date), NumberJson(p.last_done_odometer_m),
        NumberJson(p.last_done_engine_h), JsonTime(p.created_at), JsonTime(p.archived_at));
    return out;
}

std::optional<std::optional<std::string>> NullableString(const json::object& body,
                                                         std::string_view name) {
    if (IsNull(body, name)) return std::optional<std::string>();
    if (auto v = GetString(body, name)) return std::optional<std::string>(*v);
    return std::nullopt;
}

std::variant<store::PlanChange, http::Response> PlanBody(const http::Request& req, bool adding) {
    auto parsed = ParseBody(req, {{"vehicle_id", FieldType::kInt, adding},
                                  {"name", FieldType::kString, adding, false, 128},
                                  {"interval_km", FieldType::kNumber, false, true},
                                  {"interval_engine_h", FieldType::kNumber, false, true},
                                  {"interval_months", FieldType::kInt, false, true},
                                  {"due_date", FieldType::kString, false, true, 10},
                                  {"warn_km", FieldType::kNumber},
                                  {"warn_engine_h", FieldType::kNumber},
                                  {"warn_days", FieldType::kInt},
                                  {"last_done_date", FieldType::kString, false, true, 10},
                                  {"last_done_odometer_m", FieldType::kNumber, false, true},
                                  {"last_done_engine_h", FieldType::kNumber, false, true}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) return std::move(*problem);
    const json::object& body = std::get<0>(parsed);
    store::PlanChange c;
    c.vehicle_id = GetInt(body, "vehicle_id");
    c.name = GetString(body, "name");
    c.interval_km = NullableNumber(body, "interval_km");
    c.interval_engine_h = NullableNumber(body, "interval_engine_h");
    if (IsNull(body, "interval_months")) {
        c.interval_months = std::optional<int64_t>();
    } else if (auto m = GetInt(body, "interval_months")) {
        c.interval_months = std::optional<int64_t>(*m);
    }
    c.due_date = NullableString(body, "due_date");
    c.warn_km = GetNumber(body, "warn_km");
    c.warn_engine_h = GetNumber(body, "warn_engine_h");
    c.warn_days = GetInt(body, "warn_days");
    c.last_done_date = NullableString(body, "last_done_date");
    c.last_done_odometer_m = NullableNumber(body, "last_done_odometer_m");
    c.last_done_engine_h = NullableNumber(body, "last_done_engine_h");
    return c;
}

asio::awaitable<void> ListPlans(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(
        ctx.query, ListSpec{{"id", "name", "created_at"}, {"vehicle_id", "archived"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const ListQuery& q = std::get<ListQuery>(parsed);
    store::PlanFilter filter;
    std::optional<bool> archived;
    if (auto problem = IntFilter(q, "vehicle_id", filter.vehicle_id)) {
        res = std::move(*problem);
        co_return;
    }
    if (auto problem = BoolFilter(q, "archived", archived)) {
        res = std::move(*problem);
        co_return;
    }
    filter.include_archived = archived.value_or(false);
    store::Viewer viewer = ViewerOf(ctx);
    store::Paging paging = PagingOf(q);
    Result<store::Page<store::MaintenancePlan>> page = Error{"not run"};
    Database::Task fn = [&](Conn& c) {
        page = store::OperationsStore(c.accounts).ListPlans(viewer, filter, paging);
    };
    co_await s.Run(fn);
    AnswerPage(res, page, q, PlanJson);
}

asio::awaitable<void> GetPlan(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("maintenance plan");
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    Result<std::optional<store::MaintenancePlan>> found = Error{"not run"};
    Database::Task fn = [&](Conn& c) {
        found = store::OperationsStore(c.accounts).FindPlan(viewer, *id);
    };
    co_await s.Run(fn);
    AnswerFound(res, found, "maintenance plan", PlanJson);
}

asio::awaitable<void> PostPlan(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = PlanBody(ctx.req, true);
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const store::PlanChange& change = std::get<store::PlanChange>(parsed);
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::MaintenancePlan> out;
    Database::Task fn = [&](Conn& c) {
        out = store::OperationsStore(c.accounts).AddPlan(viewer, change, actor, ctx.now);
    };
    co_await s.Run(fn);
    Answer(res, out, 201, PlanJson);
    if (out)
        res.headers.emplace_back("Location", fmt::format("/api/v1/maintenance/plans/{}", out->id));
}

asio::awaitable<void> PatchPlan(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("maintenance plan");
        co_return;
    }
    auto parsed = PlanBody(ctx.req, false);
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const store::PlanChange& change = std::get<store::PlanChange>(parsed);
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::MaintenancePlan> out;
    Database::Task fn = [&](Conn& c) {
        out = store::OperationsStore(c.accounts).UpdatePlan(viewer, *id, change, actor, ctx.now);
    };
    co_await s.Run(fn);
    Answer(res, out, 200, PlanJson);
}

asio::awaitable<void> DeletePlan(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("maintenance plan");
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::MaintenancePlan> out;
    Database::Task fn = [&](Conn& c) {
        out = store::OperationsStore(c.accounts).ArchivePlan(viewer, *id, actor, ctx.now);
    };
    co_await s.Run(fn);
    Answer(res, out, 200, PlanJson);
}

std::string ServiceJson(const store::ServiceRecord& r) {
    std::string out = fmt::format(
        "{{\"id\":{},\"vehicle_id\":{},\"plan_id\":{},\"date\":\"{}\",\"odometer_m\":{},"
        "\"engine_h\":{},\"cost_cents\":{},\"currency\":",
        r.id, r.vehicle_id, r.plan_id ? std::to_string(*r.plan_id) : "null", r.date,
        NumberJson(r.odometer_m), NumberJson(r.engine_h),
        r.cost_cents ? std::to_string(*r.cost_cents) : "null");
    core::AppendJsonString(out, r.currency);
    out += ",\"note\":";
    core::AppendJsonString(out, r.note);
    return out + fmt::format(",\"created_at\":{}}}", JsonTime(r.created_at));
}

asio::awaitable<void> ListServices(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(ctx.query, ListSpec{{"date", "id"}, {"vehicle_id", "plan_id"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    ListQuery q = std::get<ListQuery>(parsed);
    if (!ctx.query.count("sort")) q.descending = true;  // newest first unless asked otherwise
    store::ServiceFilter filter;
    if (auto problem = IntFilter(q, "vehicle_id", filter.vehicle_id)) {
        res = std::move(*problem);
        co_return;
    }
    if (auto problem = IntFilter(q, "plan_id", filter.plan_id)) {
        res = std::move(*problem);
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    store::Paging paging = PagingOf(q);
    Result<store::Page<store::ServiceRecord>> page = Error{"not run"};
    Database::Task fn = [&](Conn& c) {
        page = store::OperationsStore(c.accounts).ListServices(viewer, filter, paging);
    };
    co_await s.Run(fn);
    AnswerPage(res, page, q, ServiceJson);
}

asio::awaitable<void> PostService(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseBody(ctx.req, {{"vehicle_id", FieldType::kInt},
                                      {"plan_id", FieldType::kInt},
                                      {"date", FieldType::kString, true, false, 10},
                                      {"odometer_m", FieldType::kNumber},
                                      {"engine_h", FieldType::kNumber},
                                      {"cost_cents", FieldType::kInt},
                                      {"currency", FieldType::kString, false, false, 3},
                                      {"note", FieldType::kString, false, false, 2000}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const json::object& body = std::get<0>(parsed);
    store::ServiceRecord r;
    r.vehicle_id = GetInt(body, "vehicle_id").value_or(0);
    r.plan_id = GetInt(body, "plan_id");
    r.date = *GetString(body, "date");
    r.odometer_m = GetNumber(body, "odometer_m");
    r.engine_h = GetNumber(body, "engine_h");
    r.cost_cents = GetInt(body, "cost_cents");
    r.currency = GetString(body, "currency").value_or("EUR");
    r.note = GetString(body, "note").value_or("");
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::ServiceRecord> out;
    Database::Task fn = [&](Conn& c) {
        out = store::OperationsStore(c.accounts).AddService(viewer, r, actor, ctx.now);
    };
    co_await s.Run(fn);
    Answer(res, out, 201, ServiceJson);
}

}  // namespace

void AddMaintenanceRoutes(Service& s) {
    AddRoute(s, "GET", "/api/v1/maintenance/plans", Permission::kReportsRead, ListPlans);
    AddRoute(s, "POST", "/api/v1/maintenance/plans", Permission::kOperationsWrite, PostPlan);
    AddRoute(s, "GET", "/api/v1/maintenance/plans/{id}", Permission::kReportsRead, GetPlan);
    AddRoute(s, "PATCH", "/api/v1/maintenance/plans/{id}", Permission::kOperationsWrite, PatchPlan);
    AddRoute(s, "DELETE", "/api/v1/maintenance/plans/{id}", Permission::kOperationsWrite,
             DeletePlan);
    AddRoute(s, "GET", "/api/v1/maintenance/services", Permission::kReportsRead, ListServices);
    AddRoute(s, "POST", "/api/v1/maintenance/services", Permission::kOperationsWrite, PostService);
}

}  // namespace fleet::api::detail
