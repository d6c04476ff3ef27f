// `fleetd serve`: the composition root. Builds the store, the committer, the gateway and the HTTP
// port in that order, and stops them in reverse on SIGINT or SIGTERM.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <atomic>
#include <filesystem>
#include <future>
#include <iostream>
#include <thread>

#include "app/commands.hpp"
#include "api/api.hpp"
#include "app/config.hpp"
#include "core/json.hpp"
#include "core/thread.hpp"
#include "gateway/gateway.hpp"
#include "http/http_server.hpp"
#include "http/static_files.hpp"
#include "pipeline/runner.hpp"
#include "store/committer.hpp"

namespace fleet::app {
namespace {

namespace asio = boost::asio;

// An io_context whose pending handlers (suspended sessions) can be destroyed on purpose while the
// objects they refer to (gateway, metrics, committer) are still alive; its destructor would do it
// only after them.
class IoContext : public asio::io_context {
public:
    explicit IoContext(int threads) : asio::io_context(threads) {}
    void DestroyPendingWork() { shutdown(); }
};

std::string CommitterMetrics(const store::Committer& c) {
    const auto& s = c.stats();
    return fmt::format(
        "# HELP fleetd_store_commits_total Group commits.\n# TYPE fleetd_store_commits_total counter\n"
        "fleetd_store_commits_total {}\n"
        "# HELP fleetd_store_records_total Positions stored.\n# TYPE fleetd_store_records_total counter\n"
        "fleetd_store_records_total {}\n"
        "# HELP fleetd_store_duplicates_total Resent positions recognised and not stored twice.\n"
        "# TYPE fleetd_store_duplicates_total counter\nfleetd_store_duplicates_total {}\n"
        "# HELP fleetd_store_commit_failures_total Failed group commits.\n"
        "# TYPE fleetd_store_commit_failures_total counter\nfleetd_store_commit_failures_total {}\n"
        "# HELP fleetd_store_commit_seconds_total Time spent committing.\n"
        "# TYPE fleetd_store_commit_seconds_total counter\nfleetd_store_commit_seconds_total {}\n"
        "# HELP fleetd_store_queued_batches Batches waiting for the next commit.\n"
        "# TYPE fleetd_store_queued_batches gauge\nfleetd_store_queued_batches {}\n"
        "# HELP fleetd_store_frames_pruned_total Raw frames deleted after their retention.\n"
        "# TYPE fleetd_store_frames_pruned_total counter\nfleetd_store_frames_pruned_total {}\n"
        "# HELP fleetd_store_frames_held Raw frames held in memory, to be written by chunk.\n"
        "# TYPE fleetd_store_frames_held gauge\nfleetd_store_frames_held {}\n"
        "# HELP fleetd_store_frames_written_total Raw frames written to the store.\n"
        "# TYPE fleetd_store_frames_written_total counter\nfleetd_store_frames_written_total {}\n"
        "# HELP fleetd_store_frames_lost_total Raw frames not kept because their commit failed.\n"
        "# TYPE fleetd_store_frames_lost_total counter\nfleetd_store_frames_lost_total {}\n",
        s.groups.load(), s.records.load(), s.duplicates.load(), s.failures.load(),
        static_cast<double>(s.commit_micros_total.load()) / 1e6, s.queued_batches.load(), s.frames_pruned.load(),
        s.frames_held.load(), s.frames_written.load(), s.frames_lost.load());
}

// The web application served at / (see docs/web.md), or null when there is none: not built, or
// disabled by an empty server.web_dir. Read here, once, before the network threads start.
Result<std::unique_ptr<http::StaticFiles>> LoadWebApp(const Config& config) {
    std::error_code ec;
    std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    auto dir = http::FindWebDir(config.web_dir, ec ? std::filesystem::current_path() : exe.parent_path(),
                                "/usr/share/fleetd/web");
    if (!dir) {
        spdlog::info(config.web_dir.empty() ? "web application disabled (server.web_dir is empty)"
                                            : "no web application found (`make build` builds it); / answers 404");
        return std::unique_ptr<http::StaticFiles>();
    }
    http::StaticOptions options;
    options.csp = http::WebAppCsp(*http::TileOrigin(config.tile_url));  // checked by Validate
    options.config_json = "{\"tile_url\":";
    core::AppendJsonString(options.config_json, config.tile_url);
    options.config_json += ",\"tile_attribution\":";
    core::AppendJsonString(options.config_json, config.tile_attribution);
    options.config_json += "}";
    auto site = http::StaticFiles::Load(*dir, std::move(options));
    if (!site) return site.error();
    spdlog::info("web application: {} ({} files, {} KiB)", dir->string(), (*site)->file_count(),
                 (*site)->total_bytes() / 1024);
    return site;
}

int Serve(const Config& config) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("fleetd"));
    spdlog::set_level(spdlog::level::from_str(config.log_level));

    std::error_code ec;
    std::filesystem::create_directories(config.data, ec);
    if (ec) {
        spdlog::error("cannot create data folder {}: {}", config.data, ec.message());
        return 1;
    }
    ::chmod(config.data.c_str(), 0700);
    std::string db_path = (std::filesystem::path(config.data) / "fleetd.db").string();
    store::SqliteOptions sqlite_options;
    sqlite_options.synchronous = config.synchronous;
    auto store = store::OpenSqliteStore(db_path, sqlite_options);
    if (!store) {
        spdlog::error("{}", store.error().message);
        return 1;
    }

    // The pipeline writes what it derives on the ingestion writer's own connection (below), made
    // here while the store is still ours to ask; used only on the committer's thread.
    std::shared_ptr<store::AccountStore> writer_connection = (*store)->SharedConnection();

    store::Committer::Options committer_options;
    committer_options.max_group_records = static_cast<size_t>(config.max_group_records);
    committer_options.frame_retention = std::chrono::hours(24 * config.frame_retention_days);
    store::Committer committer(std::move(*store), committer_options);

    // The pipeline: its workers have their own connections and are woken by the committer.
    std::unique_ptr<pipeline::Runner> runner;
    if (config.pipeline_enabled) {
        pipeline::Runner::Options ropts;
        ropts.db_path = db_path;
        ropts.workers = static_cast<int>(config.pipeline_workers);
        // The feed (the observer set below, before the gateway opens, so every commit is fed) is
        // doubted after a failed commit: a group whose sync failed is stored but was not fed.
        ropts.commit_failures = &committer.stats().failures;
        {
            // The runner stops before the committer (declared after it), so every task posted here runs.
            ropts.write_on_writer = [&committer, writer_connection](
                                        const std::function<void(store::AccountStore&)>& work) {
                std::promise<void> ran;
                committer.Post([&](store::Store& s) {
                    // Derived rows: made again from a checkpoint if a power cut loses them; the
                    // next group's sync makes them durable (docs/pipeline.md).
                    s.RunWithSyncDeferred([&] { work(*writer_connection); });
                    ran.set_value();
                });
                ran.get_future().wait();
            };
        }
        auto started = pipeline::Runner::Start(ropts);
        if (!started) {
            spdlog::error("{}", started.error().message);
            committer.Stop();
            return 1;
        }
        runner = std::move(*started);
    }
    // Every committed group goes past the pipeline and (set below) the live feed.
    std::atomic<fleet::api::Api*> live_feed{nullptr};  // set once the API is open
    auto* pipe = runner.get();
    auto observe = [&live_feed, pipe](std::span<const store::IngestBatch* const> batches) {
        if (pipe) pipe->OnCommitted(batches);
        if (auto* feed = live_feed.load(std::memory_order_acquire)) feed->OnCommitted(batches);
    };
    if (pipe) committer.SetObserver(observe);
    // On the error returns below, the runner stops when it is destroyed (before the committer).

    int threads = config.io_threads > 0 ? static_cast<int>(config.io_threads)
                                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    IoContext io(threads);

    gateway::Metrics metrics;
    gateway::Options gopts;
    gopts.listen = config.listen;
    gopts.teltonika_port = static_cast<uint16_t>(config.teltonika_port);
    gopts.gt06_port = static_cast<uint16_t>(config.gt06_port);
    gopts.osmand_port = static_cast<uint16_t>(config.osmand_port);
    gopts.max_frame_bytes = static_cast<size_t>(config.max_frame_bytes);
    gopts.max_http_body_bytes = static_cast<size_t>(config.max_http_body_bytes);
    gopts.idle_timeout = std::chrono::seconds(config.idle_timeout_s);
    gopts.max_connections = static_cast<size_t>(config.max_connections);
    gopts.keep_raw_frames = config.keep_raw_frames;
    gopts.auto_register = config.auto_register;
    gateway::Gateway gateway(io, committer, metrics, gopts);
    if (auto r = gateway.Start(); !r) {
        spdlog::error("{}", r.error().message);
        committer.Stop();
        return 1;
    }

    std::unique_ptr<fleet::api::Api> platform;
    std::unique_ptr<http::Server> api;
    std::unique_ptr<http::StaticFiles> web;
    if (config.http_port != 0) {
        fleet::api::Options aopts;
        aopts.db_path = db_path;
        aopts.secret_key_path = (std::filesystem::path(config.data) / "secret.key").string();
        aopts.lockout.max_failures = config.lockout_failures;
        aopts.lockout.duration = std::chrono::minutes(config.lockout_minutes);
        aopts.session.idle = std::chrono::minutes(config.idle_timeout_min);
        aopts.session.absolute = std::chrono::hours(config.absolute_timeout_h);
        aopts.hash_cost.mem_bytes = static_cast<size_t>(config.argon2_memory_kib) * 1024;
        aopts.hash_cost.ops = static_cast<uint64_t>(config.argon2_ops);
        aopts.common_passwords_path = DefaultCommonPasswords();
        aopts.address_attempts_per_minute = config.address_attempts_per_minute;
        aopts.mail.outbox_dir = (std::filesystem::path(config.data) / "outbox").string();
        aopts.mail.smtp_host = config.smtp_host;
        aopts.mail.smtp_port = static_cast<int>(config.smtp_port);
        aopts.mail.from = config.mail_from;
        aopts.notify.enabled = true;
        aopts.notify.allow_private_webhooks = config.allow_private_webhooks;
        aopts.notify.retry_base = std::chrono::seconds(config.retry_base_seconds);
        aopts.maintenance_check_interval = std::chrono::seconds(config.maintenance_check_seconds);
        // Settings, geofences and assignments saved through the API apply to the pipeline at once
        // (the runner also notices installation, speed-limit and badge changes on its own tick).
        if (pipe) aopts.config_changed = [pipe](std::optional<int64_t> tenant) { pipe->ConfigChanged(tenant); };
        if (aopts.common_passwords_path.empty()) {
            spdlog::error("api: cannot find common-passwords.txt (new passwords are checked against it)");
            gateway.Stop();
            committer.Stop();
            return 1;
        }
        auto opened = fleet::api::Api::Open(aopts);
        if (!opened) {
            spdlog::error("api: {}", opened.error().message);
            gateway.Stop();
            committer.Stop();
            return 1;
        }
        platform = std::move(*opened);
        auto site = LoadWebApp(config);
        if (!site) {
            spdlog::error("{}", site.error().message);
            gateway.Stop();
            committer.Stop();
            return 1;
        }
        web = std::move(*site);
        http::ServerOptions hopts;
        hopts.name = "http";
        auto* live = platform.get();
        hopts.upgrade = [live](const http::Request& req) { return live->Upgrade(req); };
        // Live updates: every committed group goes past the API (cheap while no feed is open).
        live_feed.store(live, std::memory_order_release);
        if (!pipe) committer.SetObserver(observe);
        hopts.default_headers = fleet::api::Api::SecurityHeaders();
        hopts.max_body_bytes = fleet::api::Api::kMaxImportBodyBytes;
        hopts.body_limit_for = [](std::string_view method, std::string_view target) {
            return fleet::api::Api::BodyLimit(method, target);
        };
        if (!config.tls_cert_file.empty()) {
            auto tls = http::MakeTlsContext(config.tls_cert_file, config.tls_key_file);
            if (!tls) {
                spdlog::error("{}", tls.error().message);
                gateway.Stop();
                committer.Stop();
                return 1;
            }
            hopts.tls = std::move(*tls);  // the server adds HSTS to every answer
        } else if (config.behind_tls_proxy) {
            hopts.default_headers.emplace_back("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
        }
        auto* m = &metrics;
        auto* c = &committer;
        auto* p = platform.get();
        const auto* w = web.get();
        api = std::make_unique<http::Server>(io, hopts, [m, c, p, w, pipe](const http::Request& req) -> asio::awaitable<http::Response> {
            std::string path = req.target.substr(0, req.target.find('?'));
            if (fleet::api::Api::Serves(path)) co_return co_await p->Handle(req);
            if (req.method != "GET" && req.method != "HEAD") {
                co_return http::Problem(405, "method-not-allowed", "Method not allowed", req.method + " " + path);
            }
            if (path == "/metrics") {
                http::Response r;
                r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                r.body = m->Render(CommitterMetrics(*c) + (pipe ? pipe->Metrics() : std::string()));
                co_return r;
            }
            if (path == "/healthz") co_return http::Response{200, "text/plain; charset=utf-8", "ok\n", {}};
            if (w) co_return w->Serve(req);
            co_return http::Problem(404, "not-found", "Not found", "no resource at " + path);
        });
        if (auto r = api->Start(config.HttpListen(), static_cast<uint16_t>(config.http_port)); !r) {
            spdlog::error("{}", r.error().message);
            gateway.Stop();
            committer.Stop();
            return 1;
        }
    }

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& sec, int sig) {
        if (sec) return;
        spdlog::info("signal {}: stopping", sig);
        gateway.Stop();
        if (api) api->Stop();
        io.stop();
    });

    // One machine-readable line on stdout with the bound ports (tests start fleetd with port 0).
    std::cout << fmt::format("fleetd ready: teltonika={} teltonika_udp={} gt06={} osmand={} http={} data={}",
                             gateway.teltonika_port(), gateway.teltonika_udp_port(), gateway.gt06_port(),
                             gateway.osmand_port(), api ? api->port() : 0, config.data)
              << std::endl;
    spdlog::info("fleetd serving: teltonika tcp/udp {}:{}, gt06 {}:{}, osmand http {}:{}, api {}://{}:{}/api/v1",
                 config.listen, gateway.teltonika_port(), config.listen, gateway.gt06_port(), config.listen,
                 gateway.osmand_port(), config.tls_cert_file.empty() ? "http" : "https", config.HttpListen(),
                 api ? api->port() : 0);

    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&io] {
        core::NameThread("fleetd-io");
        io.run();
    });
    io.run();
    for (auto& t : pool) t.join();
    committer.SetObserver(nullptr);
    if (runner) runner->Stop();
    if (platform) platform->Stop();
    io.DestroyPendingWork();
    // Records already queued are committed. A Teltonika or GT06 connection waiting for them gets its
    // ACK from the committer's sync thread once they are durable (its session is held by the
    // commit); the others get none and will resend (no duplicate).
    committer.Stop();
    spdlog::info("fleetd stopped");
    return 0;
}

}  // namespace

Runner AddServe(CLI::App& app) {
    auto* cmd = app.add_subcommand("serve", "Run the server: device listeners, store and HTTP");
    auto flags = std::make_shared<ConfigFlags>(*cmd);
    return [cmd, flags]() -> int {
        if (!cmd->parsed()) return -1;
        auto config = flags->Resolve();
        if (!config) {
            std::cerr << "fleetd serve: " << config.error().message << "\n";
            return 2;
        }
        return Serve(*config);
    };
}

}  // namespace fleet::app
