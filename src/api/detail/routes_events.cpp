// The events inbox: GET /api/v1/events (newest first, keyset paging), GET /api/v1/events/{id} and
// POST /api/v1/events/{id}/acknowledge. See docs/api.md (Events).
#include <fmt/format.h>

#include <charconv>

#include "api/detail/fleet_common.hpp"
#include "api/detail/report_render.hpp"
#include "core/time.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;

std::string EventJson(const store::EventRow& e) {
    std::string out;
    AppendJsonItems(out, EventTable({e}));
    return out;
}

// "<time in ms>_<id>": where a page ended; opaque to clients.
std::string CursorText(const store::EventRow& e) { return fmt::format("{}_{}", e.time.time_since_epoch().count(), e.id); }

std::optional<store::EventCursor> ParseCursor(std::string_view text) {
    auto sep = text.find('_');
    if (sep == std::string_view::npos) return std::nullopt;
    int64_t ms = 0, id = 0;
    auto a = std::from_chars(text.data(), text.data() + sep, ms);
    auto b = std::from_chars(text.data() + sep + 1, text.data() + text.size(), id);
    if (a.ec != std::errc() || a.ptr != text.data() + sep || b.ec != std::errc() ||
        b.ptr != text.data() + text.size() || id < 1) {
        return std::nullopt;
    }
    return store::EventCursor{core::TimePoint{core::Millis{ms}}, id};
}

asio::awaitable<void> ListEvents(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(ctx.query, ListSpec{{}, {"from", "to", "vehicle_id", "group_id", "driver_id", "type",
                                                          "acknowledged", "before"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    ListQuery q = std::get<ListQuery>(parsed);
    if (q.offset != 0) {
        res = InvalidQuery("the inbox pages with 'before' (the 'next' of the previous page), not 'offset'");
        co_return;
    }
    std::optional<store::EventCursor> before;
    if (auto it = q.filters.find("before"); it != q.filters.end()) {
        before = ParseCursor(it->second);
        if (!before) {
            res = InvalidQuery("'before' must be the 'next' value of a previous page");
            co_return;
        }
        q.filters.erase(it);
    }
    // from and to are optional here.
    std::optional<RangeEnd> ends[2];
    const char* names[2] = {"from", "to"};
    for (int i = 0; i < 2; ++i) {
        auto it = q.filters.find(names[i]);
        if (it == q.filters.end()) continue;
        ends[i] = ParseRangeEnd(it->second);
        if (!ends[i]) {
            res = InvalidQuery(fmt::format("'{}' must be a date (YYYY-MM-DD) or an RFC 3339 time", names[i]));
            co_return;
        }
        q.filters.erase(it);
    }
    auto params = ParseReportParams(ReportKind::kEvents, q.filters, false);
    if (auto* error = std::get_if<std::string>(&params)) {
        res = InvalidQuery(*error);
        co_return;
    }
    const ReportParams& p = std::get<ReportParams>(params);
    store::Viewer viewer = ViewerOf(ctx);
    int64_t limit = q.limit;
    store::Outcome<std::vector<store::EventRow>> page;
    Database::Task fn = [&](Conn& c) {
        store::ReportStore reports(c.accounts);
        store::EventFilter filter;
        if (ends[0] || ends[1]) {
            auto zone = reports.TenantZone(viewer.scope);
            if (!zone) {
                page = zone.error();
                return;
            }
            if (ends[0]) filter.from = ResolveEnd(*ends[0], false, *zone);
            if (ends[1]) filter.to = ResolveEnd(*ends[1], true, *zone);
        }
        filter.types = p.types;
        filter.vehicle_id = p.vehicle_id;
        filter.group_id = p.group_id;
        filter.driver_id = p.driver_id;
        filter.acknowledged = p.acknowledged;
        page = reports.EventInbox(viewer, filter, before, limit);
    };
    co_await s.Run(fn);
    if (!page) {
        res = ProblemOf(page.refused(), page.error());
        co_return;
    }
    std::string out = "{\"items\":[";
    AppendJsonItems(out, EventTable(*page));
    out += "],\"next\":";
    bool full = static_cast<int64_t>(page->size()) == limit;
    out += full ? "\"" + CursorText(page->back()) + "\"" : "null";
    out += fmt::format(",\"limit\":{}}}", limit);
    res = Json(200, std::move(out));
}

asio::awaitable<void> GetEvent(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("event");
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    Result<std::optional<store::EventRow>> found = Error{"not run"};
    Database::Task fn = [&](Conn& c) { found = store::ReportStore(c.accounts).FindEvent(viewer, *id); };
    co_await s.Run(fn);
    AnswerFound(res, found, "event", EventJson);
}

asio::awaitable<void> AcknowledgeEvent(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("event");
        co_return;
    }
    auto body = ParseOptionalBody(ctx.req, {});
    if (auto* problem = std::get_if<http::Response>(&body)) {
        res = std::move(*problem);
        co_return;
    }
    store::Viewer viewer = ViewerOf(ctx);
    store::Actor actor = ActorOf(ctx);
    store::Outcome<store::EventRow> out;
    Database::Task fn = [&](Conn& c) {
        out = store::ReportStore(c.accounts).AcknowledgeEvent(viewer, *id, actor, ctx.now);
    };
    co_await s.Run(fn);
    Answer(res, out, 200, EventJson);
}

}  // namespace

void AddEventRoutes(Service& s) {
    AddRoute(s, "GET", "/api/v1/events", Permission::kReportsRead, ListEvents);
    AddRoute(s, "GET", "/api/v1/events/{id}", Permission::kReportsRead, GetEvent);
    AddRoute(s, "POST", "/api/v1/events/{id}/acknowledge", Permission::kOperationsWrite, AcknowledgeEvent);
}

}  // namespace fleet::api::detail
