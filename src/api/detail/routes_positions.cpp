// Positions: GET /api/v1/positions/latest (the latest position of each visible vehicle) and
// GET /api/v1/vehicles/{id}/positions (a vehicle's history as JSON, GeoJSON, GPX or CSV). Both are
// streamed with chunked transfer encoding, one page of rows read on a database worker per chunk,
// so a month of positions never sits in memory. Every history read is audited before it starts.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "api/detail/fleet_common.hpp"
#include "api/detail/position_formats.hpp"
#include "api/detail/service.hpp"
#include "api/detail/step_up.hpp"
#include "core/time.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;

constexpr int64_t kLatestPage = 1000;  // vehicles per chunk
constexpr size_t kHistoryPage = 2000;  // positions per chunk

// A positive decimal id, or nullopt (answered as a missing resource).
std::optional<int64_t> ParseId(const std::string& text) {
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    int64_t id = std::stoll(text);
    return id > 0 ? std::optional<int64_t>(id) : std::nullopt;
}

// The name of the first query parameter not in `allowed`, or nullopt.
std::optional<std::string> UnknownParameter(const Ctx& ctx, std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : ctx.query) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) return key;
    }
    return std::nullopt;
}

// A read failed after the answer's head was sent: only cutting the connection (no last chunk) tells
// the client that the body is incomplete. The server logs the exception and closes.
[[noreturn]] void CutStream(const Error& error) { throw std::runtime_error("positions stream: " + error.message); }

// --- latest positions ----------------------------------------------------------------------------

struct LatestStream {
    Service& s;
    store::Viewer viewer;
    store::LatestFilter filter;
    std::vector<store::VehiclePosition> page;  // read, not yet written
    bool begun = false;
    bool first_item = true;
};

// A driver reads positions without the badge the box read (HideBadge).
bool HidesBadges(const store::Viewer& viewer) { return viewer.driver_at.has_value(); }

// Writes the page read last; reads the next one when that page was full.
asio::awaitable<bool> NextLatest(LatestStream& st, std::string& chunk) {
    if (!st.begun) {
        chunk += "{\"items\":[";
        st.begun = true;
    } else {
        int64_t after = st.page.empty() ? 0 : st.page.back().vehicle_id;
        st.page.clear();
        Result<std::vector<store::VehiclePosition>> read = std::vector<store::VehiclePosition>();
        Database::Task fn = [&](Conn& c) { read = c.positions.Latest(st.viewer, st.filter, after, kLatestPage); };
        co_await st.s.Run(fn);
        if (!read) CutStream(read.error());
        st.page = std::move(*read);
    }
    for (auto& vp : st.page) {
        if (HidesBadges(st.viewer)) HideBadge(vp.position);
        chunk += st.first_item ? "{" : ",{";
        st.first_item = false;
        AppendVehiclePositionMembers(chunk, vp.vehicle_id, vp.vehicle_name, vp.position);
        chunk += "}";
    }
    if (static_cast<int64_t>(st.page.size()) < kLatestPage) {
        chunk += "]}";
        co_return false;
    }
    co_return true;
}

asio::awaitable<void> Latest(Service& s, Ctx& ctx, http::Response& res) {
    if (auto unknown = UnknownParameter(ctx, {"group_id", "q"})) {
        res = InvalidQuery(fmt::format("unknown parameter '{}'", unknown->substr(0, 64)));
        co_return;
    }
    store::LatestFilter filter;
    if (auto it = ctx.query.find("group_id"); it != ctx.query.end()) {
        filter.group_id = ParseId(it->second);
        if (!filter.group_id) {
            res = InvalidQuery("'group_id' must be a positive integer");
            co_return;
        }
    }
    if (auto it = ctx.query.find("q"); it != ctx.query.end()) {
        if (it->second.size() > 256) {
            res = InvalidQuery("'q' is at most 256 bytes");
            co_return;
        }
        filter.q = it->second;
    }
    auto st = std::make_shared<LatestStream>(LatestStream{s, ViewerOf(ctx), std::move(filter), {}});
    // The first page is read before answering, so that a failure is still a 500.
    Result<std::vector<store::VehiclePosition>> read = std::vector<store::VehiclePosition>();
    Database::Task fn = [&](Conn& c) { read = c.positions.Latest(st->viewer, st->filter, 0, kLatestPage); };
    co_await s.Run(fn);
    if (!read) {
        spdlog::error("api: latest positions: {}", read.error().message);
        res = Internal();
        co_return;
    }
    st->page = std::move(*read);
    res.status = 200;
    res.content_type = "application/json";
    res.stream = [st](std::string& chunk) { return NextLatest(*st, chunk); };
}

// --- a vehicle's history -------------------------------------------------------------------------

struct HistoryStream {
    Service& s;
    store::HistoryCursor start;   // for the next pass
    store::HistoryCursor cursor;  // where the rows of this pass stand
    std::unique_ptr<HistoryFormat> format;
    std::vector<store::PositionRow> page;  // read, not yet written
    bool hide_badges = false;              // a driver reads it (HideBadge)
    int pass = 0;
    bool begun = false;
};

// Writes the page read last (reading one first when there is none), and the format's framing.
asio::awaitable<bool> NextHistory(HistoryStream& st, std::string& chunk) {
    if (!st.begun) {
        st.format->Begin(chunk);
        st.begun = true;
    } else if (st.page.empty() && !st.cursor.done()) {
        Result<std::vector<store::PositionRow>> read = std::vector<store::PositionRow>();
        Database::Task fn = [&](Conn& c) { read = c.positions.ReadHistory(st.cursor, kHistoryPage); };
        co_await st.s.Run(fn);
        if (!read) CutStream(read.error());
        st.page = std::move(*read);
    }
    for (auto& row : st.page) {
        if (st.hide_badges) HideBadge(row);
        st.format->Row(chunk, row, st.pass);
    }
    st.page.clear();
    if (!st.cursor.done()) co_return true;
    st.format->EndPass(chunk, st.pass);
    if (++st.pass < st.format->Passes()) {
        st.cursor = st.start;
        co_return true;
    }
    st.format->End(chunk);
    co_return false;
}

// "2026-02-01T00:00:00.000Z" -> "20260201T000000Z", for file names.
std::string CompactTime(core::TimePoint t) {
    std::string iso = core::FormatIso(t);
    std::string out;
    for (size_t i = 0; i < iso.size() && iso[i] != '.'; ++i) {
        if (iso[i] != '-' && iso[i] != ':') out += iso[i];
    }
    return out + "Z";
}

asio::awaitable<void> History(Service& s, Ctx& ctx, http::Response& res) {
    auto id = ParseId(ctx.params["id"]);
    if (!id) {
        res = NotFound("vehicle");
        co_return;
    }
    if (auto unknown = UnknownParameter(ctx, {"from", "to", "format"})) {
        res = InvalidQuery(fmt::format("unknown parameter '{}'", unknown->substr(0, 64)));
        co_return;
    }
    core::TimePoint range[2];
    const char* names[2] = {"from", "to"};
    for (int i = 0; i < 2; ++i) {
        auto it = ctx.query.find(names[i]);
        auto t = it == ctx.query.end() ? Result<core::TimePoint>(MakeError("")) : core::ParseIso(it->second);
        if (!t) {
            res = InvalidQuery(fmt::format("'{}' must be an ISO 8601 time, e.g. 2026-02-01T00:00:00Z", names[i]));
            co_return;
        }
        range[i] = *t;
    }
    std::string format_name = ctx.query.count("format") ? ctx.query["format"] : "json";
    if (!MakeHistoryFormat(format_name, {}, false)) {
        res = InvalidQuery("'format' is one of json, geojson, gpx, csv");
        co_return;
    }
    bool is_export = format_name != "json";
    // Exports need a recent password or TOTP check in a session; an API token (issued from a
    // stepped-up session, scope read) may export, as it could page the same data as JSON anyway.
    if (is_export && ctx.caller->session && !RecentStepUp(*ctx.caller, ctx.now)) {
        res = StepUpRequired();
        co_return;
    }

    store::Viewer viewer = ViewerOf(ctx);
    const store::User& user = ctx.caller->user;
    store::AuditEntry audit;
    audit.at = ctx.now;
    audit.tenant_id = ctx.caller->scope().tenant_id();  // under a support grant: the customer's log
    audit.actor_user_id = user.id;
    audit.actor = fmt::format("user:{}", user.id);
    audit.action = is_export ? "positions.export" : "positions.read";
    audit.target = fmt::format("vehicle:{}", *id);
    audit.ip = ctx.ip;
    audit.detail_json = fmt::format(R"({{"from":"{}","to":"{}","format":"{}"}})", core::FormatIso(range[0]),
                                    core::FormatIso(range[1]), format_name);
    store::Outcome<store::HistoryCursor> opened;
    std::optional<store::HistoryCursor> start;
    Result<std::vector<store::PositionRow>> first = std::vector<store::PositionRow>();
    Database::Task fn = [&](Conn& c) {
        opened = c.positions.OpenHistory(viewer, *id, range[0], range[1]);
        if (!opened) return;
        // Audited before a single position leaves: a read that fails later is still on record.
        if (auto a = c.accounts.Audit(audit); !a) {
            opened = a.error();
            return;
        }
        start = *opened;
        first = c.positions.ReadHistory(*opened, kHistoryPage);
    };
    co_await s.Run(fn);
    if (const store::Refused* r = opened.refused()) {
        res = r->why == store::Refusal::kNotFound ? NotFound("vehicle") : InvalidQuery(r->detail);
        co_return;
    }
    if (!opened || !first) {
        spdlog::error("api: history of vehicle {}: {}", *id,
                      opened.error() ? opened.error()->message : first.error().message);
        res = Internal();
        co_return;
    }
    HistoryInfo info{opened->vehicle_id(), opened->vehicle_name(), range[0], range[1], ctx.now};
    auto format = MakeHistoryFormat(format_name, info, first->size() >= 2);
    res.status = 200;
    res.content_type = std::string(format->ContentType());
    if (format->IsExport()) {
        res.headers.emplace_back("Content-Disposition",
                                 fmt::format("attachment; filename=\"vehicle-{}-{}-{}.{}\"", *id, CompactTime(range[0]),
                                             CompactTime(range[1]), format->Extension()));
    }
    auto st = std::make_shared<HistoryStream>(
        HistoryStream{s, std::move(*start), std::move(*opened), std::move(format), std::move(*first)});
    st->hide_badges = HidesBadges(viewer);
    res.stream = [st](std::string& chunk) { return NextHistory(*st, chunk); };
}

}  // namespace

void AddPositionRoutes(Service& s) {
    // Open to drivers: the viewer narrows both to the driver's own vehicle and assignment periods.
    AddRoute(s, "GET", "/api/v1/positions/latest", Permission::kPositionsRead, Latest, false, /*drivers=*/true);
    AddRoute(s, "GET", "/api/v1/vehicles/{id}/positions", Permission::kPositionsRead, History, false,
             /*drivers=*/true);
}

}  // namespace fleet::api::detail
