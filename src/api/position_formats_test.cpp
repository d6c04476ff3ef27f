#include "api/detail/position_formats.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/time.hpp"

namespace fleet::api::detail {
namespace {

namespace json = boost::json;

store::PositionRow Row(const char* time, double lat, double lon) {
    store::PositionRow p;
    p.device_id = 7;
    p.device_time = *core::ParseIso(time);
    p.server_time = p.device_time + std::chrono::seconds(2);
    p.lat = lat;
    p.lon = lon;
    p.altitude_m = 35;
    p.speed_kmh = 52.5;
    p.course_deg = 270;
    p.satellites = 9;
    p.valid = true;
    p.attributes_json = R"({"ignition":true})";
    return p;
}

HistoryInfo Info(std::string name) {
    return HistoryInfo{12, std::move(name), *core::ParseIso("2026-02-01T00:00:00Z"),
                       *core::ParseIso("2026-02-02T00:00:00Z"), *core::ParseIso("2026-02-03T10:00:00Z")};
}

// Writes `rows` in `format` as the positions route does: Begin, each pass, End.
std::string Write(std::string_view format, const HistoryInfo& info, const std::vector<store::PositionRow>& rows) {
    auto f = MakeHistoryFormat(format, info, rows.size() >= 2);
    EXPECT_NE(f, nullptr);
    std::string out;
    f->Begin(out);
    for (int pass = 0; pass < f->Passes(); ++pass) {
        for (const auto& r : rows) f->Row(out, r, pass);
        f->EndPass(out, pass);
    }
    f->End(out);
    return out;
}

TEST(PositionFormatsTest, VehiclePositionMembersAreTheDocumentedOnes) {
    std::string out = "{";
    AppendVehiclePositionMembers(out, 12, "Van \"1\"", Row("2026-02-01T10:00:00Z", 48.85, -2.35));
    out += "}";
    json::object o = json::parse(out).as_object();
    EXPECT_EQ(o.at("vehicle_id").as_int64(), 12);
    EXPECT_EQ(o.at("vehicle_name").as_string(), "Van \"1\"");
    EXPECT_EQ(o.at("device_id").as_int64(), 7);
    EXPECT_EQ(o.at("time").as_string(), "2026-02-01T10:00:00.000Z");
    EXPECT_EQ(o.at("server_time").as_string(), "2026-02-01T10:00:02.000Z");
    EXPECT_DOUBLE_EQ(o.at("lon").to_number<double>(), -2.35);
    EXPECT_DOUBLE_EQ(o.at("speed_kmh").to_number<double>(), 52.5);
    EXPECT_EQ(o.at("satellites").as_int64(), 9);
    EXPECT_TRUE(o.at("valid").as_bool());
    EXPECT_TRUE(o.at("attributes").as_object().at("ignition").as_bool());
    EXPECT_EQ(o.size(), 13u);
}

TEST(PositionFormatsTest, JsonHistoryIsOneDocument) {
    std::string out = Write("json", Info("Van"), {Row("2026-02-01T10:00:00Z", 1, 2), Row("2026-02-01T10:00:10Z", 3, 4)});
    json::object o = json::parse(out).as_object();
    EXPECT_EQ(o.at("vehicle_id").as_int64(), 12);
    EXPECT_EQ(o.at("from").as_string(), "2026-02-01T00:00:00.000Z");
    ASSERT_EQ(o.at("positions").as_array().size(), 2u);
    EXPECT_EQ(o.at("positions").as_array()[1].at("lat").to_number<double>(), 3);
    EXPECT_EQ(json::parse(Write("json", Info("Van"), {})).at("positions").as_array().size(), 0u);
    EXPECT_FALSE(MakeHistoryFormat("json", Info("Van"), false)->IsExport());
    EXPECT_EQ(MakeHistoryFormat("kml", Info("Van"), false), nullptr);
}

TEST(PositionFormatsTest, GeoJsonHasTheRouteThenOnePointPerPosition) {
    std::string out = Write("geojson", Info("Van"), {Row("2026-02-01T10:00:00Z", 1, 2), Row("2026-02-01T10:00:10Z", 3, 4)});
    json::object o = json::parse(out).as_object();
    EXPECT_EQ(o.at("type").as_string(), "FeatureCollection");
    const json::array& features = o.at("features").as_array();
    ASSERT_EQ(features.size(), 3u);
    const json::object& route = features[0].at("geometry").as_object();
    EXPECT_EQ(route.at("type").as_string(), "LineString");
    EXPECT_EQ(json::serialize(route.at("coordinates")), "[[2,1],[4,3]]");  // [lon, lat]
    EXPECT_EQ(features[0].at("properties").at("vehicle_name").as_string(), "Van");
    EXPECT_EQ(features[2].at("geometry").at("type").as_string(), "Point");
    EXPECT_EQ(features[2].at("properties").at("time").as_string(), "2026-02-01T10:00:10.000Z");

    // One position makes no LineString (RFC 7946 needs two); none makes an empty collection.
    json::value one = json::parse(Write("geojson", Info("Van"), {Row("2026-02-01T10:00:00Z", 1, 2)}));
    ASSERT_EQ(one.at("features").as_array().size(), 1u);
    EXPECT_EQ(one.at("features").as_array()[0].at("geometry").at("type").as_string(), "Point");
    EXPECT_EQ(json::parse(Write("geojson", Info("Van"), {})).at("features").as_array().size(), 0u);
}

TEST(PositionFormatsTest, GpxEscapesNamesAndKeepsTheSchemasOrder) {
    std::string out = Write("gpx", Info("<Van & \"Co\">\x01"), {Row("2026-02-01T10:00:00Z", 48.8566, 2.3522)});
    EXPECT_NE(out.find("<name>&lt;Van &amp; &quot;Co&quot;&gt;</name>"), std::string::npos) << out;
    EXPECT_EQ(out.find('\x01'), std::string::npos);
    EXPECT_NE(out.find("<trkpt lat=\"48.8566000\" lon=\"2.3522000\"><ele>35.0</ele><time>2026-02-01T10:00:00.000Z"
                       "</time><sat>9</sat><extensions><fleetd:speed_kmh>52.5</fleetd:speed_kmh>"),
              std::string::npos)
        << out;
    store::PositionRow broken = Row("2026-02-01T10:00:01Z", 214, 2);
    broken.valid = false;
    std::string skipped = Write("gpx", Info("Van"), {broken});
    EXPECT_EQ(skipped.find("<trkpt"), std::string::npos);
    store::PositionRow no_fix = Row("2026-02-01T10:00:01Z", 1, 2);
    no_fix.valid = false;
    no_fix.hdop = 1.25;
    EXPECT_NE(Write("gpx", Info("Van"), {no_fix}).find("<fix>none</fix><sat>9</sat><hdop>1.2</hdop>"), std::string::npos);
}

TEST(PositionFormatsTest, CsvQuotesCellsAndDefusesFormulas) {
    EXPECT_EQ(CsvCell("Van 1"), "Van 1");
    EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
    EXPECT_EQ(CsvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(CsvCell("two\nlines"), "\"two\nlines\"");
    EXPECT_EQ(CsvCell("=HYPERLINK(\"http://evil\")"), "\"'=HYPERLINK(\"\"http://evil\"\")\"");
    EXPECT_EQ(CsvCell("+1"), "'+1");
    EXPECT_EQ(CsvCell("-2"), "'-2");
    EXPECT_EQ(CsvCell("@SUM(A1)"), "'@SUM(A1)");
    EXPECT_EQ(CsvCell("\tx"), "'\tx");
    EXPECT_EQ(CsvCell(""), "");

    std::string out = Write("csv", Info("=cmd|' /C calc'!A0"), {Row("2026-02-01T10:00:00Z", -33.5, 151.25)});
    EXPECT_EQ(out,
              "time,server_time,vehicle_id,vehicle_name,device_id,lat,lon,altitude,speed_kmh,course,satellites,valid,"
              "attributes\r\n"
              "2026-02-01T10:00:00.000Z,2026-02-01T10:00:02.000Z,12,'=cmd|' /C calc'!A0,7,-33.5,151.25,35,52.5,270,9,"
              "true,\"{\"\"ignition\"\":true}\"\r\n");
}

}  // namespace
}  // namespace fleet::api::detail
