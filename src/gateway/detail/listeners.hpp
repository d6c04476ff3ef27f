// The datagram and HTTP device listeners (Teltonika UDP, OsmAnd).
#pragma once

#include <boost/asio/ip/udp.hpp>

#include "gateway/detail/context.hpp"
#include "http/http_server.hpp"

namespace fleet::gateway::detail {

// Receives Teltonika UDP datagrams until the socket is closed; each is decoded, committed, then acked.
boost::asio::awaitable<void> ReceiveTeltonikaUdp(Context& ctx, boost::asio::ip::udp::socket& socket);

// Handles one OsmAnd request: 200 once the position is committed; 400 for a malformed request or an
// unknown or disabled device; 503 when the store cannot commit.
boost::asio::awaitable<http::Response> HandleOsmAnd(Context& ctx, const http::Request& request);

}  // namespace fleet::gateway::detail
