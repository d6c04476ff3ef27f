#include "gateway/detail/stream_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <mutex>
#include <sys/socket.h>

namespace fleet::gateway::detail {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// A connection whose bytes arrive closer together than this keeps its read buffer between packets.
constexpr auto kStreamingGap = std::chrono::seconds(1);
constexpr size_t kMaxKeptBuffer = 16 * 1024;  // a larger buffer (a long frame came) is not kept

class StreamSession : public std::enable_shared_from_this<StreamSession> {
public:
    StreamSession(Context& ctx, const StreamProtocol& proto, tcp::socket socket)
        : ctx_(ctx), proto_(proto), protocol_(proto.name), socket_(std::move(socket)), timer_(socket_.get_executor()) {
        boost::system::error_code ec;
        socket_.non_blocking(true, ec);  // synchronous writes (the ACK) return would_block, never wait
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
    }

private:
    // Closes the connection when nothing arrives before the deadline. A plain completion handler
    // rather than a coroutine: it is part of what every idle connection costs. Loop only ever moves
    // the deadline later, so it never cancels the timer (that would cost a handler and a timer-queue
    // update a packet): the timer fires at the deadline it was armed with, and the handler re-arms it
    // with the current one. While a batch is being committed there is no deadline; the timer then
    // looks again an idle timeout later.
    void ArmWatchdog() {
        timer_.expires_at(deadline_ == Clock::time_point::max() ? Clock::now() + ctx_.options.idle_timeout
                                                                 : deadline_);
        timer_.async_wait([self = shared_from_this()](const boost::system::error_code&) { self->OnWatchdog(); });
    }

    void OnWatchdog() {
        if (closed_) return;
        if (Clock::now() >= deadline_) {
            proto_.metrics->idle_timeouts_total.fetch_add(1, std::memory_order_relaxed);
            spdlog::debug("{}: closing idle connection from {}", proto_.name, remote_);
            Close();
            return;
        }
        ArmWatchdog();
    }

    void Close() {
        std::lock_guard lock(answer_mu_);
        closed_ = true;
        boost::system::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_both, ec);
        socket_.close(ec);
        timer_.cancel();
    }

    // On the committer's sync thread, once the batch being committed is durable, while HandleFrames
    // awaits it: sends what the socket takes of the answer at once, without blocking (early_sent_).
    // The session is alive (the awaiting coroutine holds it) and nothing else uses the socket
    // meanwhile except Close, which takes the same lock: a closed socket's descriptor, perhaps
    // already another file's, is never written.
    void AnswerWhenDurable(const std::vector<uint8_t>& replies) {
        std::lock_guard lock(answer_mu_);
        if (closed_) return;
        ssize_t n = ::send(socket_.native_handle(), replies.data(), replies.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n <= 0) return;  // would block, or an error: the session writes it, and sees the error
        early_sent_ = static_cast<size_t>(n);
        if (early_sent_ == replies.size()) proto_.metrics->ack_latency.Observe(Clock::now() - arrived_);
    }

    void Fail(std::string_view reason, core::Bytes frame) {
        proto_.metrics->errors_total.fetch_add(1, std::memory_order_relaxed);
        LogMalformed(proto_.name, remote_, reason, frame);
        Close();
    }

    asio::awaitable<void> Run() {
        ArmWatchdog();  // here, on the session's strand, like every other use of timer_
        try {
            co_await Loop();
        } catch (const std::exception& e) {
            spdlog::error("{}: session {} ended by an unexpected error: {}", proto_.name, remote_, e.what());
        }
        Close();
    }

    // Reads and handles frames until the connection ends.
    //
    // An idle connection is cheap: while no partial frame is buffered the session holds no read
    // buffer (it waits for the socket to become readable, then sizes the buffer to what has arrived),
    // and the frame handling, whose coroutine frame is large, runs in HandleFrames only while there is
    // something to handle.
    //
    // A streaming connection (its previous bytes arrived less than kStreamingGap ago) keeps its buffer
    // and reads straight into it. Waiting first costs two of the four system calls of a packet (the
    // reactor re-arms the socket for a wait, epoll_ctl, and the size of what arrived is asked for,
    // ioctl FIONREAD), and system calls are dear on virtual machines; the buffer it keeps is at most
    // 16 KiB a busy connection.
    asio::awaitable<void> Loop() {
        const size_t capacity_limit = ctx_.options.max_frame_bytes + 4096;
        for (;;) {
            deadline_ = Clock::now() + ctx_.options.idle_timeout;
            if (buf_.empty()) {
                auto [wec] = co_await socket_.async_wait(tcp::socket::wait_read, kUseTuple);
                if (wec || closed_) co_return;
                boost::system::error_code aec;
                size_t available = socket_.available(aec);
                buf_.resize(std::min(capacity_limit, std::max<size_t>(1024, available + 256)));
            } else if (buf_.size() - used_ < 256) {
                if (buf_.size() >= capacity_limit) {
                    Fail("frame longer than the limit", core::Bytes(buf_.data(), used_));
                    co_return;
                }
                buf_.resize(std::min(capacity_limit, std::max<size_t>(1024, buf_.size() * 2)));
            }
            auto [ec, n] =
                co_await socket_.async_read_some(asio::buffer(buf_.data() + used_, buf_.size() - used_), kUseTuple);
            if (ec || closed_) co_return;
            deadline_ = Clock::time_point::max();  // no idle timeout while we commit and answer
            const auto previous = arrived_;
            arrived_ = Clock::now();
            used_ += n;
            proto_.metrics->bytes_received_total.fetch_add(n, std::memory_order_relaxed);
            bool go_on = co_await HandleFrames();
            if (!go_on) co_return;
            if (used_ == 0 && (arrived_ - previous >= kStreamingGap || buf_.size() > kMaxKeptBuffer)) {
                buf_.clear();
                buf_.shrink_to_fit();
            }
        }
    }

    // Decodes, commits and answers the whole frames at the start of buf_, then drops them from it.
    // False when the connection is to end.
    asio::awaitable<bool> HandleFrames() {
        const size_t max_frame = ctx_.options.max_frame_bytes;
        size_t off = 0;
        early_sent_ = 0;  // of this call's answer (a call without records sends it all itself)
        std::vector<core::Record> records;
        std::vector<uint8_t> replies;
        while (off < used_) {
            core::Bytes rest(buf_.data() + off, used_ - off);
            core::FrameScan scan = proto_.scan(rest, max_frame);
            if (scan.status == core::FrameScan::Status::kNeedMore) break;
            if (scan.status == core::FrameScan::Status::kError) {
                Fail(scan.error, rest);
                co_return false;
            }
            core::Bytes frame = rest.subspan(scan.skip, scan.length - scan.skip);
            auto decoded = proto_.decode(frame);
            proto_.metrics->frames_total.fetch_add(1, std::memory_order_relaxed);
            if (!decoded) {
                Fail(decoded.error().message, frame);
                co_return false;
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
                            co_return false;
                        }
                        device_ = check.device;
                        break;
                    }
                    case core::MessageType::kPosition:
                    case core::MessageType::kAlarm:
                        if (!device_) {
                            Fail("position before the device identified itself", frame);
                            co_return false;
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
                            co_return false;
                        }
                        break;
                    case core::MessageType::kCommandResponse:
                        spdlog::info("{}: device {} answered: {}", proto_.name, device_ ? device_->imei : "?", m.text);
                        break;
                }
            }
            replies.insert(replies.end(), decoded->reply.begin(), decoded->reply.end());
            off += scan.length;
        }

        const size_t count = records.size();
        if (count > 0) {
            auto batch = MakeBatch(ctx_, *device_, proto_.name, records, core::Bytes(buf_.data(), off));
            // The decoded records are in the batch's rows now: freed while they are still in the
            // core's cache, not after the commit, when their thousands of small blocks have been
            // pushed out by other devices' packets (perf under load: most of this coroutine's own
            // time was that late walk).
            std::vector<core::Record>().swap(records);
            // The answer goes out from the committer's sync thread as soon as the batch is durable,
            // rather than after this coroutine's turn on the io threads, which under load came
            // 8-11 ms later (docs/operations.md, "Durability").
            std::function<void()> answer_now;
            if (!replies.empty()) answer_now = [this, &replies] { AnswerWhenDurable(replies); };
            auto committed = co_await Commit(ctx_.committer, batch, answer_now ? &answer_now : nullptr);
            if (!committed) {
                // No ACK: the device keeps the records and sends them again.
                proto_.metrics->errors_total.fetch_add(1, std::memory_order_relaxed);
                spdlog::error("{}: cannot store records of {}: {}; closing without ACK", proto_.name, device_->imei,
                              committed.error().message);
                co_return false;
            }
            proto_.metrics->records_total.fetch_add(count, std::memory_order_relaxed);
        }
        if (!replies.empty()) {
            if (closed_) co_return false;
            // Whatever the sync thread could not send (all of it when the batch had no records). The
            // answer is a few bytes and the socket's send buffer nearly always has room: written at
            // once, without waiting for a completion to come round the io threads' queue; what does
            // not fit, waits.
            size_t written = early_sent_;
            if (written < replies.size()) {
                boost::system::error_code wec;
                written += socket_.write_some(asio::buffer(replies.data() + written, replies.size() - written), wec);
                if (wec && wec != asio::error::would_block) co_return false;
            }
            if (written < replies.size()) {
                auto [aec, an] = co_await asio::async_write(
                    socket_, asio::buffer(replies.data() + written, replies.size() - written), kUseTuple);
                if (aec) co_return false;
            }
            if (count > 0 && early_sent_ < replies.size()) {
                proto_.metrics->ack_latency.Observe(Clock::now() - arrived_);
            }
        }
        if (off > 0) {
            std::memmove(buf_.data(), buf_.data() + off, used_ - off);
            used_ -= off;
        }
        co_return true;
    }

    Context& ctx_;
    const StreamProtocol& proto_;
    const std::string protocol_;
    tcp::socket socket_;
    asio::steady_timer timer_;
    std::string remote_;
    std::optional<store::Device> device_;
    std::vector<uint8_t> buf_;  // received bytes not handled yet: used_ of them; empty when none
    size_t used_ = 0;
    Clock::time_point arrived_{};  // when the bytes being handled arrived
    Clock::time_point deadline_ = Clock::time_point::max();
    bool closed_ = false;
    std::mutex answer_mu_;  // AnswerWhenDurable against Close
    size_t early_sent_ = 0;  // bytes of the answer AnswerWhenDurable sent (read once the commit resumed us)
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
