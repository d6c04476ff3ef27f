#include "gateway/detail/context.hpp"

#include <spdlog/spdlog.h>

#include "core/bytes.hpp"

namespace fleet::gateway::detail {

namespace asio = boost::asio;

core::TimePoint NowMillis() {
    return std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now());
}

namespace {

// The initiation of Commit: lends the batch to the Committer; the completion is posted to the
// handler's executor. The handler owns the awaiting coroutine's frame, which holds the batch, and
// the Committer holds the handler until it has called back: the batch outlives its commit.
struct CommitInitiation {
    store::Committer* committer;
    const std::function<void()>* on_durable = nullptr;
    template <typename Handler>
    void operator()(Handler handler, store::IngestBatch* batch) const {
        auto ex = asio::get_associated_executor(handler);
        auto state = std::make_shared<Handler>(std::move(handler));
        committer->SubmitBorrowed(*batch, [state, ex, early = on_durable](const Result<store::IngestStats>& r) {
            if (r && early) (*early)();
            asio::post(ex, [state, r]() mutable { std::move(*state)(std::move(r)); });
        });
    }
};

// The initiation of RunOnDatabase: runs the task on the database thread, then resumes the caller.
struct DatabaseInitiation {
    store::Committer* committer;
    template <typename Handler>
    void operator()(Handler handler, std::function<void(store::Store&)>* fn) const {
        auto ex = asio::get_associated_executor(handler);
        auto state = std::make_shared<Handler>(std::move(handler));
        committer->Post([state, ex, f = std::move(*fn)](store::Store& s) {
            f(s);
            asio::post(ex, [state]() mutable { std::move(*state)(); });
        });
    }
};

}  // namespace

asio::awaitable<Result<store::IngestStats>> Commit(store::Committer& committer, store::IngestBatch& batch) {
    return Commit(committer, batch, nullptr);
}

asio::awaitable<Result<store::IngestStats>> Commit(store::Committer& committer, store::IngestBatch& batch,
                                                   const std::function<void()>* on_durable) {
    CommitInitiation init{&committer, on_durable};
    store::IngestBatch* b = &batch;
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result<store::IngestStats>)>(
        init, asio::use_awaitable, b);
}

asio::awaitable<void> RunOnDatabase(store::Committer& committer, std::function<void(store::Store&)>& fn) {
    DatabaseInitiation init{&committer};
    std::function<void(store::Store&)>* f = &fn;
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(init, asio::use_awaitable, f);
}

namespace {

DeviceCheck LookUp(store::Store& s, const std::string& imei, const std::string& protocol, const std::string& remote,
                   bool auto_register) {
    DeviceCheck check;
    auto found = s.FindDevice(imei);
    if (!found) {
        check.error = found.error().message;
        return check;
    }
    if (!found->has_value() && auto_register) {
        auto added = s.AddDevice(imei, protocol, "");
        if (added) {
            spdlog::info("registered device {} ({}) automatically", imei, protocol);
            found = std::optional<store::Device>(*added);
        }
    }
    if (!found->has_value()) {
        if (auto r = s.NotePending(imei, protocol, remote, NowMillis()); !r) {
            spdlog::warn("cannot note pending device {}: {}", imei, r.error().message);
        }
        check.admission = Admission::kUnknown;
        return check;
    }
    check.device = **found;
    check.admission =
        check.device.status == store::DeviceStatus::kActive ? Admission::kActive : Admission::kDisabled;
    return check;
}

}  // namespace

asio::awaitable<DeviceCheck> CheckDevice(Context& ctx, const std::string& imei, const std::string& protocol,
                                         const std::string& remote) {
    DeviceCheck check;
    bool auto_register = ctx.options.auto_register;
    std::function<void(store::Store&)> fn = [&](store::Store& s) {
        check = LookUp(s, imei, protocol, remote, auto_register);
    };
    co_await RunOnDatabase(ctx.committer, fn);
    co_return check;
}

store::IngestBatch MakeBatch(const Context& ctx, const store::Device& device, std::string protocol,
                             std::vector<core::Record>& records, core::Bytes raw_frame) {
    store::IngestBatch batch;
    batch.device_id = device.id;
    batch.protocol = std::move(protocol);
    batch.received_at = NowMillis();
    for (auto& r : records) r.server_time = batch.received_at;
    store::MakePositionRows(device.id, records, batch.positions);
    if (ctx.options.keep_raw_frames) batch.raw_frame.assign(raw_frame.begin(), raw_frame.end());
    return batch;
}

void LogMalformed(std::string_view protocol, std::string_view remote, std::string_view reason, core::Bytes frame) {
    constexpr size_t kMaxLogged = 2048;
    bool cut = frame.size() > kMaxLogged;
    spdlog::warn("{}: malformed frame from {} ({} bytes): {}; closing. hex={}{}", protocol, remote, frame.size(),
                 reason, core::ToHex(frame.first(std::min(frame.size(), kMaxLogged))), cut ? "..." : "");
}

}  // namespace fleet::gateway::detail
