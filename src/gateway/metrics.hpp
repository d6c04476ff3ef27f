// Per-protocol counters of the gateway, rendered in Prometheus text format at /metrics.
// Thread-safety: every counter is atomic; any thread may update and render concurrently.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace fleet::gateway {

// A fixed-bucket latency histogram (seconds), cumulative like Prometheus's.
class Histogram {
public:
    static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                                       0.05,   0.1,   0.2,   0.5,   1.0,  5.0};
    void Observe(std::chrono::nanoseconds d);
    void Render(std::string& out, const std::string& name, const std::string& labels) const;

private:
    std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
    std::atomic<uint64_t> count_{0};
    std::atomic<uint64_t> sum_ns_{0};
};

struct ProtocolMetrics {
    explicit ProtocolMetrics(std::string protocol) : name(std::move(protocol)) {}
    std::string name;
    std::atomic<uint64_t> connections_total{0};
    std::atomic<int64_t> connections_active{0};
    std::atomic<uint64_t> connections_rejected{0};   // over max_connections
    std::atomic<uint64_t> frames_total{0};
    std::atomic<uint64_t> records_total{0};
    std::atomic<uint64_t> errors_total{0};           // malformed frames, failed commits
    std::atomic<uint64_t> devices_refused_total{0};  // unknown or disabled devices
    std::atomic<uint64_t> idle_timeouts_total{0};
    std::atomic<uint64_t> bytes_received_total{0};
    Histogram ack_latency;                           // frame received → ACK written (after commit)
};

class Metrics {
public:
    Metrics();
    ProtocolMetrics& teltonika() { return teltonika_; }
    ProtocolMetrics& gt06() { return gt06_; }
    ProtocolMetrics& osmand() { return osmand_; }
    // All protocols' counters; `extra` (already formatted lines) is appended.
    std::string Render(const std::string& extra = {}) const;

private:
    ProtocolMetrics teltonika_{"teltonika"};
    ProtocolMetrics gt06_{"gt06"};
    ProtocolMetrics osmand_{"osmand"};
};

}  // namespace fleet::gateway
