// bench_pipeline: the pipeline half of benchmark 6 (docs/BENCHMARKS.md, bench/pipeline.sh). How fast
// does the runner turn a month of one vehicle's 10-second positions (about 260,000) into trips,
// stops and events, against a baseline measured in the same run on the same database — reading the
// same positions in the same chunks without processing them — and how long does the trips report of
// that month then take?
//
// The positions go in first through the store's real ingestion (Store::Ingest, 1,000 a
// transaction), in order: every day 8 drives of 45 minutes at 50 km/h with the ignition on (a
// badge read), the rest of the time parked with the ignition off, one position every 10 s
// throughout. Then:
//   baseline: read     DerivedStore::ReadPositions over the month in the runner's chunks
//   pipeline           pipeline::Runner (1 worker) from start to idle: read, Process, write
//   trips report       ReportStore::Trips of the month (median of --runs)
//
// Usage: bench_pipeline [--days N] [--runs N] [--db PATH]. Prints a Markdown table and a JSON line.
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "pipeline/runner.hpp"
#include "store/accounts.hpp"
#include "store/derived.hpp"
#include "store/reports.hpp"
#include "store/store.hpp"

namespace {

using namespace fleet;
using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what) {
    fmt::print(stderr, "bench_pipeline: {}\n", what);
    std::exit(1);
}

template <typename T>
T Must(Result<T> r) {
    if (!r) Die(r.error().message);
    return std::move(*r);
}

void Exec(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) Die(err ? err : "sqlite");
    sqlite3_close(db);
}

// 259200 → "259,200".
std::string Thousands(double v) {
    std::string digits = fmt::format("{:.0f}", v);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
        out += digits[i];
    }
    return out;
}

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

}  // namespace

int main(int argc, char** argv) {
    int days = 30;
    int runs = 9;
    std::string db_path;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--days") {
            days = std::atoi(argv[i + 1]);
        } else if (k == "--runs") {
            runs = std::atoi(argv[i + 1]);
        } else if (k == "--db") {
            db_path = argv[i + 1];
        } else {
            Die("unknown option " + k);
        }
    }
    namespace fs = std::filesystem;
    fs::path dir;
    if (db_path.empty()) {
        dir = fs::temp_directory_path() / fmt::format("fleetd-bench-pipeline-{}", ::getpid());
        fs::remove_all(dir);
        fs::create_directories(dir);
        db_path = (dir / "fleetd.db").string();
    }
    auto store = Must(store::OpenSqliteStore(db_path));
    auto accounts = Must(store::AccountStore::Open(db_path));
    store::Actor cli{"bench", std::nullopt, ""};
    const core::TimePoint t0 = *core::ParseIso("2026-03-01T00:00:00Z");
    store::NewTenant tenant{"bench", "UTC"};
    if (!accounts->CreateTenant(tenant, cli, t0)) Die("cannot create the tenant");
    store::TenantScope scope = *accounts->OperatorScope("bench");
    Exec(db_path, fmt::format("INSERT INTO devices (id, imei, protocol, status, created_at, tenant_id) VALUES "
                              "(1, '356307042441013', 'teltonika', 'active', 0, {0});"
                              "INSERT INTO vehicles (id, tenant_id, name, created_at) VALUES (1, {0}, 'Van', 0);"
                              "INSERT INTO installations (tenant_id, vehicle_id, device_id, from_time, created_at) "
                              "VALUES ({0}, 1, 1, 0, 0);"
                              "INSERT INTO drivers (tenant_id, name, badge_id, created_at) VALUES ({0}, 'Ann', "
                              "'00000000CAFE0042', 0);",
                              scope.tenant_id()));

    // A month of positions, ingested in order.
    constexpr int kStepS = 10;
    const int64_t total = int64_t{days} * 86400 / kStepS;
    auto fill_start = Clock::now();
    double lat = 48.0;
    store::IngestBatch batch;
    batch.device_id = 1;
    batch.protocol = "teltonika";
    int64_t drives = 0;
    for (int64_t i = 0; i < total; ++i) {
        int64_t s = i * kStepS;
        int64_t of_day = s % 86400;
        // 8 drives a day, at 06:00 + 1h45 * k, 45 minutes each.
        int64_t k = (of_day - 6 * 3600) / 6300;
        bool driving = of_day >= 6 * 3600 && k < 8 && (of_day - 6 * 3600) % 6300 < 45 * 60;
        if (driving && (of_day - 6 * 3600) % 6300 == 0) ++drives;
        core::Record r;
        r.device_time = t0 + std::chrono::seconds(s);
        r.server_time = r.device_time;
        r.valid = true;
        r.satellites = 9;
        r.lon = 2.0;
        if (driving) {
            lat += 50 / 3.6 * kStepS / 6371008.8 * 180 / M_PI * (k % 2 == 0 ? 1 : -1);
            r.speed_kmh = 50;
            core::SetAttribute(r.attributes, "ignition", true);
            core::SetAttribute(r.attributes, "driver_id", std::string("00000000CAFE0042"));
        } else {
            core::SetAttribute(r.attributes, "ignition", false);
        }
        r.lat = lat;
        batch.positions.push_back(store::MakePositionRow(1, r));
        if (batch.positions.size() == 1000 || i + 1 == total) {
            const store::IngestBatch* batches[] = {&batch};
            Must(store->Ingest(batches));
            batch.positions.clear();
        }
    }
    double fill_s = Seconds(fill_start);
    Exec(db_path, "ANALYZE");

    // Baseline: the same positions read in the runner's chunks, not processed.
    store::DerivedStore derived(*accounts);
    pipeline::Runner::Options options;
    auto read_start = Clock::now();
    int64_t read = 0;
    std::optional<store::PositionCursor> cursor;
    for (;;) {
        auto rows = Must(derived.ReadPositions(1, cursor, options.chunk_positions));
        if (rows.empty()) break;
        read += static_cast<int64_t>(rows.size());
        cursor = store::PositionCursor{rows.back().device_time, rows.back().fingerprint};
    }
    double read_s = Seconds(read_start);

    // The pipeline: one worker from start to idle.
    options.db_path = db_path;
    options.workers = 1;
    auto run_start = Clock::now();
    auto runner = Must(pipeline::Runner::Start(options));
    if (!runner->WaitIdle(std::chrono::minutes(30))) Die("the runner did not finish in 30 minutes");
    double run_s = Seconds(run_start);
    uint64_t processed = runner->stats().positions.load();
    uint64_t chunks = runner->stats().chunks.load();
    runner->Stop();

    auto count = [&](const char* table) {
        sqlite3* db = nullptr;
        sqlite3_open(db_path.c_str(), &db);
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db, fmt::format("SELECT count(*) FROM {}", table).c_str(), -1, &s, nullptr);
        int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
        sqlite3_finalize(s);
        sqlite3_close(db);
        return n;
    };
    int64_t trips = count("trips"), stops = count("stops"), events = count("events");

    // The trips report of the month.
    store::ReportStore reports(*accounts);
    store::Viewer viewer{scope, 0};
    store::ReportFilter month;
    month.from = t0;
    month.to = t0 + std::chrono::hours(24 * days);
    month.vehicle_id = 1;
    store::ReportPage all{1000, 0};
    std::vector<double> report_ms;
    int64_t report_rows = 0;
    for (int i = 0; i < runs; ++i) {
        auto start = Clock::now();
        auto page = reports.Trips(viewer, month, all);
        report_ms.push_back(Seconds(start) * 1000);
        if (!page) Die("trips report failed");
        report_rows = static_cast<int64_t>(page->items.size());
    }
    std::sort(report_ms.begin(), report_ms.end());
    double report_median = report_ms[report_ms.size() / 2];

    fmt::print("| measure | result |\n|---|---:|\n");
    fmt::print("| positions ingested (Store::Ingest, 1,000 a transaction) | {} in {:.1f} s |\n", Thousands(total), fill_s);
    fmt::print("| baseline: chunked read of the month, not processed | {} positions/s ({:.2f} s) |\n",
               Thousands(read / read_s), read_s);
    fmt::print("| **pipeline**: read, Process, write (1 worker) | **{} positions/s** ({:.2f} s, {} chunks; "
               "{:.2f}x the time of the read alone) |\n",
               Thousands(processed / run_s), run_s, chunks, run_s / read_s);
    fmt::print("| derived | {} trips ({} drives), {} stops, {} events |\n", trips, drives, stops, events);
    fmt::print("| trips report of the month (median of {}; goal < 100 ms: **{}**) | {:.2f} ms, {} rows |\n", runs,
               report_median < 100 ? "met" : "not met", report_median, report_rows);
    fmt::print("{{\"positions\":{},\"fill_s\":{:.3f},\"read_per_s\":{:.0f},\"pipeline_per_s\":{:.0f},\"pipeline_s\":{:.3f},"
               "\"trips\":{},\"drives\":{},\"stops\":{},\"events\":{},\"report_ms\":{:.3f}}}\n",
               total, fill_s, read / read_s, processed / run_s, run_s, trips, drives, stops, events, report_median);
    accounts.reset();
    store.reset();
    if (!dir.empty()) fs::remove_all(dir);
    return 0;
}
