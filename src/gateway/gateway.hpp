// Gateway: the device-facing listeners (Teltonika TCP and UDP, GT06 TCP, OsmAnd HTTP). Each connection
// is one session on its own strand: it frames and decodes the bytes, identifies the device, hands the
// records to the Committer and answers the device only after they are committed.
//
// Bounds: a frame is at most max_frame_bytes; a session holds at most one frame's records in flight and
// reads nothing more until they are committed (back-pressure); connections beyond max_connections are
// closed at once; a connection silent for idle_timeout is closed.
// Thread-safety: Start and Stop from one thread; everything else runs on the io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "gateway/metrics.hpp"
#include "store/committer.hpp"

namespace fleet::gateway {

struct Options {
    std::string listen = "127.0.0.1";
    uint16_t teltonika_port = 5027;  // TCP and UDP; 0 disables
    uint16_t gt06_port = 5023;       // 0 disables
    uint16_t osmand_port = 5055;     // 0 disables
    size_t max_frame_bytes = 65536;
    size_t max_http_body_bytes = 65536;
    std::chrono::milliseconds idle_timeout{std::chrono::minutes(15)};
    size_t max_connections = 20000;
    bool keep_raw_frames = true;
    bool auto_register = false;      // register unknown devices instead of refusing them
};

class Gateway {
public:
    Gateway(boost::asio::io_context& io, store::Committer& committer, Metrics& metrics, Options options);
    ~Gateway();
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    // Binds every enabled listener. Error (with the address) if one cannot be bound.
    Result<void> Start();
    // Closes the listeners (sessions end when the io_context stops).
    void Stop();

    // The bound ports (useful with port 0 in tests); 0 when disabled.
    uint16_t teltonika_port() const;
    uint16_t teltonika_udp_port() const;
    uint16_t gt06_port() const;
    uint16_t osmand_port() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace fleet::gateway
