#include "sim/detail/device.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <cstring>
#include <exception>

namespace fleet::sim::detail {

RunContext::RunContext(const Options& o, asio::ip::tcp::endpoint ep)
    : options(o),
      endpoint(ep),
      host_header(o.host + ":" + std::to_string(o.port)),
      city(o.seed),
      start(Clock::now()),
      wall_start(std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now())) {}

core::TimePoint RunContext::WallTime(Clock::time_point t) const {
    return wall_start + std::chrono::duration_cast<core::Millis>(t - start);
}

Device::Device(asio::io_context& io, RunContext& run, uint64_t number)
    : run_(run),
      imei_(ImeiFor(run.options.first_imei_index + number)),
      number_(number),
      vehicle_(run.city, run.options.seed, run.options.first_imei_index + number),
      rng_(run.options.seed ^ (run.options.first_imei_index + number) * 0x9E3779B97F4A7C15ULL),
      tcp_(io),
      udp_(io),
      sleep_(io),
      watchdog_(io) {}

asio::awaitable<void> Device::Live() {
    asio::co_spawn(co_await asio::this_coro::executor, Watchdog(), asio::detached);
    try {
        const Options& o = run_.options;
        auto ramp =
            std::chrono::milliseconds(static_cast<int64_t>(o.ramp_up_ms) *
                                      static_cast<int64_t>(number_) / std::max(o.devices, 1));
        bool go = co_await SleepFor(ramp);
        while (go && !stopping_) {
            Outcome outcome = Outcome::kFailed;
            if (co_await Connect()) {
                switch (o.protocol) {
                    case Protocol::kTeltonika:
                        // Not one co_await of a conditional expression: g++ 12 destroys that
                        // temporary awaitable twice.
                        if (o.udp) {
                            outcome = co_await TeltonikaUdpSession(*this);
                        } else {
                            outcome = co_await TeltonikaTcpSession(*this);
                        }
                        break;
                    case Protocol::kGt06: outcome = co_await Gt06Session(*this); break;
                    case Protocol::kOsmAnd: outcome = co_await OsmAndSession(*this); break;
                }
            }
            CloseSocket();
            if (stopping_) break;
            switch (outcome) {
                case Outcome::kStopped: go = false; break;
                case Outcome::kReconnect: break;
                case Outcome::kRefused: go = co_await SleepFor(kRefusedBackoff); break;
                case Outcome::kFailed:
                    // 1 s doubling to 30 s, ±20 %, so that a fleet that lost its server does not
                    // come back in lockstep.
                    backoff_ = std::clamp(backoff_ * 2, std::chrono::milliseconds(1000),
                                          std::chrono::milliseconds(30000));
                    go = co_await SleepFor(std::chrono::duration_cast<std::chrono::milliseconds>(
                        backoff_ * rng_.Uniform(0.8, 1.2)));
                    break;
            }
        }
    } catch (const std::exception& e) {
        run_.stats.Error(std::string("internal error: ") + e.what());
    }
    CloseSocket();
    finished_ = true;
    watchdog_.cancel();
    --run_.live;
}

void Device::BeginStop() {
    stopping_ = true;
    sleep_.cancel();
    if (!in_flight_) CloseSocket();
}

void Device::ForceStop() {
    stopping_ = true;
    sleep_.cancel();
    CloseSocket();
}

asio::awaitable<bool> Device::Connect() {
    Arm(run_.options.ack_timeout);
    ErrorCode ec;
    if (run_.options.protocol == Protocol::kTeltonika && run_.options.udp) {
        // A connected UDP socket: sends go to the server, only its datagrams are received.
        asio::ip::udp::endpoint ep(run_.endpoint.address(), run_.endpoint.port());
        udp_.open(ep.protocol(), ec);
        if (!ec) udp_.connect(ep, ec);
    } else {
        std::tie(ec) = co_await tcp_.async_connect(run_.endpoint, kToken);
        if (!ec) tcp_.set_option(asio::ip::tcp::no_delay(true), ec);
    }
    Disarm();
    if (ec) {
        if (!stopping_) run_.stats.ConnectFailure("connect: " + Why(ec));
        co_return false;
    }
    inbox_len_ = 0;
    co_return true;
}

asio::awaitable<bool> Device::SleepFor(Clock::duration d) {
    if (stopping_) co_return false;
    if (d > Clock::duration::zero()) {
        sleep_.expires_after(d);
        co_await sleep_.async_wait(kToken);
    }
    co_return !stopping_;
}

// Wakes at the armed deadline, or every ack_timeout while nothing is armed: any deadline armed
// later lies at least ack_timeout ahead, so it is never missed, and an idle device costs one
// wake-up per ack_timeout.
asio::awaitable<void> Device::Watchdog() {
    while (!finished_) {
        watchdog_.expires_at(armed_ ? deadline_ : Clock::now() + run_.options.ack_timeout);
        co_await watchdog_.async_wait(kToken);
        if (finished_) break;
        if (armed_ && deadline_ <= Clock::now()) {
            timed_out_ = true;
            armed_ = false;
            CloseSocket();
        }
    }
}

void Device::Arm(std::chrono::milliseconds timeout, bool in_flight) {
    armed_ = true;
    timed_out_ = false;
    in_flight_ = in_flight;
    deadline_ = Clock::now() + timeout;
}

void Device::Disarm() {
    armed_ = false;
    in_flight_ = false;
}

void Device::CloseSocket() {
    ErrorCode ignored;
    if (tcp_.is_open()) {
        tcp_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        tcp_.close(ignored);
    }
    if (udp_.is_open()) udp_.close(ignored);
    if (established_) {
        established_ = false;
        run_.stats.Closed();
    }
}

void Device::Established() {
    established_ = true;
    backoff_ = std::chrono::milliseconds(0);
    run_.stats.Established();
    if (!scheduled_) {
        // The first packet goes now with samples reaching back one interval.
        scheduled_ = true;
        last_sample_ = Clock::now() - run_.options.interval;
    }
}

asio::awaitable<bool> Device::WaitForNextPacket() {
    co_return co_await SleepFor(last_sample_ + run_.options.interval - Clock::now());
}

std::span<core::Record> Device::TakeSamples() {
    const Options& o = run_.options;
    const size_t k = static_cast<size_t>(o.records_per_packet);
    const auto step = std::max(o.interval / o.records_per_packet, std::chrono::milliseconds(1));
    if (records_.size() != k) {
        records_.resize(k);
        events_.resize(k);
    }
    // More than an interval late (the connection was down, or ACKs are slow): the vehicle drove on
    // meanwhile and those samples are lost, as with a device whose buffer was full.
    auto now = Clock::now();
    if (now - last_sample_ > 2 * o.interval) {
        auto gap = std::chrono::floor<std::chrono::milliseconds>(now - o.interval - last_sample_);
        vehicle_.Advance(gap);
        last_sample_ += gap;
    }
    for (size_t j = 0; j < k; ++j) {
        last_sample_ += step;
        vehicle_.Advance(step);
        events_[j] = vehicle_.Fill(records_[j], run_.WallTime(last_sample_));
    }
    return records_;
}

asio::awaitable<ErrorCode> Device::ReadMore() {
    if (inbox_.size() < kInboxLimit) inbox_.resize(kInboxLimit);
    if (inbox_len_ == inbox_.size()) co_return asio::error::message_size;
    auto [ec, n] = co_await tcp_.async_read_some(
        asio::buffer(inbox_.data() + inbox_len_, inbox_.size() - inbox_len_), kToken);
    inbox_len_ += n;
    co_return ec;
}

void Device::Consume(size_t n) {
    n = std::min(n, inbox_len_);
    std::memmove(inbox_.data(), inbox_.data() + n, inbox_len_ - n);
    inbox_len_ -= n;
}

asio::awaitable<Outcome> Device::Hold() {
    uint8_t scratch[256];
    for (;;) {
        auto [ec, n] = co_await tcp_.async_read_some(asio::buffer(scratch), kToken);
        if (ec) break;
    }
    if (stopping_) co_return Outcome::kStopped;
    run_.stats.Error("connection closed by the server while idle");
    co_return Outcome::kFailed;
}

std::string Device::Why(const ErrorCode& ec) const {
    if (timed_out_) return "timeout";
    if (ec == asio::error::eof) return "closed by the server";
    return ec.message();
}

uint64_t IoValue(const core::Record& r, uint16_t id) {
    for (const auto& e : r.io) {
        if (e.id == id) return e.value;
    }
    return 0;
}

}  // namespace fleet::sim::detail
