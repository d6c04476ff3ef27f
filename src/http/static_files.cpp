#include "http/static_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

namespace fleet::http {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";

int HexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A strong ETag from the content (FNV-1a, 64 bits): it changes when the file does.
std::string Etag(std::string_view body, std::string_view suffix) {
    uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : body) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return fmt::format("\"{:016x}{}\"", h, suffix);
}

bool EtagMatches(std::string_view if_none_match, std::string_view etag) {
    if (if_none_match.empty()) return false;
    size_t pos = 0;
    while (pos <= if_none_match.size()) {
        size_t comma = if_none_match.find(',', pos);
        std::string_view tag = if_none_match.substr(pos, comma == std::string_view::npos ? std::string_view::npos
                                                                                        : comma - pos);
        while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
        while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
        if (tag.rfind("W/", 0) == 0) tag.remove_prefix(2);  // weak comparison (RFC 9110 13.1.2)
        if (tag == "*" || tag == etag) return true;
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return false;
}

Result<std::string> ReadWhole(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return MakeError("cannot read " + path.string());
    std::stringstream s;
    s << in.rdbuf();
    if (in.bad()) return MakeError("cannot read " + path.string());
    return s.str();
}

bool Hidden(const fs::path& relative) {
    return std::any_of(relative.begin(), relative.end(),
                       [](const fs::path& part) { return part.native().size() > 1 && part.native()[0] == '.'; });
}

bool EndsWith(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Host names and ports only: nothing that could end a CSP source or smuggle another one in.
bool PlainAuthority(std::string_view a) {
    if (a.empty()) return false;
    size_t colon = a.find(':');
    std::string_view host = a.substr(0, colon);
    if (host.empty() || host.front() == '.' || host.front() == '-') return false;
    for (char c : host) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
    }
    if (colon != std::string_view::npos) {
        std::string_view port = a.substr(colon + 1);
        if (port.empty() || port.size() > 5) return false;
        int value = 0;
        for (char c : port) {
            if (!std::isdigit(static_cast<unsigned char>(c))) return false;
            value = value * 10 + (c - '0');
        }
        if (value < 1 || value > 65535) return false;
    }
    return true;
}

}  // namespace

std::optional<std::string> DecodePath(std::string_view target) {
    std::string_view raw = target.substr(0, target.find_first_of("?#"));
    if (raw.empty() || raw.front() != '/') return std::nullopt;
    std::string out;
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%') {
            if (i + 2 >= raw.size()) return std::nullopt;
            int hi = HexDigit(raw[i + 1]);
            int lo = HexDigit(raw[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0' || c == '\\') return std::nullopt;
        out.push_back(c);
    }
    // Segments are checked after decoding, so "%2e%2e" is refused like "..".
    size_t start = 1;
    while (start <= out.size()) {
        size_t slash = out.find('/', start);
        std::string_view seg = std::string_view(out).substr(
            start, slash == std::string::npos ? std::string::npos : slash - start);
        if (seg == "." || seg == "..") return std::nullopt;
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return out;
}

std::string_view ContentTypeFor(std::string_view path) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 19> kTypes = {{
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".ico", "image/x-icon"},
        {".woff", "font/woff"},
        {".woff2", "font/woff2"},
        {".ttf", "font/ttf"},
        {".txt", "text/plain; charset=utf-8"},
        {".wasm", "application/wasm"},
    }};
    size_t slash = path.rfind('/');
    size_t dot = path.rfind('.');
    if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
        return "application/octet-stream";
    }
    std::string ext(path.substr(dot));
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const auto& [e, type] : kTypes) {
        if (e == ext) return type;
    }
    return "application/octet-stream";
}

bool AcceptsGzip(std::string_view header) {
    size_t pos = 0;
    while (pos < header.size()) {
        size_t comma = header.find(',', pos);
        std::string item(header.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
        pos = comma == std::string_view::npos ? header.size() : comma + 1;
        std::transform(item.begin(), item.end(), item.begin(), [](unsigned char c) { return std::tolower(c); });
        item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
        std::string_view v = item;
        std::string_view coding = v.substr(0, v.find(';'));
        if (coding != "gzip" && coding != "*") continue;
        size_t q = v.find(";q=");
        if (q == std::string_view::npos) return true;
        std::string_view qv = v.substr(q + 3);
        // q=0, q=0.0, q=0.00, q=0.000 refuse; any other value accepts.
        bool zero = !qv.empty() && qv.front() == '0' &&
                    std::all_of(qv.begin() + 1, qv.end(), [](char c) { return c == '.' || c == '0'; });
        return !zero;
    }
    return false;
}

Result<std::string> TileOrigin(std::string_view url) {
    if (url.empty()) return std::string();
    std::string_view scheme;
    if (url.rfind("https://", 0) == 0) {
        scheme = "https://";
    } else if (url.rfind("http://", 0) == 0) {
        scheme = "http://";
    } else {
        return MakeError("web.tile_url must start with https:// or http://");
    }
    std::string_view rest = url.substr(scheme.size());
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return MakeError("web.tile_url has no path with {z}, {x} and {y}");
    std::string authority(rest.substr(0, slash));
    std::string_view path = rest.substr(slash);
    for (char c : url) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\'' || c == ';' || c == ',' || c == '<' || c == '>' ||
            c == '\\') {
            return MakeError("web.tile_url contains a character that has no place in a URL");
        }
    }
    for (std::string_view part : {"{z}", "{x}", "{y}"}) {
        if (path.find(part) == std::string_view::npos) return MakeError("web.tile_url needs {z}, {x} and {y}");
    }
    bool any_subdomain = authority.rfind("{s}.", 0) == 0;
    std::string host = any_subdomain ? authority.substr(4) : authority;
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!PlainAuthority(host)) return MakeError("web.tile_url must name a plain host (and port)");
    return std::string(scheme) + (any_subdomain ? "*." : "") + host;
}

std::string WebAppCsp(std::string_view tile_origin) {
    std::string img = tile_origin.empty() ? "'self'" : fmt::format("'self' {}", tile_origin);
    return fmt::format(
        "default-src 'self'; img-src {}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; "
        "form-action 'self'",
        img);
}

std::optional<fs::path> FindWebDir(std::string_view setting, const fs::path& exe_dir, const fs::path& system_dir) {
    if (setting.empty()) return std::nullopt;
    if (setting != "auto") return fs::path(setting);
    std::error_code ec;
    for (const fs::path& dir : {exe_dir / ".." / "web" / "dist", system_dir}) {
        if (fs::is_regular_file(dir / "index.html", ec)) return fs::weakly_canonical(dir, ec);
    }
    return std::nullopt;
}

Result<std::unique_ptr<StaticFiles>> StaticFiles::Load(const fs::path& root_in, StaticOptions options) {
    std::error_code ec;
    fs::path root = fs::canonical(root_in, ec);
    if (ec || !fs::is_directory(root, ec)) return MakeError("web folder " + root_in.string() + " does not exist");
    std::string prefix = root.string() + "/";
    std::unique_ptr<StaticFiles> site(new StaticFiles());
    std::vector<std::pair<std::string, std::string>> gz;  // URL path of the twin, body
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        fs::path relative = it->path().lexically_relative(root);
        if (Hidden(relative)) {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file(ec)) continue;
        // A symlink may point anywhere: keep the file only if its real path is inside the folder.
        fs::path real = fs::canonical(it->path(), ec);
        if (ec || real.string().rfind(prefix, 0) != 0) {
            ec.clear();
            continue;
        }
        if (site->files_.size() + gz.size() >= options.max_files) {
            return MakeError(fmt::format("web folder {} has more than {} files", root.string(), options.max_files));
        }
        auto body = ReadWhole(real);
        if (!body) return body.error();
        site->total_bytes_ += body->size();
        if (site->total_bytes_ > options.max_total_bytes) {
            return MakeError(fmt::format("web folder {} holds more than {} bytes", root.string(),
                                         options.max_total_bytes));
        }
        std::string url = "/" + relative.generic_string();
        if (EndsWith(url, ".gz")) {
            gz.emplace_back(std::move(url), std::move(*body));
            continue;
        }
        File f;
        f.content_type = std::string(ContentTypeFor(url));
        f.etag = Etag(*body, "");
        f.immutable = url.rfind("/assets/", 0) == 0;  // Vite names these by their content hash
        f.body = std::move(*body);
        site->files_.emplace(std::move(url), std::move(f));
    }
    if (ec) return MakeError(fmt::format("cannot list web folder {}: {}", root.string(), ec.message()));
    for (auto& [url, body] : gz) {
        auto base = site->files_.find(url.substr(0, url.size() - 3));
        if (base != site->files_.end()) {
            base->second.gzip = std::move(body);
            continue;
        }
        File f;  // a .gz without its original is just a file
        f.content_type = "application/gzip";
        f.etag = Etag(body, "");
        f.immutable = url.rfind("/assets/", 0) == 0;
        f.body = std::move(body);
        site->files_.emplace(url, std::move(f));
    }
    if (!site->files_.count("/index.html")) return MakeError("web folder " + root.string() + " has no index.html");
    site->options_ = std::move(options);
    return site;
}

Response StaticFiles::Answer(const Request& request, const File& file, int status) const {
    Response r;
    r.status = status;
    r.content_type = file.content_type;
    r.headers.emplace_back("Content-Security-Policy", options_.csp);
    r.headers.emplace_back("Cache-Control", std::string(file.immutable ? kImmutable : kRevalidate));
    bool gzip = !file.gzip.empty() && AcceptsGzip(request.Header("Accept-Encoding"));
    if (!file.gzip.empty()) r.headers.emplace_back("Vary", "Accept-Encoding");
    std::string etag = gzip ? file.etag.substr(0, file.etag.size() - 1) + "-gz\"" : file.etag;
    r.headers.emplace_back("ETag", etag);
    if (EtagMatches(request.Header("If-None-Match"), etag)) {
        r.status = 304;
        return r;
    }
    if (gzip) {
        r.headers.emplace_back("Content-Encoding", "gzip");
        r.body = file.gzip;
    } else {
        r.body = file.body;
    }
    return r;
}

Response StaticFiles::Serve(const Request& request) const {
    auto path = DecodePath(request.target);
    if (!path) {
        Response r = Problem(400, "invalid-path", "Invalid path", "the path is malformed or leaves its folder");
        r.headers.emplace_back("Content-Security-Policy", options_.csp);
        return r;
    }
    if (*path == "/config.json") {
        Response r{200, "application/json", options_.config_json, {}, {}};
        r.headers.emplace_back("Content-Security-Policy", options_.csp);
        r.headers.emplace_back("Cache-Control", std::string(kRevalidate));
        return r;
    }
    if (*path == "/") *path = "/index.html";
    bool api = *path == "/api" || path->rfind("/api/", 0) == 0;  // never the application's page
    if (auto it = files_.find(*path); it != files_.end()) return Answer(request, it->second, 200);
    std::string_view last = std::string_view(*path).substr(path->rfind('/') + 1);
    if (!api && last.find('.') == std::string_view::npos) return Answer(request, files_.at("/index.html"), 200);
    Response r = Problem(404, "not-found", "Not found", "no file at " + *path);
    r.headers.emplace_back("Content-Security-Policy", options_.csp);
    return r;
}

}  // namespace fleet::http
