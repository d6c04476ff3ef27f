#include "app/config.hpp"

#include <fmt/format.h>

#include "http/static_files.hpp"

#include <fstream>
#include <limits>
#include <sstream>
#include <toml++/toml.h>

namespace fleet::app {
namespace {

enum class Kind { kInt, kString, kBool };

struct Key {
    const char* section;
    const char* name;
    const char* flag;
    Kind kind;
    int64_t Config::*int_field = nullptr;
    std::string Config::*string_field = nullptr;
    bool Config::*bool_field = nullptr;
    int64_t min = 0;
    int64_t max = 0;
    const char* help = "";
};

Key Int(const char* s, const char* n, const char* f, int64_t Config::*field, int64_t lo, int64_t hi, const char* help) {
    return Key{s, n, f, Kind::kInt, field, nullptr, nullptr, lo, hi, help};
}
Key Str(const char* s, const char* n, const char* f, std::string Config::*field, const char* help) {
    return Key{s, n, f, Kind::kString, nullptr, field, nullptr, 0, 0, help};
}
Key Bool(const char* s, const char* n, const char* f, bool Config::*field, const char* help) {
    return Key{s, n, f, Kind::kBool, nullptr, nullptr, field, 0, 0, help};
}

const std::vector<Key>& Keys() {
    static const std::vector<Key> keys = {
        Str("server", "data", "--data", &Config::data, "data folder (SQLite database, logs)"),
        Str("server", "listen", "--listen", &Config::listen, "address every listener binds to"),
        Str("server", "http_listen", "--http-listen", &Config::http_listen, "address of the HTTP port; empty = listen"),
        Int("server", "http_port", "--http-port", &Config::http_port, 0, 65535, "HTTP port (/metrics, /healthz); 0 disables"),
        Bool("server", "behind_tls_proxy", "--behind-tls-proxy", &Config::behind_tls_proxy, "a proxy terminates TLS in front of the HTTP port"),
        Int("server", "io_threads", "--io-threads", &Config::io_threads, 0, 256, "network threads; 0 = one per core"),
        Str("server", "log_level", "--log-level", &Config::log_level, "trace, debug, info, warn, error"),
        Str("server", "web_dir", "--web-dir", &Config::web_dir, "web application folder; auto = beside the binary or /usr/share/fleetd/web; empty = none"),
        Int("devices", "teltonika_port", "--teltonika-port", &Config::teltonika_port, 0, 65535, "Teltonika TCP and UDP port; 0 disables"),
        Int("devices", "gt06_port", "--gt06-port", &Config::gt06_port, 0, 65535, "GT06 TCP port; 0 disables"),
        Int("devices", "osmand_port", "--osmand-port", &Config::osmand_port, 0, 65535, "OsmAnd HTTP port; 0 disables"),
        Bool("devices", "auto_register", "--auto-register", &Config::auto_register, "register unknown devices instead of refusing them"),
        Int("devices", "max_frame_bytes", "--max-frame-bytes", &Config::max_frame_bytes, 1024, 16 << 20, "longest device frame accepted"),
        Int("devices", "max_http_body_bytes", "--max-http-body-bytes", &Config::max_http_body_bytes, 1024, 16 << 20, "largest OsmAnd request body"),
        Int("devices", "idle_timeout_s", "--idle-timeout", &Config::idle_timeout_s, 1, 86400 * 7, "seconds of silence before a device connection is closed"),
        Int("devices", "max_connections", "--max-connections", &Config::max_connections, 1, 10'000'000, "device connections at once"),
        Bool("devices", "keep_raw_frames", "--keep-raw-frames", &Config::keep_raw_frames, "keep raw frames for diagnostics"),
        Int("devices", "frame_retention_days", "--frame-retention-days", &Config::frame_retention_days, 1, 3650, "days raw frames are kept"),
        Str("store", "synchronous", "--synchronous", &Config::synchronous, "full (survives power loss) or normal (survives a crash)"),
        Int("store", "max_group_records", "--max-group-records", &Config::max_group_records, 1, 10'000'000, "records per commit at most"),
        Int("auth", "idle_timeout_min", "--session-idle-timeout-min", &Config::idle_timeout_min, 1, 1440, "minutes of inactivity that end a session"),
        Int("auth", "absolute_timeout_h", "--session-absolute-timeout-h", &Config::absolute_timeout_h, 1, 720, "hours after sign-in that end a session"),
        Int("auth", "lockout_failures", "--lockout-failures", &Config::lockout_failures, 1, 100, "consecutive failed sign-ins that lock an account"),
        Int("auth", "lockout_minutes", "--lockout-minutes", &Config::lockout_minutes, 1, 1440, "minutes an account stays locked"),
        Int("auth", "argon2_memory_kib", "--argon2-memory-kib", &Config::argon2_memory_kib, 8, 4 << 20, "argon2id memory cost (KiB) of password hashes"),
        Int("auth", "argon2_ops", "--argon2-ops", &Config::argon2_ops, 1, 10, "argon2id passes"),
        Str("tls", "cert_file", "--tls-cert", &Config::tls_cert_file, "PEM certificate chain of the HTTP port"),
        Str("tls", "key_file", "--tls-key", &Config::tls_key_file, "PEM private key of the HTTP port"),
        Int("auth", "address_attempts_per_minute", "--address-attempts-per-minute", &Config::address_attempts_per_minute, 1, 100000, "sign-in and password-reset requests per client address and minute"),
        Str("mail", "smtp_host", "--smtp-host", &Config::smtp_host, "SMTP relay for e-mail; empty: write files to <data>/outbox"),
        Int("mail", "smtp_port", "--smtp-port", &Config::smtp_port, 1, 65535, "SMTP relay port"),
        Str("mail", "from", "--mail-from", &Config::mail_from, "sender address of fleetd's e-mail"),
        Bool("notify", "allow_private_webhooks", "--allow-private-webhooks", &Config::allow_private_webhooks, "let webhooks reach loopback and private addresses"),
        Int("notify", "retry_base_seconds", "--notify-retry-base-seconds", &Config::retry_base_seconds, 1, 86400, "wait before a failed webhook call's first retry (later ones x4, x20, x120, x720)"),
        Int("notify", "maintenance_check_seconds", "--maintenance-check-seconds", &Config::maintenance_check_seconds, 1, 86400, "how often maintenance plans are checked for due and overdue events"),
        Bool("pipeline", "enabled", "--pipeline", &Config::pipeline_enabled, "derive trips, stops and events from positions"),
        Int("pipeline", "workers", "--pipeline-workers", &Config::pipeline_workers, 1, 64, "pipeline threads (devices sharded by id)"),
        Str("web", "tile_url", "--tile-url", &Config::tile_url, "map tile URL template ({z}/{x}/{y}); empty = no tiles"),
        Str("web", "tile_attribution", "--tile-attribution", &Config::tile_attribution, "credit shown on the map for its tiles"),
    };
    return keys;
}

}  // namespace

bool IsLoopback(const std::string& address) {
    if (address == "localhost" || address == "::1") return true;
    return address.rfind("127.", 0) == 0;
}

namespace {

std::string KeyName(const Key& k) { return std::string(k.section) + "." + k.name; }

Result<void> SetFromString(const Key& k, const std::string& value, Config& c) {
    switch (k.kind) {
        case Kind::kString:
            c.*k.string_field = value;
            return {};
        case Kind::kBool:
            if (value == "true" || value == "1" || value == "yes" || value == "on") {
                c.*k.bool_field = true;
            } else if (value == "false" || value == "0" || value == "no" || value == "off") {
                c.*k.bool_field = false;
            } else {
                return MakeError(fmt::format("{}: expected true or false, got '{}'", k.flag, value));
            }
            return {};
        case Kind::kInt: {
            int64_t v = 0;
            size_t pos = 0;
            try {
                v = std::stoll(value, &pos);
            } catch (const std::exception&) {
                pos = 0;
            }
            if (pos == 0 || pos != value.size()) {
                return MakeError(fmt::format("{}: expected an integer, got '{}'", k.flag, value));
            }
            c.*k.int_field = v;
            return {};
        }
    }
    return {};
}

}  // namespace

Result<void> ApplyToml(const std::string& text, const std::string& source, Config& config) {
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& err) {
        return MakeError(fmt::format("{}:{}:{}: {}", source, err.source().begin.line, err.source().begin.column,
                                     err.description()));
    }
    for (const auto& [section_name, section_node] : root) {
        const toml::table* section = section_node.as_table();
        std::string section_str(section_name.str());
        if (!section) {
            return MakeError(fmt::format("{}: unknown key '{}' (settings live in [server], [devices], [store], [auth], [mail], [notify], [tls] or [web])",
                                         source, section_str));
        }
        for (const auto& [key_name, node] : *section) {
            std::string key_str(key_name.str());
            const Key* key = nullptr;
            for (const auto& k : Keys()) {
                if (section_str == k.section && key_str == k.name) key = &k;
            }
            if (!key) return MakeError(fmt::format("{}: unknown key '{}.{}'", source, section_str, key_str));
            switch (key->kind) {
                case Kind::kString:
                    if (!node.is_string()) return MakeError(fmt::format("{}: {} must be a string", source, KeyName(*key)));
                    config.*key->string_field = *node.value<std::string>();
                    break;
                case Kind::kBool:
                    if (!node.is_boolean()) return MakeError(fmt::format("{}: {} must be true or false", source, KeyName(*key)));
                    config.*key->bool_field = *node.value<bool>();
                    break;
                case Kind::kInt:
                    if (!node.is_integer()) return MakeError(fmt::format("{}: {} must be an integer", source, KeyName(*key)));
                    config.*key->int_field = *node.value<int64_t>();
                    break;
            }
        }
    }
    return {};
}

Result<void> Validate(const Config& c) {
    for (const auto& k : Keys()) {
        if (k.kind != Kind::kInt) continue;
        int64_t v = c.*k.int_field;
        if (v < k.min || v > k.max) {
            return MakeError(fmt::format("{} (--{}) must be between {} and {}, not {}", KeyName(k), k.flag + 2, k.min,
                                         k.max, v));
        }
    }
    static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
    if (std::find(std::begin(kLevels), std::end(kLevels), c.log_level) == std::end(kLevels)) {
        return MakeError("server.log_level must be one of trace, debug, info, warn, error");
    }
    if (c.synchronous != "full" && c.synchronous != "normal") {
        return MakeError("store.synchronous must be \"full\" or \"normal\"");
    }
    if (c.data.empty()) return MakeError("server.data must not be empty");
    if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
        return MakeError("tls.cert_file and tls.key_file go together: give both or neither");
    }
    if (auto origin = http::TileOrigin(c.tile_url); !origin) return origin.error();
    if (c.tile_attribution.size() > 300 ||
        c.tile_attribution.find_first_of("\r\n") != std::string::npos) {
        return MakeError("web.tile_attribution must be one line of at most 300 bytes");
    }
    bool tls = !c.tls_cert_file.empty();
    if (c.http_port != 0 && !tls && !c.behind_tls_proxy && !IsLoopback(c.HttpListen())) {
        return MakeError(fmt::format(
            "refusing to serve the API in clear text on {}: set tls.cert_file and tls.key_file (--tls-cert, "
            "--tls-key), bind the HTTP port to loopback (--http-listen 127.0.0.1), or, only when a proxy in front "
            "terminates TLS, set server.behind_tls_proxy = true",
            c.HttpListen()));
    }
    if (c.mail_from.find('@') == std::string::npos || c.mail_from.find_first_of("<> \t\r\n") != std::string::npos) {
        return MakeError("mail.from must be a bare e-mail address (name@domain)");
    }
    if (c.smtp_host.find_first_of(" \t\r\n/") != std::string::npos) return MakeError("mail.smtp_host must be a host name or address");
    return {};
}

ConfigFlags::ConfigFlags(CLI::App& cmd) : storage_(std::make_shared<std::map<std::string, std::string>>()) {
    cmd.add_option("--config", config_file_, "TOML configuration file (see docs/configuration.md)");
    for (const auto& k : Keys()) {
        std::string key = KeyName(k);
        auto storage = storage_;
        cmd.add_option_function<std::string>(
            k.flag, [storage, key](const std::string& v) { (*storage)[key] = v; },
            fmt::format("{} [{}]", k.help, key))
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
}

Result<Config> ConfigFlags::Resolve() const {
    Config config;
    if (!config_file_.empty()) {
        std::ifstream in(config_file_);
        if (!in) return MakeError("cannot read configuration file " + config_file_);
        std::stringstream text;
        text << in.rdbuf();
        if (auto r = ApplyToml(text.str(), config_file_, config); !r) return r.error();
    }
    for (const auto& k : Keys()) {
        auto it = storage_->find(KeyName(k));
        if (it == storage_->end()) continue;
        if (auto r = SetFromString(k, it->second, config); !r) return r.error();
    }
    if (auto r = Validate(config); !r) return r.error();
    return config;
}

}  // namespace fleet::app
