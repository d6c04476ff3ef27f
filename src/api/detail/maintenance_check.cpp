#include "api/detail/maintenance_check.hpp"

#include <spdlog/spdlog.h>

#include "core/thread.hpp"
#include "store/operations.hpp"

namespace fleet::api::detail {

Result<std::unique_ptr<MaintenanceChecker>> MaintenanceChecker::Start(
    const std::string& db_path, std::chrono::milliseconds interval,
    std::function<core::TimePoint()> clock) {
    auto store = store::AccountStore::Open(db_path);
    if (!store) return store.error();
    std::unique_ptr<MaintenanceChecker> m(new MaintenanceChecker());
    m->interval_ = interval;
    m->clock_ = std::move(clock);
    m->store_ = std::move(*store);
    m->thread_ = std::thread([p = m.get()] {
        core::NameThread("fleetd-maint");
        p->Work();
    });
    return m;
}

MaintenanceChecker::~MaintenanceChecker() { Stop(); }

void MaintenanceChecker::Stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void MaintenanceChecker::Work() {
    for (;;) {
        auto check = store::OperationsStore(*store_).CheckMaintenance(clock_());
        if (!check) {
            spdlog::error("maintenance check: {}", check.error().message);
        } else if (check->raised > 0) {
            spdlog::info("maintenance check: {} plans, {} events raised", check->plans,
                         check->raised);
        }
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, interval_, [&] { return stop_; });
        if (stop_) return;
    }
}

}  // namespace fleet::api::detail
