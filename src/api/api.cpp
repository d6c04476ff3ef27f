#include "api/api.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>
#include <map>
#include <variant>

#include "api/detail/database.hpp"
#include "api/detail/sign_in.hpp"
#include "core/json.hpp"

namespace fleet::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view kSessionCookie = "__Host-fleetd_session";
constexpr std::string_view kCsrfCookie = "__Host-fleetd_csrf";
constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

core::TimePoint SystemNow() {
    return std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now());
}

// "1.2.3.4:5678" or "::1:5678" -> the address.
std::string IpOf(const std::string& remote) {
    auto colon = remote.rfind(':');
    return colon == std::string::npos ? remote : remote.substr(0, colon);
}

std::string UserJson(const store::User& u) {
    std::string out = fmt::format("{{\"id\":{},\"email\":", u.id);
    core::AppendJsonString(out, u.email);
    out += fmt::format(",\"role\":\"{}\",\"tenant\":", store::ToString(u.role));
    core::AppendJsonString(out, u.tenant);
    out += fmt::format(",\"must_change_password\":{},\"totp_enabled\":{}}}", u.must_change_password,
                       u.totp_enabled);
    return out;
}

http::Response Json(int status, std::string body) {
    http::Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::move(body);
    return r;
}

http::Response InvalidBody(std::string_view detail) {
    return http::Problem(400, "invalid-body", "Invalid request body", detail);
}

bool IsJsonContentType(std::string_view ct) {
    auto semi = ct.find(';');
    std::string_view type = ct.substr(0, semi);
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    return boost::beast::iequals(type, "application/json");
}

// A JSON object body whose fields are all in `fields` (name, required) and all strings.
// Returns the values by name, or the problem to answer.
struct StringField {
    std::string_view name;
    bool required;
    size_t max_bytes;
};

std::variant<std::map<std::string, std::string>, http::Response> ParseStrict(const http::Request& req,
                                                                             std::initializer_list<StringField> fields) {
    if (!IsJsonContentType(req.content_type)) {
        return http::Problem(415, "unsupported-media-type", "Unsupported media type",
                             "send the body as application/json");
    }
    boost::system::error_code ec;
    json::value v = json::parse(req.body, ec);
    if (ec) return InvalidBody("the body is not JSON: " + ec.message());
    if (!v.is_object()) return InvalidBody("the body must be a JSON object");
    std::map<std::string, std::string> out;
    for (const auto& kv : v.as_object()) {
        const StringField* field = nullptr;
        for (const auto& f : fields) {
            if (f.name == std::string_view(kv.key())) field = &f;
        }
        if (!field) return InvalidBody(fmt::format("unknown field '{}'", std::string_view(kv.key()).substr(0, 64)));
        if (!kv.value().is_string()) return InvalidBody(fmt::format("'{}' must be a string", field->name));
        const auto& s = kv.value().as_string();
        if (s.size() > field->max_bytes) {
            return InvalidBody(fmt::format("'{}' is longer than {} bytes", field->name, field->max_bytes));
        }
        out[std::string(field->name)] = std::string(s.data(), s.size());
    }
    for (const auto& f : fields) {
        if (f.required && !out.count(std::string(f.name))) {
            return InvalidBody(fmt::format("'{}' is required", f.name));
        }
    }
    return out;
}

std::string SetCookie(std::string_view name, std::string_view value, bool http_only, bool clear) {
    return fmt::format("{}={}; Path=/; Secure;{} SameSite=Strict{}", name, value, http_only ? " HttpOnly;" : "",
                       clear ? "; Max-Age=0" : "");
}

}  // namespace

std::string_view CookieValue(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        auto semi = header.find(';');
        std::string_view part = header.substr(0, semi);
        header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        auto eq = part.find('=');
        if (eq != std::string_view::npos && part.substr(0, eq) == name) {
            std::string_view value = part.substr(eq + 1);
            while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
            return value;
        }
    }
    return {};
}

bool SameOrigin(std::string_view origin, std::string_view host) {
    if (host.empty()) return false;
    for (std::string_view scheme : {"http://", "https://"}) {
        if (origin.size() == scheme.size() + host.size() && origin.substr(0, scheme.size()) == scheme &&
            boost::beast::iequals(origin.substr(scheme.size()), host)) {
            return true;
        }
    }
    return false;
}

struct Api::Impl {
    Options options;
    std::unique_ptr<auth::SecretBox> box;
    std::unique_ptr<detail::SignIn> sign_in;
    std::unique_ptr<detail::Database> db;

    core::TimePoint Now() const { return options.clock ? options.clock() : SystemNow(); }

    // The caller's valid session, from the session cookie; nullopt when there is none.
    asio::awaitable<Result<std::optional<store::SessionUser>>> Authenticate(const http::Request& req) {
        std::string token(CookieValue(req.Header("Cookie"), kSessionCookie));
        Result<std::optional<store::SessionUser>> result = std::optional<store::SessionUser>();
        if (token.empty()) co_return result;
        core::TimePoint now = Now();
        detail::Database::Task fn = [&](store::AccountStore& s) { result = sign_in->Authenticate(s, token, now); };
        co_await detail::Run(*db, fn);
        co_return result;
    }

    // For a state-changing request made with the session cookie: the CSRF problem, if any.
    static std::optional<http::Response> CheckCsrf(const http::Request& req, const store::SessionUser& su) {
        std::string_view origin = req.Header("Origin");
        if (!origin.empty() && !SameOrigin(origin, req.Header("Host"))) {
            return http::Problem(403, "csrf", "Cross-site request refused", "the Origin is not this site");
        }
        std::string_view header = req.Header(kCsrfHeader);
        std::string_view cookie = CookieValue(req.Header("Cookie"), kCsrfCookie);
        if (header.empty() || header != cookie || !detail::SignIn::CsrfMatches(su.session, header)) {
            return http::Problem(403, "csrf", "Cross-site request refused",
                                 "send the CSRF token of the sign-in in the X-CSRF-Token header");
        }
        return std::nullopt;
    }

    static http::Response Unauthenticated() {
        return http::Problem(401, "unauthenticated", "Not signed in", "sign in first (POST /api/v1/auth/login)");
    }

    static http::Response Internal() {
        return http::Problem(500, "internal", "Internal error", "the server could not answer; see its log");
    }

    asio::awaitable<void> Login(const http::Request& req, http::Response& res) {
        auto parsed = ParseStrict(req, {{"email", true, 254}, {"password", true, 1024}, {"totp", false, 16}});
        if (auto* problem = std::get_if<http::Response>(&parsed)) {
            res = std::move(*problem);
            co_return;
        }
        auto& fields = std::get<0>(parsed);
        std::string_view origin = req.Header("Origin");
        if (!origin.empty() && !SameOrigin(origin, req.Header("Host"))) {
            res = http::Problem(403, "csrf", "Cross-site request refused", "the Origin is not this site");
            co_return;
        }
        detail::LoginInput in;
        in.email = fields["email"];
        in.password = fields["password"];
        if (fields.count("totp")) in.totp = fields["totp"];
        in.ip = IpOf(req.remote);
        in.user_agent = std::string(req.Header("User-Agent"));
        core::TimePoint now = Now();
        detail::LoginResult result;
        detail::Database::Task fn = [&](store::AccountStore& s) { result = sign_in->Login(s, in, now); };
        co_await detail::Run(*db, fn);
        switch (result.status) {
            case detail::LoginStatus::kOk:
                res = Json(200, "{\"user\":" + UserJson(result.user) + ",\"csrf_token\":\"" + result.csrf_token + "\"}");
                res.headers.emplace_back("Set-Cookie", SetCookie(kSessionCookie, result.session_token, true, false));
                res.headers.emplace_back("Set-Cookie", SetCookie(kCsrfCookie, result.csrf_token, false, false));
                break;
            case detail::LoginStatus::kInvalidCredentials:
                res = http::Problem(401, "invalid-credentials", "Invalid credentials",
                                    "the e-mail address or the password is wrong");
                break;
            case detail::LoginStatus::kLocked: {
                auto seconds = std::chrono::duration_cast<std::chrono::seconds>(result.locked_until - now).count();
                res = http::Problem(429, "account-locked", "Too many failed sign-ins",
                                    "sign-in is locked for a while after repeated failures; try again later");
                res.headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, seconds)));
                break;
            }
            case detail::LoginStatus::kTotpRequired:
                res = http::Problem(401, "totp-required", "Second factor required",
                                    "send the 6-digit code of your authenticator app as \"totp\"");
                break;
            case detail::LoginStatus::kTotpInvalid:
                res = http::Problem(401, "totp-invalid", "Wrong second factor", "the authenticator code is wrong or used");
                break;
            case detail::LoginStatus::kTenantSuspended:
                res = http::Problem(403, "tenant-suspended", "Organisation suspended",
                                    "your organisation's access is suspended; contact your provider");
                break;
            case detail::LoginStatus::kDisabled:
                res = http::Problem(403, "account-disabled", "Account disabled", "this account is disabled");
                break;
            case detail::LoginStatus::kError:
                res = Internal();
                break;
        }
    }

    asio::awaitable<void> Logout(const http::Request& req, http::Response& res) {
        auto su = co_await Authenticate(req);
        if (!su) {
            res = Internal();
            co_return;
        }
        if (!su->has_value()) {
            res = Unauthenticated();
            co_return;
        }
        if (auto problem = CheckCsrf(req, **su)) {
            res = std::move(*problem);
            co_return;
        }
        std::string ip = IpOf(req.remote);
        core::TimePoint now = Now();
        Result<void> done;
        const store::SessionUser& user = **su;
        detail::Database::Task fn = [&](store::AccountStore& s) { done = sign_in->Logout(s, user, ip, now); };
        co_await detail::Run(*db, fn);
        if (!done) {
            spdlog::error("sign-out: {}", done.error().message);
            res = Internal();
            co_return;
        }
        res.status = 204;
        res.content_type.clear();
        res.headers.emplace_back("Set-Cookie", SetCookie(kSessionCookie, "", true, true));
        res.headers.emplace_back("Set-Cookie", SetCookie(kCsrfCookie, "", false, true));
    }

    asio::awaitable<void> Me(const http::Request& req, http::Response& res) {
        auto su = co_await Authenticate(req);
        if (!su) {
            res = Internal();
        } else if (!su->has_value()) {
            res = Unauthenticated();
        } else {
            res = Json(200, UserJson((*su)->user));
        }
    }

    asio::awaitable<void> Dispatch(const http::Request& req, http::Response& res) {
        std::string path = req.target.substr(0, req.target.find('?'));
        struct Route {
            std::string_view path;
            std::string_view method;
        };
        static constexpr Route kRoutes[] = {
            {"/api/v1/auth/login", "POST"}, {"/api/v1/auth/logout", "POST"}, {"/api/v1/me", "GET"}};
        const Route* route = nullptr;
        for (const auto& r : kRoutes) {
            if (r.path == path) route = &r;
        }
        if (!route) {
            res = http::Problem(404, "not-found", "Not found", "no resource at " + path.substr(0, 200));
            co_return;
        }
        if (req.method != route->method) {
            res = http::Problem(405, "method-not-allowed", "Method not allowed",
                                fmt::format("{} takes {}", route->path, route->method));
            res.headers.emplace_back("Allow", std::string(route->method));
            co_return;
        }
        if (route->path == "/api/v1/auth/login") {
            co_await Login(req, res);
        } else if (route->path == "/api/v1/auth/logout") {
            co_await Logout(req, res);
        } else {
            co_await Me(req, res);
        }
    }
};

Api::Api(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Api::~Api() { Stop(); }

Result<std::unique_ptr<Api>> Api::Open(const Options& options) {
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    if (auto r = auth::Init(); !r) return r.error();
    auto box = auth::SecretBox::LoadOrCreate(options.secret_key_path);
    if (!box) return box.error();
    impl->box = std::make_unique<auth::SecretBox>(std::move(*box));
    detail::SignInSettings settings{options.lockout, options.session, options.hash_cost};
    auto sign_in = detail::SignIn::Make(settings, impl->box.get());
    if (!sign_in) return sign_in.error();
    impl->sign_in = std::move(*sign_in);
    auto db = detail::Database::Open(options.db_path, std::max(1, options.db_threads));
    if (!db) return db.error();
    impl->db = std::move(*db);
    return std::unique_ptr<Api>(new Api(std::move(impl)));
}

void Api::Stop() {
    if (impl_ && impl_->db) impl_->db->Stop();
}

bool Api::Serves(std::string_view path) { return path == "/api" || path.substr(0, 5) == "/api/"; }

asio::awaitable<http::Response> Api::Handle(const http::Request& request) {
    http::Response res;
    try {
        co_await impl_->Dispatch(request, res);
    } catch (const std::exception& e) {
        spdlog::error("api: {} {}: {}", request.method, request.target.substr(0, 200), e.what());
        res = Impl::Internal();
    }
    res.headers.emplace_back("Cache-Control", "no-store");
    co_return res;
}

std::vector<std::pair<std::string, std::string>> Api::SecurityHeaders() {
    return {
        {"Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"},
    };
}

}  // namespace fleet::api
