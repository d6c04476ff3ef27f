// The reports the API serves (GET /api/v1/reports/{name}) and the scheduled sender mails: their
// names, their parameters, and each one run against the store and laid out as a ReportTable.
// Shared by routes_reports.cpp and report_sender.cpp. Thread-compatible; RenderReport runs on a
// database worker (it reads the store).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/detail/report_table.hpp"
#include "store/reports.hpp"

namespace fleet::api::detail {

// An export (CSV, XLSX, a scheduled mail) holds at most this many rows; a larger report is refused
// (narrow its range or fleet), so that an export never holds more than tens of megabytes.
inline constexpr int64_t kMaxExportRows = 25000;

enum class ReportKind { kTrips, kStops, kSummary, kEvents, kGeofenceVisits, kEco, kFuel, kUtilisation, kMaintenance };

// "trips", "stops", "summary", "events", "geofence-visits", "eco", "fuel", "utilisation", "maintenance"
std::string_view ToString(ReportKind kind);
std::optional<ReportKind> ParseReportKind(std::string_view name);

// The event types the pipeline and the periodic checks raise (docs/pipeline.md).
bool KnownEventType(std::string_view type);

// One end of a report's range as given: an instant (RFC 3339), or a local date (YYYY-MM-DD in the
// tenant's zone: `from` is its first instant, `to` the first instant of the day after, so
// from=2026-03-01&to=2026-03-31 is the whole of March).
using RangeEnd = std::variant<core::TimePoint, core::LocalDay>;
std::optional<RangeEnd> ParseRangeEnd(std::string_view text);
// The instant an end stands for in `zone`: a `to` date is the start of the day after it.
core::TimePoint ResolveEnd(const RangeEnd& end, bool is_to, const core::Zone& zone);

struct ReportParams {
    ReportKind kind = ReportKind::kTrips;
    std::optional<RangeEnd> from, to;
    std::optional<int64_t> vehicle_id, group_id, driver_id;
    std::optional<int64_t> geofence_id;          // geofence-visits
    store::EcoBy by = store::EcoBy::kDriver;     // eco: "driver" (default) or "vehicle"
    std::vector<std::string> types;              // events: type=a,b
    std::optional<bool> acknowledged;            // events
};

// The parameters of a `kind` report from `values` (a query string's, or a schedule's params):
// vehicle_id, group_id, driver_id, and the kind's own (above); from and to when `with_range`
// (required then, but for maintenance). The error text for a client when a value is malformed or
// a name is not one of these.
std::variant<ReportParams, std::string> ParseReportParams(ReportKind kind,
                                                          const std::map<std::string, std::string>& values,
                                                          bool with_range);

// A schedule's params (a serialised JSON object of strings, integers and booleans) as the values
// ParseReportParams takes; nullopt when it is not such an object.
std::optional<std::map<std::string, std::string>> ParamValues(std::string_view params_json);

// The range [from, to) of the parameters in `zone`.
std::pair<core::TimePoint, core::TimePoint> ResolveRange(const ReportParams& params, const core::Zone& zone);

// Events as a table (the events report's and the inbox's JSON items).
ReportTable EventTable(const std::vector<store::EventRow>& events);

// Runs the report for `viewer` and lays out one page of it (with the total).
store::Outcome<ReportTable> RenderReport(store::ReportStore& reports, const store::Viewer& viewer,
                                         const ReportParams& params, const core::Zone& zone,
                                         const store::ReportPage& page, core::TimePoint now);

}  // namespace fleet::api::detail
