#include "api/detail/webhook.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/json/parse.hpp>

#include "api/detail/notifier.hpp"
#include "core/time.hpp"

namespace fleet::api::detail {
namespace {

using namespace std::chrono_literals;

bool Private(const char* address) { return IsPrivateAddress(boost::asio::ip::make_address(address)); }

TEST(WebhookTest, UrlsAreAbsoluteHttpOrHttpsWithAHostAndNoCredentials) {
    auto u = ParseWebhookUrl("https://hooks.example.com:8443/in/fleetd?token=a%20b");
    ASSERT_TRUE(u.ok()) << u.error().message;
    EXPECT_TRUE(u->https);
    EXPECT_EQ(u->host, "hooks.example.com");
    EXPECT_EQ(u->port, "8443");
    EXPECT_EQ(u->authority, "hooks.example.com:8443");
    EXPECT_EQ(u->target, "/in/fleetd?token=a%20b");
    auto plain = ParseWebhookUrl("http://[::1]/");
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(plain->host, "::1");
    EXPECT_EQ(plain->port, "80");
    EXPECT_EQ(ParseWebhookUrl("http://127.0.0.1")->target, "/");
    for (const char* bad : {"ftp://x.example/", "/relative", "https://user:pw@x.example/", "https://x.example/#frag",
                            "https:///nohost", "javascript:alert(1)", "http://x.example:0/", "file:///etc/passwd"}) {
        EXPECT_FALSE(ParseWebhookUrl(bad).ok()) << bad;
    }
    EXPECT_FALSE(ParseWebhookUrl("https://x.example/" + std::string(kMaxWebhookUrlBytes, 'a')).ok());
}

TEST(WebhookTest, PrivateAndLoopbackAddressesAreToldApart) {
    for (const char* a : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
                          "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1",
                          "fd00::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1"}) {
        EXPECT_TRUE(Private(a)) << a;
    }
    for (const char* a : {"8.8.8.8", "172.32.0.1", "193.0.14.129", "2001:4860:4860::8888", "::ffff:8.8.8.8"}) {
        EXPECT_FALSE(Private(a)) << a;
    }
    EXPECT_NE(RefusedLiteral(*ParseWebhookUrl("http://169.254.169.254/latest"), false), "");
    EXPECT_EQ(RefusedLiteral(*ParseWebhookUrl("http://169.254.169.254/latest"), true), "");
    EXPECT_EQ(RefusedLiteral(*ParseWebhookUrl("https://localhost/"), false), "");  // a name: checked when resolved
}

TEST(WebhookTest, TheSignatureIsHmacSha256OfTimestampDotBody) {
    // Computed independently: python3 -c "import hmac,hashlib; print(hmac.new(b'whsec_test',
    // b'1767225600.{\"id\":1}', hashlib.sha256).hexdigest())"
    EXPECT_EQ(WebhookSignature("whsec_test", "1767225600", R"({"id":1})"),
              "sha256=c288d7ec0b1747de22e35fbdbabba9772c8e0d64b7db67e546bc92b86c005ab8");
    EXPECT_NE(WebhookSignature("whsec_test", "1767225601", R"({"id":1})"),
              WebhookSignature("whsec_test", "1767225600", R"({"id":1})"));
}

TEST(WebhookTest, AResolvedPrivateHostIsRefusedWithoutConnecting) {
    boost::asio::io_context io;
    WebhookCall call;
    call.url = "http://localhost:9/";
    WebhookReply reply;
    boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> { reply = co_await PostWebhook(call); },
                          boost::asio::detached);
    io.run();
    EXPECT_FALSE(reply.ok);
    EXPECT_NE(reply.error.find("private or loopback"), std::string::npos) << reply.error;
}

TEST(NotifierTest, RetriesBackOffThenGiveUp) {
    core::TimePoint now = *core::ParseIso("2026-03-01T00:00:00Z");
    EXPECT_EQ(RetryAt(1, now, 30s), now + 30s);
    EXPECT_EQ(RetryAt(2, now, 30s), now + 2min);
    EXPECT_EQ(RetryAt(3, now, 30s), now + 10min);
    EXPECT_EQ(RetryAt(4, now, 30s), now + 1h);
    EXPECT_EQ(RetryAt(5, now, 30s), now + 6h);
    EXPECT_EQ(RetryAt(kMaxWebhookAttempts, now, 30s), std::nullopt);
}

TEST(NotifierTest, EventsAreValidJsonWhateverTheirNamesAndDetail) {
    store::Notification n;
    n.id = 3;
    n.channel = "web";
    n.recipient = "user:1";
    n.status = "sent";
    n.event.id = 9;
    n.event.type = "overspeed";
    n.event.time = *core::ParseIso("2026-03-01T08:00:00Z");
    n.event.vehicle_id = 4;
    n.event.vehicle_name = "<script>\"x\"\n</script>";
    n.event.driver_id = 5;
    n.event.driver_name = "Ünïcødé \\ 🚚";
    n.event.lat = 48.5;
    n.event.detail_json = "{not json";
    auto v = boost::json::parse(NotificationJson(n));
    EXPECT_EQ(v.at("event").at("vehicle").at("name").as_string(), "<script>\"x\"\n</script>");
    EXPECT_EQ(v.at("event").at("driver").at("name").as_string(), "Ünïcødé \\ 🚚");
    EXPECT_TRUE(v.at("event").at("detail").as_object().empty());
    EXPECT_TRUE(v.at("event").at("lon").is_null());
    n.event.detail_json = R"({"speed_kmh":97.5})";
    EXPECT_EQ(boost::json::parse(EventJson(n.event)).at("detail").at("speed_kmh").as_double(), 97.5);
}

TEST(NotifierTest, TheMailNamesTheVehicleTheEventAndTheLocalTime) {
    store::Notification n;
    n.event.id = 9;
    n.event.type = "harsh_braking";
    n.event.time = *core::ParseIso("2026-07-01T21:30:00Z");
    n.event.vehicle_id = 4;
    n.event.vehicle_name = "Van 1";
    n.event.plate = "AB-123-CD";
    n.event.lat = 48.85;
    n.event.lon = 2.35;
    auto m = NotificationMail(n, "ann@acme.example", "Europe/Paris", n.event.time);
    EXPECT_EQ(m.kind, "notification");
    EXPECT_EQ(m.recipient, "ann@acme.example");
    EXPECT_EQ(m.subject, "[fleetd] Harsh braking: Van 1 (AB-123-CD)");
    EXPECT_NE(m.body.find("2026-07-01 23:30:00 CEST (Europe/Paris)"), std::string::npos) << m.body;
    EXPECT_NE(m.body.find("48.85000, 2.35000"), std::string::npos) << m.body;
}

}  // namespace
}  // namespace fleet::api::detail
