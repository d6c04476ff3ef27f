// The web application's files (Vite's web/dist), served from memory on the platform's HTTP port.
//
// Every file is read once, at start-up: no file I/O ever runs on a network thread, and a request can
// only name a file that was loaded, so no path it sends can reach outside the folder. Loading itself
// canonicalises each file (symlinks resolved) and keeps only those inside the folder; hidden files
// and folders (".vite/") are skipped.
//
// Answers GET and HEAD: the file with its content type and an ETag (If-None-Match gives 304);
// hashed build output under /assets/ is cached for a year (immutable), everything else is
// revalidated (no-cache) so a new release is picked up at the next load. When the build left a
// pre-compressed twin "<file>.gz" and the client accepts gzip, the twin is sent. A path that names
// no file and whose last segment has no dot is one of the application's own routes (/map,
// /vehicles/12) and gets index.html; /config.json is the runtime settings given at load.
// Every answer carries the application's Content-Security-Policy.
// Thread-safety: immutable after Load; Serve may run on any thread at once.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"
#include "http/http_server.hpp"

namespace fleet::http {

struct StaticOptions {
    std::string csp;          // Content-Security-Policy of every answer (see WebAppCsp)
    std::string config_json;  // the body of /config.json
    size_t max_total_bytes = size_t{64} << 20;  // a bound on what is held in memory
    size_t max_files = 10000;
};

class StaticFiles {
public:
    // Reads every regular file under `root`. Error when the folder or its index.html is missing,
    // a file cannot be read, or the limits are exceeded.
    static Result<std::unique_ptr<StaticFiles>> Load(const std::filesystem::path& root, StaticOptions options);

    // The answer to a GET or HEAD of `request.target` (the caller answers other methods).
    Response Serve(const Request& request) const;

    size_t file_count() const { return files_.size(); }
    size_t total_bytes() const { return total_bytes_; }

private:
    struct File {
        std::string body;
        std::string gzip;  // the pre-compressed twin, or empty
        std::string content_type;
        std::string etag;
        bool immutable = false;
    };
    StaticFiles() = default;
    Response Answer(const Request& request, const File& file, int status) const;

    std::unordered_map<std::string, File> files_;  // by URL path: "/index.html", "/assets/x.js"
    StaticOptions options_;
    size_t total_bytes_ = 0;
};

// The path of a request target, percent-decoded, without its query: "/a%20b?x" -> "/a b".
// nullopt for a malformed escape, a NUL or backslash, a "." or ".." segment (in any encoding), or a
// target that does not start with "/".
std::optional<std::string> DecodePath(std::string_view target);

// The Content-Type for a file name, from its extension (application/octet-stream when unknown).
std::string_view ContentTypeFor(std::string_view path);

// True when an Accept-Encoding header accepts gzip (listed, and not with q=0).
bool AcceptsGzip(std::string_view accept_encoding);

// The origin of a map tile URL template, for the CSP's img-src: "https://tile.openstreetmap.org"
// for "https://tile.openstreetmap.org/{z}/{x}/{y}.png"; a "{s}." first label (tile servers a, b, c)
// becomes "*.". "" for an empty template (no tiles). Error for anything but http(s) with a plain
// host name and port, a template without {z}, {x} and {y}, or characters that have no place in a URL.
Result<std::string> TileOrigin(std::string_view tile_url);

// The web application's Content-Security-Policy: the API's policy, plus images from `tile_origin`.
std::string WebAppCsp(std::string_view tile_origin);

// Where the web application is, from the server.web_dir setting: "" disables it (nullopt); "auto"
// takes the first of <exe_dir>/../web/dist and `system_dir` that holds an index.html (nullopt when
// neither does); anything else is the folder itself, checked by Load.
std::optional<std::filesystem::path> FindWebDir(std::string_view setting, const std::filesystem::path& exe_dir,
                                                const std::filesystem::path& system_dir);

}  // namespace fleet::http
