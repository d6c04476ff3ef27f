// The device simulator and load generator behind `fleetd simulate`: N virtual vehicles drive trips
// on a synthetic street grid (route.hpp) and report them to a server over the real device protocols
// (Teltonika TCP/UDP, GT06, OsmAnd HTTP), measuring what the server acknowledges and how fast.
// Run() drives every connection from one thread (one io_context); call it from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace fleet::sim {

enum class Protocol { kTeltonika, kGt06, kOsmAnd };

// "teltonika", "gt06", "osmand".
std::string_view ProtocolName(Protocol p);
// Parses a protocol name as ProtocolName writes it; Error for anything else.
Result<Protocol> ParseProtocol(std::string_view name);

struct Options {
    std::string host = "127.0.0.1";  // an IP address or a name resolved once at start
    uint16_t port = 0;               // must be set
    Protocol protocol = Protocol::kTeltonika;
    int devices = 1;                            // 1..200,000
    std::chrono::milliseconds interval{10000};  // between packets of one device
    std::chrono::milliseconds duration{0};      // 0 = until *stop
    int records_per_packet = 1;     // 1..255: the latest samples, taken every interval/K
    uint64_t first_imei_index = 0;  // device d has ImeiFor(first_imei_index + d)
    uint32_t seed = 1;              // the city and every vehicle follow from it
    bool idle = false;  // connect and handshake only, then hold the connection and send nothing
    bool udp = false;   // Teltonika over UDP (one datagram per packet; not with idle)
    std::chrono::milliseconds ack_timeout{10000};  // also bounds connects and handshakes
    int ramp_up_ms = 1000;  // device d first connects at d * ramp_up_ms / devices
};

// What a run measured. Counters cover the whole run, reconnections included.
struct Report {
    std::string protocol;
    int devices = 0;
    uint64_t packets_sent = 0;   // packets (GT06 frames, HTTP requests) written whole to the server
    uint64_t packets_acked = 0;  // answered with the right acknowledgement
    uint64_t records_sent = 0;
    uint64_t records_acked =
        0;  // records the server acknowledged (a short Teltonika ACK counts its n)
    uint64_t errors =
        0;  // after connecting: wrong/late/missing ACKs, bad replies, lost connections
    uint64_t connect_failures = 0;  // TCP connects that failed or timed out
    uint64_t refused = 0;  // handshakes the server refused (Teltonika 0x00, GT06 closed, HTTP 400)
    uint64_t connections_established = 0;  // handshakes completed (each reconnection counts)
    uint64_t connections_open = 0;         // established connections when the run was told to stop
    uint64_t connections_peak = 0;         // most established connections at any one time
    double seconds = 0;                    // wall time of the run
    double latency_p50_ms = 0;             // from writing a packet to reading its acknowledgement
    double latency_p90_ms = 0;
    double latency_p99_ms = 0;
    double latency_max_ms = 0;
    // Every distinct problem with its count, most frequent first (at most 16 kinds; the rest as
    // "other").
    std::vector<std::pair<std::string, uint64_t>> error_kinds;

    double RecordsPerSecond() const {
        return seconds > 0 ? static_cast<double>(records_acked) / seconds : 0;
    }
    // A few lines for people.
    std::string ToText() const;
    // One line of JSON (no newline) for benchmark scripts; every field above plus records_per_s.
    std::string ToJson() const;
};

// Runs the simulation until `options.duration` has elapsed or `*stop` becomes true (checked every
// 20 ms), whichever comes first; blocks the calling thread meanwhile. When it ends, devices stop
// sending, packets in flight get up to min(ack_timeout, 5 s) for their ACK, then every connection
// is closed. Each device reconnects with back-off after a failure (every 5 s after a refusal).
// Raises the process's open-file soft limit when the devices need more descriptors than it allows.
// Error (before any connection) for invalid options, no duration and no stop flag, or a host that
// does not resolve.
Result<Report> Run(const Options& options, std::atomic<bool>* stop = nullptr);

// The IMEI of simulated device `index`: "35", the index's last 12 digits, and a Luhn check digit
// (15 digits, deterministic, different for every index below 10^12).
std::string ImeiFor(uint64_t index);

}  // namespace fleet::sim
