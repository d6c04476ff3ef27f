#include "app/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace fleet::app {
namespace {

std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(ConfigTest, ExampleFileHasEveryKeyAtItsDefault) {
    std::string text = ReadFile(std::string(FLEETD_SOURCE_DIR) + "/docs/fleetd.example.toml");
    ASSERT_FALSE(text.empty());
    Config parsed;
    parsed.data = "changed";  // every key must be set by the file
    parsed.http_port = 1;
    parsed.auto_register = true;
    parsed.synchronous = "normal";
    parsed.idle_timeout_s = 5;
    parsed.lockout_failures = 1;
    parsed.argon2_memory_kib = 8;
    parsed.address_attempts_per_minute = 1;
    parsed.smtp_host = "changed";
    parsed.smtp_port = 2525;
    parsed.mail_from = "changed@example.com";
    parsed.allow_private_webhooks = true;
    parsed.retry_base_seconds = 1;
    parsed.pipeline_enabled = false;
    parsed.pipeline_workers = 7;
    parsed.web_dir = "changed";
    parsed.tile_url = "changed";
    parsed.tile_attribution = "changed";
    auto r = ApplyToml(text, "fleetd.example.toml", parsed);
    ASSERT_TRUE(r.ok()) << r.error().message;
    Config defaults;
    EXPECT_EQ(parsed.data, defaults.data);
    EXPECT_EQ(parsed.http_port, defaults.http_port);
    EXPECT_EQ(parsed.auto_register, defaults.auto_register);
    EXPECT_EQ(parsed.synchronous, defaults.synchronous);
    EXPECT_EQ(parsed.idle_timeout_s, defaults.idle_timeout_s);
    EXPECT_EQ(parsed.lockout_failures, defaults.lockout_failures);
    EXPECT_EQ(parsed.argon2_memory_kib, defaults.argon2_memory_kib);
    EXPECT_EQ(parsed.address_attempts_per_minute, defaults.address_attempts_per_minute);
    EXPECT_EQ(parsed.smtp_host, defaults.smtp_host);
    EXPECT_EQ(parsed.smtp_port, defaults.smtp_port);
    EXPECT_EQ(parsed.mail_from, defaults.mail_from);
    EXPECT_EQ(parsed.allow_private_webhooks, defaults.allow_private_webhooks);
    EXPECT_EQ(parsed.retry_base_seconds, defaults.retry_base_seconds);
    EXPECT_EQ(parsed.pipeline_enabled, defaults.pipeline_enabled);
    EXPECT_EQ(parsed.pipeline_workers, defaults.pipeline_workers);
    EXPECT_EQ(parsed.web_dir, defaults.web_dir);
    EXPECT_EQ(parsed.tile_url, defaults.tile_url);
    EXPECT_EQ(parsed.tile_attribution, defaults.tile_attribution);
    EXPECT_TRUE(Validate(parsed).ok());
}

TEST(ConfigTest, RefusesUnknownKeysAndWrongTypes) {
    Config c;
    EXPECT_FALSE(ApplyToml("[devices]\nteltonika_prot = 1\n", "t", c).ok());
    EXPECT_FALSE(ApplyToml("[nowhere]\nx = 1\n", "t", c).ok());
    EXPECT_FALSE(ApplyToml("data = \"x\"\n", "t", c).ok());
    EXPECT_FALSE(ApplyToml("[server]\nhttp_port = \"80\"\n", "t", c).ok());
    EXPECT_FALSE(ApplyToml("[server\n", "t", c).ok());
}

TEST(ConfigTest, ValidatesRanges) {
    Config c;
    EXPECT_TRUE(Validate(c).ok());
    c.gt06_port = 70000;
    EXPECT_FALSE(Validate(c).ok());
    c = Config{};
    c.log_level = "loud";
    EXPECT_FALSE(Validate(c).ok());
    c = Config{};
    c.max_frame_bytes = 10;
    EXPECT_FALSE(Validate(c).ok());
    c = Config{};
    c.mail_from = "Fleet <fleet@example.com>";  // a bare address only: it goes into SMTP commands
    EXPECT_FALSE(Validate(c).ok());
    c = Config{};
    c.smtp_port = 0;
    EXPECT_FALSE(Validate(c).ok());
}

TEST(ConfigTest, RefusesTileUrlsThatCannotBeAllowedByTheCsp) {
    Config c;
    c.tile_url = "";  // no tiles: allowed
    EXPECT_TRUE(Validate(c).ok());
    c.tile_url = "https://{s}.tile.example.org/{z}/{x}/{y}.png";
    EXPECT_TRUE(Validate(c).ok());
    for (const char* bad : {"ftp://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org/{z}/{x}.png",
                            "https://tiles.example.org; script-src *;/{z}/{x}/{y}.png",
                            "https://evil.example 'unsafe-inline'/{z}/{x}/{y}.png", "https:///{z}/{x}/{y}"}) {
        c.tile_url = bad;
        EXPECT_FALSE(Validate(c).ok()) << bad;
    }
    c = Config{};
    c.tile_attribution = "two\nlines";
    EXPECT_FALSE(Validate(c).ok());
}

}  // namespace
}  // namespace fleet::app
