#include "pipeline/detail/worker.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "core/thread.hpp"
#include "pipeline/detail/convert.hpp"

namespace fleet::pipeline::detail {
namespace {

using namespace std::chrono_literals;

// While a trip is open, a checkpoint at least this often in device time (a long trip must not make
// a late position replay from far back).
constexpr auto kInTripCheckpoint = std::chrono::hours(1);
// Parked, a checkpoint after a trip ends and then every this often (a parked device reporting every
// few seconds would otherwise write one at every wake; one per hour is kept anyway).
constexpr auto kParkedCheckpoint = std::chrono::minutes(10);

core::TimePoint Now() { return std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now()); }

// Fed positions in the order the database gives them (ReadPositions): device time, then fingerprint.
bool KeyLess(const FedPosition* a, const FedPosition* b) {
    return a->device_time != b->device_time ? a->device_time < b->device_time : a->fingerprint < b->fingerprint;
}

// ProcessRows' rows, read back or fed.
const store::PositionRow& Ref(const store::PositionRow& row) { return row; }
const FedPosition& Ref(const FedPosition* row) { return *row; }
// Both kinds have the fields ToPoint reads, under the same names.
template <typename Row>
Point PointOf(const Row& row) {
    return ToPoint(row.device_time, row.lat, row.lon, row.speed_kmh, row.course_deg, row.valid, row.attributes_json);
}

}  // namespace

Worker::Worker(int index, int count, std::unique_ptr<store::AccountStore> accounts, const Runner::Options& options,
               Runner::Stats& stats)
    : index_(index), count_(count), accounts_(std::move(accounts)), derived_(*accounts_), options_(options),
      stats_(stats) {}

Worker::~Worker() { Stop(); }

void Worker::Start() { thread_ = std::thread([this] { Run(); }); }

void Worker::WakeMany(const std::vector<WakeUp>& wakes, std::vector<FedBatch> fed) {
    {
        std::lock_guard lock(mu_);
        for (const auto& w : wakes) Note(w.device_id, w.oldest);
        for (auto& batch : fed) {
            if (dropped_.count(batch.device_id) > 0) continue;
            const size_t bytes = batch.Bytes();
            if (inbox_bytes_ + bytes > options_.feed_bytes) {
                // Over the bound: this device's positions of the pass are read back instead.
                dropped_.insert(batch.device_id);
                if (auto it = inbox_.find(batch.device_id); it != inbox_.end()) {
                    for (const auto& held : it->second) inbox_bytes_ -= held.Bytes();
                    inbox_.erase(it);
                }
                continue;
            }
            inbox_bytes_ += bytes;
            inbox_[batch.device_id].push_back(std::move(batch));
        }
    }
    cv_.notify_one();
}

void Worker::ConfigChanged(std::optional<int64_t> tenant_id) {
    {
        std::lock_guard lock(mu_);
        if (tenant_id) {
            config_tenants_.insert(*tenant_id);
        } else {
            config_all_ = true;
        }
    }
    cv_.notify_one();
}

bool Worker::WaitIdle(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    return idle_cv_.wait_until(lock, deadline, [this] {
        return stop_ || (!busy_ && dirty_.empty() && !config_all_ && config_tenants_.empty());
    });
}

void Worker::Stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_one();
    idle_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Worker::Run() {
    core::NameThread("fleetd-pipe");
    auto next_tick = std::chrono::steady_clock::now();
    auto next_presence = std::chrono::steady_clock::now();
    auto next_pass = std::chrono::steady_clock::now();  // batch_delay after the previous pass
    std::unique_lock lock(mu_);
    while (!stop_) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= next_tick) {
            next_tick = now + options_.tick;
            lock.unlock();
            EnqueueShard();
            lock.lock();
        }
        if (index_ == 0 && now >= next_presence) {
            next_presence = now + options_.presence_interval;
            lock.unlock();
            CheckPresence();
            lock.lock();
        }
        if (config_all_ || !config_tenants_.empty()) {
            bool all = std::exchange(config_all_, false);
            auto tenants = std::exchange(config_tenants_, {});
            lock.unlock();
            DropContexts(all, tenants);
            lock.lock();
        }
        if (!dirty_.empty() && now >= next_pass) {
            busy_ = true;
            std::vector<std::pair<int64_t, std::optional<core::TimePoint>>> devices(dirty_.begin(), dirty_.end());
            dirty_.clear();
            auto fed = std::exchange(inbox_, {});
            inbox_bytes_ = 0;
            auto dropped = std::exchange(dropped_, {});
            // Read after the feed was taken: a failure counted before a group was fed is seen here.
            bool doubt = feed_lost_.exchange(false);
            if (options_.commit_failures) {
                const uint64_t failures = options_.commit_failures->load();
                doubt = doubt || failures != commit_failures_seen_;
                commit_failures_seen_ = failures;
            }
            lock.unlock();
            if (doubt) {
                for (auto& [id, run] : runs_) run.fed = false;
            }
            std::sort(devices.begin(), devices.end());
            for (const auto& [id, oldest] : devices) {
                if (StopRequested()) break;
                auto batches = fed.find(id);
                std::span<const FedBatch> device_fed;
                if (batches != fed.end()) device_fed = batches->second;
                // The thread's root: an exception (a bug, memory) costs this device's pass, not the
                // server.
                try {
                    ProcessDevice(id, oldest, device_fed, dropped.count(id) > 0);
                } catch (const std::exception& e) {
                    ++stats_.failures;
                    spdlog::error("pipeline: device {}: {}", id, e.what());
                    runs_[id].loaded = false;
                    // What was queued is dropped; its devices resume from their checkpoints.
                    for (const auto& chunk : pending_) runs_[chunk.device_id].loaded = false;
                    pending_.clear();
                    pending_in_trip_.clear();
                    pending_positions_ = 0;
                }
            }
            Commit();
            next_pass = std::chrono::steady_clock::now() + options_.batch_delay;
            lock.lock();
            continue;
        }
        busy_ = false;
        idle_cv_.notify_all();
        auto wake = std::min(next_tick, index_ == 0 ? next_presence : next_tick);
        // Devices waiting for the next pass: sleep until it. None: until one is noted (then again
        // until the next pass, with the wake time it needs).
        const bool waiting = !dirty_.empty();
        if (waiting) wake = std::min(wake, next_pass);
        cv_.wait_until(lock, wake, [this, waiting, next_pass] {
            return stop_ || config_all_ || !config_tenants_.empty() ||
                   (!dirty_.empty() && (!waiting || std::chrono::steady_clock::now() >= next_pass));
        });
    }
    busy_ = false;
    idle_cv_.notify_all();
    lock.unlock();
    // Its statements belong to the writer's connection: finalized on the writer's thread.
    if (writer_derived_) options_.write_on_writer([this](store::AccountStore&) { writer_derived_.reset(); });
}

bool Worker::StopRequested() {
    std::lock_guard lock(mu_);
    return stop_;
}

void Worker::Note(int64_t device_id, const std::optional<core::TimePoint>& oldest) {
    auto [it, fresh] = dirty_.try_emplace(device_id, oldest);
    if (!fresh && it->second) it->second = oldest ? std::min(*it->second, *oldest) : oldest;
}

void Worker::EnqueueShard() {
    // Installations, speed limits and badges change through routes that do not call ConfigChanged:
    // a change seen here rebuilds every context (within a tick).
    if (auto signature = derived_.WorldSignature(); signature && *signature != world_signature_) {
        if (!world_signature_.empty()) DropContexts(true, {});
        world_signature_ = std::move(*signature);
    }
    auto devices = derived_.Devices(std::nullopt);
    if (!devices) {
        ++stats_.failures;
        spdlog::warn("pipeline worker {}: {}", index_, devices.error().message);
        return;
    }
    std::lock_guard lock(mu_);
    for (int64_t id : *devices) {
        if (id % count_ == index_) Note(id, std::nullopt);
    }
}

void Worker::DropContexts(bool all, const std::set<int64_t>& tenants) {
    for (auto& [id, run] : runs_) {
        if (!run.context) continue;
        if (all || (run.context->tenant_id && tenants.count(*run.context->tenant_id) > 0)) run.context.reset();
    }
}

Result<void> Worker::Resume(int64_t device_id, DeviceRun& run, const std::optional<core::TimePoint>& oldest) {
    auto restart_from = [&](const std::optional<store::Checkpoint>& cp) -> Result<void> {
        run.state = State{};
        run.cursor.reset();
        run.last_checkpoint.reset();
        if (cp) {
            auto state = ParseState(cp->state_json);
            if (!state) {
                // Written by another version of the engine: start the device over rather than stop it.
                spdlog::warn("pipeline: device {} checkpoint at {}: {}; processing from its first position",
                             device_id, cp->time.time_since_epoch().count(), state.error().message);
            } else {
                run.state = std::move(*state);
                run.cursor = store::PositionCursor{cp->time, std::numeric_limits<int64_t>::max()};
                run.last_checkpoint = cp->time;
                run.last_checkpoint_in_trip = run.state.in_trip;
            }
        }
        run.context.reset();
        run.loaded = true;
        run.fed = false;  // the positions after the checkpoint are read back
        return {};
    };
    // Events dated before the replay's checkpoint but raised after it (an episode open at the
    // checkpoint) are the replay's to decide as well: one that the late positions cancel is not
    // raised again and goes with the window's others (engine.hpp, PendingEvents).
    auto add_pending = [&] {
        for (const Event& e : PendingEvents(run.state)) run.stale_events.insert(StoredEventKey(device_id, e));
    };
    bool look_for_late = !run.loaded || !oldest || !run.cursor || *oldest <= run.cursor->time;
    if (!run.loaded) {
        // A replay that did not finish (fleetd stopped in its middle) starts again from its start,
        // with the events it had to decide on.
        auto unfinished = derived_.UnfinishedReplay(device_id);
        if (!unfinished) return unfinished.error();
        if (*unfinished) {
            if (auto r = restart_from((*unfinished)->checkpoint); !r) return r;
            run.stale_events.insert((*unfinished)->event_keys.begin(), (*unfinished)->event_keys.end());
            add_pending();
            run.replaying = true;
        } else {
            auto cp = derived_.LastCheckpoint(device_id);
            if (!cp) return cp.error();
            if (auto r = restart_from(*cp); !r) return r;
        }
    }
    // Woken by a commit of positions all after what was processed: no late mark to look for (one
    // query less per device and wake; the tick looks anyway).
    if (!look_for_late) return {};
    auto late = derived_.TakeLate(device_id);
    if (!late) return late.error();
    if (*late) {
        ++stats_.recomputes;
        auto& recompute = **late;
        if (auto r = restart_from(recompute.checkpoint); !r) return r;
        // Events of the window that the replay does not raise again are deleted when it catches up.
        run.stale_events.insert(recompute.event_keys.begin(), recompute.event_keys.end());
        add_pending();
        run.replaying = true;
    }
    return {};
}

Result<void> Worker::LoadContext(int64_t device_id, DeviceRun& run, core::TimePoint at) {
    auto world = derived_.LoadWorld(device_id, at);
    if (!world) return world.error();
    std::vector<std::string> problems;
    run.context = ToContext(device_id, *world, problems, &geofences_);
    for (const auto& p : problems) spdlog::warn("pipeline: device {}: {}", device_id, p);
    run.context_from = world->valid_from;
    run.context_to = world->valid_to;
    return {};
}

void Worker::Flush(int64_t device_id, DeviceRun& run, const Output& out, bool chunk_end) {
    store::DerivedChunk chunk;
    chunk.device_id = device_id;
    chunk.tenant_id = run.context->tenant_id;
    chunk.vehicle_id = run.context->vehicle_id;
    AppendOutput(device_id, out, chunk);
    chunk.counters_time = run.state.last_time;
    const auto& last = run.state.last_time;
    bool checkpoint = false;
    if (chunk_end && last) {
        const auto since = run.last_checkpoint ? *last - *run.last_checkpoint : core::Millis::max();
        checkpoint = run.state.in_trip ? since >= kInTripCheckpoint
                                       : run.last_checkpoint_in_trip || since >= kParkedCheckpoint;
    }
    if (checkpoint) {
        chunk.checkpoint = store::Checkpoint{*last, StateJson(run.state)};
    }
    pending_.push_back(std::move(chunk));
    pending_in_trip_.push_back(run.state.in_trip);
}

Result<void> Worker::Write() {
    if (!options_.write_on_writer) return derived_.Write(pending_, Now());
    std::optional<Result<void>> written;
    options_.write_on_writer([&](store::AccountStore& writer) {
        if (!writer_derived_) writer_derived_ = std::make_unique<store::DerivedStore>(writer);
        written = writer_derived_->Write(pending_, Now());
    });
    if (!written) return MakeError("the ingestion writer did not run the pipeline's write (stopping)");
    return std::move(*written);
}

bool Worker::Commit() {
    if (pending_.empty()) return true;
    auto written = Write();
    for (size_t i = 0; i < pending_.size(); ++i) {
        const auto& chunk = pending_[i];
        DeviceRun& run = runs_[chunk.device_id];
        if (!written) {
            run.loaded = false;  // the next wake resumes from the checkpoint
            continue;
        }
        if (chunk.checkpoint) {
            run.last_checkpoint = chunk.checkpoint->time;
            run.last_checkpoint_in_trip = pending_in_trip_[i];
        }
        for (const auto& e : chunk.events) run.stale_events.erase(e.key);
        ++stats_.chunks;
        stats_.events += chunk.events.size();
    }
    if (!written) {
        ++stats_.failures;
        // Their devices are looked at again by the next commit that wakes them or the next tick.
        spdlog::warn("pipeline worker {}: {} (its devices resume from their checkpoints)", index_,
                     written.error().message);
    }
    pending_.clear();
    pending_in_trip_.clear();
    pending_positions_ = 0;
    return written.ok();
}

template <typename Row>
int64_t Worker::ProcessRows(int64_t device_id, DeviceRun& run, std::span<const Row> rows) {
    auto fail = [&](const Error& e) -> int64_t {
        ++stats_.failures;
        spdlog::warn("pipeline: device {}: {}", device_id, e.message);
        run.loaded = false;  // the next wake resumes from the checkpoint
        return -1;
    };
    Output out;
    bool processed = false;
    size_t count = 0;
    for (const auto& item : rows) {
        const auto& row = Ref(item);
        // Already processed (a position fed and also read back, a resent one) or late (its mark
        // makes the next wake replay it).
        if (run.cursor && !(run.cursor->time < row.device_time ||
                            (run.cursor->time == row.device_time && run.cursor->fingerprint < row.fingerprint))) {
            continue;
        }
        const auto t = row.device_time;
        bool outside = !run.context || (run.context_from && t < *run.context_from) ||
                       (run.context_to && t >= *run.context_to);
        if (outside) {
            // The device changed vehicle (or the configuration changed): what was derived so
            // far belongs to the previous context.
            if (processed) {
                Flush(device_id, run, out, false);
                out = Output{};
                processed = false;
            }
            if (auto r = LoadContext(device_id, run, t); !r) return fail(r.error());
        }
        Process(*run.context, run.state, PointOf(row), out);
        run.cursor = store::PositionCursor{row.device_time, row.fingerprint};
        processed = true;
        ++count;
    }
    stats_.positions += count;
    if (processed) Flush(device_id, run, out, true);
    pending_positions_ += count;
    // Bounded: what is queued is written once it is a chunk's worth.
    if (static_cast<int64_t>(pending_positions_) >= options_.chunk_positions && !Commit()) return -1;
    return static_cast<int64_t>(count);
}

void Worker::ProcessDevice(int64_t device_id, const std::optional<core::TimePoint>& oldest,
                           std::span<const FedBatch> fed, bool dropped) {
    DeviceRun& run = runs_[device_id];
    auto fail = [&](const Error& e) {
        ++stats_.failures;
        spdlog::warn("pipeline: device {}: {}", device_id, e.message);
        run.loaded = false;  // the next wake resumes from the checkpoint
    };
    // A wake without a commit (the tick, Runner::Wake) reads the database: the feed is checked
    // against it at least once a tick.
    if (dropped || !oldest) run.fed = false;
    if (auto r = Resume(device_id, run, oldest); !r) return fail(r.error());
    bool caught_up = false;
    if (run.fed) {
        // Everything committed since the last read is here: in key order, in chunks.
        std::vector<const FedPosition*> rows;
        for (const auto& batch : fed) {
            for (const auto& p : batch.positions) rows.push_back(&p);
        }
        if (!std::is_sorted(rows.begin(), rows.end(), KeyLess)) std::stable_sort(rows.begin(), rows.end(), KeyLess);
        const auto chunk = static_cast<size_t>(options_.chunk_positions);
        const std::span<const FedPosition* const> all(rows);
        for (size_t at = 0; at < all.size(); at += chunk) {
            if (StopRequested()) return;
            const int64_t n = ProcessRows(device_id, run, all.subspan(at, std::min(chunk, all.size() - at)));
            if (n < 0) return;
            stats_.fed += static_cast<uint64_t>(n);
        }
        caught_up = true;
    } else {
        while (!StopRequested()) {
            auto rows = derived_.ReadPositions(device_id, run.cursor, options_.chunk_positions);
            if (!rows) return fail(rows.error());
            if (ProcessRows(device_id, run, std::span<const store::PositionRow>(*rows)) < 0) return;
            if (static_cast<int64_t>(rows->size()) < options_.chunk_positions) {
                caught_up = true;
                break;
            }
        }
        // From the snapshot of the last read on, every commit is fed (Runner::OnCommitted); what was
        // fed of this pass was committed before it, so it was read too.
        if (caught_up && options_.feed_bytes > 0) run.fed = true;
    }
    if (caught_up && run.replaying) {
        // The replay caught up: what it did not raise again goes, once its own rows are written.
        if (!Commit()) return;
        std::vector<std::string> keys(run.stale_events.begin(), run.stale_events.end());
        if (auto r = derived_.FinishReplay(device_id, keys); !r) return fail(r.error());
        run.stale_events.clear();
        run.replaying = false;
    }
}

void Worker::CheckPresence() {
    auto seen = derived_.SeenDevices();
    if (!seen) {
        ++stats_.failures;
        spdlog::warn("pipeline: presence check: {}", seen.error().message);
        return;
    }
    const auto now = Now();
    std::unordered_map<int64_t, double> offline_after_s;  // by tenant, read once per check
    for (const auto& d : *seen) {
        double after_s = Settings{}.offline_after_s;
        if (d.tenant_id) {
            auto it = offline_after_s.find(*d.tenant_id);
            if (it == offline_after_s.end()) {
                auto json = derived_.TenantSettings(*d.tenant_id);
                auto settings = json ? ParseSettings(*json) : Result<Settings>(json.error());
                it = offline_after_s.emplace(*d.tenant_id, settings ? settings->offline_after_s : after_s).first;
            }
            after_s = it->second;
        }
        auto known = presence_.find(d.device_id);
        if (known == presence_.end()) {
            auto last = derived_.LastPresenceEvent(d.device_id);
            if (!last) {
                ++stats_.failures;
                spdlog::warn("pipeline: presence of device {}: {}", d.device_id, last.error().message);
                continue;
            }
            known = presence_.emplace(d.device_id, std::move(*last)).first;
        }
        const auto silent_for = now - d.last_server_time;
        const auto limit = std::chrono::duration_cast<core::Millis>(std::chrono::duration<double>(after_s));
        Event e;
        e.lat = d.lat;
        e.lon = d.lon;
        if (silent_for > limit && known->second != "device_offline") {
            e.type = "device_offline";
            e.time = d.last_server_time + limit;
            e.detail_json = fmt::format("{{\"last_seen\":{},\"offline_after_s\":{}}}",
                                        d.last_server_time.time_since_epoch().count() / 1000, after_s);
        } else if (silent_for <= limit && known->second == "device_offline") {
            e.type = "device_online";
            e.time = d.last_server_time;
        } else {
            continue;
        }
        store::DerivedEvent row;
        row.key = StoredEventKey(d.device_id, e);
        row.type = e.type;
        row.time = e.time;
        row.lat = e.lat;
        row.lon = e.lon;
        row.detail_json = e.detail_json;
        auto added = derived_.AddEvent(d.device_id, d.tenant_id, d.vehicle_id, row, now);
        if (!added) {
            ++stats_.failures;
            spdlog::warn("pipeline: presence of device {}: {}", d.device_id, added.error().message);
        } else {
            known->second = e.type;
            if (*added) ++stats_.events;
        }
    }
}

}  // namespace fleet::pipeline::detail
