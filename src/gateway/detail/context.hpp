// Internals shared by the gateway's listeners: the context every session sees, device lookup and
// commit as awaitable operations on the Committer's database thread.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <optional>
#include <string>

#include "core/bytes.hpp"
#include "gateway/gateway.hpp"
#include "store/committer.hpp"
#include "store/store.hpp"

namespace fleet::gateway::detail {

struct Context {
    boost::asio::io_context& io;
    store::Committer& committer;
    Metrics& metrics;
    Options options;
    std::atomic<int64_t> connections{0};  // all protocols, for max_connections
};

// Coroutine arguments here are references to the caller's named locals, never by-value objects:
// g++ 12 destroys some temporaries of a co_await full-expression twice (seen under ASan as a double
// release of a strand and of captured strings), so no such temporary may have a destructor.

// Runs `fn(Store&)` on the database thread (moving it there) and resumes the caller afterwards.
boost::asio::awaitable<void> RunOnDatabase(store::Committer& committer, std::function<void(store::Store&)>& fn);

// Submits `batch` to the Committer and resumes when it is committed (or failed). The batch is lent,
// not moved: it stays the caller's, and is freed on the caller's thread.
boost::asio::awaitable<Result<store::IngestStats>> Commit(store::Committer& committer, store::IngestBatch& batch);
// The same; `on_durable` (when not null) is called on the committer's sync thread once the batch is
// durable, before the caller is resumed (which waits for a turn of the io threads). It must be quick
// and stays the caller's (alive while it awaits).
boost::asio::awaitable<Result<store::IngestStats>> Commit(store::Committer& committer, store::IngestBatch& batch,
                                                          const std::function<void()>* on_durable);

enum class Admission { kActive, kUnknown, kDisabled, kError };
struct DeviceCheck {
    Admission admission = Admission::kError;
    store::Device device;
    std::string error;
};

// Looks up the device by IMEI. An unknown device is noted as pending (or registered, with
// auto_register); a disabled one is refused.
boost::asio::awaitable<DeviceCheck> CheckDevice(Context& ctx, const std::string& imei, const std::string& protocol,
                                                const std::string& remote);

// Builds the ingest batch of decoded records (stamping server time) for a known device.
store::IngestBatch MakeBatch(const Context& ctx, const store::Device& device, std::string protocol,
                             std::vector<core::Record>& records, core::Bytes raw_frame);

// Logs a malformed frame once: protocol, remote address, reason and (a bounded prefix of) its hex.
void LogMalformed(std::string_view protocol, std::string_view remote, std::string_view reason, core::Bytes frame);

core::TimePoint NowMillis();

}  // namespace fleet::gateway::detail
