// ReportSender: sends the scheduled reports (store::ReportStore's report_schedules) on a thread of
// its own with a database connection of its own, like the Mailer. Each run renders the report for
// its owner as the owner would see it (tenant, group narrowing, role), covering the day or week
// before the run in the tenant's time zone, and queues one e-mail to the owner with the CSV or XLSX
// attached (a MIME body, see mailer.hpp) — the mail, the schedule's next run and the audit entry
// (reports.export) in one transaction, so a run is neither lost nor sent twice. A schedule whose
// owner is disabled, suspended or no longer allowed to read reports is skipped to its next run.
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

// Runs the schedules due at `now` (at most `limit`). Returns how many mails were queued.
int RunDueSchedules(store::AccountStore& accounts, core::TimePoint now, const std::string& tmp_dir,
                    int64_t limit = 20);

class ReportSender {
public:
    // Opens a connection to the database and starts the thread, which looks for due schedules every
    // `poll` and calls `queued` after queuing mail (to wake the mailer).
    static Result<std::unique_ptr<ReportSender>> Start(const std::string& db_path, std::chrono::milliseconds poll,
                                                       std::function<core::TimePoint()> clock,
                                                       std::function<void()> queued);
    ~ReportSender();
    ReportSender(const ReportSender&) = delete;
    ReportSender& operator=(const ReportSender&) = delete;

    // Finishes the run under way and joins the thread. Idempotent.
    void Stop();

private:
    ReportSender() = default;
    void Work();

    std::chrono::milliseconds poll_{};
    std::function<core::TimePoint()> clock_;
    std::function<void()> queued_;
    std::string tmp_dir_;
    std::unique_ptr<store::AccountStore> store_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace fleet::api::detail
