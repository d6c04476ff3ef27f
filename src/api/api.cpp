#include "api/api.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/core/string.hpp>

#include "api/detail/service.hpp"

namespace fleet::api {

namespace asio = boost::asio;

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

struct Api::Impl : detail::Service {};

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
    impl->common_passwords = std::make_unique<auth::CommonPasswords>(auth::CommonPasswords::FromList({}));
    if (!options.common_passwords_path.empty()) {
        auto common = auth::CommonPasswords::Load(options.common_passwords_path);
        if (!common) return common.error();
        *impl->common_passwords = std::move(*common);
    }
    impl->account = std::make_unique<detail::AccountSecurity>(
        detail::AccountSettings{options.lockout, options.hash_cost}, impl->common_passwords.get(), impl->box.get());
    impl->throttle = std::make_unique<detail::Throttle>(detail::ThrottleSettings{options.address_attempts_per_minute});
    auto db = detail::Database::Open(options.db_path, std::max(1, options.db_threads));
    if (!db) return db.error();
    impl->db = std::move(*db);
    detail::AddAuthRoutes(*impl);
    detail::AddTokenRoutes(*impl);
    detail::AddAdminRoutes(*impl);
    detail::AddSupportRoutes(*impl);
    detail::AddMetaRoutes(*impl);
    detail::AddTotpRoutes(*impl);
    detail::AddAccountRoutes(*impl);
    detail::AddFleetRoutes(*impl);
    impl->live = std::make_unique<detail::LiveHub>();
    detail::AddPositionRoutes(*impl);
    detail::AddLiveRoutes(*impl);
    detail::AddReportRoutes(*impl);
    detail::AddEventRoutes(*impl);
    detail::AddNotificationRoutes(*impl);
    detail::AddOperationsRoutes(*impl);
    if (options.mail.enabled()) {
        auto* service = static_cast<detail::Service*>(impl.get());
        auto mailer = detail::Mailer::Start(options.db_path, options.mail, [service] { return service->Now(); });
        if (!mailer) return mailer.error();
        impl->mailer = std::move(*mailer);
    }
    {
        auto* service = static_cast<detail::Service*>(impl.get());
        auto sender = detail::ReportSender::Start(
            options.db_path, options.mail.poll, [service] { return service->Now(); },
            [service] {
                if (service->mailer) service->mailer->Notify();
            });
        if (!sender) return sender.error();
        impl->report_sender = std::move(*sender);
    }
    if (options.maintenance_check_interval.count() > 0) {
        auto* service = static_cast<detail::Service*>(impl.get());
        auto checker = detail::MaintenanceChecker::Start(options.db_path, options.maintenance_check_interval,
                                                         [service] { return service->Now(); });
        if (!checker) return checker.error();
        impl->maintenance = std::move(*checker);
    }
    auto doc = detail::BuildOpenApi(impl->router);  // after every route is added
    if (!doc) return doc.error();
    impl->openapi = std::move(*doc);
    // Last: nothing may fail after it starts (it uses the hub, the box and the mailer, which a
    // half-built Impl would destroy before it).
    if (options.notify.enabled) {
        auto* service = static_cast<detail::Service*>(impl.get());
        auto notifier = detail::Notifier::Start(options.db_path, options.notify, *impl->box, *impl->live,
                                                impl->mailer.get(), [service] { return service->Now(); });
        if (!notifier) return notifier.error();
        impl->notifier = std::move(*notifier);
    }
    return std::unique_ptr<Api>(new Api(std::move(impl)));
}

void Api::Stop() {
    if (impl_ && impl_->notifier) impl_->notifier->Stop();  // first: it pushes to the live hub and the mailer
    if (impl_ && impl_->live) impl_->live->Stop();
    if (impl_ && impl_->db) impl_->db->Stop();
    if (impl_ && impl_->report_sender) impl_->report_sender->Stop();
    if (impl_ && impl_->maintenance) impl_->maintenance->Stop();
    if (impl_ && impl_->mailer) impl_->mailer->Stop();  // after the database: queued work may notify it
}

bool Api::Serves(std::string_view path) { return path == "/api" || path.substr(0, 5) == "/api/"; }

size_t Api::BodyLimit(std::string_view method, std::string_view target) {
    std::string_view path = target.substr(0, target.find('?'));
    return method == "POST" && path == "/api/v1/geofences/import" ? kMaxImportBodyBytes : kMaxBodyBytes;
}

asio::awaitable<http::Response> Api::Handle(const http::Request& request) {
    http::Response res;
    try {
        co_await impl_->Dispatch(request, res);
    } catch (const std::exception& e) {
        spdlog::error("api: {} {}: {}", request.method, request.target.substr(0, 200), e.what());
        res = detail::Internal();
    }
    res.headers.emplace_back("Cache-Control", "no-store");
    co_return res;
}

asio::awaitable<http::Upgrade> Api::Upgrade(const http::Request& request) {
    http::Upgrade up;
    std::string path = request.target.substr(0, request.target.find('?'));
    try {
        if (path == detail::kLivePath) {
            http::Response res;
            co_await impl_->Dispatch(request, res, &up);
            if (!up.accept) up.refusal = std::move(res);
        } else {
            up.refusal = http::Problem(404, "not-found", "Not found", "no WebSocket at " + path.substr(0, 200));
        }
    } catch (const std::exception& e) {
        spdlog::error("api: upgrade {}: {}", path.substr(0, 200), e.what());
        up = http::Upgrade{};
        up.refusal = detail::Internal();
    }
    if (!up.accept) up.refusal.headers.emplace_back("Cache-Control", "no-store");
    co_return up;
}

void Api::OnCommitted(std::span<const store::IngestBatch* const> batches) { impl_->live->OnCommitted(batches); }

std::vector<std::pair<std::string, std::string>> Api::SecurityHeaders() {
    return {
        {"Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"},
    };
}

std::vector<std::pair<std::string, std::string>> Api::Routes() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& r : impl_->router.routes()) out.emplace_back(r.method, r.pattern);
    return out;
}

const std::string& Api::OpenApiDocument() const { return impl_->openapi; }

}  // namespace fleet::api
