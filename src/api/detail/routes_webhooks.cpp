// Webhooks: /api/v1/webhooks[/{id}], /{id}/rotate-secret and /{id}/test (tenant administrators).
// The secret is made here (random, "whsec_" + 43 base64url characters), sealed with the server's
// SecretBox like TOTP secrets, and shown in the answer of the POST and of rotate-secret only.
// Creating a webhook, changing it and rotating its secret need a recent sign-in or step-up: a
// webhook sends the tenant's events to whoever the URL names.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/detail/fleet_common.hpp"
#include "api/detail/notifier.hpp"
#include "api/detail/webhook.hpp"
#include "core/json.hpp"
#include "store/notify.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

std::string WebhookJson(const store::Webhook& w, const std::string* secret) {
    std::string out = fmt::format("{{\"id\":{},\"name\":", w.id);
    core::AppendJsonString(out, w.name);
    out += ",\"url\":";
    core::AppendJsonString(out, w.url);
    out += fmt::format(",\"enabled\":{},\"created_at\":{}", w.enabled, JsonTime(w.created_at));
    if (secret) {
        out += ",\"secret\":";
        core::AppendJsonString(out, *secret);
    }
    return out + "}";
}

std::string Plain(const store::Webhook& w) { return WebhookJson(w, nullptr); }

std::string NewSecret() { return "whsec_" + auth::RandomToken(32); }

// The URL when it is one a webhook may have; else the problem.
std::optional<http::Response> CheckUrl(const Service& s, const std::string& url) {
    auto parsed = ParseWebhookUrl(url);
    if (!parsed) return InvalidBody("'url': " + parsed.error().message);
    std::string refused = RefusedLiteral(*parsed, s.options.notify.allow_private_webhooks);
    if (!refused.empty()) return InvalidBody("'url': " + refused);
    return std::nullopt;
}

std::variant<json::object, http::Response> WebhookBody(const http::Request& req, bool adding) {
    return ParseBody(req, {{"name", FieldType::kString, adding, false, 128},
                           {"url", FieldType::kString, adding, false, kMaxWebhookUrlBytes},
                           {"enabled", FieldType::kBool}});
}

asio::awaitable<void> ListWebhooks(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(ctx.query, ListSpec{{"id", "name", "created_at"}, {"q"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const ListQuery& q = std::get<ListQuery>(parsed);
    std::string text = q.filters.count("q") ? q.filters.at("q") : "";
    store::TenantScope scope = ctx.caller->scope();
    store::Paging paging = PagingOf(q);
    Result<store::Page<store::Webhook>> page = Error{"not run"};
    Database::Task fn = [&](Conn& c) { page = store::NotifyStore(c.accounts).ListWebhooks(scope, text, paging); };
    co_await s.Run(fn);
    AnswerPage(res, page, q, Plain);
}

asio::awaitable<void> GetWebhook(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("webhook");
        co_return;
    }
    store::TenantScope scope = ctx.caller->scope();
    Result<std::optional<store::Webhook>> found = Error{"not run"};
    Database::Task fn = [&](Conn& c) { found = store::NotifyStore(c.accounts).FindWebhook(scope, *id); };
    co_await s.Run(fn);
    AnswerFound(res, found, "webhook", Plain);
}

asio::awaitable<void> PostWebhook(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = WebhookBody(ctx.req, true);
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const json::object& body = std::get<0>(parsed);
    store::Webhook w;
    w.name = *GetString(body, "name");
    w.url = *GetString(body, "url");
    w.enabled = GetBool(body, "enabled").value_or(true);
    if (auto problem = CheckUrl(s, w.url)) {
        res = std::move(*problem);
        co_return;
    }
    std::string secret = NewSecret();
    std::string sealed = s.box->Seal(secret);
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Webhook> out;
    Database::Task fn = [&](Conn& c) { out = store::NotifyStore(c.accounts).AddWebhook(scope, w, sealed, actor, ctx.now); };
    co_await s.Run(fn);
    Answer(res, out, 201, [&](const store::Webhook& made) { return WebhookJson(made, &secret); });
    if (out) res.headers.emplace_back("Location", fmt::format("/api/v1/webhooks/{}", out->id));
}

asio::awaitable<void> PatchWebhook(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("webhook");
        co_return;
    }
    auto parsed = WebhookBody(ctx.req, false);
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const json::object& body = std::get<0>(parsed);
    store::WebhookChange change;
    change.name = GetString(body, "name");
    change.url = GetString(body, "url");
    change.enabled = GetBool(body, "enabled");
    if (change.url) {
        if (auto problem = CheckUrl(s, *change.url)) {
            res = std::move(*problem);
            co_return;
        }
    }
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Webhook> out;
    Database::Task fn = [&](Conn& c) {
        out = store::NotifyStore(c.accounts).UpdateWebhook(scope, *id, change, actor, ctx.now);
    };
    co_await s.Run(fn);
    Answer(res, out, 200, Plain);
}

asio::awaitable<void> DeleteWebhook(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("webhook");
        co_return;
    }
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Done> out;
    Database::Task fn = [&](Conn& c) { out = store::NotifyStore(c.accounts).DeleteWebhook(scope, *id, actor, ctx.now); };
    co_await s.Run(fn);
    AnswerDone(res, out);
}

asio::awaitable<void> RotateSecret(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("webhook");
        co_return;
    }
    if (!ctx.req.body.empty()) {
        auto parsed = ParseBody(ctx.req, {});
        if (auto* problem = std::get_if<http::Response>(&parsed)) {
            res = std::move(*problem);
            co_return;
        }
    }
    std::string secret = NewSecret();
    std::string sealed = s.box->Seal(secret);
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Webhook> out;
    Database::Task fn = [&](Conn& c) {
        out = store::NotifyStore(c.accounts).RotateWebhookSecret(scope, *id, sealed, actor, ctx.now);
    };
    co_await s.Run(fn);
    Answer(res, out, 200, [&](const store::Webhook& w) { return WebhookJson(w, &secret); });
}

// Calls the webhook now with a "test" event (id 0), signed like any other, and answers what it
// said. The call is audited (webhook.test) with its outcome; it is not in the delivery log.
asio::awaitable<void> TestWebhook(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("webhook");
        co_return;
    }
    if (!ctx.req.body.empty()) {
        auto parsed = ParseBody(ctx.req, {});
        if (auto* problem = std::get_if<http::Response>(&parsed)) {
            res = std::move(*problem);
            co_return;
        }
    }
    store::TenantScope scope = ctx.caller->scope();
    Result<std::optional<store::WebhookTarget>> target = Error{"not run"};
    Database::Task find = [&](Conn& c) { target = store::NotifyStore(c.accounts).FindWebhookTarget(scope, *id); };
    co_await s.Run(find);
    if (!target || !target->has_value()) {
        res = target ? NotFound("webhook") : ProblemOf(nullptr, &target.error());
        co_return;
    }
    auto secret = s.box->Open((*target)->secret_sealed);
    if (!secret) {
        spdlog::error("api: webhook {}: {}", *id, secret.error().message);
        res = Internal();
        co_return;
    }
    store::NotifiedEvent event;
    event.type = "test";
    event.time = ctx.now;
    event.detail_json = fmt::format("{{\"webhook_id\":{}}}", *id);
    WebhookCall call;
    call.url = (*target)->url;
    call.body = EventJson(event);
    call.allow_private = s.options.notify.allow_private_webhooks;
    std::string timestamp =
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(ctx.now.time_since_epoch()).count());
    call.headers = {{"X-Fleetd-Event-Id", "0"},
                    {"X-Fleetd-Timestamp", timestamp},
                    {"X-Fleetd-Signature", WebhookSignature(*secret, timestamp, call.body)}};
    WebhookReply reply = co_await detail::PostWebhook(call);
    std::string result = fmt::format("{{\"ok\":{},\"status\":{},\"error\":", reply.ok, reply.status);
    if (reply.ok) {
        result += "null";
    } else {
        core::AppendJsonString(result, reply.error);
    }
    result += "}";
    store::AuditEntry audit;
    audit.at = ctx.now;
    audit.tenant_id = scope.tenant_id();
    audit.actor_user_id = ctx.caller->user.id;
    audit.actor = fmt::format("user:{}", ctx.caller->user.id);
    audit.action = "webhook.test";
    audit.target = fmt::format("webhook:{}", *id);
    audit.ip = ctx.ip;
    audit.detail_json = result;
    Result<store::AuditEntry> audited = Error{"not run"};
    Database::Task log = [&](Conn& c) { audited = c.accounts.Audit(audit); };
    co_await s.Run(log);
    if (!audited) {
        res = ProblemOf(nullptr, &audited.error());
        co_return;
    }
    res = Json(200, result);
}

}  // namespace

void AddWebhookRoutes(Service& s) {
    AddRoute(s, "GET", "/api/v1/webhooks", Permission::kTenantSettings, ListWebhooks);
    AddRoute(s, "POST", "/api/v1/webhooks", Permission::kTenantSettings, PostWebhook, true);
    AddRoute(s, "GET", "/api/v1/webhooks/{id}", Permission::kTenantSettings, GetWebhook);
    AddRoute(s, "PATCH", "/api/v1/webhooks/{id}", Permission::kTenantSettings, PatchWebhook, true);
    AddRoute(s, "DELETE", "/api/v1/webhooks/{id}", Permission::kTenantSettings, DeleteWebhook);
    AddRoute(s, "POST", "/api/v1/webhooks/{id}/rotate-secret", Permission::kTenantSettings, RotateSecret, true);
    AddRoute(s, "POST", "/api/v1/webhooks/{id}/test", Permission::kTenantSettings, TestWebhook);
}

}  // namespace fleet::api::detail
