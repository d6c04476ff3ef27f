#include "sim/sim.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.hpp"
#include "protocol/gt06/gt06.hpp"
#include "protocol/osmand/osmand.hpp"
#include "protocol/teltonika/teltonika.hpp"

namespace fleet::sim {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace std::chrono_literals;
constexpr auto kToken = asio::as_tuple(asio::use_awaitable);
namespace teltonika = protocol::teltonika;
namespace gt06 = protocol::gt06;
namespace osmand = protocol::osmand;

bool LuhnValid(const std::string& digits) {
    int sum = 0;
    for (size_t k = 0; k < digits.size(); ++k) {
        int d = digits[digits.size() - 1 - k] - '0';
        if (k % 2 == 1) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
    }
    return sum % 10 == 0;
}

TEST(ImeiForTest, FifteenDigitsWithAValidLuhnDigit) {
    std::set<std::string> seen;
    for (uint64_t i : {0ULL, 1ULL, 2ULL, 9ULL, 10ULL, 12345ULL, 999999999999ULL}) {
        std::string imei = ImeiFor(i);
        ASSERT_EQ(imei.size(), 15u) << imei;
        EXPECT_TRUE(
            std::all_of(imei.begin(), imei.end(), [](char c) { return c >= '0' && c <= '9'; }));
        EXPECT_TRUE(imei.starts_with("35"));
        EXPECT_TRUE(LuhnValid(imei)) << imei;
        seen.insert(imei);
    }
    EXPECT_EQ(seen.size(), 7u);
    EXPECT_EQ(ImeiFor(12345), ImeiFor(12345));
    // Worked by hand: doubling every other digit from the right of 35000000000000 gives 3 + (1+0)
    // = 4.
    EXPECT_EQ(ImeiFor(0), "350000000000006");
}

TEST(ProtocolTest, ParsesWhatItPrints) {
    for (Protocol p : {Protocol::kTeltonika, Protocol::kGt06, Protocol::kOsmAnd}) {
        auto parsed = ParseProtocol(ProtocolName(p));
        ASSERT_TRUE(parsed.ok());
        EXPECT_EQ(*parsed, p);
    }
    EXPECT_FALSE(ParseProtocol("h02").ok());
}

TEST(RunTest, RejectsInvalidOptions) {
    Options o;
    o.duration = 100ms;
    EXPECT_FALSE(sim::Run(o).ok());  // no port
    o.port = 5027;
    o.records_per_packet = 256;
    EXPECT_FALSE(sim::Run(o).ok());
    o.records_per_packet = 1;
    o.protocol = Protocol::kGt06;
    o.udp = true;
    EXPECT_FALSE(sim::Run(o).ok());
    o.protocol = Protocol::kTeltonika;
    o.idle = true;
    EXPECT_FALSE(sim::Run(o).ok());
    o.idle = false;
    o.udp = false;
    o.devices = 0;
    EXPECT_FALSE(sim::Run(o).ok());
    o.devices = 1;
    o.duration = 0ms;  // and no stop flag: it would never end
    EXPECT_FALSE(sim::Run(o).ok());
}

// A server on 127.0.0.1, port 0, running `serve` for every accepted connection on its own thread.
class FakeTcpServer {
public:
    using Serve = std::function<asio::awaitable<void>(tcp::socket)>;
    explicit FakeTcpServer(Serve serve)
        : serve_(std::move(serve)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
        asio::co_spawn(io_, Accept(), asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~FakeTcpServer() {
        io_.stop();
        thread_.join();
    }
    uint16_t port() const { return acceptor_.local_endpoint().port(); }

private:
    asio::awaitable<void> Accept() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(kToken);
            if (ec) co_return;
            asio::co_spawn(io_, serve_(std::move(socket)), asio::detached);
        }
    }
    Serve serve_;
    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::thread thread_;
};

struct Seen {
    std::atomic<uint64_t> records{0};
    std::atomic<uint64_t> bad_frames{0};
    std::atomic<uint64_t> connections{0};
    std::atomic<uint64_t> command_answers{0};
    std::mutex mu;
    std::set<std::string> imeis;
    void AddImei(const std::string& imei) {
        std::lock_guard lock(mu);
        imeis.insert(imei);
    }
};

enum class AckMode { kRight, kWrong, kRefuse, kNever, kCommandFirst };

// The server side of Teltonika TCP (protocols.md 1.1), checking every packet with the real decoder.
asio::awaitable<void> ServeTeltonika(tcp::socket s, Seen& seen, AckMode mode) {
    ++seen.connections;
    uint8_t length[2];
    auto [ec, n] = co_await asio::async_read(s, asio::buffer(length), kToken);
    if (ec) co_return;
    std::vector<uint8_t> imei(static_cast<size_t>(length[0] << 8 | length[1]));
    std::tie(ec, n) = co_await asio::async_read(s, asio::buffer(imei), kToken);
    if (ec) co_return;
    seen.AddImei(std::string(imei.begin(), imei.end()));
    uint8_t answer = mode == AckMode::kRefuse ? 0x00 : 0x01;
    std::tie(ec, n) = co_await asio::async_write(s, asio::buffer(&answer, 1), kToken);
    if (ec || mode == AckMode::kRefuse) co_return;
    for (;;) {
        std::vector<uint8_t> frame(8);
        std::tie(ec, n) = co_await asio::async_read(s, asio::buffer(frame), kToken);
        if (ec) co_return;
        size_t data = static_cast<size_t>(frame[4]) << 24 | static_cast<size_t>(frame[5]) << 16 |
                      frame[6] << 8 | frame[7];
        frame.resize(8 + data + 4);
        std::tie(ec, n) =
            co_await asio::async_read(s, asio::buffer(frame.data() + 8, data + 4), kToken);
        if (ec) co_return;
        auto decoded = teltonika::DecodeTcp(frame);
        if (!decoded) {
            ++seen.bad_frames;
            co_return;
        }
        uint32_t count = static_cast<uint32_t>(decoded->messages.size());
        seen.records += count;
        if (mode == AckMode::kNever) continue;
        if (mode == AckMode::kCommandFirst) {
            // 1.4: a Codec 12 command where the device awaits its ACK; the answer comes first.
            mode = AckMode::kRight;
            auto command = teltonika::EncodeCommand("getver");
            std::tie(ec, n) = co_await asio::async_write(s, asio::buffer(command), kToken);
            std::vector<uint8_t> answer(8);
            if (!ec) std::tie(ec, n) = co_await asio::async_read(s, asio::buffer(answer), kToken);
            if (ec) co_return;
            answer.resize(8 + (static_cast<size_t>(answer[6]) << 8 | answer[7]) + 4);
            std::tie(ec, n) = co_await asio::async_read(
                s, asio::buffer(answer.data() + 8, answer.size() - 8), kToken);
            if (ec) co_return;
            auto response = teltonika::DecodeTcp(answer);
            if (response && response->messages.size() == 1 &&
                response->messages[0].type == core::MessageType::kCommandResponse &&
                response->messages[0].text.starts_with("Ver:")) {
                ++seen.command_answers;
            }
        }
        std::vector<uint8_t> ack;
        core::PutU32(ack, mode == AckMode::kWrong ? count + 1 : count);
        std::tie(ec, n) = co_await asio::async_write(s, asio::buffer(ack), kToken);
        if (ec) co_return;
    }
}

Options FastOptions(uint16_t port, Protocol protocol) {
    Options o;
    o.port = port;
    o.protocol = protocol;
    o.devices = 3;
    o.interval = 100ms;
    o.duration = 800ms;
    o.records_per_packet = 5;
    o.ramp_up_ms = 100;
    o.ack_timeout = 2000ms;
    return o;
}

TEST(RunTest, TeltonikaRecordsAreAllAcknowledged) {
    Seen seen;
    FakeTcpServer server(
        [&seen](tcp::socket s) { return ServeTeltonika(std::move(s), seen, AckMode::kRight); });
    auto report = sim::Run(FastOptions(server.port(), Protocol::kTeltonika));
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_GT(report->records_sent, 30u);
    EXPECT_EQ(report->records_sent % 5, 0u);
    EXPECT_EQ(report->records_acked, report->records_sent);
    EXPECT_EQ(report->packets_acked, report->packets_sent);
    EXPECT_EQ(report->errors, 0u) << report->ToText();
    EXPECT_EQ(report->connections_established, 3u);
    EXPECT_EQ(report->connections_open, 3u);
    EXPECT_GT(report->latency_max_ms, 0);
    EXPECT_EQ(seen.records.load(), report->records_sent);
    EXPECT_EQ(seen.bad_frames.load(), 0u);
    EXPECT_EQ(seen.imeis, (std::set<std::string>{ImeiFor(0), ImeiFor(1), ImeiFor(2)}));
}

TEST(RunTest, WrongAckCountIsAnError) {
    Seen seen;
    FakeTcpServer server(
        [&seen](tcp::socket s) { return ServeTeltonika(std::move(s), seen, AckMode::kWrong); });
    auto report = sim::Run(FastOptions(server.port(), Protocol::kTeltonika));
    ASSERT_TRUE(report.ok());
    EXPECT_GT(report->packets_sent, 0u);
    EXPECT_EQ(report->packets_acked, 0u);
    EXPECT_EQ(report->errors, report->packets_sent);
    ASSERT_FALSE(report->error_kinds.empty());
    EXPECT_EQ(report->error_kinds[0].first, "wrong ack count");
}

TEST(RunTest, AnswersServerCommandsWhileAwaitingTheAck) {
    Seen seen;
    FakeTcpServer server([&seen](tcp::socket s) {
        return ServeTeltonika(std::move(s), seen, AckMode::kCommandFirst);
    });
    auto report = sim::Run(FastOptions(server.port(), Protocol::kTeltonika));
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(seen.command_answers.load(), 3u);
    EXPECT_EQ(report->records_acked, report->records_sent);
    EXPECT_EQ(report->errors, 0u) << report->ToText();
}

TEST(RunTest, RefusedDeviceBacksOff) {
    Seen seen;
    FakeTcpServer server(
        [&seen](tcp::socket s) { return ServeTeltonika(std::move(s), seen, AckMode::kRefuse); });
    auto report = sim::Run(FastOptions(server.port(), Protocol::kTeltonika));
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->refused, 3u);  // once each: the retry waits 5 s, after the run's end
    EXPECT_EQ(seen.connections.load(), 3u);
    EXPECT_EQ(report->packets_sent, 0u);
    EXPECT_EQ(report->connections_established, 0u);
    ASSERT_EQ(report->error_kinds.size(), 1u);
    EXPECT_EQ(report->error_kinds[0].first, "device refused: unknown or disabled");
}

TEST(RunTest, MissingAckTimesOut) {
    Seen seen;
    FakeTcpServer server(
        [&seen](tcp::socket s) { return ServeTeltonika(std::move(s), seen, AckMode::kNever); });
    Options o = FastOptions(server.port(), Protocol::kTeltonika);
    o.devices = 1;
    o.ack_timeout = 200ms;
    auto report = sim::Run(o);
    ASSERT_TRUE(report.ok());
    EXPECT_GE(report->errors, 1u);
    EXPECT_EQ(report->packets_acked, 0u);
    EXPECT_EQ(report->error_kinds[0].first, "awaiting ack: timeout");
}

TEST(RunTest, StopFlagEndsAnOpenEndedRun) {
    Seen seen;
    FakeTcpServer server(
        [&seen](tcp::socket s) { return ServeTeltonika(std::move(s), seen, AckMode::kRight); });
    Options o = FastOptions(server.port(), Protocol::kTeltonika);
    o.duration = 0ms;
    std::atomic<bool> stop{false};
    std::thread stopper([&stop] {
        std::this_thread::sleep_for(400ms);
        stop = true;
    });
    auto t0 = std::chrono::steady_clock::now();
    auto report = sim::Run(o, &stop);
    stopper.join();
    ASSERT_TRUE(report.ok());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
    EXPECT_GT(report->records_acked, 0u);
    EXPECT_EQ(report->records_acked, report->records_sent);
}

TEST(RunTest, IdleDevicesHoldTheirConnections) {
    Seen seen;
    FakeTcpServer server(
        [&seen](tcp::socket s) { return ServeTeltonika(std::move(s), seen, AckMode::kRight); });
    Options o = FastOptions(server.port(), Protocol::kTeltonika);
    o.devices = 50;
    o.idle = true;
    auto report = sim::Run(o);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->connections_open, 50u);
    EXPECT_EQ(report->connections_peak, 50u);
    EXPECT_EQ(report->packets_sent, 0u);
    EXPECT_EQ(report->errors, 0u);
    EXPECT_EQ(seen.imeis.size(), 50u);
}

TEST(RunTest, CountsConnectFailures) {
    uint16_t port = 0;
    {
        asio::io_context io;
        tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
        port = probe.local_endpoint().port();
    }  // closed: nothing listens there now
    Options o = FastOptions(port, Protocol::kTeltonika);
    o.devices = 2;
    o.duration = 300ms;
    auto report = sim::Run(o);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->connect_failures, 2u);
    EXPECT_EQ(report->packets_sent, 0u);
}

// The server side of GT06 (protocols.md section 2), answering with the real decoder's reply.
asio::awaitable<void> ServeGt06(tcp::socket s, Seen& seen) {
    std::vector<uint8_t> buf;
    uint8_t chunk[4096];
    for (;;) {
        auto [ec, n] = co_await s.async_read_some(asio::buffer(chunk), kToken);
        if (ec) co_return;
        buf.insert(buf.end(), chunk, chunk + n);
        for (;;) {
            auto scan = gt06::Scan(buf, 1024);
            if (scan.status == core::FrameScan::Status::kError) {
                ++seen.bad_frames;
                co_return;
            }
            if (scan.status == core::FrameScan::Status::kNeedMore) break;
            auto decoded = gt06::Decode(core::Bytes(buf).first(scan.length));
            buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(scan.length));
            if (!decoded) {
                ++seen.bad_frames;
                co_return;
            }
            for (const auto& m : decoded->messages) {
                if (m.type == core::MessageType::kLogin) seen.AddImei(m.imei);
                if (m.type == core::MessageType::kPosition || m.type == core::MessageType::kAlarm)
                    ++seen.records;
            }
            std::tie(ec, n) = co_await asio::async_write(s, asio::buffer(decoded->reply), kToken);
            if (ec) co_return;
        }
    }
}

TEST(RunTest, Gt06LocationsAreAllAcknowledged) {
    Seen seen;
    FakeTcpServer server([&seen](tcp::socket s) { return ServeGt06(std::move(s), seen); });
    auto report = sim::Run(FastOptions(server.port(), Protocol::kGt06));
    ASSERT_TRUE(report.ok());
    EXPECT_GT(report->records_sent, 30u);
    EXPECT_EQ(report->records_acked, report->records_sent);
    EXPECT_EQ(report->packets_acked, report->packets_sent);
    EXPECT_GT(report->packets_sent, report->records_sent);  // a heartbeat per connection
    EXPECT_EQ(report->errors, 0u) << report->ToText();
    EXPECT_EQ(seen.records.load(), report->records_sent);
    EXPECT_EQ(seen.bad_frames.load(), 0u);
    EXPECT_EQ(seen.imeis.size(), 3u);
}

// The server side of OsmAnd over HTTP/1.1 keep-alive (protocols.md section 3): 200, or 400 for
// devices it does not know.
asio::awaitable<void> ServeOsmAnd(tcp::socket s, Seen& seen, bool refuse) {
    std::string buf;
    for (;;) {
        auto [ec, n] =
            co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n\r\n", kToken);
        if (ec) co_return;
        std::string head = buf.substr(0, n);
        buf.erase(0, n);
        std::string target = head.substr(4, head.find(' ', 4) - 4);
        auto decoded = osmand::DecodeRequest("GET", target, "", "", core::TimePoint{});
        if (!decoded) {
            ++seen.bad_frames;
            co_return;
        }
        seen.AddImei(decoded->messages.at(0).imei);
        ++seen.records;
        std::string response = refuse
                                   ? "HTTP/1.1 400 Bad Request\r\nContent-Length: 7\r\n\r\nunknown"
                                   : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        std::tie(ec, n) = co_await asio::async_write(s, asio::buffer(response), kToken);
        if (ec) co_return;
    }
}

TEST(RunTest, OsmAndRequestsAreAllAnswered) {
    Seen seen;
    FakeTcpServer server([&seen](tcp::socket s) { return ServeOsmAnd(std::move(s), seen, false); });
    auto report = sim::Run(FastOptions(server.port(), Protocol::kOsmAnd));
    ASSERT_TRUE(report.ok());
    EXPECT_GT(report->records_sent, 30u);
    EXPECT_EQ(report->records_acked, report->records_sent);
    EXPECT_EQ(report->errors, 0u) << report->ToText();
    EXPECT_EQ(seen.records.load(), report->records_sent);
    EXPECT_EQ(seen.bad_frames.load(), 0u);
    EXPECT_EQ(seen.imeis.size(), 3u);
}

TEST(RunTest, OsmAndBadRequestIsARefusal) {
    Seen seen;
    FakeTcpServer server([&seen](tcp::socket s) { return ServeOsmAnd(std::move(s), seen, true); });
    auto report = sim::Run(FastOptions(server.port(), Protocol::kOsmAnd));
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->refused, 3u);
    EXPECT_EQ(report->records_acked, 0u);
}

// The server side of Teltonika UDP (protocols.md 1.3), on its own thread.
class FakeUdpServer {
public:
    explicit FakeUdpServer(Seen& seen)
        : seen_(seen), socket_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
        asio::co_spawn(io_, Serve(), asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~FakeUdpServer() {
        io_.stop();
        thread_.join();
    }
    uint16_t port() const { return socket_.local_endpoint().port(); }

private:
    asio::awaitable<void> Serve() {
        std::vector<uint8_t> datagram(65536);
        udp::endpoint from;
        for (;;) {
            auto [ec, n] =
                co_await socket_.async_receive_from(asio::buffer(datagram), from, kToken);
            if (ec) co_return;
            auto decoded = teltonika::DecodeUdp(core::Bytes(datagram).first(n));
            if (!decoded) {
                ++seen_.bad_frames;
                continue;
            }
            seen_.records += decoded->messages.size();
            seen_.AddImei(decoded->messages.at(0).imei);
            std::tie(ec, n) =
                co_await socket_.async_send_to(asio::buffer(decoded->reply), from, kToken);
        }
    }
    Seen& seen_;
    asio::io_context io_;
    udp::socket socket_;
    std::thread thread_;
};

TEST(RunTest, TeltonikaUdpPacketsAreAllAcknowledged) {
    Seen seen;
    FakeUdpServer server(seen);
    Options o = FastOptions(server.port(), Protocol::kTeltonika);
    o.udp = true;
    auto report = sim::Run(o);
    ASSERT_TRUE(report.ok());
    EXPECT_GT(report->records_sent, 30u);
    EXPECT_EQ(report->records_acked, report->records_sent);
    EXPECT_EQ(report->errors, 0u) << report->ToText();
    EXPECT_EQ(seen.records.load(), report->records_sent);
    EXPECT_EQ(seen.imeis.size(), 3u);
    EXPECT_EQ(report->protocol, "teltonika-udp");
}

}  // namespace
}  // namespace fleet::sim
