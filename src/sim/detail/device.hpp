// One simulated device's connection machinery, shared by the protocol loops: its vehicle, its
// socket, a watchdog that enforces deadlines, its packet schedule, its back-off, its inbox of
// received bytes. Private to the sim module. Single-threaded: everything runs on the run's one
// io_context thread.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "sim/route.hpp"
#include "sim/sim.hpp"
#include "sim/stats.hpp"

namespace fleet::sim::detail {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;
constexpr auto kToken = asio::as_tuple(asio::use_awaitable);

// What every device of one run shares. Owned by Run(); outlives the devices.
struct RunContext {
    RunContext(const Options& o, asio::ip::tcp::endpoint ep);

    // The wall-clock time of steady time `t` (sample times follow the steady clock, reported as
    // UTC).
    core::TimePoint WallTime(Clock::time_point t) const;

    const Options& options;
    asio::ip::tcp::endpoint endpoint;
    std::string host_header;  // "host:port" for HTTP
    City city;
    Stats stats;
    Clock::time_point start;
    core::TimePoint wall_start;
    int live = 0;  // device coroutines not yet finished (Run counts them in, Live out)
};

// How one connection ended.
enum class Outcome {
    kStopped,    // the run is ending
    kRefused,    // the server refused the device: retry after kRefusedBackoff
    kFailed,     // an error (counted where it happened): retry after the exponential back-off
    kReconnect,  // the server ended the connection in an orderly way: reconnect now
};

class Device {
public:
    static constexpr std::chrono::seconds kRefusedBackoff{5};
    static constexpr size_t kInboxLimit = 16 * 1024;

    // `number` is the device's position in this run (0-based); its IMEI and vehicle follow from
    // options.first_imei_index + number, so a device drives the same way whatever the device count.
    Device(asio::io_context& io, RunContext& run, uint64_t number);

    // The device's whole life: connect, run the protocol, reconnect, until ForceStop or the end of
    // BeginStop. Counts every problem in the run's Stats; never throws.
    asio::awaitable<void> Live();
    // The end, phase 1: send nothing new, end sleeps and idle connections now; a packet in flight
    // may still get its acknowledgement. Phase 2: close everything now.
    void BeginStop();
    void ForceStop();

    // For the protocol loops.
    RunContext& run() { return run_; }
    const Options& options() const { return run_.options; }
    Stats& stats() { return run_.stats; }
    const std::string& imei() const { return imei_; }
    Vehicle& vehicle() { return vehicle_; }
    asio::ip::tcp::socket& tcp() { return tcp_; }
    asio::ip::udp::socket& udp() { return udp_; }
    bool stopping() const { return stopping_; }

    // Operations the watchdog bounds: Arm before, Disarm after. When the deadline passes, the
    // socket is closed (the operation completes with an error) and timed_out() is true until the
    // next Arm. `in_flight` marks a packet awaiting its ACK, which BeginStop lets finish.
    void Arm(std::chrono::milliseconds timeout, bool in_flight = false);
    void Disarm();
    bool timed_out() const { return timed_out_; }

    // Marks the handshake done (counted in Stats; the packet schedule starts now) and its end.
    void Established();
    // Sleeps until the next packet is due; false when the run is ending.
    asio::awaitable<bool> WaitForNextPacket();
    // Advances the vehicle and returns the packet's records_per_packet samples, oldest first, with
    // the event of each sample in events().
    std::span<core::Record> TakeSamples();
    std::span<const Event> events() const { return events_; }

    // Received bytes not yet consumed, and a read that appends to them (error when the inbox is
    // full).
    std::span<const uint8_t> inbox() const { return {inbox_.data(), inbox_len_}; }
    asio::awaitable<ErrorCode> ReadMore();
    void Consume(size_t n);

    // After a handshake in idle mode: reads and drops what the server sends until it closes the
    // connection (counted as an error) or the run ends.
    asio::awaitable<Outcome> Hold();

    // A short description of a failed operation: "timeout" or the error's message.
    std::string Why(const ErrorCode& ec) const;

private:
    asio::awaitable<bool> Connect();
    asio::awaitable<bool> SleepFor(Clock::duration d);
    asio::awaitable<void> Watchdog();
    void CloseSocket();

    RunContext& run_;
    std::string imei_;
    uint64_t number_;
    Vehicle vehicle_;
    Rng rng_;
    asio::ip::tcp::socket tcp_;
    asio::ip::udp::socket udp_;
    asio::steady_timer sleep_;
    asio::steady_timer watchdog_;

    bool stopping_ = false;
    bool finished_ = false;
    bool established_ = false;
    bool in_flight_ = false;
    bool armed_ = false;
    bool timed_out_ = false;
    Clock::time_point deadline_{};
    std::chrono::milliseconds backoff_{0};

    bool scheduled_ = false;
    Clock::time_point last_sample_{};  // steady time of the newest sample taken
    std::vector<core::Record> records_;
    std::vector<Event> events_;

    std::vector<uint8_t> inbox_;
    size_t inbox_len_ = 0;
};

// The value of fixed-size IO element `id` in `r`, 0 when absent.
uint64_t IoValue(const core::Record& r, uint16_t id);

// The protocol loops: handshake, then packets until the connection fails or the run ends. Each runs
// on a connected socket (Device::tcp(), or udp() for Teltonika UDP) and counts what it does.
asio::awaitable<Outcome> TeltonikaTcpSession(Device& dev);
asio::awaitable<Outcome> TeltonikaUdpSession(Device& dev);
asio::awaitable<Outcome> Gt06Session(Device& dev);
asio::awaitable<Outcome> OsmAndSession(Device& dev);

}  // namespace fleet::sim::detail
