#include "gateway/gateway.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>

#include "gateway/detail/listeners.hpp"
#include "gateway/detail/stream_session.hpp"
#include "protocol/gt06/gt06.hpp"
#include "protocol/teltonika/teltonika.hpp"

namespace fleet::gateway {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

struct Gateway::Impl {
    Impl(asio::io_context& io, store::Committer& committer, Metrics& metrics, Options options)
        : ctx{io, committer, metrics, std::move(options)},
          teltonika{"teltonika", &metrics.teltonika(), &protocol::teltonika::ScanTcp,
                    &protocol::teltonika::DecodeTcp, {0x00}},
          gt06{"gt06", &metrics.gt06(), &protocol::gt06::Scan, &protocol::gt06::Decode, {}},
          teltonika_acceptor(io),
          gt06_acceptor(io),
          teltonika_udp(asio::make_strand(io)) {}

    detail::Context ctx;
    detail::StreamProtocol teltonika;
    detail::StreamProtocol gt06;
    tcp::acceptor teltonika_acceptor;
    tcp::acceptor gt06_acceptor;
    udp::socket teltonika_udp;
    std::unique_ptr<http::Server> osmand;

    Result<void> Listen(tcp::acceptor& a, const char* name, uint16_t port) {
        boost::system::error_code ec;
        auto address = asio::ip::make_address(ctx.options.listen, ec);
        if (ec) return MakeError(fmt::format("invalid listen address '{}'", ctx.options.listen));
        tcp::endpoint ep(address, port);
        a.open(ep.protocol(), ec);
        if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) a.bind(ep, ec);
        if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) return MakeError(fmt::format("{}: cannot listen on {}:{}: {}", name, ctx.options.listen, port, ec.message()));
        return {};
    }
};

Gateway::Gateway(asio::io_context& io, store::Committer& committer, Metrics& metrics, Options options)
    : impl_(std::make_unique<Impl>(io, committer, metrics, std::move(options))) {}

Gateway::~Gateway() { Stop(); }

Result<void> Gateway::Start() {
    auto& i = *impl_;
    const auto& o = i.ctx.options;
    if (o.teltonika_port != 0) {
        if (auto r = i.Listen(i.teltonika_acceptor, "teltonika", o.teltonika_port); !r) return r;
        asio::co_spawn(i.ctx.io, detail::AcceptStream(i.ctx, i.teltonika, i.teltonika_acceptor), asio::detached);
        // UDP on the same port number as TCP (Traccar's convention).
        boost::system::error_code ec;
        udp::endpoint ep(asio::ip::make_address(o.listen), teltonika_port());
        i.teltonika_udp.open(ep.protocol(), ec);
        if (!ec) i.teltonika_udp.bind(ep, ec);
        if (ec) return MakeError(fmt::format("teltonika: cannot bind UDP {}:{}: {}", o.listen, ep.port(), ec.message()));
        asio::co_spawn(i.teltonika_udp.get_executor(), detail::ReceiveTeltonikaUdp(i.ctx, i.teltonika_udp),
                       asio::detached);
    }
    if (o.gt06_port != 0) {
        if (auto r = i.Listen(i.gt06_acceptor, "gt06", o.gt06_port); !r) return r;
        asio::co_spawn(i.ctx.io, detail::AcceptStream(i.ctx, i.gt06, i.gt06_acceptor), asio::detached);
    }
    if (o.osmand_port != 0) {
        http::ServerOptions ho;
        ho.name = "osmand";
        ho.max_body_bytes = o.max_http_body_bytes;
        ho.idle_timeout = o.idle_timeout;
        ho.max_connections = o.max_connections;
        ho.connections_total = &i.ctx.metrics.osmand().connections_total;
        ho.connections_active = &i.ctx.metrics.osmand().connections_active;
        auto* ctx = &i.ctx;
        i.osmand = std::make_unique<http::Server>(i.ctx.io, ho, [ctx](const http::Request& req) {
            return detail::HandleOsmAnd(*ctx, req);
        });
        if (auto r = i.osmand->Start(o.listen, o.osmand_port); !r) return r;
    }
    return {};
}

void Gateway::Stop() {
    boost::system::error_code ignored;
    impl_->teltonika_acceptor.close(ignored);
    impl_->gt06_acceptor.close(ignored);
    impl_->teltonika_udp.close(ignored);
    if (impl_->osmand) impl_->osmand->Stop();
}

namespace {
uint16_t PortOf(const tcp::acceptor& a) {
    boost::system::error_code ec;
    auto ep = a.local_endpoint(ec);
    return ec ? 0 : ep.port();
}
}  // namespace

uint16_t Gateway::teltonika_port() const { return PortOf(impl_->teltonika_acceptor); }
uint16_t Gateway::teltonika_udp_port() const {
    boost::system::error_code ec;
    auto ep = impl_->teltonika_udp.local_endpoint(ec);
    return ec ? 0 : ep.port();
}
uint16_t Gateway::gt06_port() const { return PortOf(impl_->gt06_acceptor); }
uint16_t Gateway::osmand_port() const { return impl_->osmand ? impl_->osmand->port() : 0; }

}  // namespace fleet::gateway
