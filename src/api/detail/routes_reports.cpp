// Reports: GET /api/v1/reports/{trips,stops,summary,events,geofence-visits,eco,fuel,utilisation,
// maintenance} as a JSON page, or the whole report as CSV or XLSX (audited as reports.export before
// a row leaves), and the caller's scheduled reports, /api/v1/reports/schedules[/{id}].
// See docs/api.md (Reports).
#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <filesystem>

#include "api/detail/fleet_common.hpp"
#include "api/detail/report_render.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// The query parameters a report takes besides its filters.
std::vector<std::string_view> ReportQueryFields(ReportKind kind) {
    if (kind == ReportKind::kMaintenance) return {"vehicle_id", "group_id", "format"};  // as of today
    std::vector<std::string_view> fields = {"from", "to", "vehicle_id", "group_id", "driver_id", "format"};
    if (kind == ReportKind::kGeofenceVisits) fields.push_back("geofence_id");
    if (kind == ReportKind::kEco) fields.push_back("by");
    if (kind == ReportKind::kEvents) {
        fields.push_back("type");
        fields.push_back("acknowledged");
    }
    return fields;
}

// "20260301T000000Z"
std::string FileTime(core::TimePoint t) {
    std::string out;
    for (char c : core::FormatIso(t).substr(0, 19)) {
        if (c != '-' && c != ':') out += c;
    }
    return out + "Z";
}

http::Response TooLarge() {
    return http::Problem(400, "report-too-large", "Report too large",
                         fmt::format("an export holds at most {} rows: narrow the range or the vehicles, or page "
                                     "the JSON form",
                                     kMaxExportRows));
}

asio::awaitable<void> GetReport(Service& s, ReportKind kind, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(ctx.query, ListSpec{{}, ReportQueryFields(kind)});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    ListQuery q = std::get<ListQuery>(parsed);
    std::string format = q.filters.count("format") ? q.filters["format"] : "json";
    q.filters.erase("format");
    if (format != "json" && format != "csv" && format != "xlsx") {
        res = InvalidQuery("'format' is json, csv or xlsx");
        co_return;
    }
    auto params = ParseReportParams(kind, q.filters, true);
    if (auto* error = std::get_if<std::string>(&params)) {
        res = InvalidQuery(*error);
        co_return;
    }
    const ReportParams& p = std::get<ReportParams>(params);
    bool is_export = format != "json";
    store::ReportPage page = is_export ? store::ReportPage{kMaxExportRows + 1, 0} : store::ReportPage{q.limit, q.offset};
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    std::string tmp_dir = std::filesystem::path(s.options.db_path).parent_path().string();
    store::Outcome<ReportTable> table;
    std::optional<core::Zone> zone;
    std::pair<core::TimePoint, core::TimePoint> range;
    bool too_large = false;
    Result<ExportFile> file = ExportFile{};
    Database::Task fn = [&](Conn& c) {
        store::ReportStore reports(c.accounts);
        auto z = reports.TenantZone(viewer.scope);
        if (!z) {
            table = z.error();
            return;
        }
        zone = *z;
        range = ResolveRange(p, *zone);
        table = RenderReport(reports, viewer, p, *zone, page, ctx.now);
        if (!table || !is_export) return;
        if (table->total > kMaxExportRows) {
            too_large = true;
            return;
        }
        // Audited before a row leaves: an export that fails later is still on record.
        std::string detail = fmt::format(R"({{"report":"{}","format":"{}","rows":{})", ToString(kind), format,
                                         table->rows.size());
        if (kind != ReportKind::kMaintenance) {
            detail += fmt::format(R"(,"from":"{}","to":"{}")", core::FormatIso(range.first),
                                  core::FormatIso(range.second));
        }
        store::AuditEntry entry;
        entry.at = ctx.now;
        entry.tenant_id = viewer.scope.tenant_id();  // under a support grant: the customer's log
        entry.actor_user_id = actor.user_id;
        entry.actor = actor.name;
        entry.action = "reports.export";
        entry.target = fmt::format("report:{}", ToString(kind));
        entry.ip = actor.ip;
        entry.detail_json = detail + "}";
        if (auto a = c.accounts.Audit(entry); !a) {
            table = a.error();
            return;
        }
        file = ExportOf(*table, format, *zone, tmp_dir);
    };
    co_await s.Run(fn);
    if (!table) {
        res = ProblemOf(table.refused(), table.error());
        if (table.refused() && table.refused()->why == store::Refusal::kInvalid) res = InvalidQuery(table.refused()->detail);
        co_return;
    }
    if (too_large) {
        res = TooLarge();
        co_return;
    }
    if (!file) {
        spdlog::error("api: {} report: {}", ToString(kind), file.error().message);
        res = Internal();
        co_return;
    }
    if (is_export) {
        res.status = 200;
        res.content_type = std::move(file->content_type);
        res.body = std::move(file->data);
        std::string name = kind == ReportKind::kMaintenance
                               ? fmt::format("{}-{}", ToString(kind), zone->DayOf(ctx.now).ToString())
                               : fmt::format("{}-{}-{}", ToString(kind), FileTime(range.first), FileTime(range.second));
        res.headers.emplace_back("Content-Disposition", fmt::format("attachment; filename=\"{}.{}\"", name, format));
        co_return;
    }
    std::string out = "{\"report\":\"" + std::string(ToString(kind)) + "\",\"time_zone\":";
    core::AppendJsonString(out, zone->name());
    if (kind == ReportKind::kMaintenance) {
        out += ",\"date\":\"" + zone->DayOf(ctx.now).ToString() + "\"";
    } else {
        out += fmt::format(",\"from\":\"{}\",\"to\":\"{}\"", core::FormatIso(range.first), core::FormatIso(range.second));
    }
    out += ",\"items\":[";
    AppendJsonItems(out, *table);
    out += fmt::format("],\"total\":{},\"limit\":{},\"offset\":{}}}", table->total, q.limit, q.offset);
    res = Json(200, std::move(out));
}

// --- schedules -----------------------------------------------------------------------------------

std::string ScheduleJson(const store::ReportSchedule& r) {
    std::string out = fmt::format("{{\"id\":{},\"report\":", r.id);
    core::AppendJsonString(out, r.report);
    out += ",\"params\":" + r.params_json;  // a JSON object serialised by the API when it was set
    out += fmt::format(",\"frequency\":\"{}\",\"format\":\"{}\"", r.frequency, r.format);
    out += ",\"next_run_at\":" + JsonTime(r.next_run_at) + ",\"last_run_at\":" + JsonTime(r.last_run_at) +
           ",\"created_at\":" + JsonTime(r.created_at) + "}";
    return out;
}

// A change of one's schedules is a write: an API token needs the write scope for it.
std::optional<http::Response> WriteRefused(const Ctx& ctx) {
    const Caller& c = *ctx.caller;
    if (c.support_scope) return Forbidden("support access reads only");
    if (c.token_id && std::find(c.token_scopes.begin(), c.token_scopes.end(), "write") == c.token_scopes.end()) {
        return Forbidden("changing scheduled reports needs a token with the write scope");
    }
    return std::nullopt;
}

// The schedule body as a change, with its params checked against its report and serialised.
std::variant<store::ScheduleChange, http::Response> ScheduleBody(const http::Request& req, bool adding,
                                                                 std::optional<std::string> current_report) {
    auto parsed = ParseBody(req, {{"report", FieldType::kString, adding, false, 32},
                                  {"frequency", FieldType::kString, adding, false, 16},
                                  {"format", FieldType::kString, adding, false, 16},
                                  {"params", FieldType::kObject, false, false, 2048}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) return std::move(*problem);
    const json::object& body = std::get<0>(parsed);
    store::ScheduleChange c;
    c.report = GetString(body, "report");
    c.frequency = GetString(body, "frequency");
    c.format = GetString(body, "format");
    std::string report = c.report ? *c.report : current_report.value_or("");
    auto kind = ParseReportKind(report);
    if (!kind) return InvalidBody("'report' is one of trips, stops, summary, events, geofence-visits, eco, fuel, "
                                  "utilisation, maintenance");
    // New params, or (when only the report changes) the current ones must still suit it: the
    // route checks that case with the stored params.
    if (const json::value* params = body.if_contains("params")) {
        std::string text = json::serialize(*params);
        auto values = ParamValues(text);
        if (!values) return InvalidBody("the values of 'params' are strings, integers or booleans");
        auto checked = ParseReportParams(*kind, *values, false);
        if (auto* error = std::get_if<std::string>(&checked)) return InvalidBody("params: " + *error);
        c.params_json = std::move(text);
    }
    return c;
}

// The ids of a schedule's params must be visible to its owner (404 otherwise, as in a report).
store::Outcome<store::Done> CheckParams(store::ReportStore& reports, const store::Viewer& owner,
                                        const std::string& report, const std::string& params_json) {
    auto kind = ParseReportKind(report);
    auto values = ParamValues(params_json);
    auto parsed = kind && values ? ParseReportParams(*kind, *values, false)
                                 : std::variant<ReportParams, std::string>("not a report's parameters");
    if (auto* error = std::get_if<std::string>(&parsed)) {
        return store::Refused{store::Refusal::kInvalid, "params: " + *error};
    }
    const ReportParams& p = std::get<ReportParams>(parsed);
    store::ReportFilter f{core::TimePoint{}, core::TimePoint{} + std::chrono::hours(1), p.vehicle_id, p.group_id,
                          p.driver_id};
    return reports.CheckFilter(owner, f);
}

asio::awaitable<void> ListSchedules(Service& s, Ctx& ctx, http::Response& res) {
    if (!ctx.query.empty()) {
        res = InvalidQuery("this list takes no parameters");
        co_return;
    }
    store::Viewer owner = ViewerOf(ctx);
    Result<std::vector<store::ReportSchedule>> list = Error{"not run"};
    Database::Task fn = [&](Conn& c) { list = store::ReportStore(c.accounts).ListSchedules(owner); };
    co_await s.Run(fn);
    if (!list) {
        res = ProblemOf(nullptr, &list.error());
        co_return;
    }
    std::string out = "{\"items\":[";
    for (size_t i = 0; i < list->size(); ++i) out += (i ? "," : "") + ScheduleJson((*list)[i]);
    out += fmt::format("],\"total\":{}}}", list->size());
    res = Json(200, std::move(out));
}

asio::awaitable<void> GetSchedule(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("report schedule");
        co_return;
    }
    store::Viewer owner = ViewerOf(ctx);
    Result<std::optional<store::ReportSchedule>> found = Error{"not run"};
    Database::Task fn = [&](Conn& c) { found = store::ReportStore(c.accounts).FindSchedule(owner, *id); };
    co_await s.Run(fn);
    AnswerFound(res, found, "report schedule", ScheduleJson);
}

asio::awaitable<void> PostSchedule(Service& s, Ctx& ctx, http::Response& res) {
    if (auto refused = WriteRefused(ctx)) {
        res = std::move(*refused);
        co_return;
    }
    auto parsed = ScheduleBody(ctx.req, true, std::nullopt);
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const store::ScheduleChange& change = std::get<0>(parsed);
    store::Viewer owner = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::ReportSchedule> out;
    Database::Task fn = [&](Conn& c) {
        store::ReportStore reports(c.accounts);
        auto zone = reports.TenantZone(owner.scope);
        if (!zone) {
            out = zone.error();
            return;
        }
        if (auto ok = CheckParams(reports, owner, *change.report, change.params_json.value_or("{}")); !ok) {
            out = ok.Failure<store::ReportSchedule>();
            return;
        }
        out = reports.AddSchedule(owner, change, *zone, actor, ctx.now);
    };
    co_await s.Run(fn);
    Answer(res, out, 201, ScheduleJson);
    if (out) res.headers.emplace_back("Location", fmt::format("/api/v1/reports/schedules/{}", out->id));
}

asio::awaitable<void> PatchSchedule(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("report schedule");
        co_return;
    }
    if (auto refused = WriteRefused(ctx)) {
        res = std::move(*refused);
        co_return;
    }
    store::Viewer owner = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::ReportSchedule> out;
    std::optional<http::Response> problem;
    Database::Task fn = [&](Conn& c) {
        store::ReportStore reports(c.accounts);
        auto current = reports.FindSchedule(owner, *id);
        if (!current) {
            out = current.error();
            return;
        }
        if (!current->has_value()) {
            out = store::Refused{store::Refusal::kNotFound, "no such report schedule"};
            return;
        }
        auto parsed = ScheduleBody(ctx.req, false, (*current)->report);
        if (auto* p = std::get_if<http::Response>(&parsed)) {
            problem = std::move(*p);
            return;
        }
        const store::ScheduleChange& change = std::get<0>(parsed);
        auto zone = reports.TenantZone(owner.scope);
        if (!zone) {
            out = zone.error();
            return;
        }
        std::string report = change.report.value_or((*current)->report);
        if (auto ok = CheckParams(reports, owner, report, change.params_json.value_or((*current)->params_json)); !ok) {
            out = ok.Failure<store::ReportSchedule>();
            return;
        }
        out = reports.UpdateSchedule(owner, *id, change, *zone, actor, ctx.now);
    };
    co_await s.Run(fn);
    if (problem) {
        res = std::move(*problem);
        co_return;
    }
    Answer(res, out, 200, ScheduleJson);
}

asio::awaitable<void> DeleteSchedule(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("report schedule");
        co_return;
    }
    if (auto refused = WriteRefused(ctx)) {
        res = std::move(*refused);
        co_return;
    }
    store::Viewer owner = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::Done> out;
    Database::Task fn = [&](Conn& c) { out = store::ReportStore(c.accounts).DeleteSchedule(owner, *id, actor, ctx.now); };
    co_await s.Run(fn);
    AnswerDone(res, out);
}

}  // namespace

void AddReportRoutes(Service& s) {
    for (ReportKind kind : {ReportKind::kTrips, ReportKind::kStops, ReportKind::kSummary, ReportKind::kEvents,
                            ReportKind::kGeofenceVisits, ReportKind::kEco, ReportKind::kFuel, ReportKind::kUtilisation,
                            ReportKind::kMaintenance}) {
        std::string pattern = "/api/v1/reports/" + std::string(ToString(kind));
        s.router.Add({"GET", pattern, Access::kSignedIn, Permission::kReportsRead, false,
                      [&s, kind](Ctx& ctx, http::Response& res) { return GetReport(s, kind, ctx, res); }});
    }
    AddRoute(s, "GET", "/api/v1/reports/schedules", Permission::kReportsRead, ListSchedules);
    AddRoute(s, "POST", "/api/v1/reports/schedules", Permission::kReportsRead, PostSchedule);
    AddRoute(s, "GET", "/api/v1/reports/schedules/{id}", Permission::kReportsRead, GetSchedule);
    AddRoute(s, "PATCH", "/api/v1/reports/schedules/{id}", Permission::kReportsRead, PatchSchedule);
    AddRoute(s, "DELETE", "/api/v1/reports/schedules/{id}", Permission::kReportsRead, DeleteSchedule);
}

}  // namespace fleet::api::detail
