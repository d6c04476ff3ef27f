// ReportStore: scheduled reports — their owners' CRUD and the sender's due list and run record.
#include "store/detail/outbox.hpp"
#include "store/detail/reports_impl.hpp"
#include "store/reports.hpp"

namespace fleet::store {

using namespace detail;

namespace {

constexpr std::chrono::minutes kSendAt{6 * 60};  // 06:00 local

constexpr std::string_view kScheduleColumns =
    "id, tenant_id, user_id, report, params, frequency, format, next_run_at, last_run_at, created_at";

ReportSchedule ReadSchedule(sqlite3_stmt* s) {
    ReportSchedule r;
    r.id = sqlite3_column_int64(s, 0);
    r.tenant_id = sqlite3_column_int64(s, 1);
    r.user_id = sqlite3_column_int64(s, 2);
    r.report = Col(s, 3);
    r.params_json = Col(s, 4);
    r.frequency = Col(s, 5);
    r.format = Col(s, 6);
    r.next_run_at = FromMs(sqlite3_column_int64(s, 7));
    if (auto t = ColOptInt(s, 8)) r.last_run_at = FromMs(*t);
    r.created_at = FromMs(sqlite3_column_int64(s, 9));
    return r;
}

std::optional<Refused> CheckSchedule(const ScheduleChange& c) {
    if (c.frequency && *c.frequency != "daily" && *c.frequency != "weekly") {
        return Refused{Refusal::kInvalid, "'frequency' is daily or weekly"};
    }
    if (c.format && *c.format != "csv" && *c.format != "xlsx") {
        return Refused{Refusal::kInvalid, "'format' is csv or xlsx"};
    }
    if (c.report && c.report->empty()) return Refused{Refusal::kInvalid, "'report' must not be blank"};
    return std::nullopt;
}

std::string ScheduleDetail(const ReportSchedule& s) {
    return DetailJson({{"report", s.report}, {"frequency", s.frequency}, {"format", s.format}});
}

}  // namespace

core::TimePoint NextScheduleRun(const std::string& frequency, const Zone& zone, core::TimePoint after) {
    bool weekly = frequency == "weekly";
    for (LocalDay d = zone.DayOf(after);; d = d.Next()) {
        if (weekly && d.Weekday() != 1) continue;
        core::TimePoint t = zone.At(d, kSendAt);
        if (t > after) return t;
    }
}

std::pair<LocalDay, LocalDay> ScheduleDays(const std::string& frequency, const Zone& zone, core::TimePoint run) {
    LocalDay day = zone.DayOf(run);
    return {day.Next(frequency == "weekly" ? -7 : -1), day.Next(-1)};
}

Result<std::vector<ReportSchedule>> ReportStore::ListSchedules(const Viewer& owner) {
    Sql sql;
    sql << fmt::format("SELECT {} FROM report_schedules WHERE tenant_id = ? AND user_id = ? ORDER BY id LIMIT ?",
                       kScheduleColumns);
    sql.Arg(owner.scope.tenant_id()).Arg(owner.user_id).Arg(kMaxSchedulesPerUser);
    return Rows<ReportSchedule>(db_, sql, "list report schedules", ReadSchedule);
}

Result<std::optional<ReportSchedule>> ReportStore::FindSchedule(const Viewer& owner, int64_t id) {
    Sql sql;
    sql << fmt::format("SELECT {} FROM report_schedules WHERE id = ? AND tenant_id = ? AND user_id = ?",
                       kScheduleColumns);
    sql.Arg(id).Arg(owner.scope.tenant_id()).Arg(owner.user_id);
    auto rows = Rows<ReportSchedule>(db_, sql, "find report schedule", ReadSchedule);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<ReportSchedule>();
    return std::optional<ReportSchedule>(std::move(rows->front()));
}

Outcome<ReportSchedule> ReportStore::AddSchedule(const Viewer& owner, const ScheduleChange& change, const Zone& zone,
                                                 const Actor& actor, core::TimePoint now) {
    if (!change.report || !change.frequency || !change.format) {
        return Refused{Refusal::kInvalid, "'report', 'frequency' and 'format' are required"};
    }
    if (auto bad = CheckSchedule(change)) return *bad;
    return InTransaction<ReportSchedule>(db_, [&]() -> Outcome<ReportSchedule> {
        Sql count;
        count << "SELECT count(*) FROM report_schedules WHERE user_id = ?";
        count.Arg(owner.user_id);
        auto n = Count(db_, count, "count report schedules");
        if (!n) return n.error();
        if (*n >= kMaxSchedulesPerUser) {
            return Refused{Refusal::kConflict,
                           fmt::format("you have {} scheduled reports, the most a user may have", *n)};
        }
        ReportSchedule s;
        s.tenant_id = owner.scope.tenant_id();
        s.user_id = owner.user_id;
        s.report = *change.report;
        s.params_json = change.params_json.value_or("{}");
        s.frequency = *change.frequency;
        s.format = *change.format;
        s.next_run_at = NextScheduleRun(s.frequency, zone, now);
        s.created_at = now;
        Sql insert;
        insert << "INSERT INTO report_schedules (tenant_id, user_id, report, params, frequency, format, next_run_at, "
                  "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
        insert.Arg(s.tenant_id).Arg(s.user_id).Arg(s.report).Arg(s.params_json).Arg(s.frequency).Arg(s.format);
        insert.Arg(ToMs(s.next_run_at)).Arg(ToMs(now));
        if (auto r = Change(db_, insert, "add report schedule"); !r) return r.Failure<ReportSchedule>();
        s.id = sqlite3_last_insert_rowid(db_.db);
        if (auto a = Audit(db_, actor, now, s.tenant_id, "report_schedule.add", fmt::format("report_schedule:{}", s.id),
                           ScheduleDetail(s));
            !a) {
            return a.Failure<ReportSchedule>();
        }
        return s;
    });
}

Outcome<ReportSchedule> ReportStore::UpdateSchedule(const Viewer& owner, int64_t id, const ScheduleChange& change,
                                                    const Zone& zone, const Actor& actor, core::TimePoint now) {
    if (auto bad = CheckSchedule(change)) return *bad;
    return InTransaction<ReportSchedule>(db_, [&]() -> Outcome<ReportSchedule> {
        auto found = FindSchedule(owner, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such report schedule"};
        ReportSchedule s = std::move(**found);
        if (change.report) s.report = *change.report;
        if (change.params_json) s.params_json = *change.params_json;
        if (change.format) s.format = *change.format;
        if (change.frequency && *change.frequency != s.frequency) {
            s.frequency = *change.frequency;
            s.next_run_at = NextScheduleRun(s.frequency, zone, now);
        }
        Sql update;
        update << "UPDATE report_schedules SET report = ?, params = ?, frequency = ?, format = ?, next_run_at = ? "
                  "WHERE id = ?";
        update.Arg(s.report).Arg(s.params_json).Arg(s.frequency).Arg(s.format).Arg(ToMs(s.next_run_at)).Arg(id);
        if (auto r = Change(db_, update, "update report schedule"); !r) return r.Failure<ReportSchedule>();
        if (auto a = Audit(db_, actor, now, s.tenant_id, "report_schedule.update",
                           fmt::format("report_schedule:{}", id), ScheduleDetail(s));
            !a) {
            return a.Failure<ReportSchedule>();
        }
        return s;
    });
}

Outcome<Done> ReportStore::DeleteSchedule(const Viewer& owner, int64_t id, const Actor& actor, core::TimePoint now) {
    return InTransaction<Done>(db_, [&]() -> Outcome<Done> {
        auto found = FindSchedule(owner, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such report schedule"};
        Sql del;
        del << "DELETE FROM report_schedules WHERE id = ?";
        del.Arg(id);
        if (auto r = Change(db_, del, "delete report schedule"); !r) return r;
        return Audit(db_, actor, now, owner.scope.tenant_id(), "report_schedule.delete",
                     fmt::format("report_schedule:{}", id), ScheduleDetail(**found));
    });
}

Result<std::vector<ReportSchedule>> ReportStore::DueSchedules(core::TimePoint now, int64_t limit) {
    Sql sql;
    sql << fmt::format("SELECT {} FROM report_schedules WHERE next_run_at <= ? ORDER BY next_run_at, id LIMIT ?",
                       kScheduleColumns);
    sql.Arg(ToMs(now)).Arg(limit);
    return Rows<ReportSchedule>(db_, sql, "due report schedules", ReadSchedule);
}

Result<bool> ReportStore::CompleteScheduleRun(int64_t id, core::TimePoint due, core::TimePoint now,
                                              core::TimePoint next_run_at, const std::optional<OutgoingMail>& mail,
                                              const std::optional<AuditEntry>& audit) {
    return db_.Transaction<bool>([&]() -> Result<bool> {
        // Claims the run: only the sender that moves the schedule from `due` queues the mail.
        Query q(db_.db, "UPDATE report_schedules SET next_run_at = ?, last_run_at = ? WHERE id = ? AND next_run_at = ?");
        if (!q.ok()) return q.error("complete report schedule");
        q.Bind(1, ToMs(next_run_at)).Bind(2, ToMs(now)).Bind(3, id).Bind(4, ToMs(due));
        if (q.Step() != SQLITE_DONE) return db_.DbError("complete report schedule");
        if (sqlite3_changes(db_.db) == 0) return false;
        if (mail) {
            if (auto m = InsertMail(db_, *mail); !m) return m.error();
        }
        if (audit) {
            if (auto a = db_.AppendAudit(*audit); !a) return a.error();
        }
        return true;
    });
}

}  // namespace fleet::store
