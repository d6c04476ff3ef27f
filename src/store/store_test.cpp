#include "store/store.hpp"
#include "store/test_database.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "core/time.hpp"
#include "store/accounts.hpp"
#include "store/committer.hpp"

namespace fleet::store {
namespace {

namespace fs = std::filesystem;
using core::TimePoint;

class StoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("fleetd_store_test_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = (dir_ / "fleetd.db").string();
        auto s = OpenSqliteStore(path_);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
    }
    void TearDown() override {
        store_.reset();
        fs::remove_all(dir_);
    }

    static core::Record MakeRecord(const char* iso, double lat, double lon) {
        core::Record r;
        r.device_time = *core::ParseIso(iso);
        r.server_time = *core::ParseIso("2026-01-01T00:00:00Z");
        r.lat = lat;
        r.lon = lon;
        r.valid = true;
        r.satellites = 9;
        r.io.push_back({239, 1, 1, {}});
        core::SetAttribute(r.attributes, "ignition", true);
        return r;
    }

    IngestBatch Batch(int64_t device_id, std::initializer_list<core::Record> records) {
        IngestBatch b;
        b.device_id = device_id;
        b.protocol = "teltonika";
        b.received_at = *core::ParseIso("2026-01-01T00:00:00Z");
        for (const auto& r : records) b.positions.push_back(MakePositionRow(device_id, r));
        b.raw_frame = {0x00, 0x01, 0x02};
        return b;
    }

    std::vector<PositionRow> Positions(int64_t device_id) {
        std::vector<PositionRow> out;
        auto r = store_->ForEachPosition(device_id, TimePoint::min(), TimePoint::max(), [&](const PositionRow& p) {
            out.push_back(p);
            return true;
        });
        EXPECT_TRUE(r.ok());
        return out;
    }

    // Commits `devices` batches of `per_device` records each (a 600-byte raw frame each), the
    // records of round `round` later in time than those of earlier rounds.
    void IngestRound(int devices, int per_device, int round, int seconds_per_round, double lon) {
        std::vector<IngestBatch> batches;
        for (int device = 0; device < devices; ++device) {
            IngestBatch b;
            b.device_id = device;
            b.protocol = "teltonika";
            b.received_at = *core::ParseIso("2026-01-01T00:00:00Z");
            for (int i = 0; i < per_device; ++i) {
                auto r = MakeRecord("2026-01-01T10:00:00Z", 45.0 + i * 1e-4, lon);
                r.device_time += std::chrono::seconds(round * seconds_per_round + i);
                b.positions.push_back(MakePositionRow(device, r));
            }
            b.raw_frame.assign(600, static_cast<uint8_t>(device + round));
            batches.push_back(std::move(b));
        }
        std::vector<const IngestBatch*> pointers;
        for (const auto& b : batches) pointers.push_back(&b);
        auto stats = store_->Ingest(pointers);
        ASSERT_TRUE(stats.ok()) << stats.error().message;
        EXPECT_EQ(stats->inserted, devices * per_device);
    }

    // Reopens the store, counts the positions of devices 0 to devices - 1 and runs SQLite's
    // integrity check on a new connection.
    void ExpectReopenedIntact(int devices, int64_t expected_positions) {
        store_.reset();
        auto reopened = OpenSqliteStore(path_);
        ASSERT_TRUE(reopened.ok());
        store_ = std::move(*reopened);
        int64_t total = 0;
        for (int device = 0; device < devices; ++device) total += static_cast<int64_t>(Positions(device).size());
        EXPECT_EQ(total, expected_positions);
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
        sqlite3_stmt* check = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &check, nullptr), SQLITE_OK);
        ASSERT_EQ(sqlite3_step(check), SQLITE_ROW);
        EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(check, 0)), "ok");
        sqlite3_finalize(check);
        sqlite3_close(db);
    }

    fs::path dir_;
    std::string path_;
    std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, AddsFindsAndRefusesDuplicateDevices) {
    auto d = store_->AddDevice("356307042441013", "teltonika", "Van 1");
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_GT(d->id, 0);
    EXPECT_EQ(d->name, "Van 1");
    EXPECT_FALSE(store_->AddDevice("356307042441013", "gt06", "").ok());
    auto found = store_->FindDevice("356307042441013");
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->protocol, "teltonika");
    EXPECT_FALSE(store_->FindDevice("000000000000000")->has_value());
}

TEST_F(StoreTest, DisablesDevicesAndReportsUnknownOnes) {
    ASSERT_TRUE(store_->AddDevice("356307042441013", "teltonika", "").ok());
    ASSERT_TRUE(store_->SetDeviceStatus("356307042441013", DeviceStatus::kDisabled).ok());
    EXPECT_EQ((*store_->FindDevice("356307042441013"))->status, DeviceStatus::kDisabled);
    EXPECT_FALSE(store_->SetDeviceStatus("111111111111111", DeviceStatus::kDisabled).ok());
}

TEST_F(StoreTest, ListsPendingDevicesAndApprovesThem) {
    auto t1 = *core::ParseIso("2026-01-01T10:00:00Z");
    auto t2 = *core::ParseIso("2026-01-01T11:00:00Z");
    ASSERT_TRUE(store_->NotePending("123456789012345", "gt06", "127.0.0.1:4000", t1).ok());
    ASSERT_TRUE(store_->NotePending("123456789012345", "gt06", "127.0.0.1:4001", t2).ok());
    auto pending = store_->ListPending();
    ASSERT_TRUE(pending.ok());
    ASSERT_EQ(pending->size(), 1u);
    EXPECT_EQ((*pending)[0].first_attempt, t1);
    EXPECT_EQ((*pending)[0].last_attempt, t2);
    EXPECT_EQ((*pending)[0].attempts, 2);
    EXPECT_EQ((*pending)[0].address, "127.0.0.1:4001");
    auto approved = store_->ApproveDevice("123456789012345");
    ASSERT_TRUE(approved.ok()) << approved.error().message;
    EXPECT_EQ(approved->protocol, "gt06");
    EXPECT_TRUE(store_->ListPending()->empty());
    EXPECT_FALSE(store_->ApproveDevice("999999999999999").ok());
}

TEST_F(StoreTest, ResentRecordsAreNotDuplicated) {
    auto b = Batch(1, {MakeRecord("2026-01-01T10:00:00Z", 45.0, 4.0), MakeRecord("2026-01-01T10:00:10Z", 45.1, 4.1)});
    const IngestBatch* batches[] = {&b};
    auto first = store_->Ingest(batches);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(first->inserted, 2);
    auto again = store_->Ingest(batches);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->inserted, 0);
    EXPECT_EQ(again->duplicates, 2);
    EXPECT_EQ(Positions(1).size(), 2u);
}

TEST_F(StoreTest, KeepsTwoDifferentRecordsWithTheSameTime) {
    auto b = Batch(1, {MakeRecord("2026-01-01T10:00:00Z", 45.0, 4.0), MakeRecord("2026-01-01T10:00:00Z", 45.5, 4.0)});
    const IngestBatch* batches[] = {&b};
    ASSERT_EQ(store_->Ingest(batches)->inserted, 2);
}

TEST_F(StoreTest, LateRecordsAreStoredInTimeOrderAndLatestOnlyMovesForward) {
    auto b1 = Batch(7, {MakeRecord("2026-01-01T10:00:10Z", 45.1, 4.1)});
    auto b2 = Batch(7, {MakeRecord("2026-01-01T09:00:00Z", 44.0, 3.0)});  // buffered while out of coverage
    const IngestBatch* first[] = {&b1};
    const IngestBatch* late[] = {&b2};
    ASSERT_TRUE(store_->Ingest(first).ok());
    ASSERT_TRUE(store_->Ingest(late).ok());
    auto rows = Positions(7);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_LT(rows[0].device_time, rows[1].device_time);
    EXPECT_DOUBLE_EQ(rows[0].lat, 44.0);
    auto latest = store_->LatestPosition(7);
    ASSERT_TRUE(latest.ok());
    ASSERT_TRUE(latest->has_value());
    EXPECT_DOUBLE_EQ((*latest)->lat, 45.1);
    EXPECT_EQ((*latest)->attributes_json, "{\"ignition\":true}");
}

TEST_F(StoreTest, ReadsATimeRange) {
    auto b = Batch(3, {MakeRecord("2026-01-01T10:00:00Z", 1, 1), MakeRecord("2026-01-01T11:00:00Z", 2, 2),
                       MakeRecord("2026-01-01T12:00:00Z", 3, 3)});
    const IngestBatch* batches[] = {&b};
    ASSERT_TRUE(store_->Ingest(batches).ok());
    std::vector<double> lats;
    ASSERT_TRUE(store_
                    ->ForEachPosition(3, *core::ParseIso("2026-01-01T10:30:00Z"),
                                      *core::ParseIso("2026-01-01T12:00:00Z"),
                                      [&](const PositionRow& p) {
                                          lats.push_back(p.lat);
                                          return true;
                                      })
                    .ok());
    EXPECT_EQ(lats, (std::vector<double>{2, 3}));
}

TEST_F(StoreTest, KeepsRawFramesAndPrunesOldOnes) {
    auto b = Batch(5, {MakeRecord("2026-01-01T10:00:00Z", 1, 1)});
    const IngestBatch* batches[] = {&b};
    ASSERT_TRUE(store_->Ingest(batches).ok());
    int frames = 0;
    ASSERT_TRUE(store_->ForEachFrame(5, [&](const FrameRow& f) {
        EXPECT_EQ(f.data, (std::vector<uint8_t>{0, 1, 2}));
        ++frames;
        return true;
    }).ok());
    EXPECT_EQ(frames, 1);
    EXPECT_EQ(*store_->PruneFrames(*core::ParseIso("2025-12-31T00:00:00Z")), 0);
    EXPECT_EQ(*store_->PruneFrames(*core::ParseIso("2026-01-02T00:00:00Z")), 1);
}

// Frames handed over by chunk (the committer's way) read back one by one, in order, with their own
// times and growing ids; pruning deletes a chunk only once all its frames are past the retention and
// counts frames, not rows.
TEST_F(StoreTest, KeepsRawFramesByChunkAndPrunesWholeChunks) {
    FrameChunk a, b;
    a.device_id = b.device_id = 5;
    a.protocol = b.protocol = "teltonika";
    for (int i = 0; i < 3; ++i) a.Append(*core::ParseIso("2026-01-01T00:00:00Z") + core::Millis{i * 400}, std::vector<uint8_t>(200, static_cast<uint8_t>(i)));
    b.Append(*core::ParseIso("2026-01-01T00:00:02Z"), std::vector<uint8_t>{3});
    auto rec = Batch(5, {MakeRecord("2026-01-01T10:00:00Z", 1, 1)});
    const IngestBatch* batches[] = {&rec};  // its own raw_frame is not written: frames come as chunks
    const FrameChunk chunks[] = {a, b};
    ASSERT_TRUE(store_->IngestUnsynced(batches, chunks).ok());
    ASSERT_TRUE(store_->IngestUnsynced({}, {}).ok());  // nothing at all: nothing to do
    std::vector<FrameRow> rows;
    ASSERT_TRUE(store_->ForEachFrame(5, [&](const FrameRow& f) {
        rows.push_back(f);
        return true;
    }).ok());
    ASSERT_EQ(rows.size(), 4u);
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(rows[i].data.front(), i);
        EXPECT_EQ(rows[i].protocol, "teltonika");
        if (i > 0) {
            EXPECT_GT(rows[i].id, rows[i - 1].id);
        }
    }
    EXPECT_EQ(rows[0].data.size(), 200u);
    EXPECT_EQ(core::FormatIso(rows[2].received_at), "2026-01-01T00:00:00.800Z");
    EXPECT_EQ(core::FormatIso(rows[3].received_at), "2026-01-01T00:00:02.000Z");
    int seen = 0;  // stopping early
    ASSERT_TRUE(store_->ForEachFrame(5, [&](const FrameRow&) { return ++seen < 2; }).ok());
    EXPECT_EQ(seen, 2);
    EXPECT_EQ(test::IntSql(path_, "SELECT count(*) FROM frame_chunks"), 2);
    // The first chunk's last frame is at 00:00:00.800: a cutoff at .500 keeps the whole chunk.
    EXPECT_EQ(*store_->PruneFrames(*core::ParseIso("2026-01-01T00:00:00.500Z")), 0);
    EXPECT_EQ(*store_->PruneFrames(*core::ParseIso("2026-01-01T00:00:01Z")), 3);
    EXPECT_EQ(*store_->PruneFrames(*core::ParseIso("2026-01-02T00:00:00Z")), 1);
}

// A data folder from before frames were chunked (schema 5, a frames table) keeps its frames: the
// migration moves each into a chunk of its own, readable as before.
TEST_F(StoreTest, FramesOfAnOlderDataFolderAreKeptByTheMigration) {
    store_.reset();
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
        const char* old_schema = R"sql(
            DROP TABLE frame_chunks;
            CREATE TABLE frames (id INTEGER PRIMARY KEY, device_id INTEGER NOT NULL, received_at INTEGER NOT NULL,
                                 protocol TEXT NOT NULL, data BLOB NOT NULL);
            CREATE INDEX frames_by_device ON frames (device_id, id);
            CREATE INDEX frames_by_time ON frames (received_at);
            INSERT INTO frames (device_id, received_at, protocol, data) VALUES
                (7, 1767225600000, 'gt06', x'78780d01'), (8, 1767225601000, 'teltonika', x'000f'),
                (7, 1767225602000, 'gt06', x'787805130d0a');
            PRAGMA user_version = 5;
        )sql";
        ASSERT_EQ(sqlite3_exec(db, old_schema, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
        sqlite3_close(db);
    }
    auto s = OpenSqliteStore(path_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    std::vector<std::string> hex;
    ASSERT_TRUE(store_->ForEachFrame(7, [&](const FrameRow& f) {
        hex.push_back(core::FormatIso(f.received_at) + " " + f.protocol + " " + core::ToHex(f.data));
        return true;
    }).ok());
    EXPECT_EQ(hex, (std::vector<std::string>{"2026-01-01T00:00:00.000Z gt06 78780d01", "2026-01-01T00:00:02.000Z gt06 787805130d0a"}));
    EXPECT_EQ(test::IntSql(path_, "SELECT count(*) FROM sqlite_master WHERE name = 'frames'"), 0);
    EXPECT_EQ(*store_->PruneFrames(*core::ParseIso("2026-01-01T00:00:01.500Z")), 2);
}

// A data folder from before positions were stored in arrival order (schema 6: clustered by device,
// WITHOUT ROWID) keeps its positions: migration 7 copies them into the rowid table, where they read
// as before, in time order, and a resent record is still refused by the key (now a unique index).
TEST_F(StoreTest, PositionsOfAnOlderDataFolderAreKeptByTheMigration) {
    auto b = Batch(4, {MakeRecord("2026-01-01T10:00:10Z", 45.1, 4.1), MakeRecord("2026-01-01T10:00:00Z", 45.0, 4.0),
                       MakeRecord("2026-01-01T10:00:00Z", 45.5, 4.5)});
    auto other = Batch(5, {MakeRecord("2026-01-01T09:00:00Z", 44.0, 3.0)});
    const IngestBatch* batches[] = {&b, &other};
    ASSERT_EQ(store_->Ingest(batches)->inserted, 4);
    const auto before = Positions(4);
    ASSERT_EQ(before.size(), 3u);
    store_.reset();
    test::ExecSql(path_, R"sql(
        CREATE TABLE clustered (
            device_id INTEGER NOT NULL, device_time INTEGER NOT NULL, fingerprint INTEGER NOT NULL,
            server_time INTEGER NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL, altitude REAL NOT NULL,
            speed REAL NOT NULL, course REAL NOT NULL, satellites INTEGER NOT NULL, hdop REAL,
            valid INTEGER NOT NULL, io TEXT NOT NULL, attributes TEXT NOT NULL,
            PRIMARY KEY (device_id, device_time, fingerprint)) WITHOUT ROWID;
        INSERT INTO clustered SELECT * FROM positions;
        INSERT INTO clustered (device_id, device_time, fingerprint, server_time, lat, lon, altitude, speed, course,
                               satellites, hdop, valid, io, attributes)
            VALUES (4, 1767258000000, 9, 1767258000000, 44.5, 3.5, 0, 0, 0, 7, NULL, 1, '{"239":0}', '{}');
        DROP TABLE positions;
        ALTER TABLE clustered RENAME TO positions;
        PRAGMA user_version = 6;
    )sql");
    ASSERT_EQ(test::IntSql(path_, "SELECT count(*) FROM sqlite_master WHERE name = 'positions_by_device'"), 0);
    auto s = OpenSqliteStore(path_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    EXPECT_EQ(test::IntSql(path_, "PRAGMA user_version"), 7);
    EXPECT_EQ(test::IntSql(path_, "SELECT count(*) FROM pragma_index_list('positions') "
                                  "WHERE name = 'positions_by_device' AND \"unique\" = 1"), 1);
    EXPECT_EQ(test::IntSql(path_, "SELECT count(*) FROM sqlite_master "
                                  "WHERE name = 'positions' AND sql LIKE '%WITHOUT ROWID%'"),
              0);
    EXPECT_EQ(test::IntSql(path_, "SELECT count(*) FROM positions"), 5);
    const auto after = Positions(4);
    ASSERT_EQ(after.size(), 4u);
    EXPECT_EQ(after[0].device_time, core::TimePoint{core::Millis{1767258000000}});  // the row only the old table had
    EXPECT_EQ(after[0].io_json, R"({"239":0})");
    for (size_t i = 0; i < before.size(); ++i) {
        EXPECT_EQ(after[i + 1].device_time, before[i].device_time);
        EXPECT_EQ(after[i + 1].fingerprint, before[i].fingerprint);
        EXPECT_DOUBLE_EQ(after[i + 1].lat, before[i].lat);
        EXPECT_EQ(after[i + 1].io_json, before[i].io_json);
        EXPECT_EQ(after[i + 1].attributes_json, before[i].attributes_json);
    }
    EXPECT_EQ(Positions(5).size(), 1u);
    auto again = store_->Ingest(batches);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->inserted, 0);
    EXPECT_EQ(again->duplicates, 4);
    EXPECT_EQ(Positions(4).size(), 4u);
}

// The committer under load (here: any rate counts as load) holds each device's frames and writes
// them by chunk; what it holds is written when it has been idle a moment, and when it stops. Under
// light load (a rate it never reaches) each frame is written with its records, so it can be read as
// soon as its submitter is told.
TEST_F(StoreTest, CommitterHoldsFramesUnderLoadAndWritesThemAllByTheTimeItStops) {
    auto frames_of = [&](int64_t device) {
        int n = 0;
        auto reader = OpenSqliteStore(path_);
        EXPECT_TRUE(reader.ok());
        EXPECT_TRUE((*reader)->ForEachFrame(device, [&](const FrameRow&) { return ++n > 0; }).ok());
        return n;
    };
    auto submit_all = [&](Committer& committer, int64_t device, int packets) {
        std::vector<std::future<bool>> acked;
        for (int i = 0; i < packets; ++i) {
            auto done = std::make_shared<std::promise<bool>>();
            acked.push_back(done->get_future());
            auto time = core::FormatIso(*core::ParseIso("2026-01-01T10:00:00Z") + core::Millis{1000 * i});
            auto batch = Batch(device, {MakeRecord(time.c_str(), 1, 2)});
            // Received now: the committer prunes frames past the retention when it starts.
            batch.received_at = std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now());
            committer.Submit(std::move(batch), [done](const Result<IngestStats>& r) { done->set_value(r.ok()); });
        }
        for (auto& a : acked) EXPECT_TRUE(a.get());
    };
    store_.reset();
    {
        auto s = OpenSqliteStore(path_);
        ASSERT_TRUE(s.ok());
        Committer::Options light;
        light.hold_frames_from_rate = 1e12;
        Committer committer(std::move(*s), light);
        for (int i = 0; i < 3; ++i) {
            submit_all(committer, 1, 1);
            EXPECT_EQ(frames_of(1), i + 1);  // with its records, before the committer is idle
        }
        EXPECT_EQ(committer.stats().frames_held.load(), 0u);
    }
    Committer::Options busy;
    busy.hold_frames_from_rate = 0.001;
    busy.frame_limits.max_age = std::chrono::hours(1);
    busy.held_frames_idle = std::chrono::hours(1);
    {
        auto s = OpenSqliteStore(path_);
        ASSERT_TRUE(s.ok());
        Committer committer(std::move(*s), busy);
        submit_all(committer, 2, 50);
        EXPECT_EQ(frames_of(2), 0);  // held, although the records are committed
        EXPECT_EQ(committer.stats().frames_held.load(), 50u);
        committer.Stop();
        EXPECT_EQ(frames_of(2), 50);
        EXPECT_EQ(committer.stats().frames_held.load(), 0u);
        EXPECT_EQ(committer.stats().frames_written.load(), 50u);
    }
    {
        auto s = OpenSqliteStore(path_);
        ASSERT_TRUE(s.ok());
        busy.held_frames_idle = std::chrono::milliseconds(50);
        Committer committer(std::move(*s), busy);
        submit_all(committer, 3, 20);
        for (int i = 0; i < 200 && committer.stats().frames_written.load() < 20; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        EXPECT_EQ(frames_of(3), 20);  // written while the committer runs: it was idle a moment
        EXPECT_EQ(committer.stats().frames_held.load(), 0u);
        committer.Stop();
    }
    // 70 frames of devices 2 and 3 in a handful of rows, not 70.
    EXPECT_LT(test::IntSql(path_, "SELECT count(*) FROM frame_chunks WHERE device_id IN (2, 3)"), 10);
}

TEST_F(StoreTest, DataSurvivesReopening) {
    ASSERT_TRUE(store_->AddDevice("356307042441013", "teltonika", "").ok());
    auto b = Batch(1, {MakeRecord("2026-01-01T10:00:00Z", 45.0, 4.0)});
    const IngestBatch* batches[] = {&b};
    ASSERT_TRUE(store_->Ingest(batches).ok());
    store_.reset();
    auto reopened = OpenSqliteStore(path_);
    ASSERT_TRUE(reopened.ok());
    store_ = std::move(*reopened);
    EXPECT_TRUE(store_->FindDevice("356307042441013")->has_value());
    EXPECT_EQ(Positions(1).size(), 1u);
}

TEST_F(StoreTest, LargeCommitsSurviveReopeningIntact) {
    // Commits far larger than one gathered WAL write (124 KiB) under synchronous=full, read back by a
    // new connection and checked by SQLite's integrity check.
    for (int round = 0; round < 3; ++round) IngestRound(50, 40, round, 1000, 4.0 + round * 1e-3);
    ExpectReopenedIntact(50, 3 * 50 * 40);
}

TEST_F(StoreTest, BackgroundCheckpointsCopyTheWalWhileCommitsGoOnAndKeepEveryRecord) {
    // A checkpoint every 64 WAL pages (256 KiB) instead of 131072: the background thread copies the
    // WAL into the database many times while commits go on, and the WAL starts over instead of
    // growing. Only a checkpoint writes the database file itself (commits write the WAL).
    store_.reset();
    SqliteOptions options;
    options.checkpoint_pages = 64;
    auto opened = OpenSqliteStore(path_, options);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
    const auto db_size_before = fs::file_size(path_);
    uintmax_t largest_wal = 0;
    for (int round = 0; round < 60; ++round) {
        IngestRound(20, 10, round, 10, 4.0);
        largest_wal = std::max(largest_wal, fs::file_size(path_ + "-wal"));
    }
    // 60 commits write about 16 MiB of WAL; the writer waits for the background pass past 4 x 64
    // pages, and the WAL starts over once copied.
    EXPECT_LT(largest_wal, 2u * 1024 * 1024);
    EXPECT_GT(fs::file_size(path_), db_size_before + 256 * 1024);
    ExpectReopenedIntact(20, 60 * 20 * 10);
}

TEST_F(StoreTest, CommitsSkipNeedlessPageCacheWalksAndRollbacksStillDropTheirPages) {
    // fleetd wraps SQLite's page cache (sqlite_store.cpp): a commit whose B-tree splits swapped page
    // numbers no longer walks the whole cache at its end, and a rollback that shrinks the database
    // still drops the pages past its end.
    const int64_t avoided_before = SqlitePageCacheWalksAvoided();
    ASSERT_GE(avoided_before, 0) << "SQLite was initialized before fleetd wrapped its page cache";
    for (int round = 0; round < 30; ++round) IngestRound(20, 10, round, 10, 4.0);
    EXPECT_GT(SqlitePageCacheWalksAvoided(), avoided_before);

    // A rollback journal (not WAL): there, a rollback that shrinks the database relies on the
    // truncation to drop the pages past its end from the cache.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((dir_ / "scratch.db").c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
              SQLITE_OK);
    auto exec = [&](const char* sql) {
        char* err = nullptr;
        int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
        EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (err ? err : "");
        sqlite3_free(err);
    };
    exec("PRAGMA journal_mode=DELETE");
    exec("PRAGMA cache_size=-65536");  // 64 MiB: the rolled-back pages all fit
    exec("CREATE TABLE scratch (id INTEGER PRIMARY KEY, data BLOB)");
    auto cache_bytes = [&] {
        int used = 0, highwater = 0;
        EXPECT_EQ(sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_USED, &used, &highwater, 0), SQLITE_OK);
        return used;
    };
    const int cached_before = cache_bytes();
    // Grows the database by about 4 MiB, then rolls back: those pages must leave the cache.
    exec("BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
         "INSERT INTO scratch (data) SELECT randomblob(4000) FROM n; ROLLBACK");
    EXPECT_LT(cache_bytes(), cached_before + 1024 * 1024);
    exec("INSERT INTO scratch (data) VALUES (zeroblob(10))");
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*), sum(length(data)) FROM scratch", -1, &s, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(s, 0), 1);
    EXPECT_EQ(sqlite3_column_int64(s, 1), 10);
    sqlite3_finalize(s);
    sqlite3_close(db);
    ExpectReopenedIntact(20, 30 * 20 * 10);
}

TEST_F(StoreTest, RefusesACheckpointIntervalBelowOnePage) {
    SqliteOptions options;
    options.checkpoint_pages = 0;
    auto opened = OpenSqliteStore((dir_ / "other.db").string(), options);
    ASSERT_FALSE(opened.ok());
    EXPECT_NE(opened.error().message.find("checkpoint_pages"), std::string::npos);
}

TEST_F(StoreTest, SecondConnectionSeesCommittedData) {
    auto other = OpenSqliteStore(path_);
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->AddDevice("356307042441013", "teltonika", "").ok());
    EXPECT_TRUE(store_->FindDevice("356307042441013")->has_value());
}

TEST_F(StoreTest, RefusesUnknownSynchronousMode) {
    SqliteOptions options;
    options.synchronous = "sometimes";
    EXPECT_FALSE(OpenSqliteStore((dir_ / "other.db").string(), options).ok());
}

TEST_F(StoreTest, CommitterGroupsBatchesAndReportsEachOne) {
    store_.reset();
    auto s = OpenSqliteStore(path_);
    ASSERT_TRUE(s.ok());
    Committer committer(std::move(*s), {});
    constexpr int kBatches = 200;
    std::atomic<int> ok{0};
    std::promise<void> all_done;
    for (int i = 0; i < kBatches; ++i) {
        auto b = Batch(i % 10, {MakeRecord("2026-01-01T10:00:00Z", i, i)});
        committer.Submit(std::move(b), [&](const Result<IngestStats>& r) {
            if (r.ok()) ++ok;
            if (ok.load() == kBatches) all_done.set_value();
        });
    }
    ASSERT_EQ(all_done.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
    EXPECT_EQ(ok.load(), kBatches);
    EXPECT_EQ(committer.stats().records.load(), static_cast<uint64_t>(kBatches));
    EXPECT_LE(committer.stats().groups.load(), static_cast<uint64_t>(kBatches));
    std::promise<size_t> devices;
    committer.Post([&](Store& st) { devices.set_value(st.ListDevices()->size()); });
    EXPECT_EQ(devices.get_future().get(), 0u);
    committer.Stop();
}

TEST_F(StoreTest, CommitterShowsEachCommittedGroupToItsObserverBeforeItsSubmitters) {
    store_.reset();
    auto s = OpenSqliteStore(path_);
    ASSERT_TRUE(s.ok());
    Committer committer(std::move(*s), {});
    std::mutex mu;
    std::vector<int64_t> observed;  // device ids, in the order the observer saw them
    bool done_before_observed = false;
    std::atomic<int> done{0};
    committer.SetObserver([&](std::span<const IngestBatch* const> batches) {
        std::lock_guard lock(mu);
        for (const IngestBatch* b : batches) {
            observed.push_back(b->device_id);
            if (done.load() > static_cast<int>(observed.size()) - 1) done_before_observed = true;
        }
    });
    auto submit = [&](int64_t device, const char* time) {
        std::promise<void> p;
        committer.Submit(Batch(device, {MakeRecord(time, 1, 2)}), [&](const Result<IngestStats>& r) {
            EXPECT_TRUE(r.ok());
            ++done;
            p.set_value();
        });
        p.get_future().wait();
    };
    submit(1, "2026-01-01T10:00:00Z");
    submit(2, "2026-01-01T10:00:01Z");
    committer.SetObserver(nullptr);
    submit(3, "2026-01-01T10:00:02Z");
    committer.Stop();
    std::lock_guard lock(mu);
    EXPECT_EQ(observed, (std::vector<int64_t>{1, 2}));
    EXPECT_FALSE(done_before_observed);
}

// What the committer's sync thread relies on: a commit left unsynced is written and visible to
// another connection at once, and SyncCommitted (from another thread) makes it durable; the WAL's
// fdatasync is the only thing left to do (with synchronous=full).
TEST_F(StoreTest, AnUnsyncedCommitIsVisibleAndSyncCommittedSyncsItFromAnotherThread) {
    auto b = Batch(1, {MakeRecord("2026-01-01T10:00:00Z", 1, 2), MakeRecord("2026-01-01T10:00:01Z", 3, 4)});
    const IngestBatch* batches[] = {&b};
    auto r = store_->IngestUnsynced(batches, {});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->inserted, 2);
    auto other = OpenSqliteStore(path_);
    ASSERT_TRUE(other.ok());
    int seen = 0;
    auto read = (*other)->ForEachPosition(1, core::TimePoint{}, core::TimePoint::max(), [&](const PositionRow&) {
        ++seen;
        return true;
    });
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(seen, 2);
    Result<void> synced = MakeError("not run");
    std::thread([&] { synced = store_->SyncCommitted(); }).join();
    EXPECT_TRUE(synced.ok()) << synced.error().message;
    // A resend of the same records after the sync is a duplicate, as after Ingest.
    auto again = store_->IngestUnsynced(batches, {});
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->duplicates, 2);
}

// What the pipeline's writes on the writer's connection rely on: commits made in
// RunWithSyncDeferred (here on SharedConnection, as the pipeline makes them) are visible to other
// connections at once without a sync of the WAL, which SyncCommitted makes; the commits after it
// sync again.
TEST_F(StoreTest, CommitsRunWithSyncDeferredLeaveTheWalsSyncToSyncCommitted) {
    auto b = Batch(1, {MakeRecord("2026-01-01T10:00:00Z", 1, 2)});
    const IngestBatch* batches[] = {&b};
    ASSERT_TRUE(store_->Ingest(batches).ok());  // the WAL's first sync (also its folder's) is never left
    auto shared = store_->SharedConnection();
    ASSERT_NE(shared, nullptr);
    const Actor actor{"test", std::nullopt, ""};
    const int64_t before = SqliteWalSyncs();
    store_->RunWithSyncDeferred([&] {
        ASSERT_TRUE(shared->AddTenant("deferred-one", actor, core::TimePoint{}).ok());
        ASSERT_TRUE(shared->AddTenant("deferred-two", actor, core::TimePoint{}).ok());
    });
    EXPECT_EQ(SqliteWalSyncs(), before);
    EXPECT_EQ(test::IntSql(path_, "SELECT count(*) FROM tenants WHERE name LIKE 'deferred-%'"), 2);
    Result<void> synced = MakeError("not run");
    std::thread([&] { synced = store_->SyncCommitted(); }).join();
    EXPECT_TRUE(synced.ok()) << synced.error().message;
    ASSERT_TRUE(shared->AddTenant("synced", actor, core::TimePoint{}).ok());
    EXPECT_GT(SqliteWalSyncs(), before);
}

// Positions stored before their JSON was packed (TEXT columns) read as they were, beside packed ones.
TEST_F(StoreTest, PositionsStoredAsTextBeforePackingReadAsTheyWere) {
    test::ExecSql(path_,
                  "INSERT INTO positions (device_id, device_time, fingerprint, server_time, lat, lon, altitude, "
                  "speed, course, satellites, hdop, valid, io, attributes) VALUES (1, 1767261600000, 5, "
                  "1767261600000, 45, 4, 0, 0, 0, 7, NULL, 1, '{\"239\":1}', '{\"ignition\":true}')");
    auto b = Batch(1, {MakeRecord("2026-01-01T10:00:10Z", 45.1, 4.1)});
    const IngestBatch* batches[] = {&b};
    ASSERT_TRUE(store_->Ingest(batches).ok());
    std::vector<PositionRow> rows;
    auto read = store_->ForEachPosition(1, core::TimePoint{}, core::TimePoint::max(), [&](const PositionRow& p) {
        rows.push_back(p);
        return true;
    });
    ASSERT_TRUE(read.ok());
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].io_json, R"({"239":1})");
    EXPECT_EQ(rows[0].attributes_json, R"({"ignition":true})");
    EXPECT_EQ(rows[1].io_json, b.positions[0].io_json);
    EXPECT_EQ(rows[1].attributes_json, b.positions[0].attributes_json);
    EXPECT_EQ(test::IntSql(path_, "SELECT count(*) FROM positions WHERE typeof(io) = 'blob'"), 1);
}

// The real store, with SyncCommitted failing on demand: the disk refusing the WAL's fsync.
class FailingSyncStore final : public Store {
public:
    explicit FailingSyncStore(std::unique_ptr<Store> real) : real_(std::move(real)) {}
    std::atomic<bool> fail{false};

    Result<Device> AddDevice(const std::string& imei, const std::string& protocol, const std::string& name) override {
        return real_->AddDevice(imei, protocol, name);
    }
    Result<std::vector<Device>> ListDevices() override { return real_->ListDevices(); }
    Result<std::optional<Device>> FindDevice(const std::string& imei) override { return real_->FindDevice(imei); }
    Result<void> SetDeviceStatus(const std::string& imei, DeviceStatus status) override {
        return real_->SetDeviceStatus(imei, status);
    }
    Result<void> NotePending(const std::string& imei, const std::string& protocol, const std::string& address,
                             TimePoint at) override {
        return real_->NotePending(imei, protocol, address, at);
    }
    Result<std::vector<PendingDevice>> ListPending() override { return real_->ListPending(); }
    Result<Device> ApproveDevice(const std::string& imei) override { return real_->ApproveDevice(imei); }
    Result<IngestStats> Ingest(std::span<const IngestBatch* const> batches) override { return real_->Ingest(batches); }
    Result<IngestStats> IngestUnsynced(std::span<const IngestBatch* const> batches,
                                       std::span<const FrameChunk> frames) override {
        return real_->IngestUnsynced(batches, frames);
    }
    Result<void> SyncCommitted() override {
        if (fail) return MakeError("fdatasync: input/output error");
        return real_->SyncCommitted();
    }
    Result<void> ForEachPosition(int64_t device_id, TimePoint from, TimePoint to,
                                 const std::function<bool(const PositionRow&)>& fn) override {
        return real_->ForEachPosition(device_id, from, to, fn);
    }
    Result<std::optional<PositionRow>> LatestPosition(int64_t device_id) override {
        return real_->LatestPosition(device_id);
    }
    Result<void> ForEachFrame(int64_t device_id, const std::function<bool(const FrameRow&)>& fn) override {
        return real_->ForEachFrame(device_id, fn);
    }
    Result<int64_t> PruneFrames(TimePoint cutoff) override { return real_->PruneFrames(cutoff); }
    std::unique_ptr<AccountStore> SharedConnection() override { return real_->SharedConnection(); }

private:
    std::unique_ptr<Store> real_;
};

// A group is acknowledged only once durable: when the sync after it fails, its submitters get the
// error (the devices get no ACK and resend) and the observer is not told; once syncs work again, so
// does everything.
TEST_F(StoreTest, CommitterAcknowledgesNothingWhoseSyncFailed) {
    store_.reset();
    auto s = OpenSqliteStore(path_);
    ASSERT_TRUE(s.ok());
    auto failing = std::make_unique<FailingSyncStore>(std::move(*s));
    FailingSyncStore* store = failing.get();
    Committer committer(std::move(failing), {});
    std::atomic<int> observed{0};
    committer.SetObserver([&](std::span<const IngestBatch* const> batches) { observed += static_cast<int>(batches.size()); });
    auto submit = [&](int64_t device, const char* time) {
        std::promise<bool> ok;
        committer.Submit(Batch(device, {MakeRecord(time, 1, 2)}), [&](const Result<IngestStats>& r) { ok.set_value(r.ok()); });
        return ok.get_future().get();
    };
    store->fail = true;
    EXPECT_FALSE(submit(1, "2026-01-01T10:00:00Z"));
    EXPECT_EQ(observed.load(), 0);
    EXPECT_EQ(committer.stats().failures.load(), 1u);
    store->fail = false;
    EXPECT_TRUE(submit(1, "2026-01-01T10:00:10Z"));
    EXPECT_EQ(observed.load(), 1);
    // The record whose sync failed was written: its device's resend is stored once.
    std::promise<IngestStats> resent;
    committer.Submit(Batch(1, {MakeRecord("2026-01-01T10:00:00Z", 1, 2)}), [&](const Result<IngestStats>& r) {
        resent.set_value(r.ok() ? *r : IngestStats{});
    });
    EXPECT_EQ(resent.get_future().get().duplicates, 1);
    committer.Stop();
}

}  // namespace
}  // namespace fleet::store
