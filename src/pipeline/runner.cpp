#include "pipeline/runner.hpp"

#include <fmt/format.h>

#include "pipeline/detail/worker.hpp"
#include "store/derived.hpp"

namespace fleet::pipeline {

Result<std::unique_ptr<Runner>> Runner::Start(const Options& options) {
    if (options.workers < 1 || options.workers > 64) return MakeError("pipeline workers must be 1 to 64");
    if (options.chunk_positions < 1) return MakeError("pipeline chunk must hold at least one position");
    std::unique_ptr<Runner> runner(new Runner(options.feed_bytes > 0));
    for (int i = 0; i < options.workers; ++i) {
        auto accounts = store::AccountStore::Open(options.db_path);
        if (!accounts) return MakeError("pipeline: " + accounts.error().message);
        if (auto r = store::DerivedStore(**accounts).SkipSync(); !r) return MakeError("pipeline: " + r.error().message);
        runner->workers_.push_back(
            std::make_unique<detail::Worker>(i, options.workers, std::move(*accounts), options, runner->stats_));
    }
    for (auto& w : runner->workers_) w->Start();
    return runner;
}

Runner::Runner(bool feed) : feed_(feed) {}

Runner::~Runner() { Stop(); }

detail::Worker& Runner::WorkerOf(int64_t device_id) {
    auto n = static_cast<int64_t>(workers_.size());
    return *workers_[static_cast<size_t>(((device_id % n) + n) % n)];
}

namespace {

// What the engine is given of a committed batch (detail::ToPoint) and the positions' keys: the IO
// values and the packed texts stay out; the attribute texts go into one buffer.
detail::FedBatch FeedCopy(const store::IngestBatch& b) {
    detail::FedBatch fed;
    fed.device_id = b.device_id;
    size_t text_bytes = 0;
    for (const auto& p : b.positions) text_bytes += p.attributes_json.size();
    fed.texts.reserve(text_bytes);  // exactly: the texts never move while the views are taken
    fed.positions.reserve(b.positions.size());
    for (const auto& p : b.positions) {
        const size_t at = fed.texts.size();
        fed.texts.insert(fed.texts.end(), p.attributes_json.begin(), p.attributes_json.end());
        fed.positions.push_back(detail::FedPosition{p.device_time, p.fingerprint, p.lat, p.lon, p.speed_kmh,
                                                    p.course_deg, p.valid,
                                                    std::string_view(fed.texts.data() + at, p.attributes_json.size())});
    }
    return fed;
}

}  // namespace

void Runner::OnCommitted(std::span<const store::IngestBatch* const> committed) {
    try {
        // One lock per worker per group, not per batch. With each device, the oldest device time it
        // committed: the worker looks for a late mark only when that is not after what it processed.
        std::vector<std::vector<detail::Worker::WakeUp>> by_worker(workers_.size());
        std::vector<std::vector<detail::FedBatch>> fed(workers_.size());
        const auto n = static_cast<int64_t>(workers_.size());
        for (const store::IngestBatch* b : committed) {
            if (b->positions.empty()) continue;
            core::TimePoint oldest = b->positions.front().device_time;
            for (const auto& p : b->positions) oldest = std::min(oldest, p.device_time);
            const auto w = static_cast<size_t>(((b->device_id % n) + n) % n);
            auto& wakes = by_worker[w];
            if (!wakes.empty() && wakes.back().device_id == b->device_id) {
                wakes.back().oldest = std::min(*wakes.back().oldest, oldest);
            } else {
                wakes.push_back({b->device_id, oldest});
            }
            if (feed_) fed[w].push_back(FeedCopy(*b));
        }
        for (size_t i = 0; i < workers_.size(); ++i) {
            if (!by_worker[i].empty()) workers_[i]->WakeMany(by_worker[i], std::move(fed[i]));
        }
    } catch (...) {
        // Out of memory: part of this group was neither fed nor woken, so no device may trust the
        // feed until it has read the database again (the tick wakes them all).
        for (auto& worker : workers_) worker->FeedLost();
        throw;
    }
}

void Runner::Wake(int64_t device_id) { WorkerOf(device_id).WakeMany({{device_id, std::nullopt}}); }

void Runner::ConfigChanged(std::optional<int64_t> tenant_id) {
    for (auto& w : workers_) w->ConfigChanged(tenant_id);
}

bool Runner::WaitIdle(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto& w : workers_) {
        if (!w->WaitIdle(deadline)) return false;
    }
    return true;
}

void Runner::Stop() {
    for (auto& w : workers_) w->Stop();
}

std::string Runner::Metrics() const {
    return fmt::format(
        "# HELP fleetd_pipeline_positions_total Positions processed by the pipeline (replays included).\n"
        "# TYPE fleetd_pipeline_positions_total counter\nfleetd_pipeline_positions_total {}\n"
        "# HELP fleetd_pipeline_positions_fed_total Of them, positions taken from the committed groups "
        "instead of read back from the database.\n"
        "# TYPE fleetd_pipeline_positions_fed_total counter\nfleetd_pipeline_positions_fed_total {}\n"
        "# HELP fleetd_pipeline_chunks_total Chunks of derived rows written.\n"
        "# TYPE fleetd_pipeline_chunks_total counter\nfleetd_pipeline_chunks_total {}\n"
        "# HELP fleetd_pipeline_recomputes_total Windows replayed because late positions arrived.\n"
        "# TYPE fleetd_pipeline_recomputes_total counter\nfleetd_pipeline_recomputes_total {}\n"
        "# HELP fleetd_pipeline_events_total Events written (replays included).\n"
        "# TYPE fleetd_pipeline_events_total counter\nfleetd_pipeline_events_total {}\n"
        "# HELP fleetd_pipeline_failures_total Failed chunks and checks (retried).\n"
        "# TYPE fleetd_pipeline_failures_total counter\nfleetd_pipeline_failures_total {}\n",
        stats_.positions.load(), stats_.fed.load(), stats_.chunks.load(), stats_.recomputes.load(), stats_.events.load(),
        stats_.failures.load());
}

}  // namespace fleet::pipeline
