// bench_raw_insert: the baseline of benchmark 2 (docs/BENCHMARKS.md). How fast can a plain loop of
// prepared INSERTs put the rows fleetd stores into fleetd's own SQLite schema, with the server's
// PRAGMAs and its default synchronous=full? The server's ingestion rate is compared with this.
//
// The rows are the ones the server makes: the simulator's vehicles (sim/route.hpp, the same seed and
// IMEI indexes as `fleetd simulate`) sample `records-per-packet` records per packet, the records are
// encoded as Codec 8 Extended packets and decoded again (what the gateway receives), and each is
// turned into a stored row by store::MakePositionRow (same fingerprint, same IO/attribute JSON).
// Rows are made before the clock starts; only the inserts and commits are timed. The database is
// created and migrated by store::OpenSqliteStore (the server's tables and indexes) and the devices
// registered through it; the loop then uses its own connection with the Store's settings.
//
// Modes:
//   positions (default)  INSERT INTO positions only: the bare cost of storing the rows.
//   server               what the server writes per group as well: the raw frames, by chunk as
//                        the server's committer writes them under load (a store::FrameBuffer with
//                        its default limits, the clock advanced by --interval-ms a round of packets;
//                        each due chunk compressed and inserted into frame_chunks), and one
//                        latest-position upsert per device per transaction, with INSERT OR IGNORE
//                        for positions.
//
// Usage: bench_raw_insert [--db PATH] [--devices N] [--rows N] [--rows-per-txn N]
//                         [--records-per-packet K] [--interval-ms MS] [--synchronous full|normal]
//                         [--mode positions|server] [--pragma NAME=VALUE]... [--json]
// (--pragma: extra settings after the Store's, for experiments; the benchmark passes none.)
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/teltonika/teltonika.hpp"
#include "sim/route.hpp"
#include "sim/sim.hpp"
#include "store/detail/frame_sql.hpp"     // the store's own raw-frame rows
#include "store/detail/position_sql.hpp"  // the store's own columns and row binding
#include "store/store.hpp"

namespace {

using namespace fleet;
using Clock = std::chrono::steady_clock;

struct Args {
    std::string db;  // empty: a fresh file in a temporary folder, deleted afterwards
    int devices = 1000;
    int64_t rows = 3'000'000;
    int64_t rows_per_txn = 10'000;
    int records_per_packet = 10;
    int interval_ms = 100;
    std::string synchronous = "full";
    std::string mode = "positions";
    std::vector<std::string> pragmas;  // extra PRAGMAs after the server's (experiments)
    bool json = false;
};

[[noreturn]] void Usage(const std::string& why) {
    std::cerr << "bench_raw_insert: " << why
              << "\nusage: bench_raw_insert [--db PATH] [--devices N] [--rows N] [--rows-per-txn N]"
                 " [--records-per-packet K] [--interval-ms MS] [--synchronous full|normal]"
                 " [--mode positions|server] [--pragma NAME=VALUE]... [--json]\n";
    std::exit(2);
}

Args Parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        std::string_view k = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) Usage(std::string(k) + " needs a value");
            return argv[++i];
        };
        try {
            if (k == "--db") a.db = value();
            else if (k == "--devices") a.devices = std::stoi(value());
            else if (k == "--rows") a.rows = std::stoll(value());
            else if (k == "--rows-per-txn") a.rows_per_txn = std::stoll(value());
            else if (k == "--records-per-packet") a.records_per_packet = std::stoi(value());
            else if (k == "--interval-ms") a.interval_ms = std::stoi(value());
            else if (k == "--synchronous") a.synchronous = value();
            else if (k == "--mode") a.mode = value();
            else if (k == "--pragma") a.pragmas.push_back(value());
            else if (k == "--json") a.json = true;
            else Usage("unknown argument " + std::string(k));
        } catch (const std::logic_error&) {
            Usage("bad number after " + std::string(k));
        }
    }
    if (a.devices < 1 || a.rows < 1 || a.rows_per_txn < 1 || a.records_per_packet < 1 ||
        a.records_per_packet > 255 || a.interval_ms < a.records_per_packet) {
        Usage("out-of-range value");
    }
    if (a.mode != "positions" && a.mode != "server") Usage("--mode is positions or server");
    return a;
}

// One packet as the server stores it: its rows and its raw frame.
struct Packet {
    int64_t device_id = 0;
    std::vector<store::PositionRow> rows;
    std::vector<uint8_t> frame;
};

// Makes `rounds` packets per device, exactly as the simulator samples them (k samples per
// interval) and as the gateway decodes them.
std::vector<Packet> MakePackets(const Args& a, const std::vector<int64_t>& device_ids, int rounds) {
    namespace teltonika = protocol::teltonika;
    sim::City city(1);
    std::vector<sim::Vehicle> vehicles;
    vehicles.reserve(device_ids.size());
    for (size_t d = 0; d < device_ids.size(); ++d) vehicles.emplace_back(city, 1, d);
    const auto step = std::chrono::milliseconds(a.interval_ms / a.records_per_packet);
    const auto wall_start = std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now());
    std::vector<Packet> packets;
    packets.reserve(static_cast<size_t>(rounds) * device_ids.size());
    std::vector<core::Record> samples(static_cast<size_t>(a.records_per_packet));
    for (int round = 0; round < rounds; ++round) {
        for (size_t d = 0; d < device_ids.size(); ++d) {
            for (int j = 0; j < a.records_per_packet; ++j) {
                vehicles[d].Advance(step);
                auto t = wall_start + step * (static_cast<int64_t>(round) * a.records_per_packet + j);
                vehicles[d].Fill(samples[static_cast<size_t>(j)], t);
            }
            Packet p;
            p.device_id = device_ids[d];
            p.frame = teltonika::EncodeAvlTcp(teltonika::Codec::k8Extended, samples);
            auto decoded = teltonika::DecodeTcp(core::Bytes(p.frame.data(), p.frame.size()));
            if (!decoded) {
                std::cerr << "bench_raw_insert: cannot decode a simulated packet: " << decoded.error().message << "\n";
                std::exit(1);
            }
            for (auto& m : decoded->messages) {
                m.record.server_time = wall_start;
                p.rows.push_back(store::MakePositionRow(p.device_id, m.record));
            }
            packets.push_back(std::move(p));
        }
    }
    return packets;
}

void Check(sqlite3* db, int rc, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE) {
        std::cerr << "bench_raw_insert: " << what << ": " << sqlite3_errmsg(db) << "\n";
        std::exit(1);
    }
}

void Exec(sqlite3* db, const std::string& sql) { Check(db, sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), sql.c_str()); }

sqlite3_stmt* Prepare(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    Check(db, sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr), "prepare");
    return s;
}

// Bytes this process has passed to write(2)/pwrite(2) so far ("wchar" of /proc/self/io).
int64_t WrittenBytes() {
    FILE* f = std::fopen("/proc/self/io", "r");
    if (!f) return 0;
    char line[256];
    int64_t n = 0;
    while (std::fgets(line, sizeof line, f)) {
        if (std::sscanf(line, "wchar: %ld", &n) == 1) break;
    }
    std::fclose(f);
    return n;
}

int64_t PeakRssKb() {
    FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    int64_t kb = 0;
    while (std::fgets(line, sizeof line, f)) {
        if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
    }
    std::fclose(f);
    return kb;
}

}  // namespace

int main(int argc, char** argv) {
    Args a = Parse(argc, argv);

    std::filesystem::path temp_dir;
    std::string path = a.db;
    if (path.empty()) {
        std::string tmpl = (std::filesystem::temp_directory_path() / "bench_raw_insert.XXXXXX").string();
        if (!mkdtemp(tmpl.data())) {
            std::perror("bench_raw_insert: mkdtemp");
            return 1;
        }
        temp_dir = tmpl;
        path = (temp_dir / "fleetd.db").string();
    }

    // The server's schema and PRAGMAs: create and migrate through the Store, register the devices
    // as the server would know them.
    std::vector<int64_t> device_ids;
    {
        store::SqliteOptions options;
        options.synchronous = a.synchronous;
        auto st = store::OpenSqliteStore(path, options);
        if (!st) {
            std::cerr << "bench_raw_insert: " << st.error().message << "\n";
            return 1;
        }
        for (int d = 0; d < a.devices; ++d) {
            std::string imei = sim::ImeiFor(static_cast<uint64_t>(d));
            auto found = (*st)->FindDevice(imei);
            if (found && found->has_value()) {
                device_ids.push_back((*found)->id);
                continue;
            }
            auto added = (*st)->AddDevice(imei, "teltonika", "");
            if (!added) {
                std::cerr << "bench_raw_insert: " << added.error().message << "\n";
                return 1;
            }
            device_ids.push_back(added->id);
        }
    }

    // Enough distinct packets for a few rounds of every device; longer runs insert them again shifted
    // in time (another device_time: new primary keys, the same content).
    const int64_t per_round = static_cast<int64_t>(a.devices) * a.records_per_packet;
    const int rounds = static_cast<int>(std::clamp<int64_t>((a.rows + per_round - 1) / per_round, 1, 30));
    auto t0 = Clock::now();
    std::vector<Packet> packets = MakePackets(a, device_ids, rounds);
    double make_s = std::chrono::duration<double>(Clock::now() - t0).count();
    const int64_t span_ms = static_cast<int64_t>(rounds) * a.interval_ms;

    // A plain connection with the settings of the Store's connection (SqliteStore::Init and
    // OpenSqliteStore in src/store/sqlite_store.cpp; keep the two in step): the same VFS (the Store's
    // "fleetd-wal", which gathers WAL writes, registered by OpenSqliteStore when synchronous=full),
    // WAL (persistent in the file), synchronous, foreign keys, a 128 MiB page cache, and a WAL
    // checkpoint every store::kCheckpointPages pages. The Store does its checkpoints mostly on a background thread; a
    // plain loop does them inline, as SQLite does.
    const char* vfs = sqlite3_vfs_find("fleetd-wal") ? "fleetd-wal" : nullptr;
    sqlite3* db = nullptr;
    Check(db, sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, vfs), "open");
    sqlite3_busy_timeout(db, 10000);
    Exec(db, "PRAGMA journal_mode=WAL");
    Exec(db, "PRAGMA synchronous=" + a.synchronous);
    Exec(db, "PRAGMA foreign_keys=ON");
    Exec(db, "PRAGMA cache_size=-131072");
    Exec(db, "PRAGMA wal_autocheckpoint=" + std::to_string(store::kCheckpointPages));
    for (const auto& p : a.pragmas) Exec(db, "PRAGMA " + p);

    const bool server_mode = a.mode == "server";
    sqlite3_stmt* insert = Prepare(db, fmt::format("INSERT {}INTO positions ({}) VALUES "
                                                   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                                   server_mode ? "OR IGNORE " : "", store::detail::kPositionColumns));
    sqlite3_stmt* frame = Prepare(db, store::detail::kInsertFrameChunk);
    store::FrameBuffer frame_buffer{store::FrameBuffer::Limits{}};
    std::vector<store::FrameChunk> due;
    const auto clock0 = store::FrameBuffer::Clock::now();
    auto flush_frames = [&](store::FrameBuffer::Clock::time_point now, bool all) {
        due.clear();
        frame_buffer.TakeDue(now, all, due);
        for (const auto& c : due) Check(db, store::detail::InsertFrameChunk(frame, c), "insert raw frames");
    };
    sqlite3_stmt* latest = Prepare(db, fmt::format(
        "INSERT INTO latest_positions ({0}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (device_id) DO UPDATE SET device_time = excluded.device_time, "
        "fingerprint = excluded.fingerprint, server_time = excluded.server_time, lat = excluded.lat, "
        "lon = excluded.lon, altitude = excluded.altitude, speed = excluded.speed, "
        "course = excluded.course, satellites = excluded.satellites, hdop = excluded.hdop, "
        "valid = excluded.valid, io = excluded.io, attributes = excluded.attributes "
        "WHERE excluded.device_time > latest_positions.device_time",
        store::detail::kPositionColumns));

    int64_t inserted = 0, in_txn = 0, transactions = 0;
    std::unordered_map<int64_t, const store::PositionRow*> newest;
    auto flush_latest = [&](int64_t shift) {
        for (const auto& [id, p] : newest) {
            store::detail::BindPosition(latest, *p, shift);
            Check(db, sqlite3_step(latest), "upsert latest");
            sqlite3_reset(latest);
        }
        newest.clear();
    };
    const int64_t written_before = WrittenBytes();
    const auto start = Clock::now();
    int64_t shift = 0;
    Exec(db, "BEGIN IMMEDIATE");
    for (int64_t pass = 0; inserted < a.rows; ++pass) {
        shift = pass * span_ms;
        for (const Packet& p : packets) {
            if (inserted >= a.rows) break;
            for (const auto& row : p.rows) {
                store::detail::BindPosition(insert, row, shift);
                Check(db, sqlite3_step(insert), "insert position");
                sqlite3_reset(insert);
                if (server_mode) {
                    auto& slot = newest[row.device_id];
                    if (!slot || row.device_time > slot->device_time) slot = &row;
                }
                ++inserted;
                ++in_txn;
            }
            // The packet's round (packets are made round by round), as time: the frame buffer's clock.
            const auto now = clock0 + std::chrono::milliseconds(shift + (&p - packets.data()) / a.devices * a.interval_ms);
            if (server_mode) {
                frame_buffer.Add(p.device_id, "teltonika", p.rows.front().server_time + core::Millis{shift}, p.frame, now);
            }
            if (in_txn >= a.rows_per_txn) {
                if (server_mode) {
                    flush_frames(now, false);
                    flush_latest(shift);
                }
                Exec(db, "COMMIT");
                ++transactions;
                in_txn = 0;
                Exec(db, "BEGIN IMMEDIATE");
            }
        }
    }
    if (server_mode) {
        flush_frames(store::FrameBuffer::Clock::time_point::max(), true);
        flush_latest(shift);
    }
    Exec(db, "COMMIT");
    if (in_txn > 0) ++transactions;
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const int64_t written = WrittenBytes() - written_before;

    sqlite3_finalize(insert);
    sqlite3_finalize(frame);
    sqlite3_finalize(latest);
    sqlite3_close_v2(db);
    if (!temp_dir.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(temp_dir, ec);
    }

    const double rate = static_cast<double>(inserted) / seconds;
    if (a.json) {
        std::cout << fmt::format(
                         "{{\"mode\":\"{}\",\"rows\":{},\"seconds\":{:.3f},\"rows_per_s\":{:.0f},\"rows_per_txn\":{},"
                         "\"transactions\":{},\"synchronous\":\"{}\",\"vfs\":\"{}\",\"checkpoint_pages\":{},\"devices\":{},\"records_per_packet\":{},"
                         "\"distinct_rows\":{},\"make_seconds\":{:.2f},\"written_bytes_per_row\":{},\"peak_rss_kb\":{}}}",
                         a.mode, inserted, seconds, rate, a.rows_per_txn, transactions, a.synchronous, vfs ? vfs : "default",
                         store::kCheckpointPages, a.devices,
                         a.records_per_packet, static_cast<int64_t>(packets.size()) * a.records_per_packet, make_s,
                         written / std::max<int64_t>(inserted, 1), PeakRssKb())
                  << "\n";
    } else {
        std::cout << fmt::format("{} rows ({} mode) in {:.2f} s: {:.0f} rows/s; {} rows per transaction, "
                                 "synchronous={}; {} bytes written per row\n",
                                 inserted, a.mode, seconds, rate, a.rows_per_txn, a.synchronous,
                                 written / std::max<int64_t>(inserted, 1));
    }
    return 0;
}
