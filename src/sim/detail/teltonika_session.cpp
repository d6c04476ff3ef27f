// The Teltonika device side (protocols.md section 1): IMEI handshake, Codec 8 Extended packets and
// their 4-byte ACK over TCP (1.1, 1.2), the UDP variant (1.3), and answers to Codec 12 commands
// (1.4).
#include <fmt/format.h>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>

#include "core/bytes.hpp"
#include "protocol/teltonika/teltonika.hpp"
#include "sim/detail/device.hpp"

namespace fleet::sim::detail {
namespace {

namespace teltonika = protocol::teltonika;

constexpr auto kCodec = teltonika::Codec::k8Extended;

// What a simulated FMB answers to a Codec 12 command.
std::string AnswerCommand(std::string_view command, const std::string& imei) {
    while (!command.empty() && (command.back() == '\r' || command.back() == '\n'))
        command.remove_suffix(1);
    if (command == "getver")
        return "Ver:03.28.07_05 GPS:AXN_5.10 Hw:FMB920 Mod:13 IMEI:" + imei +
               " Init:2024-1-1 0:0 Uptime:3600 BL:1.10";
    if (command.starts_with("setdigout ")) {
        std::string_view bits = command.substr(10);
        return fmt::format("DOUT1:{} DOUT2:{}", bits.size() > 0 ? bits[0] : '?',
                           bits.size() > 1 ? bits[1] : '?');
    }
    return fmt::format("Command received: {}", command);
}

// Reads the 4-byte ACK (1.1 step 3) into `ack`. Frames starting with four zero bytes instead are
// Codec 12 commands (an ACK is never 0 here: every packet carries at least one record); each is
// answered and the wait goes on. Error codes as from the socket; message_size for a command frame
// that cannot be one.
asio::awaitable<ErrorCode> ReadAck(Device& dev, uint32_t& ack) {
    for (;;) {
        auto in = dev.inbox();
        if (in.size() >= 4) {
            core::Reader r(in);
            uint32_t first = r.U32();
            if (first != 0) {
                ack = first;
                dev.Consume(4);
                co_return ErrorCode{};
            }
            if (in.size() >= 8) {
                uint32_t length = r.U32();
                if (length > Device::kInboxLimit - 12) co_return asio::error::message_size;
                size_t frame = 8 + static_cast<size_t>(length) + 4;
                if (in.size() >= frame) {
                    auto command = teltonika::DecodeCommand(in.first(frame));
                    dev.Consume(frame);
                    if (!command) {
                        dev.stats().Error("bad command frame: " + command.error().message);
                        continue;
                    }
                    auto answer =
                        teltonika::EncodeCommandResponse(AnswerCommand(*command, dev.imei()));
                    auto [ec, n] =
                        co_await asio::async_write(dev.tcp(), asio::buffer(answer), kToken);
                    if (ec) co_return ec;
                    continue;
                }
            }
        }
        if (auto ec = co_await dev.ReadMore()) co_return ec;
    }
}

}  // namespace

asio::awaitable<Outcome> TeltonikaTcpSession(Device& dev) {
    const Options& o = dev.options();
    Stats& stats = dev.stats();

    // 1.1: the IMEI, answered by one byte: 01 accept, 00 reject.
    auto hello = teltonika::EncodeImei(dev.imei());
    uint8_t answer = 0;
    dev.Arm(o.ack_timeout);
    auto [ec, n] = co_await asio::async_write(dev.tcp(), asio::buffer(hello), kToken);
    if (!ec)
        std::tie(ec, n) = co_await asio::async_read(dev.tcp(), asio::buffer(&answer, 1), kToken);
    dev.Disarm();
    if (dev.stopping()) co_return Outcome::kStopped;
    if (ec) {
        stats.Error("handshake: " + dev.Why(ec));
        co_return Outcome::kFailed;
    }
    if (answer == 0x00) {
        stats.Refused("device refused: unknown or disabled");
        co_return Outcome::kRefused;
    }
    if (answer != 0x01) {
        stats.Error(fmt::format("handshake: answer {:#04x} is neither 00 nor 01", answer));
        co_return Outcome::kFailed;
    }
    dev.Established();
    if (o.idle) co_return co_await dev.Hold();

    Report& c = stats.counters();
    while (co_await dev.WaitForNextPacket()) {
        auto records = dev.TakeSamples();
        auto packet = teltonika::EncodeAvlTcp(kCodec, records);
        const auto sent_at = Clock::now();
        dev.Arm(o.ack_timeout, true);
        std::tie(ec, n) = co_await asio::async_write(dev.tcp(), asio::buffer(packet), kToken);
        if (ec) {
            dev.Disarm();
            if (dev.stopping()) co_return Outcome::kStopped;
            stats.Error("write: " + dev.Why(ec));
            co_return Outcome::kFailed;
        }
        ++c.packets_sent;
        c.records_sent += records.size();
        uint32_t ack = 0;
        ec = co_await ReadAck(dev, ack);
        dev.Disarm();
        if (ec) {
            if (dev.stopping() && !dev.timed_out()) co_return Outcome::kStopped;
            stats.Error("awaiting ack: " + dev.Why(ec));
            co_return Outcome::kFailed;
        }
        stats.latency().Add(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_at));
        c.records_acked += std::min<uint64_t>(ack, records.size());
        if (ack == records.size()) {
            ++c.packets_acked;
        } else {
            // The device would resend; the simulator counts it and goes on with fresh samples.
            stats.Error("wrong ack count");
        }
    }
    co_return Outcome::kStopped;
}

asio::awaitable<Outcome> TeltonikaUdpSession(Device& dev) {
    const Options& o = dev.options();
    Stats& stats = dev.stats();
    Report& c = stats.counters();
    dev.Established();
    uint16_t packet_id = 0;
    uint8_t avl_id = 0;
    uint8_t reply[64];
    while (co_await dev.WaitForNextPacket()) {
        auto records = dev.TakeSamples();
        ++packet_id;
        ++avl_id;
        auto datagram = teltonika::EncodeAvlUdp(kCodec, dev.imei(), packet_id, avl_id, records);
        const auto sent_at = Clock::now();
        dev.Arm(o.ack_timeout, true);
        auto [ec, n] = co_await dev.udp().async_send(asio::buffer(datagram), kToken);
        if (ec) {
            dev.Disarm();
            if (dev.stopping()) co_return Outcome::kStopped;
            stats.Error("send: " + dev.Why(ec));
            co_return Outcome::kFailed;
        }
        ++c.packets_sent;
        c.records_sent += records.size();
        // 1.3: 0005, packet id, 01, AVL packet id, accepted count. Answers to earlier (timed out)
        // packets carry other ids and are skipped.
        uint32_t accepted = 0;
        for (;;) {
            std::tie(ec, n) = co_await dev.udp().async_receive(asio::buffer(reply), kToken);
            if (ec) break;
            core::Reader r(core::Bytes(reply, n));
            uint16_t length = r.U16();
            uint16_t id = r.U16();
            r.Skip(1);
            uint8_t avl = r.U8();
            uint8_t count = r.U8();
            if (r.failed() || length != 5 || n != 7) {
                stats.Error("bad udp ack");
                continue;
            }
            if (id == packet_id && avl == avl_id) {
                accepted = count;
                break;
            }
        }
        dev.Disarm();
        if (ec) {
            if (dev.stopping() && !dev.timed_out()) co_return Outcome::kStopped;
            stats.Error("awaiting ack: " + dev.Why(ec));
            co_return Outcome::kFailed;
        }
        stats.latency().Add(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_at));
        c.records_acked += std::min<uint64_t>(accepted, records.size());
        if (accepted == records.size()) {
            ++c.packets_acked;
        } else {
            stats.Error("wrong ack count");
        }
    }
    co_return Outcome::kStopped;
}

}  // namespace fleet::sim::detail
