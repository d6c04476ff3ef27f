// What the store's unit tests share: a migrated database in a temporary folder with the store, the
// accounts and the fleet open on it and two tenants, acme and globex; and the helpers that read an
// Outcome. Test-only (linked into fleet_store_test).
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/time.hpp"
#include "store/accounts.hpp"
#include "store/fleet.hpp"
#include "store/outcome.hpp"
#include "store/store.hpp"

namespace fleet::store::test {

inline core::TimePoint T(const char* iso) { return *core::ParseIso(iso); }

// The value of an outcome that must succeed (a failure is reported and an empty value returned).
template <typename V>
const V& Ok(const Outcome<V>& o) {
    if (!o) {
        ADD_FAILURE() << (o.refused() ? o.refused()->detail : o.error()->message);
        static const V empty{};
        return empty;
    }
    return *o;
}

// Why an outcome was refused (nullopt when it succeeded; an error is a failure of the test).
template <typename V>
std::optional<Refusal> RefusalOf(const Outcome<V>& o) {
    EXPECT_EQ(o.error(), nullptr) << (o.error() ? o.error()->message : "");
    return o.refused() ? std::optional<Refusal>(o.refused()->why) : std::nullopt;
}

// Runs SQL on the database at `path` through a connection of its own (as another process would);
// a failure fails the test with SQLite's message and the statement.
inline void ExecSql(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
        ADD_FAILURE() << "cannot open " << path;
        sqlite3_close(db);
        return;
    }
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    EXPECT_EQ(rc, SQLITE_OK) << msg << " in " << sql;
}

// The first column of the first row of a query (-1 when there is no row).
inline int64_t IntSql(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

class DatabaseTest : public ::testing::Test {
protected:
    // Opens a new database named after the test; acme gets `acme_zone` when given (else the default
    // zone). Set now_ first. The caller checks HasFatalFailure() after it.
    void OpenDatabase(const std::optional<std::string>& acme_zone = std::nullopt) {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = std::filesystem::temp_directory_path() /
               ("fleetd_store_test_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" +
                info->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        path_ = (dir_ / "fleetd.db").string();
        auto s = OpenSqliteStore(path_);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
        auto a = AccountStore::Open(path_);
        ASSERT_TRUE(a.ok()) << a.error().message;
        accounts_ = std::move(*a);
        fleet_ = std::make_unique<FleetStore>(*accounts_);
        if (acme_zone) {
            ASSERT_TRUE(accounts_->CreateTenant(NewTenant{"acme", *acme_zone}, cli_, now_).ok());
        } else {
            ASSERT_TRUE(accounts_->AddTenant("acme", cli_, now_).ok());
        }
        ASSERT_TRUE(accounts_->AddTenant("globex", cli_, now_).ok());
        acme_ = *accounts_->OperatorScope("acme");
        globex_ = *accounts_->OperatorScope("globex");
    }
    // Subclasses close their own stores first, then call this.
    void TearDown() override {
        fleet_.reset();
        accounts_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }

    std::filesystem::path dir_;
    std::string path_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<AccountStore> accounts_;
    std::unique_ptr<FleetStore> fleet_;
    Actor cli_{"cli", std::nullopt, ""};
    core::TimePoint now_ = T("2026-03-01T08:00:00Z");
    TenantScope acme_ = AccountStore::ScopeOf(User{});
    TenantScope globex_ = AccountStore::ScopeOf(User{});
};

}  // namespace fleet::store::test
