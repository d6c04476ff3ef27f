// A device connection of a stream protocol (Teltonika TCP, GT06): framing, login, commit, replies.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "core/bytes.hpp"
#include "core/record.hpp"
#include "gateway/detail/context.hpp"

namespace fleet::gateway::detail {

// What distinguishes one stream protocol from another, as plain function pointers to its pure decoder.
struct StreamProtocol {
    const char* name;
    ProtocolMetrics* metrics;
    core::FrameScan (*scan)(core::Bytes, size_t);
    Result<core::Decoded> (*decode)(core::Bytes);
    std::vector<uint8_t> refuse_reply;  // sent to an unknown or disabled device before closing (may be empty)
};

// Runs the acceptor loop of `protocol` until the acceptor is closed.
boost::asio::awaitable<void> AcceptStream(Context& ctx, const StreamProtocol& protocol,
                                          boost::asio::ip::tcp::acceptor& acceptor);

}  // namespace fleet::gateway::detail
