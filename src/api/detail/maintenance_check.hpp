// MaintenanceChecker: runs the maintenance check (store::OperationsStore::CheckMaintenance) on a
// thread of its own with a database connection of its own, at start and then every `interval`. The
// events it writes reach people through the notifier, like the pipeline's.
// Thread-safety: Stop from the owner.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/record.hpp"
#include "core/result.hpp"
#include "store/accounts.hpp"

namespace fleet::api::detail {

class MaintenanceChecker {
public:
    static Result<std::unique_ptr<MaintenanceChecker>> Start(
        const std::string& db_path, std::chrono::milliseconds interval,
        std::function<core::TimePoint()> clock);
    ~MaintenanceChecker();
    MaintenanceChecker(const MaintenanceChecker&) = delete;
    MaintenanceChecker& operator=(const MaintenanceChecker&) = delete;

    // Finishes the run under way and joins the thread. Idempotent.
    void Stop();

private:
    MaintenanceChecker() = default;
    void Work();

    std::chrono::milliseconds interval_{};
    std::function<core::TimePoint()> clock_;
    std::unique_ptr<store::AccountStore> store_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace fleet::api::detail
