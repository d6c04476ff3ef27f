// fleetd's configuration: a TOML file (`fleetd serve --config FILE`) whose every key can be
// overridden by a command-line flag. Unknown keys and out-of-range values are errors. Defaults work
// without a file. The documented reference is docs/configuration.md; keep the two in step.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace fleet::app {

struct Config {
    // [server]
    std::string data = "./var";
    std::string listen = "127.0.0.1";
    std::string http_listen;  // "": the same as listen
    int64_t http_port = 8082;
    bool behind_tls_proxy = false;  // a proxy in front terminates TLS for the HTTP port
    int64_t io_threads = 0;  // 0: one per core
    std::string log_level = "info";
    // The web application's folder: "auto" finds <executable's folder>/../web/dist, then
    // /usr/share/fleetd/web; "" serves no web application.
    std::string web_dir = "auto";
    // [devices]
    int64_t teltonika_port = 5027;
    int64_t gt06_port = 5023;
    int64_t osmand_port = 5055;
    bool auto_register = false;
    int64_t max_frame_bytes = 65536;
    int64_t max_http_body_bytes = 65536;
    int64_t idle_timeout_s = 900;
    int64_t max_connections = 20000;
    bool keep_raw_frames = true;
    int64_t frame_retention_days = 7;
    // [store]
    std::string synchronous = "full";
    int64_t max_group_records = 50000;
    // [auth]
    int64_t idle_timeout_min = 15;      // a session unused this long ends
    int64_t absolute_timeout_h = 12;    // a session ends this long after sign-in
    int64_t lockout_failures = 5;       // consecutive failed sign-ins that lock an account
    int64_t lockout_minutes = 15;       // how long it stays locked
    int64_t argon2_memory_kib = 65536;  // argon2id memory cost of new password hashes
    int64_t argon2_ops = 3;             // argon2id passes
    int64_t address_attempts_per_minute = 20;  // sign-in and reset attempts per client address
    // [mail]
    std::string smtp_host;                 // empty: write mail to <data>/outbox (development mailer)
    int64_t smtp_port = 25;
    std::string mail_from = "fleetd@localhost";
    // [notify]
    bool allow_private_webhooks = false;  // webhooks may reach loopback and private addresses
    int64_t retry_base_seconds = 30;      // a failed webhook call's first wait (then x4, x20, x120, x720)
    int64_t maintenance_check_seconds = 600;  // how often maintenance plans are checked (due/overdue events)
    // [pipeline]
    bool pipeline_enabled = true;  // derive trips, stops and events from positions in this process
    int64_t pipeline_workers = 2;  // threads; devices are sharded over them by id
    // [tls]
    std::string tls_cert_file;  // PEM certificate chain; with tls_key_file, the HTTP port speaks HTTPS only
    std::string tls_key_file;   // PEM private key
    // [web]
    std::string tile_url = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";  // "": no map tiles
    std::string tile_attribution = "© OpenStreetMap contributors";

    // The address the HTTP port binds to.
    const std::string& HttpListen() const { return http_listen.empty() ? listen : http_listen; }
};

// Binds every configuration key to a flag of `cmd` (e.g. --http-port) and a --config option, and
// resolves them after parsing: defaults, then the file, then the flags.
class ConfigFlags {
public:
    explicit ConfigFlags(CLI::App& cmd);
    // Call after CLI parsing. Error for an unreadable file, an unknown key, a wrong type or a bad value.
    Result<Config> Resolve() const;

private:
    std::string config_file_;
    std::shared_ptr<std::map<std::string, std::string>> storage_;
};

// Parses TOML text into `config` (used by ConfigFlags; exposed for tests).
Result<void> ApplyToml(const std::string& text, const std::string& source, Config& config);
// Checks ranges (ports, sizes, levels), and refuses to serve the API in clear text on an address
// other than loopback unless a TLS proxy is declared.
Result<void> Validate(const Config& config);
// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopback(const std::string& address);

}  // namespace fleet::app
