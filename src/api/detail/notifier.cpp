#include "api/detail/notifier.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include "api/detail/webhook.hpp"
#include "core/json.hpp"
#include "core/thread.hpp"
#include "core/time.hpp"
#include "core/zone.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;

// The detail object as stored, or {} when it is not a JSON object (it is the pipeline's to write,
// and a receiver must always get valid JSON).
std::string DetailObject(const std::string& detail) {
    boost::system::error_code ec;
    auto v = boost::json::parse(detail, ec);
    return !ec && v.is_object() ? detail : "{}";
}

std::string OptNumber(const std::optional<double>& v) { return v ? fmt::format("{}", *v) : "null"; }

std::string OptTime(const std::optional<core::TimePoint>& t) {
    return t ? "\"" + core::FormatIso(*t) + "\"" : "null";
}

// "harsh_braking" -> "Harsh braking"
std::string Label(std::string_view type) {
    std::string out(type);
    for (char& c : out) {
        if (c == '_') c = ' ';
    }
    if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
    return out;
}

asio::awaitable<void> Call(const WebhookCall& call, WebhookReply& reply) { reply = co_await PostWebhook(call); }

}  // namespace

std::optional<core::TimePoint> RetryAt(int64_t attempts, core::TimePoint now, std::chrono::seconds retry_base) {
    static constexpr int64_t kFactor[] = {1, 4, 20, 120, 720};
    if (attempts < 1 || attempts >= kMaxWebhookAttempts) return std::nullopt;
    return now + retry_base * kFactor[attempts - 1];
}

std::string EventJson(const store::NotifiedEvent& e) {
    std::string out = fmt::format("{{\"id\":{},\"type\":", e.id);
    core::AppendJsonString(out, e.type);
    out += ",\"time\":\"" + core::FormatIso(e.time) + "\",\"vehicle\":";
    if (e.vehicle_id) {
        out += fmt::format("{{\"id\":{},\"name\":", *e.vehicle_id);
        core::AppendJsonString(out, e.vehicle_name);
        out += ",\"plate\":";
        core::AppendJsonString(out, e.plate);
        out += "}";
    } else {
        out += "null";
    }
    out += ",\"driver\":";
    if (e.driver_id) {
        out += fmt::format("{{\"id\":{},\"name\":", *e.driver_id);
        core::AppendJsonString(out, e.driver_name);
        out += "}";
    } else {
        out += "null";
    }
    out += fmt::format(",\"lat\":{},\"lon\":{},\"detail\":{}}}", OptNumber(e.lat), OptNumber(e.lon),
                       DetailObject(e.detail_json));
    return out;
}

std::string NotificationJson(const store::Notification& n) {
    std::string out = fmt::format("{{\"id\":{},\"channel\":", n.id);
    core::AppendJsonString(out, n.channel);
    out += ",\"recipient\":";
    core::AppendJsonString(out, n.recipient);
    out += ",\"status\":";
    core::AppendJsonString(out, n.status);
    out += fmt::format(",\"attempts\":{},\"next_attempt_at\":{},\"last_error\":", n.attempts,
                       OptTime(n.next_attempt_at));
    if (n.last_error) {
        core::AppendJsonString(out, *n.last_error);
    } else {
        out += "null";
    }
    out += fmt::format(",\"created_at\":{},\"delivered_at\":{},\"read_at\":{},\"event\":{}}}",
                       OptTime(n.created_at), OptTime(n.delivered_at), OptTime(n.read_at), EventJson(n.event));
    return out;
}

store::OutgoingMail NotificationMail(const store::Notification& n, const std::string& email,
                                     const std::string& zone, core::TimePoint now) {
    const store::NotifiedEvent& e = n.event;
    auto tz = core::Zone::Find(zone.empty() ? "UTC" : zone);
    std::string when = tz ? fmt::format("{} ({})", tz->Format(e.time), zone)
                          : core::FormatIso(e.time);
    std::string vehicle = e.vehicle_name.empty() ? "a vehicle" : e.vehicle_name;
    if (!e.plate.empty()) vehicle += " (" + e.plate + ")";
    store::OutgoingMail m;
    m.created_at = now;
    m.kind = "notification";
    m.recipient = email;
    m.subject = fmt::format("[fleetd] {}: {}", Label(e.type), vehicle);
    m.body = fmt::format("{}: {}\n\nWhen: {}\n", Label(e.type), vehicle, when);
    if (e.driver_id) m.body += fmt::format("Driver: {}\n", e.driver_name);
    if (e.lat && e.lon) m.body += fmt::format("Where: {:.5f}, {:.5f}\n", *e.lat, *e.lon);
    std::string detail = DetailObject(e.detail_json);
    if (detail != "{}") m.body += fmt::format("Details: {}\n", detail);
    m.body += fmt::format(
        "\nEvent {}. You receive this because a notification rule of your organisation names you;\n"
        "your notifications are also in the web application.\n",
        e.id);
    return m;
}

Result<std::unique_ptr<Notifier>> Notifier::Start(const std::string& db_path, const NotifyOptions& options,
                                                  const auth::SecretBox& box, LiveHub& live, Mailer* mailer,
                                                  std::function<core::TimePoint()> clock) {
    auto accounts = store::AccountStore::Open(db_path);
    if (!accounts) return accounts.error();
    std::unique_ptr<Notifier> n(new Notifier(box, live));
    n->options_ = options;
    n->mailer_ = mailer;
    n->clock_ = std::move(clock);
    n->accounts_ = std::move(*accounts);
    n->store_ = std::make_unique<store::NotifyStore>(*n->accounts_);
    n->thread_ = std::thread([p = n.get()] { p->Work(); });
    return n;
}

Notifier::~Notifier() { Stop(); }

void Notifier::Notify() {
    {
        std::lock_guard lock(mu_);
        notified_ = true;
    }
    cv_.notify_one();
}

void Notifier::Stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void Notifier::Work() {
    core::NameThread("fleetd-notify");
    for (;;) {
        try {
            Round(clock_());
        } catch (const std::exception& e) {
            spdlog::error("notify: {}", e.what());
        }
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, options_.poll, [&] { return stop_ || notified_; });
        if (stop_) return;
        notified_ = false;
    }
}

void Notifier::Round(core::TimePoint now) {
    // Matching first, a bounded number of batches, so that delivery is never starved by a backlog.
    for (int i = 0; i < 10; ++i) {
        auto matched = store_->MatchEvents(now, kMatchBatch);
        if (!matched) {
            spdlog::error("notify: match: {}", matched.error().message);
            break;
        }
        if (matched->events < kMatchBatch) break;
    }
    auto due = store_->DueDeliveries(now, kDeliveryBatch);
    if (!due) {
        spdlog::error("notify: {}", due.error().message);
        return;
    }
    auto check = [](const Result<void>& r) {
        if (!r) spdlog::error("notify: {}", r.error().message);
    };
    std::vector<const store::Delivery*> hooks;
    std::vector<WebhookCall> calls;
    bool mailed = false;
    for (const store::Delivery& d : *due) {
        const store::Notification& n = d.notification;
        if (n.channel == "webhook") {
            if (!d.webhook) {
                check(store_->MarkAttemptFailed(n.id, "the webhook was deleted or disabled", std::nullopt));
                continue;
            }
            auto secret = box_.Open(d.webhook->secret_sealed);
            if (!secret) {
                check(store_->MarkAttemptFailed(n.id, "the webhook's secret cannot be opened", std::nullopt));
                continue;
            }
            WebhookCall call;
            call.url = d.webhook->url;
            call.body = EventJson(n.event);
            call.allow_private = options_.allow_private_webhooks;
            std::string timestamp =
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
            call.headers = {{"X-Fleetd-Event-Id", std::to_string(n.event.id)},
                            {"X-Fleetd-Timestamp", timestamp},
                            {"X-Fleetd-Signature", WebhookSignature(*secret, timestamp, call.body)}};
            hooks.push_back(&d);
            calls.push_back(std::move(call));
            continue;
        }
        if (d.email.empty()) {  // the user was disabled (or left) since the event
            check(store_->MarkAttemptFailed(n.id, "the recipient is disabled", std::nullopt));
            continue;
        }
        if (n.channel == "web") {
            std::string message = "{\"type\":\"notification\",\"notification\":" + NotificationJson(n) + "}";
            live_.PushToUser(d.user_id, std::make_shared<const std::string>(std::move(message)));
            check(store_->MarkSent(n.id, now));
        } else {
            check(store_->QueueMail(n.id, NotificationMail(n, d.email, d.time_zone, now), now));
            mailed = true;
        }
    }
    if (mailed && mailer_) mailer_->Notify();
    if (calls.empty()) return;
    // Every call of the round at once, each within its timeout.
    asio::io_context io;
    std::vector<WebhookReply> replies(calls.size());
    for (size_t i = 0; i < calls.size(); ++i) {
        asio::co_spawn(io, Call(calls[i], replies[i]), [](const std::exception_ptr& e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                spdlog::error("notify: webhook call: {}", ex.what());
            }
        });
    }
    io.run();
    core::TimePoint done = clock_();
    for (size_t i = 0; i < calls.size(); ++i) {
        const store::Notification& n = hooks[i]->notification;
        if (replies[i].ok) {
            check(store_->MarkSent(n.id, done));
            continue;
        }
        std::string error = replies[i].error.empty() ? "no answer" : replies[i].error;
        auto retry = RetryAt(n.attempts + 1, done, options_.retry_base);
        if (!retry) spdlog::warn("notify: webhook {} gave up on event {}: {}", n.recipient, n.event.id, error);
        check(store_->MarkAttemptFailed(n.id, error, retry));
    }
}

}  // namespace fleet::api::detail
