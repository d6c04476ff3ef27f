// bench_reports: benchmark 5 (docs/BENCHMARKS.md). How long do the reports take on a realistic
// amount of derived data, against baselines measured in the same run on the same database?
//
// The database is created and migrated by store::OpenSqliteStore (the server's tables and indexes)
// and filled with what the pipeline would have derived from a month of 10-second positions of a
// fleet: `--vehicles` vehicles (default 500), each with `--trips-per-day` trips a day (default 10;
// each trip followed by a stop) and `--events-per-trip` events per trip, over `--days` days (default
// 30) — 150,000 trips, 150,000 stops and 450,000 events by default. The rows go in before any clock
// starts. Then each measure runs `--runs` times (default 9) and the median is reported:
//
//   baseline: count      SELECT count(*) FROM trips: a full pass over the table
//   baseline: raw month  the month of one vehicle's trips by a bare index range scan (no joins, no
//                        visibility rule): the least any trips report can cost
//   trips, 1 vehicle, month        ReportStore::Trips: what GET /api/v1/reports/trips reads
//   trips, 1 vehicle, month, CSV   the same laid out as CSV (api::detail::CsvOf)
//   trips, 1 vehicle, month, XLSX  and as XLSX (libxlsxwriter through a temporary file)
//   summary, 500 vehicles, day     ReportStore::DailySummary (every vehicle, one local day)
//   summary, 500 vehicles, month   (15,000 rows; a page of 1,000 and the total)
//   utilisation / eco, 500 vehicles, month
//   events inbox, first page       ReportStore::EventInbox, 100 newest
//
// Goals (issue 5): a month of one vehicle's trips in under 100 ms; a day of 500 vehicles' summary
// in under 1 s.
//
// Usage: bench_reports [--db PATH] [--vehicles N] [--days N] [--trips-per-day N]
//                      [--events-per-trip N] [--runs N]
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "api/detail/report_render.hpp"
#include "api/detail/report_table.hpp"
#include "core/time.hpp"
#include "store/accounts.hpp"
#include "store/reports.hpp"
#include "store/store.hpp"

namespace {

using namespace fleet;
using Clock = std::chrono::steady_clock;

struct Args {
    std::string db;
    int vehicles = 500;
    int days = 30;
    int trips_per_day = 10;
    int events_per_trip = 3;
    int runs = 9;
};

[[noreturn]] void Die(const std::string& what) {
    fmt::print(stderr, "bench_reports: {}\n", what);
    std::exit(1);
}

void Exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) Die(err ? err : "sqlite");
}

// The derived rows of the fleet, in one transaction. Trips of vehicle v on day d start at 06:00 UTC
// plus 90 minutes per trip and last 40 minutes (the last ones run past midnight UTC).
void Fill(sqlite3* db, int64_t tenant, const std::vector<int64_t>& vehicles, const Args& a, int64_t t0) {
    Exec(db, "BEGIN");
    sqlite3_stmt* trip = nullptr;
    sqlite3_stmt* stop = nullptr;
    sqlite3_stmt* event = nullptr;
    sqlite3_prepare_v2(db,
                       "INSERT INTO trips (device_id, tenant_id, vehicle_id, driver_id, start_time, end_time, start_lat, "
                       "start_lon, end_lat, end_lon, start_odometer_m, end_odometer_m, distance_m, max_speed_kmh, "
                       "avg_speed_kmh, idle_s, overspeed_s, harsh_acceleration, harsh_braking, harsh_cornering, "
                       "fuel_used_l, eco_score) VALUES (?, ?, ?, NULL, ?, ?, 48.85, 2.35, 48.9, 2.4, ?, ?, 12000, 97, "
                       "45, 120, 30, 1, 0, 0, 1.1, 82)",
                       -1, &trip, nullptr);
    sqlite3_prepare_v2(db,
                       "INSERT INTO stops (device_id, tenant_id, vehicle_id, start_time, end_time, lat, lon, odometer_m, "
                       "engine_on_s) VALUES (?, ?, ?, ?, ?, 48.9, 2.4, ?, 60)",
                       -1, &stop, nullptr);
    sqlite3_prepare_v2(db,
                       "INSERT INTO events (key, tenant_id, device_id, vehicle_id, type, time, lat, lon, detail, "
                       "created_at) VALUES (?, ?, ?, ?, ?, ?, 48.87, 2.37, '{\"speed_kmh\":97}', ?)",
                       -1, &event, nullptr);
    const char* types[] = {"overspeed", "harsh_braking", "idling", "geofence_enter"};
    for (size_t vi = 0; vi < vehicles.size(); ++vi) {
        int64_t v = vehicles[vi];
        int64_t device = 10000 + v;
        double odometer = 0;
        for (int d = 0; d < a.days; ++d) {
            for (int k = 0; k < a.trips_per_day; ++k) {
                int64_t start = t0 + d * 86400000LL + 6 * 3600000LL + k * 5400000LL;
                int64_t end = start + 40 * 60000LL;
                sqlite3_bind_int64(trip, 1, device);
                sqlite3_bind_int64(trip, 2, tenant);
                sqlite3_bind_int64(trip, 3, v);
                sqlite3_bind_int64(trip, 4, start);
                sqlite3_bind_int64(trip, 5, end);
                sqlite3_bind_double(trip, 6, odometer);
                sqlite3_bind_double(trip, 7, odometer + 12000);
                if (sqlite3_step(trip) != SQLITE_DONE) Die(sqlite3_errmsg(db));
                sqlite3_reset(trip);
                odometer += 12000;
                sqlite3_bind_int64(stop, 1, device);
                sqlite3_bind_int64(stop, 2, tenant);
                sqlite3_bind_int64(stop, 3, v);
                sqlite3_bind_int64(stop, 4, end);
                sqlite3_bind_int64(stop, 5, end + 50 * 60000LL);
                sqlite3_bind_double(stop, 6, odometer);
                if (sqlite3_step(stop) != SQLITE_DONE) Die(sqlite3_errmsg(db));
                sqlite3_reset(stop);
                for (int e = 0; e < a.events_per_trip; ++e) {
                    int64_t at = start + (e + 1) * 60000LL;
                    std::string key = fmt::format("d{}:{}:{}", device, types[e % 4], at);
                    sqlite3_bind_text(event, 1, key.c_str(), -1, SQLITE_TRANSIENT);
                    sqlite3_bind_int64(event, 2, tenant);
                    sqlite3_bind_int64(event, 3, device);
                    sqlite3_bind_int64(event, 4, v);
                    sqlite3_bind_text(event, 5, types[e % 4], -1, SQLITE_STATIC);
                    sqlite3_bind_int64(event, 6, at);
                    sqlite3_bind_int64(event, 7, at);
                    if (sqlite3_step(event) != SQLITE_DONE) Die(sqlite3_errmsg(db));
                    sqlite3_reset(event);
                }
            }
        }
    }
    sqlite3_finalize(trip);
    sqlite3_finalize(stop);
    sqlite3_finalize(event);
    Exec(db, "COMMIT");
    Exec(db, "ANALYZE");
}

// The median of `runs` timings of `fn`, in milliseconds; `fn` returns a row count, checked >= 1.
double Median(int runs, const std::function<int64_t()>& fn, int64_t& rows) {
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        auto start = Clock::now();
        rows = fn();
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        if (rows < 1) Die("a measure read no rows");
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

template <typename T>
const T& Must(const store::Outcome<T>& o) {
    if (!o) Die(o.refused() ? o.refused()->detail : o.error()->message);
    return *o;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) Die("missing value for " + k);
            return argv[++i];
        };
        if (k == "--db") {
            a.db = next();
        } else if (k == "--vehicles") {
            a.vehicles = std::stoi(next());
        } else if (k == "--days") {
            a.days = std::stoi(next());
        } else if (k == "--trips-per-day") {
            a.trips_per_day = std::stoi(next());
        } else if (k == "--events-per-trip") {
            a.events_per_trip = std::stoi(next());
        } else if (k == "--runs") {
            a.runs = std::stoi(next());
        } else {
            Die("unknown option " + k);
        }
    }
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / fmt::format("fleetd_bench_reports_{}", ::getpid());
    if (a.db.empty()) {
        fs::create_directories(dir);
        a.db = (dir / "fleetd.db").string();
    }
    auto store = store::OpenSqliteStore(a.db);
    if (!store) Die(store.error().message);
    auto accounts = store::AccountStore::Open(a.db);
    if (!accounts) Die(accounts.error().message);
    store::Actor cli{"bench", std::nullopt, ""};
    core::TimePoint t0 = *core::ParseIso("2026-03-01T00:00:00Z");
    store::NewTenant tenant{"bench", "UTC"};
    if (!(*accounts)->CreateTenant(tenant, cli, t0)) Die("cannot create the tenant");
    store::TenantScope scope = *(*accounts)->OperatorScope("bench");
    store::Viewer viewer{scope, 0};
    sqlite3* db = nullptr;
    sqlite3_open(a.db.c_str(), &db);
    std::vector<int64_t> vehicles;
    Exec(db, "BEGIN");
    for (int i = 0; i < a.vehicles; ++i) {
        Exec(db, fmt::format("INSERT INTO vehicles (tenant_id, name, created_at) VALUES ({}, 'Vehicle {:04}', 0)",
                             scope.tenant_id(), i));
        vehicles.push_back(sqlite3_last_insert_rowid(db));
    }
    Exec(db, "COMMIT");
    auto fill_start = Clock::now();
    Fill(db, scope.tenant_id(), vehicles, a, t0.time_since_epoch().count());
    double fill_s = std::chrono::duration<double>(Clock::now() - fill_start).count();
    int64_t trips_total = static_cast<int64_t>(a.vehicles) * a.days * a.trips_per_day;
    fmt::print("data: {} vehicles x {} days x {} trips/day = {} trips, {} stops, {} events (inserted in {:.1f} s)\n",
               a.vehicles, a.days, a.trips_per_day, trips_total, trips_total, trips_total * a.events_per_trip, fill_s);

    store::ReportStore reports(**accounts);
    core::Zone zone = *core::Zone::Find("UTC");
    core::TimePoint month_end = t0 + std::chrono::hours(24 * a.days);
    store::ReportFilter month{t0, month_end, vehicles[a.vehicles / 2]};
    store::ReportFilter fleet_day{t0 + std::chrono::hours(24 * 14), t0 + std::chrono::hours(24 * 15)};
    store::ReportFilter fleet_month{t0, month_end};
    store::ReportPage all{1000, 0};
    std::string tmp = dir.string();
    fs::create_directories(dir);

    struct Measure {
        std::string name;
        std::function<int64_t()> fn;
    };
    std::vector<Measure> measures = {
        {"baseline: count(*) of all trips",
         [&] {
             sqlite3_stmt* s = nullptr;
             sqlite3_prepare_v2(db, "SELECT count(*) FROM trips", -1, &s, nullptr);
             sqlite3_step(s);
             int64_t n = sqlite3_column_int64(s, 0);
             sqlite3_finalize(s);
             return n;
         }},
        {"baseline: raw index scan, 1 vehicle, month",
         [&] {
             sqlite3_stmt* s = nullptr;
             sqlite3_prepare_v2(db, "SELECT * FROM trips WHERE vehicle_id = ? AND start_time >= ? AND start_time < ?",
                                -1, &s, nullptr);
             sqlite3_bind_int64(s, 1, *month.vehicle_id);
             sqlite3_bind_int64(s, 2, t0.time_since_epoch().count());
             sqlite3_bind_int64(s, 3, month_end.time_since_epoch().count());
             int64_t n = 0;
             while (sqlite3_step(s) == SQLITE_ROW) ++n;
             sqlite3_finalize(s);
             return n;
         }},
        {"trips report, 1 vehicle, month", [&] { return Must(reports.Trips(viewer, month, all)).total; }},
        {"trips report, 1 vehicle, month, CSV",
         [&] {
             api::detail::ReportParams p;
             p.from = t0;
             p.to = month_end;
             p.vehicle_id = month.vehicle_id;
             auto t = Must(api::detail::RenderReport(reports, viewer, p, zone, {api::detail::kMaxExportRows + 1, 0}, t0));
             return static_cast<int64_t>(api::detail::CsvOf(t, zone).size() > 0 ? t.rows.size() : 0);
         }},
        {"trips report, 1 vehicle, month, XLSX",
         [&] {
             api::detail::ReportParams p;
             p.from = t0;
             p.to = month_end;
             p.vehicle_id = month.vehicle_id;
             auto t = Must(api::detail::RenderReport(reports, viewer, p, zone, {api::detail::kMaxExportRows + 1, 0}, t0));
             auto x = api::detail::XlsxOf(t, zone, tmp);
             if (!x) Die(x.error().message);
             return static_cast<int64_t>(t.rows.size());
         }},
        {fmt::format("daily summary, {} vehicles, 1 day", a.vehicles),
         [&] { return Must(reports.DailySummary(viewer, fleet_day, zone, all)).total; }},
        {fmt::format("daily summary, {} vehicles, month (page of 1,000)", a.vehicles),
         [&] { return Must(reports.DailySummary(viewer, fleet_month, zone, all)).total; }},
        {fmt::format("utilisation, {} vehicles, month", a.vehicles),
         [&] { return Must(reports.Utilisation(viewer, fleet_month, zone, all)).total; }},
        {fmt::format("eco ranking by vehicle, {} vehicles, month", a.vehicles),
         [&] { return Must(reports.EcoRanking(viewer, fleet_month, store::EcoBy::kVehicle, all)).total; }},
        {"events inbox, 100 newest",
         [&] {
             return static_cast<int64_t>(Must(reports.EventInbox(viewer, {}, std::nullopt, 100)).size());
         }},
    };
    fmt::print("{:<58} {:>10} {:>10}\n", "measure (median of runs)", "ms", "rows");
    for (const auto& m : measures) {
        int64_t rows = 0;
        double ms = Median(a.runs, m.fn, rows);
        fmt::print("{:<58} {:>10.2f} {:>10}\n", m.name, ms, rows);
    }
    sqlite3_close(db);
    fs::remove_all(dir);
    return 0;
}
