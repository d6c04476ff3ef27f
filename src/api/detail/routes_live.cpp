// The live feed: GET /api/v1/live upgraded to a WebSocket that pushes the position of each vehicle
// the caller may see as soon as it is committed (see live.hpp for how positions get here), and the
// caller's web notifications ({"type":"notification",...}, from the notifier) as they are made.
//
// Each connection runs two coroutines on its strand: the writer (this file's RunFeed: sends what
// the feed's queue holds, refreshes the device -> vehicle map every 5 s and re-checks the session
// every 30 s) and a reader that only waits for the client to close (ping/pong is the WebSocket
// layer's). One read and one write at a time, as http::WebSocket requires.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/detail/position_formats.hpp"
#include "api/detail/service.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

constexpr std::chrono::seconds kRefreshEvery{5};        // installations and group changes take effect
constexpr std::chrono::seconds kSessionCheckEvery{30};  // an ended session closes the feed
constexpr int kClosePolicy = 1008;                      // RFC 6455 7.4.1: policy violation
constexpr int kCloseError = 1011;                       // RFC 6455 7.4.1: unexpected condition

// One feed: the hub's subscriber, the queues of what to send, and the writer's alarm clock.
class LiveFeed final : public LiveHub::Subscriber, public std::enable_shared_from_this<LiveFeed> {
public:
    LiveFeed(const asio::any_io_executor& ex, int64_t user_id) : timer(ex), ex_(ex), user_id_(user_id) {}

    // On the hub's thread: queue, and wake the writer when the queue was empty.
    void Offer(const LiveRows& rows) override {
        if (queue.Offer(rows)) Wake();
    }
    int64_t UserId() const override { return user_id_; }
    // On the notifier's thread: a message for this feed's user (a web notification).
    void Push(const std::shared_ptr<const std::string>& message) override {
        if (notes.Add(message)) Wake();
    }
    bool Idle() { return queue.Empty() && notes.Empty(); }

    LiveQueue queue;
    LiveNotes notes;
    asio::steady_timer timer;  // the writer sleeps on it; strand only
    bool reader_done = false;  // the client closed or the connection broke; strand only

private:
    void Wake() {
        asio::post(ex_, [weak = weak_from_this()] {
            if (auto feed = weak.lock()) feed->timer.cancel();
        });
    }

    asio::any_io_executor ex_;  // the connection's strand
    int64_t user_id_;
};

asio::awaitable<void> ReadUntilClosed(http::WebSocket& ws) {
    for (;;) {
        auto message = co_await ws.Receive();  // what a client sends is not used
        if (!message) co_return;
    }
}

// `hide_badge`: for a driver's feed (HideBadge).
std::string PositionMessage(const LiveMessage& m, bool hide_badge) {
    std::string out = "{\"type\":\"position\",";
    if (hide_badge) {
        store::PositionRow row = *m.position;
        HideBadge(row);
        AppendVehiclePositionMembers(out, m.vehicle_id, m.vehicle_name, row);
    } else {
        AppendVehiclePositionMembers(out, m.vehicle_id, m.vehicle_name, *m.position);
    }
    out += "}";
    return out;
}

// The writer: runs until the client goes or the session ends, then closes and waits for the reader.
asio::awaitable<void> RunFeed(Service& s, const Caller& caller, http::WebSocket& ws) {
    auto ex = co_await asio::this_coro::executor;
    // Under a support grant the feed is the operator's: its user gets no tenant's notifications.
    auto feed = std::make_shared<LiveFeed>(ex, caller.user.id);
    // A driver's vehicle is the one assigned now: decided again at each refresh.
    store::Viewer viewer = store::ViewerFor(caller.user, caller.scope(), s.Now());
    Result<std::unordered_map<int64_t, store::LiveTarget>> targets = std::unordered_map<int64_t, store::LiveTarget>();
    Database::Task load = [&](Conn& c) { targets = c.positions.LiveTargets(viewer); };
    s.live->Subscribe(feed);
    co_await s.Run(load);
    int close_code = kCloseError;
    std::string close_reason = "internal error";
    if (!targets) {
        spdlog::error("api: live feed of user {}: {}", caller.user.id, targets.error().message);
        co_await ws.Close(close_code, close_reason);
        s.live->Unsubscribe(feed.get());
        co_return;
    }
    feed->queue.SetTargets(std::move(*targets));
    // Positions committed from now on reach this client: tell it so (and how many vehicles it follows).
    std::string ready = fmt::format(R"({{"type":"ready","vehicles":{}}})", feed->queue.Targets());
    bool open = co_await ws.Send(ready);
    asio::co_spawn(ex, ReadUntilClosed(ws), [feed](const std::exception_ptr&) {
        feed->reader_done = true;
        feed->timer.cancel();
    });

    auto refresh_at = std::chrono::steady_clock::now() + kRefreshEvery;
    auto check_at = std::chrono::steady_clock::now() + kSessionCheckEvery;
    close_code = 0;  // none needed unless the server ends the feed
    while (open && !feed->reader_done) {
        std::vector<LiveMessage> messages = feed->queue.Take();
        for (const auto& m : messages) {
            std::string text = PositionMessage(m, viewer.driver_at.has_value());
            open = co_await ws.Send(text);
            if (!open) break;
        }
        std::vector<std::shared_ptr<const std::string>> notes;
        if (open) notes = feed->notes.Take();
        for (const auto& note : notes) {
            open = co_await ws.Send(*note);
            if (!open) break;
        }
        if (!open || !feed->Idle()) continue;
        auto now = std::chrono::steady_clock::now();
        if (now >= refresh_at) {
            refresh_at = now + kRefreshEvery;
            viewer = store::ViewerFor(caller.user, caller.scope(), s.Now());
            co_await s.Run(load);
            if (targets) {
                feed->queue.SetTargets(std::move(*targets));
            } else {
                spdlog::warn("api: live feed of user {}: refresh: {}", caller.user.id, targets.error().message);
            }
        }
        if (now >= check_at && caller.token_id) {
            // A feed opened with an API token ends when the token is revoked or expires, or its
            // user is disabled or tenant suspended (what Service::Authenticate checks).
            check_at = now + kSessionCheckEvery;
            Result<std::optional<store::TokenUser>> token = std::optional<store::TokenUser>();
            std::string token_hash = caller.token_hash;
            core::TimePoint at = s.Now();
            Database::Task check = [&](Conn& c) { token = c.accounts.UseApiToken(token_hash, at); };
            co_await s.Run(check);
            if (!token) {
                spdlog::warn("api: live feed of user {}: token check: {}", caller.user.id, token.error().message);
            } else if (!token->has_value() || (*token)->user.disabled ||
                       (*token)->tenant.status != store::TenantStatus::kActive) {
                close_code = kClosePolicy;
                close_reason = "token ended";
                break;
            }
        }
        if (now >= check_at && caller.session) {
            check_at = now + kSessionCheckEvery;
            Result<std::optional<store::SessionUser>> user = std::optional<store::SessionUser>();
            std::string token_hash = caller.session->token_hash;
            core::TimePoint at = s.Now();
            store::SessionPolicy policy = s.options.session;
            Database::Task check = [&](Conn& c) { user = c.accounts.PeekSession(token_hash, at, policy); };
            co_await s.Run(check);
            if (!user) {
                spdlog::warn("api: live feed of user {}: session check: {}", caller.user.id, user.error().message);
            } else if (!user->has_value()) {
                close_code = kClosePolicy;
                close_reason = "session ended";
                break;
            } else {
                Caller now_caller = caller;
                now_caller.user = (*user)->user;
                if (!now_caller.Can(Permission::kPositionsRead)) {
                    close_code = kClosePolicy;
                    close_reason = "not allowed any more";
                    break;
                }
            }
        }
        if (!feed->reader_done && feed->Idle()) {
            feed->timer.expires_at(std::min(refresh_at, caller.session || caller.token_id ? check_at : refresh_at));
            co_await feed->timer.async_wait(kUseTuple);  // expired, or cancelled to wake up
        }
    }
    s.live->Unsubscribe(feed.get());
    if (!feed->reader_done) {
        if (close_code == 0) close_code = 1000;  // a failed write: the connection is going anyway
        co_await ws.Close(close_code, close_reason);
        // The reader still uses `ws`, which ends when this returns: wait for it. A closing
        // handshake that gets no answer is cut by the WebSocket layer's timeout.
        while (!feed->reader_done) {
            feed->timer.expires_after(std::chrono::seconds(1));
            co_await feed->timer.async_wait(kUseTuple);
        }
    }
}

asio::awaitable<void> Live(Service& s, Ctx& ctx, http::Response& res) {
    if (!ctx.upgrade) {
        res = http::Problem(426, "upgrade-required", "WebSocket required",
                            "open /api/v1/live as a WebSocket (Upgrade: websocket)");
        res.headers.emplace_back("Upgrade", "websocket");
        co_return;
    }
    if (!ctx.query.empty()) {
        res = InvalidQuery("the live feed takes no parameters");
        co_return;
    }
    // Cross-site WebSocket hijacking: a browser sends the cookie with a WebSocket handshake from any
    // page (SameOrigin is the only thing it cannot fake), so a cookie-authenticated feed must come
    // from this site. Browsers always send Origin here; a client without one is not a browser.
    std::string_view origin = ctx.req.Header("Origin");
    if (ctx.caller->session && !origin.empty() && !SameOrigin(origin, ctx.req.Header("Host"))) {
        res = http::Problem(403, "csrf", "Cross-site request refused", "the Origin is not this site");
        co_return;
    }
    const store::User& user = ctx.caller->user;
    store::AuditEntry audit;
    audit.at = ctx.now;
    audit.tenant_id = ctx.caller->scope().tenant_id();  // under a support grant: the customer's log
    audit.actor_user_id = user.id;
    audit.actor = fmt::format("user:{}", user.id);
    audit.action = "positions.live";
    audit.target = "live";
    audit.ip = ctx.ip;
    Result<store::AuditEntry> audited = MakeError("not run");
    Database::Task fn = [&](Conn& c) { audited = c.accounts.Audit(audit); };
    co_await s.Run(fn);
    if (!audited) {
        spdlog::error("api: live feed audit: {}", audited.error().message);
        res = Internal();
        co_return;
    }
    auto caller = std::make_shared<const Caller>(*ctx.caller);
    ctx.upgrade->accept = true;
    ctx.upgrade->run = [&s, caller](http::WebSocket& ws) { return RunFeed(s, *caller, ws); };
}

}  // namespace

void AddLiveRoutes(Service& s) {
    Route route{"GET", std::string(kLivePath), Access::kSignedIn, Permission::kPositionsRead, false,
                [&s](Ctx& ctx, http::Response& res) { return Live(s, ctx, res); }};
    route.drivers = true;  // RunFeed's viewer follows a driver's own vehicle only
    s.router.Add(std::move(route));
}

}  // namespace fleet::api::detail
