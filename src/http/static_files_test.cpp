#include "http/static_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace fleet::http {
namespace {

namespace fs = std::filesystem;

std::string HeaderOf(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
        if (k == name) return v;
    }
    return "";
}

void Write(const fs::path& path, const std::string& body) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << body;
}

Request Get(std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request r;
    r.method = "GET";
    r.target = std::move(target);
    r.headers = std::move(headers);
    return r;
}

// A folder laid out like Vite's output, with a secret beside it that must never be served.
class StaticFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() / ("fleetd-static-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(base_);
        root_ = base_ / "dist";
        Write(root_ / "index.html", "<!doctype html><title>fleetd</title>");
        Write(root_ / "assets" / "index-3f2a.js", "console.log('app')");
        Write(root_ / "assets" / "index-3f2a.js.gz", "GZIPPED");
        Write(root_ / "assets" / "index-3f2a.css", "body{}");
        Write(root_ / "favicon.svg", "<svg/>");
        Write(root_ / ".vite" / "manifest.json", "{}");
        Write(base_ / "secret.txt", "top secret");
        fs::create_symlink(base_ / "secret.txt", root_ / "linked.txt");
        StaticOptions o;
        o.csp = WebAppCsp("https://tile.openstreetmap.org");
        o.config_json = R"({"tile_url":""})";
        auto loaded = StaticFiles::Load(root_, o);
        ASSERT_TRUE(loaded.ok()) << loaded.error().message;
        site_ = std::move(*loaded);
    }
    void TearDown() override { fs::remove_all(base_); }

    fs::path base_;
    fs::path root_;
    std::unique_ptr<StaticFiles> site_;
};

TEST_F(StaticFilesTest, ServesIndexAtTheRootWithoutCaching) {
    Response r = site_->Serve(Get("/"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "<!doctype html><title>fleetd</title>");
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
    EXPECT_EQ(HeaderOf(r, "Content-Security-Policy"),
              "default-src 'self'; img-src 'self' https://tile.openstreetmap.org; frame-ancestors 'none'; "
              "base-uri 'none'; object-src 'none'; form-action 'self'");
    EXPECT_FALSE(HeaderOf(r, "ETag").empty());
}

TEST_F(StaticFilesTest, HashedAssetsAreCachedForAYearWithTheirType) {
    Response js = site_->Serve(Get("/assets/index-3f2a.js"));
    EXPECT_EQ(js.status, 200);
    EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
    EXPECT_EQ(HeaderOf(js, "Cache-Control"), "public, max-age=31536000, immutable");
    Response css = site_->Serve(Get("/assets/index-3f2a.css?v=1"));
    EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
    EXPECT_EQ(css.body, "body{}");
    Response svg = site_->Serve(Get("/favicon.svg"));
    EXPECT_EQ(svg.content_type, "image/svg+xml");
    EXPECT_EQ(HeaderOf(svg, "Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, SendsThePrecompressedTwinOnlyToClientsThatAcceptGzip) {
    Response plain = site_->Serve(Get("/assets/index-3f2a.js"));
    EXPECT_EQ(plain.body, "console.log('app')");
    EXPECT_EQ(HeaderOf(plain, "Content-Encoding"), "");
    EXPECT_EQ(HeaderOf(plain, "Vary"), "Accept-Encoding");
    Response gz = site_->Serve(Get("/assets/index-3f2a.js", {{"Accept-Encoding", "br, gzip, deflate"}}));
    EXPECT_EQ(gz.body, "GZIPPED");
    EXPECT_EQ(HeaderOf(gz, "Content-Encoding"), "gzip");
    EXPECT_EQ(gz.content_type, "text/javascript; charset=utf-8");
    EXPECT_NE(HeaderOf(gz, "ETag"), HeaderOf(plain, "ETag"));
    Response refused = site_->Serve(Get("/assets/index-3f2a.js", {{"Accept-Encoding", "gzip;q=0"}}));
    EXPECT_EQ(refused.body, "console.log('app')");
    EXPECT_EQ(site_->Serve(Get("/assets/index-3f2a.js.gz")).status, 404);  // only as a twin
}

TEST_F(StaticFilesTest, AMatchingETagGetsNotModified) {
    std::string etag = HeaderOf(site_->Serve(Get("/")), "ETag");
    Response r = site_->Serve(Get("/", {{"If-None-Match", "\"other\", " + etag}}));
    EXPECT_EQ(r.status, 304);
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(site_->Serve(Get("/", {{"If-None-Match", "\"other\""}})).status, 200);
}

TEST_F(StaticFilesTest, ApplicationRoutesGetIndexButMissingFilesAndApiPathsDoNot) {
    for (const char* route : {"/map", "/vehicles/12", "/account/", "/signin?next=%2Fmap"}) {
        Response r = site_->Serve(Get(route));
        EXPECT_EQ(r.status, 200) << route;
        EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << route;
    }
    EXPECT_EQ(site_->Serve(Get("/assets/missing-1234.js")).status, 404);
    EXPECT_EQ(site_->Serve(Get("/robots.txt")).status, 404);
    EXPECT_EQ(site_->Serve(Get("/api/v1/unknown")).status, 404);
    EXPECT_EQ(site_->Serve(Get("/api")).status, 404);
}

TEST_F(StaticFilesTest, NoPathReachesOutsideTheFolder) {
    for (const char* target : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2e/secret.txt",
                               "/assets/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt",
                               "/./index.html", "/..", "/..\\secret.txt", "/%5c..%5csecret.txt", "/index.html%00.js",
                               "/%zz", "/%2"}) {
        Response r = site_->Serve(Get(target));
        EXPECT_EQ(r.status, 400) << target;
        EXPECT_EQ(r.body.find("top secret"), std::string::npos) << target;
    }
    // A symlink inside the folder that points out of it was not loaded.
    Response link = site_->Serve(Get("/linked.txt"));
    EXPECT_EQ(link.status, 404);
    EXPECT_EQ(link.body.find("top secret"), std::string::npos);
    // Hidden build files are not served either.
    EXPECT_EQ(site_->Serve(Get("/.vite/manifest.json")).status, 404);
    EXPECT_EQ(site_->file_count(), 4u);  // index, js (+ twin), css, favicon
}

TEST_F(StaticFilesTest, ServesTheRuntimeSettings) {
    Response r = site_->Serve(Get("/config.json"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.body, R"({"tile_url":""})");
    EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
}

TEST(StaticFilesLoadTest, RefusesAFolderWithoutIndexOrOverItsLimits) {
    fs::path dir = fs::temp_directory_path() / ("fleetd-static-load-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    EXPECT_FALSE(StaticFiles::Load(dir, {}).ok());  // missing
    Write(dir / "app.js", "x");
    EXPECT_FALSE(StaticFiles::Load(dir, {}).ok());  // no index.html
    Write(dir / "index.html", "0123456789");
    EXPECT_TRUE(StaticFiles::Load(dir, {}).ok());
    StaticOptions small;
    small.max_total_bytes = 5;
    EXPECT_FALSE(StaticFiles::Load(dir, small).ok());
    StaticOptions few;
    few.max_files = 1;
    EXPECT_FALSE(StaticFiles::Load(dir, few).ok());
    fs::remove_all(dir);
}

TEST(StaticFilesPathTest, DecodesPercentEscapesAndDropsTheQuery) {
    EXPECT_EQ(DecodePath("/a%20b/c.js?x=1#f"), "/a b/c.js");
    EXPECT_EQ(DecodePath("/"), "/");
    EXPECT_EQ(DecodePath("/a..b/c"), "/a..b/c");  // dots inside a name are fine
    EXPECT_FALSE(DecodePath("a/b").has_value());
    EXPECT_FALSE(DecodePath("").has_value());
    EXPECT_FALSE(DecodePath("/a/%2E%2E").has_value());
}

TEST(StaticFilesPathTest, ContentTypesByExtension) {
    EXPECT_EQ(ContentTypeFor("/a/b.JS"), "text/javascript; charset=utf-8");
    EXPECT_EQ(ContentTypeFor("/x.woff2"), "font/woff2");
    EXPECT_EQ(ContentTypeFor("/x.png"), "image/png");
    EXPECT_EQ(ContentTypeFor("/x.webmanifest"), "application/manifest+json");
    EXPECT_EQ(ContentTypeFor("/x.unknown"), "application/octet-stream");
    EXPECT_EQ(ContentTypeFor("/dir.d/file"), "application/octet-stream");
}

TEST(StaticFilesPathTest, AcceptEncoding) {
    EXPECT_TRUE(AcceptsGzip("gzip"));
    EXPECT_TRUE(AcceptsGzip("deflate, GZIP;q=0.5"));
    EXPECT_TRUE(AcceptsGzip("*"));
    EXPECT_FALSE(AcceptsGzip(""));
    EXPECT_FALSE(AcceptsGzip("br, deflate"));
    EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
    EXPECT_FALSE(AcceptsGzip("gzip; q=0.000"));
    EXPECT_FALSE(AcceptsGzip("x-gzip-not"));
}

TEST(StaticFilesCspTest, TileOriginIsExactlyTheTileServer) {
    EXPECT_EQ(*TileOrigin("https://tile.openstreetmap.org/{z}/{x}/{y}.png"), "https://tile.openstreetmap.org");
    EXPECT_EQ(*TileOrigin("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png"), "http://127.0.0.1:8080");
    EXPECT_EQ(*TileOrigin("https://{s}.Tiles.Example.org/{z}/{x}/{y}{r}.png"), "https://*.tiles.example.org");
    EXPECT_EQ(*TileOrigin(""), "");
    EXPECT_FALSE(TileOrigin("https://a.example/{z}/{x}.png").ok());
    EXPECT_FALSE(TileOrigin("javascript:alert(1)//{z}/{x}/{y}").ok());
    EXPECT_FALSE(TileOrigin("https://a.example;script-src */{z}/{x}/{y}").ok());
    EXPECT_FALSE(TileOrigin("https://a.example:99999/{z}/{x}/{y}").ok());
    EXPECT_FALSE(TileOrigin("https://{z}.example/{z}/{x}/{y}").ok());
    EXPECT_FALSE(TileOrigin("https://user@a.example/{z}/{x}/{y}").ok());
    EXPECT_EQ(WebAppCsp("").find("img-src 'self';"), WebAppCsp("").find("img-src"));
    EXPECT_EQ(WebAppCsp("https://t.example").find("unsafe"), std::string::npos);
}

TEST(StaticFilesDirTest, FindsTheBuildBesideTheBinaryThenTheSystemFolder) {
    fs::path base = fs::temp_directory_path() / ("fleetd-webdir-" + std::to_string(::getpid()));
    fs::remove_all(base);
    fs::create_directories(base / "build");
    fs::path system = base / "usr-share";
    EXPECT_FALSE(FindWebDir("auto", base / "build", system).has_value());
    EXPECT_FALSE(FindWebDir("", base / "build", system).has_value());
    EXPECT_EQ(FindWebDir("/srv/web", base / "build", system), fs::path("/srv/web"));
    Write(system / "index.html", "x");
    EXPECT_EQ(FindWebDir("auto", base / "build", system), fs::weakly_canonical(system));
    Write(base / "web" / "dist" / "index.html", "x");
    EXPECT_EQ(FindWebDir("auto", base / "build", system), fs::weakly_canonical(base / "web" / "dist"));
    fs::remove_all(base);
}

}  // namespace
}  // namespace fleet::http
