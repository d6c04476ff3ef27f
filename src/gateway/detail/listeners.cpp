#include "gateway/detail/listeners.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "protocol/osmand/osmand.hpp"
#include "protocol/teltonika/teltonika.hpp"

namespace fleet::gateway::detail {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// Datagrams being committed at once; beyond this, datagrams are dropped (the device resends them).
constexpr int kMaxUdpInFlight = 4096;

asio::awaitable<void> HandleDatagram(Context& ctx, udp::socket& socket, udp::endpoint sender,
                                     std::vector<uint8_t> datagram, std::shared_ptr<std::atomic<int>> in_flight) {
    struct Done {
        std::atomic<int>& n;
        ~Done() { n.fetch_sub(1); }
    } done{*in_flight};
    auto& m = ctx.metrics.teltonika();
    auto arrived = Clock::now();
    std::string remote = sender.address().to_string() + ":" + std::to_string(sender.port());
    auto decoded = protocol::teltonika::DecodeUdp(datagram);
    m.frames_total.fetch_add(1, std::memory_order_relaxed);
    if (!decoded) {
        m.errors_total.fetch_add(1, std::memory_order_relaxed);
        LogMalformed("teltonika-udp", remote, decoded.error().message, datagram);
        co_return;
    }
    if (decoded->messages.empty()) co_return;
    std::string imei = decoded->messages.front().imei;
    const std::string protocol = "teltonika";
    auto check = co_await CheckDevice(ctx, imei, protocol, remote);
    if (check.admission != Admission::kActive) {
        m.devices_refused_total.fetch_add(1, std::memory_order_relaxed);
        spdlog::info("teltonika-udp: refused device {} from {}", imei, remote);
        co_return;
    }
    std::vector<core::Record> records;
    for (auto& msg : decoded->messages) {
        if (msg.type == core::MessageType::kPosition || msg.type == core::MessageType::kAlarm) {
            records.push_back(std::move(msg.record));
        }
    }
    if (!records.empty()) {
        size_t count = records.size();
        auto batch = MakeBatch(ctx, check.device, "teltonika", records, datagram);
        auto committed = co_await Commit(ctx.committer, batch);
        if (!committed) {
            m.errors_total.fetch_add(1, std::memory_order_relaxed);
            spdlog::error("teltonika-udp: cannot store records of {}: {}", imei, committed.error().message);
            co_return;
        }
        m.records_total.fetch_add(count, std::memory_order_relaxed);
    }
    if (!decoded->reply.empty()) {
        co_await socket.async_send_to(asio::buffer(decoded->reply), sender, kUseTuple);
        m.ack_latency.Observe(Clock::now() - arrived);
    }
}

}  // namespace

asio::awaitable<void> ReceiveTeltonikaUdp(Context& ctx, udp::socket& socket) {
    std::vector<uint8_t> buf(65536);
    auto in_flight = std::make_shared<std::atomic<int>>(0);
    auto& m = ctx.metrics.teltonika();
    for (;;) {
        udp::endpoint sender;
        auto [ec, n] = co_await socket.async_receive_from(asio::buffer(buf), sender, kUseTuple);
        if (ec == asio::error::operation_aborted || !socket.is_open()) co_return;
        if (ec) continue;
        m.bytes_received_total.fetch_add(n, std::memory_order_relaxed);
        if (n > ctx.options.max_frame_bytes) {
            m.errors_total.fetch_add(1, std::memory_order_relaxed);
            LogMalformed("teltonika-udp", sender.address().to_string(), "datagram longer than the limit",
                         core::Bytes(buf.data(), n));
            continue;
        }
        if (in_flight->load() >= kMaxUdpInFlight) continue;
        in_flight->fetch_add(1);
        asio::co_spawn(socket.get_executor(),
                       HandleDatagram(ctx, socket, sender, std::vector<uint8_t>(buf.begin(), buf.begin() + n), in_flight),
                       asio::detached);
    }
}

asio::awaitable<http::Response> HandleOsmAnd(Context& ctx, const http::Request& request) {
    auto& m = ctx.metrics.osmand();
    auto arrived = Clock::now();
    m.bytes_received_total.fetch_add(request.target.size() + request.body.size(), std::memory_order_relaxed);
    std::string raw = request.method + " " + request.target;
    if (!request.body.empty()) raw += "\n" + request.body;
    core::Bytes raw_bytes(reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
    auto decoded = protocol::osmand::DecodeRequest(request.method, request.target, request.content_type, request.body,
                                                   NowMillis());
    m.frames_total.fetch_add(1, std::memory_order_relaxed);
    if (!decoded || decoded->messages.empty()) {
        std::string why = decoded ? "no position in the request" : decoded.error().message;
        m.errors_total.fetch_add(1, std::memory_order_relaxed);
        LogMalformed("osmand", request.remote, why, raw_bytes);
        co_return http::Problem(400, "malformed-position", "Malformed position report", why);
    }
    std::string imei = decoded->messages.front().imei;
    const std::string protocol = "osmand";
    auto check = co_await CheckDevice(ctx, imei, protocol, request.remote);
    if (check.admission != Admission::kActive) {
        m.devices_refused_total.fetch_add(1, std::memory_order_relaxed);
        spdlog::info("osmand: refused device {} from {}", imei, request.remote);
        co_return http::Problem(400, "unknown-device", "Unknown or disabled device",
                                "device " + imei + " is not registered or is disabled");
    }
    std::vector<core::Record> records;
    for (auto& msg : decoded->messages) records.push_back(std::move(msg.record));
    size_t count = records.size();
    auto batch = MakeBatch(ctx, check.device, "osmand", records, raw_bytes);
    auto committed = co_await Commit(ctx.committer, batch);
    if (!committed) {
        m.errors_total.fetch_add(1, std::memory_order_relaxed);
        spdlog::error("osmand: cannot store records of {}: {}", imei, committed.error().message);
        co_return http::Problem(503, "store-unavailable", "Position not stored", "try again later");
    }
    m.records_total.fetch_add(count, std::memory_order_relaxed);
    m.ack_latency.Observe(Clock::now() - arrived);
    co_return http::Response{};
}

}  // namespace fleet::gateway::detail
