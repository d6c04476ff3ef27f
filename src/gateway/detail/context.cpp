#include "gateway/detail/context.hpp"

#include <spdlog/spdlog.h>

#include "core/bytes.hpp"

namespace fleet::gateway::detail {

namespace asio = boost::asio;

core::TimePoint NowMillis() {
    return std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now());
}

asio::awaitable<Result<store::IngestStats>> Commit(store::Committer& committer, store::IngestBatch batch) {
    auto ex = co_await asio::this_coro::executor;
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result<store::IngestStats>)>(
        [&committer, ex](auto handler, store::IngestBatch b) {
            using Handler = decltype(handler);
            struct State {
                Handler handler;
                asio::executor_work_guard<std::decay_t<decltype(ex)>> work;
            };
            auto state = std::make_shared<State>(State{std::move(handler), asio::make_work_guard(ex)});
            committer.Submit(std::move(b), [state](const Result<store::IngestStats>& r) {
                auto exec = state->work.get_executor();
                asio::post(exec, [state, r]() mutable { std::move(state->handler)(std::move(r)); });
            });
        },
        asio::use_awaitable, std::move(batch));
}

asio::awaitable<void> RunOnDatabase(store::Committer& committer, std::function<void(store::Store&)> fn) {
    auto ex = co_await asio::this_coro::executor;
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [&committer, ex](auto handler, std::function<void(store::Store&)> f) {
            using Handler = decltype(handler);
            struct State {
                Handler handler;
                asio::executor_work_guard<std::decay_t<decltype(ex)>> work;
            };
            auto state = std::make_shared<State>(State{std::move(handler), asio::make_work_guard(ex)});
            committer.Post([state, f = std::move(f)](store::Store& s) {
                f(s);
                auto exec = state->work.get_executor();
                asio::post(exec, [state]() mutable { std::move(state->handler)(); });
            });
        },
        asio::use_awaitable, std::move(fn));
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

asio::awaitable<DeviceCheck> CheckDevice(Context& ctx, std::string imei, std::string protocol, std::string remote) {
    DeviceCheck check;
    bool auto_register = ctx.options.auto_register;
    std::function<void(store::Store&)> fn = [&](store::Store& s) {
        check = LookUp(s, imei, protocol, remote, auto_register);
    };
    co_await RunOnDatabase(ctx.committer, std::move(fn));
    co_return check;
}

store::IngestBatch MakeBatch(const Context& ctx, const store::Device& device, std::string protocol,
                             std::vector<core::Record>& records, core::Bytes raw_frame) {
    store::IngestBatch batch;
    batch.device_id = device.id;
    batch.protocol = std::move(protocol);
    batch.received_at = NowMillis();
    batch.positions.reserve(records.size());
    for (auto& r : records) {
        r.server_time = batch.received_at;
        batch.positions.push_back(store::MakePositionRow(device.id, r));
    }
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
