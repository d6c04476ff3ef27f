// How positions are written out: the JSON item of a vehicle's position (latest positions and live
// messages share it), and the formats of a vehicle's history — JSON, GeoJSON, GPX 1.1 and CSV —
// written piece by piece so a history can be streamed page by page. See docs/api.md.
// Pure functions and single-use writer objects; thread-compatible.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/record.hpp"
#include "store/store.hpp"

namespace fleet::api::detail {

// Appends the members shared by a latest position and a live message (no braces):
// "vehicle_id":1,"vehicle_name":"Van","device_id":3,"time":"...","server_time":"...","lat":..,
// "lon":..,"altitude":..,"speed_kmh":..,"course":..,"satellites":..,"valid":true,"attributes":{...}
void AppendVehiclePositionMembers(std::string& out, int64_t vehicle_id, std::string_view vehicle_name,
                                  const store::PositionRow& p);

// The attribute in which a device reports the badge it read (Teltonika IO 78, OsmAnd driverUniqueId).
inline constexpr std::string_view kBadgeAttribute = "driver_id";
// Removes the badge attribute from a position that a driver reads (latest, history, live): the badge
// the box read may be another person's, and other drivers' badges are personal data.
void HideBadge(store::PositionRow& p);

// What a history export says about itself.
struct HistoryInfo {
    int64_t vehicle_id = 0;
    std::string vehicle_name;
    core::TimePoint from{};
    core::TimePoint to{};
    core::TimePoint generated_at{};
};

// One format of a vehicle's history. Called in this order: Begin, then for each pass (Passes())
// Row for every position in time order and EndPass, then End. Each call appends to `out`.
class HistoryFormat {
public:
    virtual ~HistoryFormat() = default;
    // How many times the rows must be given (GeoJSON writes the route, then each point).
    virtual int Passes() const { return 1; }
    virtual void Begin(std::string& out) = 0;
    virtual void Row(std::string& out, const store::PositionRow& p, int pass) = 0;
    virtual void EndPass(std::string& /*out*/, int /*pass*/) {}
    virtual void End(std::string& out) = 0;

    virtual std::string_view ContentType() const = 0;
    virtual std::string_view Extension() const = 0;
    // An export (a file to keep: downloaded as an attachment, audited as positions.export) rather than a read.
    virtual bool IsExport() const { return true; }
};

// The writer of `format` ("json", "geojson", "gpx", "csv"), or nullptr for another name.
// `route`: for GeoJSON, whether to write the route as a LineString (it needs two positions or more).
std::unique_ptr<HistoryFormat> MakeHistoryFormat(std::string_view format, const HistoryInfo& info, bool route);

// --- pieces, exposed for tests ------------------------------------------------------------------

// One CSV cell (RFC 4180): quoted when it holds a comma, a quote, CR or LF (quotes doubled). A text
// cell starting with = + - @ TAB or CR is prefixed with ' so spreadsheets do not run it as a formula.
std::string CsvCell(std::string_view text);
// Text for XML content and attribute values: & < > " ' escaped; control characters XML 1.0 does not
// allow are dropped.
std::string XmlText(std::string_view text);

}  // namespace fleet::api::detail
