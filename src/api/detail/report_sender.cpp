#include "api/detail/report_sender.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "api/detail/mailer.hpp"
#include "api/detail/report_render.hpp"
#include "api/detail/router.hpp"
#include "core/thread.hpp"
#include "core/time.hpp"
#include "store/reports.hpp"

namespace fleet::api::detail {

namespace {

// The mail of one run: the report attached, or a plain text saying why there is none.
std::optional<store::OutgoingMail> RunMail(store::ReportStore& reports, const store::ReportSchedule& s,
                                           const store::User& owner, const core::Zone& zone,
                                           const std::string& tmp_dir, core::TimePoint now, std::string& audit_detail) {
    auto [first, last] = store::ScheduleDays(s.frequency, zone, s.next_run_at);
    std::string days = first == last ? first.ToString() : first.ToString() + " to " + last.ToString();
    store::OutgoingMail mail;
    mail.created_at = now;
    mail.recipient = owner.email;
    mail.subject = fmt::format("fleetd: {} report, {}", s.report, days);
    mail.kind = "report-failed";
    std::string manage = fmt::format("This report is scheduled {} (schedule {}); change or delete it under "
                                     "/api/v1/reports/schedules/{}.\n",
                                     s.frequency, s.id, s.id);
    auto kind = ParseReportKind(s.report);
    auto values = ParamValues(s.params_json);
    if (!kind || !values) {
        mail.body = "Your scheduled report could not be produced: its settings are not valid any more.\n\n" + manage;
        return mail;
    }
    auto parsed = ParseReportParams(*kind, *values, false);
    if (auto* error = std::get_if<std::string>(&parsed)) {
        mail.body = fmt::format("Your scheduled report could not be produced: {}.\n\n{}", *error, manage);
        return mail;
    }
    ReportParams p = std::get<ReportParams>(parsed);
    p.from = first;
    p.to = last;
    store::Viewer viewer = store::ViewerFor(owner, store::AccountStore::ScopeOf(owner), now);
    auto table = RenderReport(reports, viewer, p, zone, store::ReportPage{kMaxExportRows + 1, 0}, now);
    if (!table) {
        if (table.error()) {
            spdlog::error("reports: schedule {}: {}", s.id, table.error()->message);
            return std::nullopt;  // retried at the next poll
        }
        mail.body = fmt::format("Your scheduled report could not be produced: {}.\n\n{}", table.refused()->detail,
                                manage);
        return mail;
    }
    if (table->total > kMaxExportRows) {
        mail.body = fmt::format("Your scheduled report has {} rows, more than the {} an e-mail holds: narrow it to "
                                "fewer vehicles.\n\n{}",
                                table->total, kMaxExportRows, manage);
        return mail;
    }
    auto file = ExportOf(*table, s.format, zone, tmp_dir);
    if (!file) {
        spdlog::error("reports: schedule {}: {}", s.id, file.error().message);
        return std::nullopt;
    }
    std::string text = fmt::format("Your {} {} report for {} ({} rows, times in {}) is attached.\n\n{}", s.frequency,
                                   s.report, days, table->rows.size(), zone.name(), manage);
    mail.kind = std::string(kMultipartMailKind);
    mail.body = MultipartBody(text, Attachment{fmt::format("{}-{}.{}", s.report, first.ToString(), s.format),
                                               file->content_type, std::move(file->data)});
    audit_detail = fmt::format(R"({{"report":"{}","format":"{}","rows":{},"schedule_id":{},"from":"{}","to":"{}"}})",
                               s.report, s.format, table->rows.size(), s.id, first.ToString(), last.ToString());
    return mail;
}

}  // namespace

int RunDueSchedules(store::AccountStore& accounts, core::TimePoint now, const std::string& tmp_dir, int64_t limit) {
    store::ReportStore reports(accounts);
    auto due = reports.DueSchedules(now, limit);
    if (!due) {
        spdlog::error("reports: {}", due.error().message);
        return 0;
    }
    int queued = 0;
    for (const auto& s : *due) {
        auto owner = accounts.FindCredentialsById(s.user_id);
        if (!owner) {
            spdlog::error("reports: schedule {}: {}", s.id, owner.error().message);
            continue;
        }
        const store::User* user = owner->has_value() ? &(*owner)->user : nullptr;
        bool allowed = user && !user->disabled && user->tenant_id == s.tenant_id &&
                       (*owner)->tenant_status == store::TenantStatus::kActive &&
                       RoleHas(user->role, Permission::kReportsRead);
        // The schedule's tenant's zone, for its next run even when this one is skipped.
        auto zone = reports.TenantZone(store::AccountStore::ScopeOf(store::User{0, s.tenant_id}));
        if (!zone) {
            spdlog::error("reports: schedule {}: {}", s.id, zone.error().message);
            continue;
        }
        core::TimePoint next = store::NextScheduleRun(s.frequency, *zone, now);
        std::optional<store::OutgoingMail> mail;
        std::optional<store::AuditEntry> audit;
        if (allowed) {
            std::string detail;
            mail = RunMail(reports, s, *user, *zone, tmp_dir, now, detail);
            if (!mail) continue;
            if (!detail.empty()) {
                store::AuditEntry e;
                e.at = now;
                e.tenant_id = s.tenant_id;
                e.actor_user_id = user->id;
                e.actor = "scheduler";
                e.action = "reports.export";
                e.target = fmt::format("report:{}", s.report);
                e.detail_json = detail;
                audit = e;
            }
        }
        auto done = reports.CompleteScheduleRun(s.id, s.next_run_at, now, next, mail, audit);
        if (!done) {
            spdlog::error("reports: schedule {}: {}", s.id, done.error().message);
        } else if (*done && mail) {
            ++queued;
        }
    }
    return queued;
}

Result<std::unique_ptr<ReportSender>> ReportSender::Start(const std::string& db_path, std::chrono::milliseconds poll,
                                                          std::function<core::TimePoint()> clock,
                                                          std::function<void()> queued) {
    auto store = store::AccountStore::Open(db_path);
    if (!store) return store.error();
    std::unique_ptr<ReportSender> r(new ReportSender());
    r->poll_ = poll;
    r->clock_ = std::move(clock);
    r->queued_ = std::move(queued);
    r->tmp_dir_ = std::filesystem::path(db_path).parent_path().string();
    r->store_ = std::move(*store);
    r->thread_ = std::thread([p = r.get()] {
        core::NameThread("fleetd-reports");
        p->Work();
    });
    return r;
}

ReportSender::~ReportSender() { Stop(); }

void ReportSender::Stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void ReportSender::Work() {
    for (;;) {
        if (RunDueSchedules(*store_, clock_(), tmp_dir_) > 0 && queued_) queued_();
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, poll_, [&] { return stop_; });
        if (stop_) return;
    }
}

}  // namespace fleet::api::detail
