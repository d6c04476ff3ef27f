// Service: what the API's route handlers share — options, the database workers, sign-in rules,
// the secret box and the route table — and the request pipeline that every route goes through:
// authentication (session cookie or API token), the CSRF check for cookie-authenticated changes,
// the password-change / TOTP-enrolment gate, and the permission check. Route groups add
// themselves in their own files (routes_*.cpp) through the Add*Routes functions below.
// Thread-safety: filled at Open, then handlers run concurrently on I/O threads.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/api.hpp"
#include "api/detail/account_security.hpp"
#include "api/detail/body.hpp"
#include "api/detail/database.hpp"
#include "api/detail/live.hpp"
#include "api/detail/router.hpp"
#include "api/detail/mailer.hpp"
#include "api/detail/report_sender.hpp"
#include "api/detail/maintenance_check.hpp"
#include "api/detail/notifier.hpp"
#include "api/detail/sign_in.hpp"
#include "api/detail/throttle.hpp"

namespace fleet::api::detail {

inline constexpr std::string_view kSessionCookie = "__Host-fleetd_session";
inline constexpr std::string_view kCsrfCookie = "__Host-fleetd_csrf";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";
inline constexpr std::string_view kLivePath = "/api/v1/live";

struct Service {
    Options options;
    std::unique_ptr<auth::SecretBox> box;
    std::unique_ptr<SignIn> sign_in;
    std::unique_ptr<Database> db;
    std::unique_ptr<auth::CommonPasswords> common_passwords;  // what new passwords are checked against
    std::unique_ptr<AccountSecurity> account;                 // password change and reset, step-up
    std::unique_ptr<Throttle> throttle;                       // per address, public auth routes
    std::unique_ptr<Mailer> mailer;                           // null when options.mail is not enabled
    std::unique_ptr<ReportSender> report_sender;              // scheduled reports into the outbox
    std::unique_ptr<Notifier> notifier;                       // null when options.notify is not enabled
    std::unique_ptr<MaintenanceChecker> maintenance;          // null when options.maintenance_check_interval is 0
    Router router;
    std::string openapi;  // the served document
    std::unique_ptr<LiveHub> live;  // fed by the committer, read by the /api/v1/live feeds

    core::TimePoint Now() const;

    // Runs `fn` on a database worker (see Database::Run); `fn` must be a named local.
    boost::asio::awaitable<void> Run(Database::Task& fn) { return detail::Run(*db, fn); }

    // Answers one request: route lookup, then the pipeline above, then the route's handler. For a
    // WebSocket upgrade request `upgrade` is set, and the route may accept it there.
    boost::asio::awaitable<void> Dispatch(const http::Request& req, http::Response& res,
                                          http::Upgrade* upgrade = nullptr);

    // ?support_tenant=NAME: lets an operator-admin (session, GET, a route reading fleet or
    // positions) act in that tenant's scope while its support grant is active, and audits each such
    // read in the tenant's log (support.read). The problem to answer, if any.
    boost::asio::awaitable<std::optional<http::Response>> EnterSupport(const Route& route, Ctx& ctx, Caller& caller);

    // Who calls a signed-in route, at `now`: the API token of an Authorization header when there
    // is one (Bearer; the cookie is then ignored), else the session cookie. Fills `caller`, or
    // returns why not (401 invalid-token, 401 unauthenticated, 500).
    boost::asio::awaitable<std::optional<http::Response>> Authenticate(const http::Request& req, core::TimePoint now,
                                                                       Caller& caller);
};

// "1.2.3.4:5678" or "::1:5678" -> the address.
std::string IpOf(const std::string& remote);
// The user as the API shows it.
std::string UserJson(const store::User& u);
// A Set-Cookie value for the API's cookies (clear: expire it).
std::string SetCookie(std::string_view name, std::string_view value, bool http_only, bool clear);
// A session's two secrets as the browser gets them: the session cookie and the CSRF token.
struct SessionSecrets {
    std::string token;
    std::string csrf;
};
// Sets both cookies of `secrets` on `res`.
void SetSessionCookies(http::Response& res, const SessionSecrets& secrets);
// On a database worker: gives the session `token_hash` new secrets (store RotateSession), when it
// gains privilege. nullopt when it is no live session any more, or on a database error (logged).
std::optional<SessionSecrets> RotateSession(store::AccountStore& accounts, const std::string& token_hash,
                                            core::TimePoint now);
http::Response Unauthenticated();
http::Response InvalidToken();  // 401 invalid-token with WWW-Authenticate: Bearer (RFC 6750)
// "2026-03-01T08:00:00.000Z", or null when unset (JSON).
std::string JsonTime(std::optional<core::TimePoint> t);

// Route groups.
void AddTokenRoutes(Service& s);    // routes_tokens.cpp: the caller's API tokens
void AddAdminRoutes(Service& s);    // routes_admin.cpp: tenants and users
void AddSupportRoutes(Service& s);  // routes_support.cpp: the audit log and support grants
void AddAuthRoutes(Service& s);  // routes_auth.cpp: sign-in, sign-out, /me
void AddMetaRoutes(Service& s);  // routes_meta.cpp: the OpenAPI document
void AddTotpRoutes(Service& s);  // routes_totp.cpp: TOTP enrolment and recovery codes
void AddAccountRoutes(Service& s);  // routes_account.cpp: password change and reset, sessions, step-up
void AddFleetRoutes(Service& s);  // fleet_common.cpp: groups, vehicles, devices, installations, drivers
void AddPositionRoutes(Service& s);  // routes_positions.cpp: latest positions, histories and exports
void AddLiveRoutes(Service& s);      // routes_live.cpp: the live feed (WebSocket)
void AddReportRoutes(Service& s);    // routes_reports.cpp: reports and scheduled reports
void AddEventRoutes(Service& s);     // routes_events.cpp: the events inbox and acknowledgement
// routes_notifications.cpp: notification rules, the inbox, the delivery log; routes_webhooks.cpp
void AddNotificationRoutes(Service& s);
// routes_settings.cpp (processing settings, the tenant's time zone), routes_geofences.cpp,
// routes_assignments.cpp (odometers, driver assignments), routes_maintenance.cpp
void AddOperationsRoutes(Service& s);

// The OpenAPI 3.1 document: openapi/base.json with the paths and schemas of every
// openapi/*.json fragment merged in (openapi.cpp). Error when a fragment is not valid JSON or
// two fragments describe the same path and method. Each operation of a route in `router` gets
// "x-fleetd-access" ("public", "signed-in" or the permission it needs) and "x-fleetd-before-setup".
Result<std::string> BuildOpenApi(const Router& router);

}  // namespace fleet::api::detail
