// Notifications: rules (/api/v1/notification-rules), the caller's inbox (/api/v1/notifications)
// and the tenant's delivery log (/api/v1/notifications/deliveries). Webhooks are in
// routes_webhooks.cpp; the delivery itself in notifier.*.
#include <fmt/format.h>

#include "api/detail/fleet_common.hpp"
#include "api/detail/notifier.hpp"
#include "core/json.hpp"
#include "store/notify.hpp"

namespace fleet::api::detail {

void AddWebhookRoutes(Service& s);  // routes_webhooks.cpp

namespace {

namespace asio = boost::asio;
namespace json = boost::json;

std::string IdsJson(const std::vector<int64_t>& ids) {
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
    return out + "]";
}

std::string NamesJson(const std::vector<std::string>& names) {
    std::string out = "[";
    for (size_t i = 0; i < names.size(); ++i) {
        if (i) out += ',';
        core::AppendJsonString(out, names[i]);
    }
    return out + "]";
}

std::string OptText(const std::optional<std::string>& v) {
    if (!v) return "null";
    std::string out;
    core::AppendJsonString(out, *v);
    return out;
}

std::string RuleJson(const store::NotificationRule& r) {
    std::string out = fmt::format("{{\"id\":{},\"name\":", r.id);
    core::AppendJsonString(out, r.name);
    out += fmt::format(
        ",\"event_types\":{},\"vehicle_ids\":{},\"group_ids\":{},\"user_ids\":{},\"webhook_ids\":{},\"channels\":{},"
        "\"quiet_start\":{},\"quiet_end\":{},\"enabled\":{},\"created_at\":{}}}",
        NamesJson(r.event_types), IdsJson(r.vehicle_ids), IdsJson(r.group_ids), IdsJson(r.user_ids),
        IdsJson(r.webhook_ids), NamesJson(r.channels), OptText(r.quiet_start), OptText(r.quiet_end), r.enabled,
        JsonTime(r.created_at));
    return out;
}

std::vector<std::string> Strings(const json::object& body, std::string_view name) {
    std::vector<std::string> out;
    for (const auto& v : body.at(name).as_array()) out.emplace_back(v.as_string());
    return out;
}

// The rule body (POST: name, event_types and channels required), as a change.
std::variant<store::RuleChange, http::Response> RuleBody(const http::Request& req, bool adding) {
    auto parsed = ParseBody(req, {{"name", FieldType::kString, adding, false, 128},
                                  {"event_types", FieldType::kStringArray, adding, false, 32},
                                  {"vehicle_ids", FieldType::kIntArray},
                                  {"group_ids", FieldType::kIntArray},
                                  {"user_ids", FieldType::kIntArray},
                                  {"webhook_ids", FieldType::kIntArray},
                                  {"channels", FieldType::kStringArray, adding, false, 16},
                                  {"quiet_start", FieldType::kString, false, true, 5},
                                  {"quiet_end", FieldType::kString, false, true, 5},
                                  {"enabled", FieldType::kBool}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) return std::move(*problem);
    const json::object& body = std::get<0>(parsed);
    store::RuleChange c;
    c.name = GetString(body, "name");
    if (body.contains("event_types")) c.event_types = Strings(body, "event_types");
    if (body.contains("channels")) c.channels = Strings(body, "channels");
    c.vehicle_ids = GetIntArray(body, "vehicle_ids");
    c.group_ids = GetIntArray(body, "group_ids");
    c.user_ids = GetIntArray(body, "user_ids");
    c.webhook_ids = GetIntArray(body, "webhook_ids");
    for (auto [name, field] : {std::pair{"quiet_start", &c.quiet_start}, std::pair{"quiet_end", &c.quiet_end}}) {
        if (IsNull(body, name)) {
            *field = std::optional<std::string>();
        } else if (auto v = GetString(body, name)) {
            *field = std::optional<std::string>(*v);
        }
    }
    c.enabled = GetBool(body, "enabled");
    return c;
}

asio::awaitable<void> ListRules(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(ctx.query, ListSpec{{"id", "name", "created_at"}, {"q", "enabled"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const ListQuery& q = std::get<ListQuery>(parsed);
    store::RuleFilter filter;
    if (auto problem = BoolFilter(q, "enabled", filter.enabled)) {
        res = std::move(*problem);
        co_return;
    }
    if (q.filters.count("q")) filter.q = q.filters.at("q");
    store::TenantScope scope = ctx.caller->scope();
    store::Paging paging = PagingOf(q);
    Result<store::Page<store::NotificationRule>> page = Error{"not run"};
    Database::Task fn = [&](Conn& c) { page = store::NotifyStore(c.accounts).ListRules(scope, filter, paging); };
    co_await s.Run(fn);
    AnswerPage(res, page, q, RuleJson);
}

asio::awaitable<void> GetRule(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("notification rule");
        co_return;
    }
    store::TenantScope scope = ctx.caller->scope();
    Result<std::optional<store::NotificationRule>> found = Error{"not run"};
    Database::Task fn = [&](Conn& c) { found = store::NotifyStore(c.accounts).FindRule(scope, *id); };
    co_await s.Run(fn);
    AnswerFound(res, found, "notification rule", RuleJson);
}

asio::awaitable<void> PostRule(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = RuleBody(ctx.req, true);
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const store::RuleChange& change = std::get<0>(parsed);
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::NotificationRule> out;
    Database::Task fn = [&](Conn& c) { out = store::NotifyStore(c.accounts).AddRule(viewer, change, actor, ctx.now); };
    co_await s.Run(fn);
    Answer(res, out, 201, RuleJson);
    if (out) res.headers.emplace_back("Location", fmt::format("/api/v1/notification-rules/{}", out->id));
}

asio::awaitable<void> PatchRule(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("notification rule");
        co_return;
    }
    auto parsed = RuleBody(ctx.req, false);
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const store::RuleChange& change = std::get<0>(parsed);
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::NotificationRule> out;
    Database::Task fn = [&](Conn& c) {
        out = store::NotifyStore(c.accounts).UpdateRule(viewer, *id, change, actor, ctx.now);
    };
    co_await s.Run(fn);
    Answer(res, out, 200, RuleJson);
}

asio::awaitable<void> DeleteRule(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("notification rule");
        co_return;
    }
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Done> out;
    Database::Task fn = [&](Conn& c) { out = store::NotifyStore(c.accounts).DeleteRule(scope, *id, actor, ctx.now); };
    co_await s.Run(fn);
    AnswerDone(res, out);
}

// --- the caller's inbox ----------------------------------------------------------------------------

asio::awaitable<void> ListInbox(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(ctx.query, ListSpec{{"id"}, {"unread"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const ListQuery& q = std::get<ListQuery>(parsed);
    std::optional<bool> unread;
    if (auto problem = BoolFilter(q, "unread", unread)) {
        res = std::move(*problem);
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    store::Paging paging = PagingOf(q);
    Result<store::Inbox> inbox = Error{"not run"};
    Database::Task fn = [&](Conn& c) {
        inbox = store::NotifyStore(c.accounts).ListInbox(viewer, unread.value_or(false), paging);
    };
    co_await s.Run(fn);
    if (!inbox) {
        res = ProblemOf(nullptr, &inbox.error());
        co_return;
    }
    std::vector<std::string> items;
    for (const auto& n : inbox->page.items) items.push_back(NotificationJson(n));
    std::string body = PageJson(items, inbox->page.total, q);
    body.pop_back();
    body += fmt::format(",\"unread\":{}}}", inbox->unread);
    res = Json(200, std::move(body));
}

asio::awaitable<void> ReadNotification(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("notification");
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    store::Outcome<store::Notification> out;
    Database::Task fn = [&](Conn& c) { out = store::NotifyStore(c.accounts).MarkRead(viewer, *id, ctx.now); };
    co_await s.Run(fn);
    Answer(res, out, 200, NotificationJson);
}

// --- the tenant's delivery log ---------------------------------------------------------------------

asio::awaitable<void> ListDeliveries(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(ctx.query,
                                 ListSpec{{"id", "created_at"}, {"channel", "status", "recipient", "event_id"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    ListQuery q = std::get<ListQuery>(parsed);
    if (q.sort.empty()) q.descending = true;  // a log: newest first unless asked otherwise
    store::DeliveryFilter filter;
    std::optional<int64_t> event_id;
    if (auto problem = IntFilter(q, "event_id", event_id)) {
        res = std::move(*problem);
        co_return;
    }
    filter.event_id = event_id;
    if (q.filters.count("channel")) {
        filter.channel = q.filters.at("channel");
        if (!store::KnownChannel(*filter.channel)) {
            res = InvalidQuery("'channel' is web, email or webhook");
            co_return;
        }
    }
    if (q.filters.count("status")) {
        filter.status = q.filters.at("status");
        const std::string& st = *filter.status;
        if (st != "pending" && st != "sent" && st != "failed" && st != "quiet") {
            res = InvalidQuery("'status' is pending, sent, failed or quiet");
            co_return;
        }
    }
    if (q.filters.count("recipient")) filter.recipient = q.filters.at("recipient");
    store::TenantScope scope = ctx.caller->scope();
    store::Paging paging = PagingOf(q);
    Result<store::Page<store::Notification>> page = Error{"not run"};
    Database::Task fn = [&](Conn& c) { page = store::NotifyStore(c.accounts).ListDeliveries(scope, filter, paging); };
    co_await s.Run(fn);
    AnswerPage(res, page, q, NotificationJson);
}

}  // namespace

void AddNotificationRoutes(Service& s) {
    AddRoute(s, "GET", "/api/v1/notification-rules", Permission::kReportsRead, ListRules);
    AddRoute(s, "POST", "/api/v1/notification-rules", Permission::kOperationsWrite, PostRule);
    AddRoute(s, "GET", "/api/v1/notification-rules/{id}", Permission::kReportsRead, GetRule);
    AddRoute(s, "PATCH", "/api/v1/notification-rules/{id}", Permission::kOperationsWrite, PatchRule);
    AddRoute(s, "DELETE", "/api/v1/notification-rules/{id}", Permission::kOperationsWrite, DeleteRule);
    // Every signed-in user has an inbox: what rules send it on the web channel.
    AddRoute(s, "GET", "/api/v1/notifications", std::nullopt, ListInbox);
    AddRoute(s, "POST", "/api/v1/notifications/{id}/read", std::nullopt, ReadNotification);
    AddRoute(s, "GET", "/api/v1/notifications/deliveries", Permission::kTenantSettings, ListDeliveries);
    AddWebhookRoutes(s);
}

}  // namespace fleet::api::detail
