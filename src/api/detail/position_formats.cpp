#include "api/detail/position_formats.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/json.hpp"
#include "core/time.hpp"

namespace fleet::api::detail {

void HideBadge(store::PositionRow& p) {
    if (p.attributes_json.find(kBadgeAttribute) == std::string::npos) return;  // the usual case: no parse
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(p.attributes_json, ec);
    if (ec || !v.is_object()) {
        p.attributes_json = "{}";  // never the case for what the store writes; hide all rather than leak
        return;
    }
    v.as_object().erase(kBadgeAttribute);
    p.attributes_json = boost::json::serialize(v);
}

namespace {

// "device_id", the fix, "valid" and the attributes of a position, as JSON members.
void AppendPositionMembers(std::string& out, const store::PositionRow& p) {
    out += "\"device_id\":";
    out += std::to_string(p.device_id);
    out += ',';
    store::AppendFixJson(out, p);
    out += p.valid ? ",\"valid\":true" : ",\"valid\":false";
    out += ",\"attributes\":";
    out += p.attributes_json;  // a JSON object, written by the store from decoded records
}

void AppendHistoryHead(std::string& out, const HistoryInfo& info) {
    out += "\"vehicle_id\":";
    out += std::to_string(info.vehicle_id);
    out += ",\"vehicle_name\":";
    core::AppendJsonString(out, info.vehicle_name);
    out += ",\"from\":\"" + core::FormatIso(info.from) + "\",\"to\":\"" + core::FormatIso(info.to) + "\"";
}

// {"vehicle_id":..,"vehicle_name":..,"from":..,"to":..,"positions":[{...},...]}
class JsonHistory final : public HistoryFormat {
public:
    explicit JsonHistory(const HistoryInfo& info) : info_(info) {}
    void Begin(std::string& out) override {
        out += "{";
        AppendHistoryHead(out, info_);
        out += ",\"positions\":[";
    }
    void Row(std::string& out, const store::PositionRow& p, int) override {
        out += first_ ? "{" : ",{";
        first_ = false;
        AppendPositionMembers(out, p);
        out += "}";
    }
    void End(std::string& out) override { out += "]}"; }
    std::string_view ContentType() const override { return "application/json"; }
    std::string_view Extension() const override { return "json"; }
    bool IsExport() const override { return false; }

private:
    HistoryInfo info_;
    bool first_ = true;
};

// RFC 7946 FeatureCollection: the route as one LineString feature (when there are two positions or
// more), then one Point feature per position with its fix in the properties. Two passes over the
// rows, so neither list has to be held in memory.
class GeoJsonHistory final : public HistoryFormat {
public:
    GeoJsonHistory(const HistoryInfo& info, bool route) : info_(info), route_(route) {}
    int Passes() const override { return route_ ? 2 : 1; }
    void Begin(std::string& out) override {
        out += "{\"type\":\"FeatureCollection\",\"features\":[";
        if (route_) {
            out += "{\"type\":\"Feature\",\"properties\":{";
            AppendHistoryHead(out, info_);
            out += "},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[";
        }
    }
    void Row(std::string& out, const store::PositionRow& p, int pass) override {
        if (route_ && pass == 0) {
            out += first_ ? "[" : ",[";
            first_ = false;
            AppendCoordinates(out, p);
            out += "]";
            return;
        }
        out += features_ ? ",{" : "{";
        features_ = true;
        out += "\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[";
        AppendCoordinates(out, p);
        out += "]},\"properties\":{\"vehicle_id\":" + std::to_string(info_.vehicle_id) + ",";
        AppendPositionMembers(out, p);
        out += "}}";
    }
    void EndPass(std::string& out, int pass) override {
        if (route_ && pass == 0) {
            out += "]}}";
            features_ = true;
        }
    }
    void End(std::string& out) override { out += "]}"; }
    std::string_view ContentType() const override { return "application/geo+json"; }
    std::string_view Extension() const override { return "geojson"; }

private:
    static void AppendCoordinates(std::string& out, const store::PositionRow& p) {
        core::AppendJsonNumber(out, p.lon);
        out += ",";
        core::AppendJsonNumber(out, p.lat);
    }
    HistoryInfo info_;
    bool route_;
    bool first_ = true;      // no coordinates written yet
    bool features_ = false;  // a feature written already
};

// GPX 1.1 (http://www.topografix.com/GPX/1/1): one track, one segment, a trkpt per position with
// its elevation, time, fix, satellites and HDOP (in the order the schema's wptType requires); speed
// and course, which GPX 1.1 does not have, in fleetd's own extension namespace. Coordinates outside
// the schema's ranges (a broken fix) are left out.
class GpxHistory final : public HistoryFormat {
public:
    explicit GpxHistory(const HistoryInfo& info) : info_(info) {}
    void Begin(std::string& out) override {
        std::string name = XmlText(info_.vehicle_name);
        out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<gpx version=\"1.1\" creator=\"fleetd\" xmlns=\"http://www.topografix.com/GPX/1/1\" "
               "xmlns:fleetd=\"https://fleetd.dev/gpx/1\">\n";
        out += fmt::format("<metadata><name>{}</name><time>{}</time></metadata>\n<trk><name>{}</name><trkseg>\n",
                           name, core::FormatIso(info_.generated_at), name);
    }
    void Row(std::string& out, const store::PositionRow& p, int) override {
        if (!(p.lat >= -90 && p.lat <= 90 && p.lon >= -180 && p.lon < 180)) return;
        fmt::format_to(std::back_inserter(out), "<trkpt lat=\"{:.7f}\" lon=\"{:.7f}\"><ele>{:.1f}</ele><time>{}</time>",
                       p.lat, p.lon, p.altitude_m, core::FormatIso(p.device_time));
        if (!p.valid) out += "<fix>none</fix>";
        fmt::format_to(std::back_inserter(out), "<sat>{}</sat>", std::max(0, p.satellites));
        if (p.hdop && *p.hdop >= 0) fmt::format_to(std::back_inserter(out), "<hdop>{:.1f}</hdop>", *p.hdop);
        fmt::format_to(std::back_inserter(out),
                       "<extensions><fleetd:speed_kmh>{:.1f}</fleetd:speed_kmh><fleetd:course>{:.1f}</fleetd:course>"
                       "</extensions></trkpt>\n",
                       p.speed_kmh, p.course_deg);
    }
    void End(std::string& out) override { out += "</trkseg></trk>\n</gpx>\n"; }
    std::string_view ContentType() const override { return "application/gpx+xml"; }
    std::string_view Extension() const override { return "gpx"; }

private:
    HistoryInfo info_;
};

// RFC 4180 with a header row and CRLF line ends. Numbers are written as numbers (a negative
// coordinate stays a number); text cells go through CsvCell.
class CsvHistory final : public HistoryFormat {
public:
    explicit CsvHistory(const HistoryInfo& info) : info_(info), name_(CsvCell(info.vehicle_name)) {}
    void Begin(std::string& out) override {
        out += "time,server_time,vehicle_id,vehicle_name,device_id,lat,lon,altitude,speed_kmh,course,satellites,"
               "valid,attributes\r\n";
    }
    void Row(std::string& out, const store::PositionRow& p, int) override {
        fmt::format_to(std::back_inserter(out), "{},{},{},{},{},", core::FormatIso(p.device_time),
                       core::FormatIso(p.server_time), info_.vehicle_id, name_, p.device_id);
        for (double v : {p.lat, p.lon, p.altitude_m, p.speed_kmh, p.course_deg}) {
            core::AppendJsonNumber(out, v);
            out += ",";
        }
        fmt::format_to(std::back_inserter(out), "{},{},{}\r\n", p.satellites, p.valid ? "true" : "false",
                       CsvCell(p.attributes_json));
    }
    void End(std::string&) override {}
    std::string_view ContentType() const override { return "text/csv; charset=utf-8; header=present"; }
    std::string_view Extension() const override { return "csv"; }

private:
    HistoryInfo info_;
    std::string name_;
};

}  // namespace

void AppendVehiclePositionMembers(std::string& out, int64_t vehicle_id, std::string_view vehicle_name,
                                  const store::PositionRow& p) {
    out += "\"vehicle_id\":";
    out += std::to_string(vehicle_id);
    out += ",\"vehicle_name\":";
    core::AppendJsonString(out, vehicle_name);
    out += ",";
    AppendPositionMembers(out, p);
}

std::unique_ptr<HistoryFormat> MakeHistoryFormat(std::string_view format, const HistoryInfo& info, bool route) {
    if (format == "json") return std::make_unique<JsonHistory>(info);
    if (format == "geojson") return std::make_unique<GeoJsonHistory>(info, route);
    if (format == "gpx") return std::make_unique<GpxHistory>(info);
    if (format == "csv") return std::make_unique<CsvHistory>(info);
    return nullptr;
}

std::string CsvCell(std::string_view text) {
    std::string cell;
    if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) cell = "'";
    cell += text;
    if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
    std::string quoted = "\"";
    for (char c : cell) {
        if (c == '"') quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

std::string XmlText(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
                out += c;
        }
    }
    return out;
}

}  // namespace fleet::api::detail
