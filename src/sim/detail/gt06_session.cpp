// The GT06 device side (protocols.md section 2): login (2.3), then location packets 0x12 (2.4), an
// alarm 0x16 (2.6) for ignition changes and harsh braking, and a status heartbeat 0x13 (2.5) every
// three minutes; every one of them answered by the server with the same protocol number and serial.
#include <boost/asio/write.hpp>

#include <algorithm>

#include "core/bytes.hpp"
#include "protocol/gt06/gt06.hpp"
#include "sim/detail/device.hpp"

namespace fleet::sim::detail {
namespace {

namespace gt06 = protocol::gt06;

constexpr uint8_t kLogin = 0x01;
constexpr uint8_t kLocation = 0x12;
constexpr uint8_t kStatus = 0x13;
constexpr uint8_t kAlarm = 0x16;
constexpr uint8_t kCommand = 0x80;
constexpr std::chrono::minutes kHeartbeatEvery{3};

// 2.6 alarm byte for a vehicle event.
uint8_t AlarmCode(Event e) {
    switch (e) {
        case Event::kIgnitionOn: return 0xFE;
        case Event::kIgnitionOff: return 0xFF;
        case Event::kHarshBrake: return 0x30;
        case Event::kNone: break;
    }
    return 0;
}

// The attributes the GT06 encoders read (gt06.hpp): cell, status bits, levels.
void SetGt06Attributes(core::Record& r, const Vehicle& v) {
    Vehicle::Cell cell = v.ServingCell();
    bool ignition = IoValue(r, Vehicle::kIoIgnition) != 0;
    r.attributes.clear();
    r.attributes.push_back({"ignition", ignition});
    r.attributes.push_back({"charging", true});
    r.attributes.push_back({"gps_tracking", true});
    r.attributes.push_back({"battery_level", int64_t{6}});
    r.attributes.push_back({"gsm_signal", int64_t{std::min(v.gsm_level(), 4)}});
    r.attributes.push_back({"mcc", int64_t{cell.mcc}});
    r.attributes.push_back({"mnc", int64_t{cell.mnc}});
    r.attributes.push_back({"lac", int64_t{cell.lac}});
    r.attributes.push_back({"cell_id", int64_t{cell.cell_id}});
}

struct Reply {
    uint8_t protocol = 0;
    uint16_t serial = 0;
};

// Checks one server frame (2.1): CRC-ITU over length..serial, and reads its protocol number and
// serial.
Result<Reply> ParseReply(core::Bytes frame) {
    const bool extended = frame[0] == 0x79;
    const size_t header = extended ? 4 : 3;
    if (frame.size() < header + 1 + 2 + 2 + 2) return MakeError("reply too short");
    const size_t crc_at = frame.size() - 4;
    core::Reader crc(frame.subspan(crc_at, 2));
    if (crc.U16() != core::Crc16X25(frame.subspan(2, crc_at - 2)))
        return MakeError("reply with a bad CRC");
    core::Reader serial(frame.subspan(crc_at - 2, 2));
    return Reply{frame[header], serial.U16()};
}

// Reads the next server frame other than a command (protocol 0x80, which a simulated device
// ignores: the GT06 command reply carries free text the server cannot check anyway).
asio::awaitable<ErrorCode> ReadReply(Device& dev, Result<Reply>& reply) {
    for (;;) {
        auto scan = gt06::Scan(dev.inbox(), Device::kInboxLimit);
        if (scan.status == core::FrameScan::Status::kError) {
            reply = MakeError("unframed reply: " + scan.error);
            co_return ErrorCode{};
        }
        if (scan.status == core::FrameScan::Status::kFrame) {
            reply = ParseReply(dev.inbox().subspan(scan.skip, scan.length - scan.skip));
            dev.Consume(scan.length);
            if (reply && reply->protocol == kCommand) continue;
            co_return ErrorCode{};
        }
        if (auto ec = co_await dev.ReadMore()) co_return ec;
    }
}

}  // namespace

asio::awaitable<Outcome> Gt06Session(Device& dev) {
    const Options& o = dev.options();
    Stats& stats = dev.stats();
    uint16_t serial = 1;  // 2.1: starts at 1 after boot, +1 per packet
    auto next_serial = [&serial] {
        uint16_t s = serial++;
        if (serial == 0) serial = 1;
        return s;
    };

    // 2.3: login, answered by 0x01 with the same serial. A server that does not know the device
    // closes.
    uint16_t login_serial = next_serial();
    auto login = gt06::EncodeLogin(dev.imei(), login_serial);
    Result<Reply> reply = MakeError("no reply");
    dev.Arm(o.ack_timeout);
    auto [ec, n] = co_await asio::async_write(dev.tcp(), asio::buffer(login), kToken);
    if (!ec) ec = co_await ReadReply(dev, reply);
    dev.Disarm();
    if (dev.stopping()) co_return Outcome::kStopped;
    if (ec == asio::error::eof || ec == asio::error::connection_reset) {
        stats.Refused("device refused: login closed by the server");
        co_return Outcome::kRefused;
    }
    if (ec) {
        stats.Error("login: " + dev.Why(ec));
        co_return Outcome::kFailed;
    }
    if (!reply || reply->protocol != kLogin || reply->serial != login_serial) {
        stats.Error(reply ? "login: reply with another protocol or serial"
                          : "login: " + reply.error().message);
        co_return Outcome::kFailed;
    }
    dev.Established();
    if (o.idle) co_return co_await dev.Hold();

    Report& c = stats.counters();
    std::vector<uint8_t> out;
    std::vector<Reply> expected;
    std::optional<Clock::time_point> last_heartbeat;
    while (co_await dev.WaitForNextPacket()) {
        auto records = dev.TakeSamples();
        auto events = dev.events();
        out.clear();
        expected.clear();
        for (size_t j = 0; j < records.size(); ++j) {
            SetGt06Attributes(records[j], dev.vehicle());
            uint16_t s = next_serial();
            auto frame = events[j] == Event::kNone
                             ? gt06::EncodeLocation(records[j], s)
                             : gt06::EncodeAlarm(records[j], AlarmCode(events[j]), s);
            out.insert(out.end(), frame.begin(), frame.end());
            expected.push_back({events[j] == Event::kNone ? kLocation : kAlarm, s});
        }
        const auto now = Clock::now();
        if (!last_heartbeat || now - *last_heartbeat >= kHeartbeatEvery) {
            last_heartbeat = now;
            const Vehicle& v = dev.vehicle();
            // 2.5 terminal info: GPS tracking, charging, ACC.
            uint8_t info = 0x40 | 0x04 | (v.ignition() ? 0x02 : 0x00);
            uint16_t s = next_serial();
            auto frame =
                gt06::EncodeHeartbeat(info, 6, static_cast<uint8_t>(std::min(v.gsm_level(), 4)), s);
            out.insert(out.end(), frame.begin(), frame.end());
            expected.push_back({kStatus, s});
        }

        const auto sent_at = Clock::now();
        dev.Arm(o.ack_timeout, true);
        std::tie(ec, n) = co_await asio::async_write(dev.tcp(), asio::buffer(out), kToken);
        if (ec) {
            dev.Disarm();
            if (dev.stopping()) co_return Outcome::kStopped;
            stats.Error("write: " + dev.Why(ec));
            co_return Outcome::kFailed;
        }
        c.packets_sent += expected.size();
        c.records_sent += records.size();
        for (const Reply& want : expected) {
            ec = co_await ReadReply(dev, reply);
            if (ec) break;
            if (!reply || reply->protocol != want.protocol || reply->serial != want.serial) {
                dev.Disarm();
                stats.Error(reply ? "reply with another protocol or serial"
                                  : reply.error().message);
                co_return Outcome::kFailed;  // the stream is out of step: start again
            }
            stats.latency().Add(
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_at));
            ++c.packets_acked;
            if (want.protocol != kStatus) ++c.records_acked;
        }
        dev.Disarm();
        if (ec) {
            if (dev.stopping() && !dev.timed_out()) co_return Outcome::kStopped;
            stats.Error("awaiting reply: " + dev.Why(ec));
            co_return Outcome::kFailed;
        }
    }
    co_return Outcome::kStopped;
}

}  // namespace fleet::sim::detail
