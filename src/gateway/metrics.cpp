#include "gateway/metrics.hpp"

#include <fmt/format.h>

namespace fleet::gateway {

void Histogram::Observe(std::chrono::nanoseconds d) {
    double s = std::chrono::duration<double>(d).count();
    size_t i = 0;
    while (i < kBounds.size() && s > kBounds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<uint64_t>(d.count()), std::memory_order_relaxed);
}

void Histogram::Render(std::string& out, const std::string& name, const std::string& labels) const {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBounds.size(); ++i) {
        cumulative += buckets_[i].load(std::memory_order_relaxed);
        fmt::format_to(std::back_inserter(out), "{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, kBounds[i], cumulative);
    }
    cumulative += buckets_[kBounds.size()].load(std::memory_order_relaxed);
    fmt::format_to(std::back_inserter(out), "{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, cumulative);
    fmt::format_to(std::back_inserter(out), "{}_sum{{{}}} {}\n", name, labels,
                   static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
    fmt::format_to(std::back_inserter(out), "{}_count{{{}}} {}\n", name, labels, count_.load(std::memory_order_relaxed));
}

Metrics::Metrics() = default;

std::string Metrics::Render(const std::string& extra) const {
    std::string out;
    const ProtocolMetrics* all[] = {&teltonika_, &gt06_, &osmand_};
    auto counter = [&](const char* name, const char* help, const char* type, auto field) {
        fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
        for (const ProtocolMetrics* m : all) {
            fmt::format_to(std::back_inserter(out), "{}{{protocol=\"{}\"}} {}\n", name, m->name,
                           (m->*field).load(std::memory_order_relaxed));
        }
    };
    counter("fleetd_connections_total", "Device connections accepted.", "counter", &ProtocolMetrics::connections_total);
    counter("fleetd_connections_active", "Device connections open now.", "gauge", &ProtocolMetrics::connections_active);
    counter("fleetd_connections_rejected_total", "Connections refused over the connection limit.", "counter",
            &ProtocolMetrics::connections_rejected);
    counter("fleetd_frames_total", "Frames decoded.", "counter", &ProtocolMetrics::frames_total);
    counter("fleetd_records_total", "Records committed and acknowledged.", "counter", &ProtocolMetrics::records_total);
    counter("fleetd_errors_total", "Malformed frames and failed commits.", "counter", &ProtocolMetrics::errors_total);
    counter("fleetd_devices_refused_total", "Unknown or disabled devices refused.", "counter",
            &ProtocolMetrics::devices_refused_total);
    counter("fleetd_idle_timeouts_total", "Connections closed after their idle timeout.", "counter",
            &ProtocolMetrics::idle_timeouts_total);
    counter("fleetd_bytes_received_total", "Bytes received from devices.", "counter",
            &ProtocolMetrics::bytes_received_total);
    out += "# HELP fleetd_ack_latency_seconds Time from a frame's arrival to its acknowledgement (after commit).\n";
    out += "# TYPE fleetd_ack_latency_seconds histogram\n";
    for (const ProtocolMetrics* m : all) {
        m->ack_latency.Render(out, "fleetd_ack_latency_seconds", "protocol=\"" + m->name + "\"");
    }
    out += extra;
    return out;
}

}  // namespace fleet::gateway
