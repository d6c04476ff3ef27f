#include "gateway/detail/stream_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

namespace fleet::gateway::detail {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

class StreamSession : public std::enable_shared_from_this<StreamSession> {
public:
    StreamSession(Context& ctx, const StreamProtocol& proto, tcp::socket socket)
        : ctx_(ctx), proto_(proto), protocol_(proto.name), socket_(std::move(socket)), timer_(socket_.get_executor()) {
        boost::system::error_code ec;
        auto ep = socket_.remote_endpoint(ec);
        remote_ = ec ? "unknown" : ep.address().to_string() + ":" + std::to_string(ep.port());
        ctx_.connections.fetch_add(1, std::memory_order_relaxed);
        proto_.metrics->connections_total.fetch_add(1, std::memory_order_relaxed);
        proto_.metrics->connections_active.fetch_add(1, std::memory_order_relaxed);
    }

    ~StreamSession() {
        ctx_.connections.fetch_sub(1, std::memory_order_relaxed);
        proto_.metrics->connections_active.fetch_sub(1, std::memory_order_relaxed);
    }

    void Start() {
        auto self = shared_from_this();
        asio::co_spawn(socket_.get_executor(), [self]() { return self->Run(); }, asio::detached);
        asio::co_spawn(socket_.get_executor(), [self]() { return self->Watchdog(); }, asio::detached);
    }

private:
    // Closes the connection when nothing arrives before the deadline.
    asio::awaitable<void> Watchdog() {
        while (!closed_) {
            timer_.expires_at(deadline_);
            co_await timer_.async_wait(kUseTuple);
            if (!closed_ && Clock::now() >= deadline_) {
                proto_.metrics->idle_timeouts_total.fetch_add(1, std::memory_order_relaxed);
                spdlog::debug("{}: closing idle connection from {}", proto_.name, remote_);
                Close();
            }
        }
    }

    void Close() {
        closed_ = true;
        boost::system::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_both, ec);
        socket_.close(ec);
        timer_.cancel();
    }

    void Fail(std::string_view reason, core::Bytes frame) {
        proto_.metrics->errors_total.fetch_add(1, std::memory_order_relaxed);
        LogMalformed(proto_.name, remote_, reason, frame);
        Close();
    }

    asio::awaitable<void> Run() {
        try {
            co_await Loop();
        } catch (const std::exception& e) {
            spdlog::error("{}: session {} ended by an unexpected error: {}", proto_.name, remote_, e.what());
        }
        Close();
    }

    asio::awaitable<void> Loop() {
        const size_t max_frame = ctx_.options.max_frame_bytes;
        const size_t capacity_limit = max_frame + 4096;
        std::vector<uint8_t> buf;
        size_t used = 0;
        for (;;) {
            if (buf.size() - used < 256) {
                if (buf.size() >= capacity_limit) {
                    Fail("frame longer than the limit", core::Bytes(buf.data(), used));
                    co_return;
                }
                buf.resize(std::min(capacity_limit, std::max<size_t>(1024, buf.size() * 2)));
            }
            deadline_ = Clock::now() + ctx_.options.idle_timeout;
            timer_.cancel();  // the watchdog re-arms itself with the new deadline
            auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf.data() + used, buf.size() - used), kUseTuple);
            if (ec || closed_) co_return;
            deadline_ = Clock::time_point::max();  // no idle timeout while we commit and answer
            auto arrived = Clock::now();
            used += n;
            proto_.metrics->bytes_received_total.fetch_add(n, std::memory_order_relaxed);

            size_t off = 0;
            std::vector<core::Record> records;
            std::vector<uint8_t> replies;
            bool close_after = false;
            while (off < used && !close_after) {
                core::Bytes rest(buf.data() + off, used - off);
                core::FrameScan scan = proto_.scan(rest, max_frame);
                if (scan.status == core::FrameScan::Status::kNeedMore) break;
                if (scan.status == core::FrameScan::Status::kError) {
                    Fail(scan.error, rest);
                    co_return;
                }
                core::Bytes frame = rest.subspan(scan.skip, scan.length - scan.skip);
                auto decoded = proto_.decode(frame);
                proto_.metrics->frames_total.fetch_add(1, std::memory_order_relaxed);
                if (!decoded) {
                    Fail(decoded.error().message, frame);
                    co_return;
                }
                for (auto& m : decoded->messages) {
                    switch (m.type) {
                        case core::MessageType::kLogin: {
                            if (device_ && device_->imei == m.imei) break;
                            auto check = co_await CheckDevice(ctx_, m.imei, protocol_, remote_);
                            if (check.admission != Admission::kActive) {
                                proto_.metrics->devices_refused_total.fetch_add(1, std::memory_order_relaxed);
                                spdlog::info("{}: refused device {} from {}: {}", proto_.name, m.imei, remote_,
                                             check.admission == Admission::kUnknown    ? "unknown (listed as pending)"
                                             : check.admission == Admission::kDisabled ? "disabled"
                                                                                       : check.error);
                                if (!proto_.refuse_reply.empty()) {
                                    co_await asio::async_write(socket_, asio::buffer(proto_.refuse_reply), kUseTuple);
                                }
                                Close();
                                co_return;
                            }
                            device_ = check.device;
                            break;
                        }
                        case core::MessageType::kPosition:
                        case core::MessageType::kAlarm:
                            if (!device_) {
                                Fail("position before the device identified itself", frame);
                                co_return;
                            }
                            if (m.type == core::MessageType::kAlarm && !m.alarm.empty() &&
                                !core::FindAttribute(m.record.attributes, "alarm")) {
                                core::SetAttribute(m.record.attributes, "alarm", m.alarm);
                            }
                            records.push_back(std::move(m.record));
                            break;
                        case core::MessageType::kHeartbeat:
                            if (!device_) {
                                Fail("heartbeat before the device identified itself", frame);
                                co_return;
                            }
                            break;
                        case core::MessageType::kCommandResponse:
                            spdlog::info("{}: device {} answered: {}", proto_.name, device_ ? device_->imei : "?",
                                         m.text);
                            break;
                    }
                }
                replies.insert(replies.end(), decoded->reply.begin(), decoded->reply.end());
                off += scan.length;
            }

            if (!records.empty()) {
                size_t count = records.size();
                auto batch = MakeBatch(ctx_, *device_, proto_.name, records, core::Bytes(buf.data(), off));
                auto committed = co_await Commit(ctx_.committer, batch);
                if (!committed) {
                    // No ACK: the device keeps the records and sends them again.
                    proto_.metrics->errors_total.fetch_add(1, std::memory_order_relaxed);
                    spdlog::error("{}: cannot store records of {}: {}; closing without ACK", proto_.name,
                                  device_->imei, committed.error().message);
                    co_return;
                }
                proto_.metrics->records_total.fetch_add(count, std::memory_order_relaxed);
            }
            if (!replies.empty()) {
                if (closed_) co_return;
                auto [wec, wn] = co_await asio::async_write(socket_, asio::buffer(replies), kUseTuple);
                if (wec) co_return;
                if (!records.empty()) proto_.metrics->ack_latency.Observe(Clock::now() - arrived);
            }
            if (off > 0) {
                std::memmove(buf.data(), buf.data() + off, used - off);
                used -= off;
            }
            if (used == 0 && buf.size() > 4096) {
                buf.clear();
                buf.shrink_to_fit();
            }
        }
    }

    Context& ctx_;
    const StreamProtocol& proto_;
    const std::string protocol_;
    tcp::socket socket_;
    asio::steady_timer timer_;
    std::string remote_;
    std::optional<store::Device> device_;
    Clock::time_point deadline_ = Clock::time_point::max();
    bool closed_ = false;
};

}  // namespace

asio::awaitable<void> AcceptStream(Context& ctx, const StreamProtocol& protocol, tcp::acceptor& acceptor) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ctx.io), kUseTuple);
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (ec) {
            // Out of file descriptors or a transient network error: breathe, then go on accepting.
            spdlog::warn("{}: accept failed: {}", protocol.name, ec.message());
            asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
            co_await pause.async_wait(kUseTuple);
            continue;
        }
        if (static_cast<size_t>(ctx.connections.load(std::memory_order_relaxed)) >= ctx.options.max_connections) {
            protocol.metrics->connections_rejected.fetch_add(1, std::memory_order_relaxed);
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<StreamSession>(ctx, protocol, std::move(socket))->Start();
    }
}

}  // namespace fleet::gateway::detail
