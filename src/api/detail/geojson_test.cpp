#include "api/detail/geojson.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace fleet::api::detail {
namespace {

namespace json = boost::json;

// The problem ParseGeometry finds in `text`, or "" when it accepts it.
std::string Problem(const char* text) {
    auto g = ParseGeometry(json::parse(text));
    if (auto* bad = std::get_if<std::string>(&g)) return *bad;
    return "";
}

Geometry Accepted(const char* text) {
    auto g = ParseGeometry(json::parse(text));
    EXPECT_TRUE(std::holds_alternative<Geometry>(g)) << std::get<std::string>(g);
    return std::holds_alternative<Geometry>(g) ? std::get<Geometry>(g) : Geometry{};
}

TEST(GeoJsonTest, APointIsACircleCentreWrittenCanonically) {
    Geometry g = Accepted(R"({"coordinates": [2.35, 48.85, 35], "type": "Point"})");
    EXPECT_EQ(g.kind, "circle");
    EXPECT_EQ(g.json, R"({"type":"Point","coordinates":[2.35,48.85]})");
}

TEST(GeoJsonTest, APolygonIsOneClosedRingWrittenCanonically) {
    Geometry g = Accepted(
        R"({"type":"Polygon","bbox":[0,0,1,1],"coordinates":[[[0,0],[1,0],[1,1],[0,0]]]})");
    EXPECT_EQ(g.kind, "polygon");
    EXPECT_EQ(g.json, R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]})");
    EXPECT_EQ(g.positions.size(), 4u);
    // Clockwise and concave rings are fine.
    Accepted(R"({"type":"Polygon","coordinates":[[[0,0],[0,2],[1,1],[2,2],[2,0],[0,0]]]})");
}

TEST(GeoJsonTest, RefusesRingsThatAreOpenShortFlatOrCrossThemselves) {
    EXPECT_NE(
        Problem(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]})").find("closed"),
        std::string::npos);
    EXPECT_NE(
        Problem(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]})").find("at least 4"),
        std::string::npos);
    EXPECT_NE(
        Problem(R"({"type":"Polygon","coordinates":[[[0,0],[1,1],[2,2],[0,0]]]})").find("area"),
        std::string::npos);
    // A bow tie: edges 0 and 2 cross.
    EXPECT_NE(Problem(R"({"type":"Polygon","coordinates":[[[0,0],[2,2],[2,0],[0,1],[0,0]]]})")
                  .find("cross itself"),
              std::string::npos);
    // A ring that touches itself at a vertex (a figure of eight through (1,1)).
    EXPECT_NE(
        Problem(R"({"type":"Polygon","coordinates":[[[0,0],[1,1],[2,0],[2,2],[1,1],[0,2],[0,0]]]})")
            .find("cross itself"),
        std::string::npos);
    // A spike folding back over its own edge.
    EXPECT_NE(Problem(R"({"type":"Polygon","coordinates":[[[0,0],[2,0],[1,0],[1,1],[0,0]]]})")
                  .find("cross itself"),
              std::string::npos);
    EXPECT_NE(
        Problem(
            R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0,0],[1,0],[1,1],[0,0]]]})")
            .find("holes"),
        std::string::npos);
}

TEST(GeoJsonTest, RefusesPositionsOutOfRangeOrNotNumbers) {
    EXPECT_NE(Problem(R"({"type":"Point","coordinates":[180.5,0]})").find("longitude"),
              std::string::npos);
    EXPECT_NE(Problem(R"({"type":"Point","coordinates":[0,91]})").find("latitude"),
              std::string::npos);
    EXPECT_EQ(Problem(R"({"type":"Point","coordinates":[-180,-90]})"), "");
    EXPECT_NE(Problem(R"({"type":"Point","coordinates":[0]})"), "");
    EXPECT_NE(Problem(R"({"type":"Point","coordinates":[0,1,2,3]})"), "");
    EXPECT_NE(Problem(R"({"type":"Point","coordinates":["0",1]})"), "");
    EXPECT_NE(Problem(R"({"type":"Point","coordinates":[0,null]})"), "");
    EXPECT_NE(Problem(R"({"type":"Point"})"), "");
    EXPECT_NE(Problem(R"({"type":"MultiPolygon","coordinates":[]})"), "");
    EXPECT_NE(Problem(R"({"type":"Point","coordinates":[0,0],"properties":{}})"), "");
    EXPECT_NE(Problem(R"([0,0])"), "");
}

TEST(GeoJsonTest, BoundsTheRingSize) {
    std::string ring;
    for (size_t i = 0; i <= kMaxRingPositions; ++i) ring += "[" + std::to_string(i * 1e-5) + ",0],";
    std::string text = R"({"type":"Polygon","coordinates":[[)" + ring + "[0,1],[0,0]]]}";
    EXPECT_NE(Problem(text.c_str()).find("at most"), std::string::npos);
}

TEST(GeoJsonTest, AFeatureCollectionBecomesGeofencesOrSaysWhichFeatureIsWrong) {
    ImportParse ok = ParseFeatureCollection(json::parse(R"({"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},
         "properties":{"name":"Depot","radius_m":50,"speed_limit_kmh":30,"fill":"#f00"}},
        {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},
         "properties":{"name":"Yard","description":"north","radius_m":9}}]})"));
    ASSERT_TRUE(ok.errors.empty());
    ASSERT_EQ(ok.geofences.size(), 2u);
    EXPECT_EQ(*ok.geofences[0].kind, "circle");
    EXPECT_EQ(*ok.geofences[0].radius_m, 50);
    EXPECT_EQ(**ok.geofences[0].speed_limit_kmh, 30);
    EXPECT_EQ(*ok.geofences[1].name, "Yard");
    EXPECT_EQ(*ok.geofences[1].description, "north");
    EXPECT_FALSE(ok.geofences[1].radius_m);  // a polygon's radius is ignored

    ImportParse bad = ParseFeatureCollection(json::parse(R"({"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"name":"A"}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"radius_m":5}},
        {"type":"Feature","geometry":null,"properties":{"name":"C"}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"name":"D","radius_m":5}},
        {"type":"Thing"}]})"));
    ASSERT_EQ(bad.errors.size(), 4u);
    EXPECT_EQ(bad.errors[0].index, 0);
    EXPECT_EQ(bad.errors[1].index, 1);
    EXPECT_EQ(bad.errors[2].index, 2);
    EXPECT_EQ(bad.errors[3].index, 4);

    EXPECT_EQ(ParseFeatureCollection(json::parse(R"({"type":"Feature"})")).errors.at(0).index, -1);
    EXPECT_EQ(ParseFeatureCollection(json::parse(R"({"type":"FeatureCollection","features":[]})"))
                  .errors.size(),
              1u);
}

}  // namespace
}  // namespace fleet::api::detail
