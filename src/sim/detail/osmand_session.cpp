// The OsmAnd / Traccar Client device side (protocols.md section 3): one HTTP/1.1 keep-alive GET per
// record, "/?id=...&lat=...", answered 200 (accepted) or 400 (unknown device). A minimal client: it
// reads the status line and the headers, and skips a Content-Length body.
#include <fmt/format.h>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>

#include "protocol/osmand/osmand.hpp"
#include "sim/detail/device.hpp"

namespace fleet::sim::detail {
namespace {

namespace osmand = protocol::osmand;

struct Response {
    int status = 0;
    size_t header_length = 0;  // bytes up to and including the blank line
    size_t body_length = 0;
    bool close = false;  // "Connection: close"
};

bool IEquals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Parses a response head ending at the first blank line of `in`; nullopt while it is incomplete.
std::optional<Result<Response>> ParseHead(std::string_view in) {
    size_t end = in.find("\r\n\r\n");
    if (end == std::string_view::npos) return std::nullopt;
    Response r;
    r.header_length = end + 4;
    std::string_view head = in.substr(0, end);
    size_t eol = head.find("\r\n");
    std::string_view status_line = head.substr(0, eol);
    // "HTTP/1.1 200 OK"
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ') {
        return Result<Response>(MakeError("bad HTTP status line"));
    }
    auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, r.status);
    if (ec != std::errc{}) return Result<Response>(MakeError("bad HTTP status line"));
    r.close = status_line.starts_with("HTTP/1.0");
    while (eol != std::string_view::npos) {
        head.remove_prefix(eol + 2);
        eol = head.find("\r\n");
        std::string_view line = head.substr(0, eol);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view name = Trim(line.substr(0, colon));
        std::string_view value = Trim(line.substr(colon + 1));
        if (IEquals(name, "content-length")) {
            auto [q, cec] =
                std::from_chars(value.data(), value.data() + value.size(), r.body_length);
            if (cec != std::errc{} || q != value.data() + value.size()) {
                return Result<Response>(MakeError("bad Content-Length"));
            }
        } else if (IEquals(name, "transfer-encoding")) {
            return Result<Response>(MakeError("chunked HTTP responses are not supported"));
        } else if (IEquals(name, "connection")) {
            r.close = IEquals(value, "close");
        }
    }
    return Result<Response>(r);
}

// Reads one whole response (head and body) and consumes it from the inbox.
asio::awaitable<ErrorCode> ReadResponse(Device& dev, Result<Response>& response) {
    for (;;) {
        auto in = dev.inbox();
        auto head =
            ParseHead(std::string_view(reinterpret_cast<const char*>(in.data()), in.size()));
        if (head && !*head) {
            response = std::move(*head);
            co_return ErrorCode{};
        }
        if (head && (*head)->header_length + (*head)->body_length > Device::kInboxLimit) {
            response = MakeError("HTTP response too large");
            co_return ErrorCode{};
        }
        if (head && in.size() >= (*head)->header_length + (*head)->body_length) {
            response = std::move(*head);
            dev.Consume(response->header_length + response->body_length);
            co_return ErrorCode{};
        }
        if (auto ec = co_await dev.ReadMore()) co_return ec;
    }
}

// The attributes a vehicle's Traccar-compatible tracker adds to its query, from the sample's IO
// values.
void SetOsmAndAttributes(core::Record& r) {
    uint64_t badge = IoValue(r, Vehicle::kIoIButton);
    r.attributes.clear();
    r.attributes.push_back({"ignition", IoValue(r, Vehicle::kIoIgnition) != 0});
    r.attributes.push_back({"odometer_m", static_cast<int64_t>(IoValue(r, Vehicle::kIoOdometer))});
    if (badge != 0) r.attributes.push_back({"driver_id", fmt::format("{:016X}", badge)});
}

}  // namespace

asio::awaitable<Outcome> OsmAndSession(Device& dev) {
    const Options& o = dev.options();
    Stats& stats = dev.stats();
    Report& c = stats.counters();
    // HTTP has no handshake: the connection is the device's as soon as it is open.
    dev.Established();
    if (o.idle) co_return co_await dev.Hold();

    std::string request;
    Result<Response> response = MakeError("no response");
    while (co_await dev.WaitForNextPacket()) {
        for (auto& record : dev.TakeSamples()) {
            if (dev.stopping()) co_return Outcome::kStopped;
            SetOsmAndAttributes(record);
            request = "GET /?";
            request += osmand::EncodeQuery(dev.imei(), record);
            request += " HTTP/1.1\r\nHost: ";
            request += dev.run().host_header;
            request += "\r\nUser-Agent: fleetd-simulate\r\n\r\n";
            const auto sent_at = Clock::now();
            dev.Arm(o.ack_timeout, true);
            auto [ec, n] = co_await asio::async_write(dev.tcp(), asio::buffer(request), kToken);
            if (!ec) {
                ++c.packets_sent;
                ++c.records_sent;
                ec = co_await ReadResponse(dev, response);
            }
            dev.Disarm();
            if (ec) {
                if (dev.stopping() && !dev.timed_out()) co_return Outcome::kStopped;
                stats.Error("http: " + dev.Why(ec));
                co_return Outcome::kFailed;
            }
            if (!response) {
                stats.Error("http: " + response.error().message);
                co_return Outcome::kFailed;
            }
            stats.latency().Add(
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_at));
            if (response->status == 400) {
                stats.Refused("device refused: unknown or disabled (HTTP 400)");
                co_return Outcome::kRefused;
            }
            if (response->status != 200) {
                stats.Error(fmt::format("http: status {}", response->status));
            } else {
                ++c.packets_acked;
                ++c.records_acked;
            }
            if (response->close) co_return Outcome::kReconnect;
        }
    }
    co_return Outcome::kStopped;
}

}  // namespace fleet::sim::detail
