// The platform API: JSON over HTTP under /api/v1 (sign-in, sessions, the caller, positions) and
// live updates over a WebSocket, served on the platform's HTTP port beside /metrics and /healthz.
// See docs/api.md.
//
// Every answer is JSON or RFC 9457 problem+json, with Cache-Control: no-store. Sessions are opaque
// random tokens in the __Host-fleetd_session cookie, stored hashed; state-changing requests made
// with the cookie need the double-submit CSRF token in X-CSRF-Token and a same-origin Origin.
// Blocking work (SQLite, argon2id) runs on the API's own database threads, never on I/O threads.
// Thread-safety: Handle may run on any I/O thread at once; Open and Stop from the owner.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "auth/auth.hpp"
#include "core/result.hpp"
#include "http/http_server.hpp"
#include "store/accounts.hpp"
#include "store/store.hpp"

namespace fleet::api {

// Where the outbox's e-mail goes (see docs/configuration.md, [mail]).
struct MailOptions {
    std::string outbox_dir;  // the development mailer: one <id>.eml file per mail here
    std::string smtp_host;   // set: deliver by SMTP to this relay instead of writing files
    int smtp_port = 25;
    std::string from = "fleetd@localhost";
    std::chrono::milliseconds poll{1000};  // how often the outbox is looked at
    // Neither outbox_dir nor smtp_host: the mail stays queued (tools and tests without a sender).
    bool enabled() const { return !outbox_dir.empty() || !smtp_host.empty(); }
};

// The notifier (see docs/api.md "Notifications" and docs/configuration.md, [notify]).
struct NotifyOptions {
    bool enabled = false;  // `fleetd serve` runs it; tools and unit tests of the API do not
    // Lets webhooks reach loopback and private addresses (tests, a receiver on the same network).
    bool allow_private_webhooks = false;
    // A failed webhook call is retried after 1, 4, 20, 120 and 720 times this (30 s: 30 s, 2 min,
    // 10 min, 1 h, 6 h), then given up.
    std::chrono::seconds retry_base{30};
    std::chrono::milliseconds poll{1000};  // how often new events are looked for
};

struct Options {
    std::string db_path;          // the migrated SQLite database
    std::string secret_key_path;  // the key that seals TOTP secrets (created when missing, mode 0600)
    int db_threads = 2;
    store::LockoutPolicy lockout;
    store::SessionPolicy session;
    auth::HashCost hash_cost;
    std::function<core::TimePoint()> clock;  // empty: the system clock
    // The list of common passwords new ones are checked against (data/common-passwords.txt).
    // Empty: only the length and e-mail/tenant-name rules apply (tests).
    std::string common_passwords_path;
    int64_t address_attempts_per_minute = 20;  // the public auth routes, per client address
    MailOptions mail;
    NotifyOptions notify;
    // Called after a change of what the pipeline uses — a tenant's processing settings, geofences,
    // driver assignments or a vehicle's speed limit — with the tenant (nullopt: any tenant), on a
    // database worker thread after the change is committed. Empty: nobody listens.
    std::function<void(std::optional<int64_t> tenant_id)> config_changed;
    // How often the maintenance check raises maintenance_due / maintenance_overdue events (0: never;
    // `fleetd serve` runs it, tools and unit tests of the API do not).
    std::chrono::seconds maintenance_check_interval{0};
};

class Api {
public:
    static Result<std::unique_ptr<Api>> Open(const Options& options);
    ~Api();
    Api(const Api&) = delete;
    Api& operator=(const Api&) = delete;

    // True for the paths this module answers (/api and below).
    static bool Serves(std::string_view path);
    // The largest request body for a method and target (http::ServerOptions::body_limit_for):
    // kMaxImportBodyBytes for a geofence import, kMaxBodyBytes for anything else (the API's and not).
    static constexpr size_t kMaxBodyBytes = 65536;
    static constexpr size_t kMaxImportBodyBytes = 2 << 20;
    static size_t BodyLimit(std::string_view method, std::string_view target);
    // Answers one request (never throws: errors become problem+json).
    boost::asio::awaitable<http::Response> Handle(const http::Request& request);
    // Answers a WebSocket upgrade request (http::ServerOptions::upgrade): GET /api/v1/live through
    // the same pipeline as Handle, anything else refused.
    boost::asio::awaitable<http::Upgrade> Upgrade(const http::Request& request);
    // The committer's observer (store::Committer::SetObserver): feeds the live updates.
    void OnCommitted(std::span<const store::IngestBatch* const> batches);
    // Stops the live updates, finishes queued database work and stops the database threads.
    void Stop();

    // Every route as (method, pattern), and the OpenAPI document served at /api/v1/openapi.json.
    std::vector<std::pair<std::string, std::string>> Routes() const;
    const std::string& OpenApiDocument() const;

    // The security headers every answer of the platform's HTTP port carries.
    static std::vector<std::pair<std::string, std::string>> SecurityHeaders();

    struct Impl;

private:
    explicit Api(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// --- helpers exposed for tests ------------------------------------------------------------------

// The value of cookie `name` in a Cookie header, or "".
std::string_view CookieValue(std::string_view cookie_header, std::string_view name);
// True when `origin` (an Origin header) is the origin of `host` (a Host header) over http or https.
bool SameOrigin(std::string_view origin, std::string_view host);

}  // namespace fleet::api
