#include "api/detail/geojson.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/json.hpp"

namespace fleet::api::detail {

namespace json = boost::json;

namespace {

using Position = std::pair<double, double>;  // (lon, lat)

std::optional<double> Number(const json::value& v) {
    if (!v.is_number()) return std::nullopt;
    double d = v.to_number<double>();
    return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
}

// A position (RFC 7946 3.1.1): [lon, lat] or [lon, lat, altitude].
std::variant<Position, std::string> ParsePosition(const json::value& v) {
    if (!v.is_array() || v.as_array().size() < 2 || v.as_array().size() > 3) {
        return std::string("a position is an array [longitude, latitude]");
    }
    const auto& a = v.as_array();
    for (const auto& n : a) {
        if (!Number(n)) return std::string("a position holds numbers");
    }
    double lon = *Number(a[0]), lat = *Number(a[1]);
    if (lon < -180 || lon > 180)
        return fmt::format("longitude {} is out of range (-180 to 180)", lon);
    if (lat < -90 || lat > 90) return fmt::format("latitude {} is out of range (-90 to 90)", lat);
    return Position{lon, lat};
}

// Twice the signed area of triangle (a, b, c); 0 when collinear.
double Cross(const Position& a, const Position& b, const Position& c) {
    return (b.first - a.first) * (c.second - a.second) -
           (b.second - a.second) * (c.first - a.first);
}

bool OnSegment(const Position& a, const Position& b, const Position& p) {
    return std::min(a.first, b.first) <= p.first && p.first <= std::max(a.first, b.first) &&
           std::min(a.second, b.second) <= p.second && p.second <= std::max(a.second, b.second);
}

int Sign(double v) { return (v > 0) - (v < 0); }

// Segments [a, b] and [c, d] cross or touch.
bool Intersect(const Position& a, const Position& b, const Position& c, const Position& d) {
    int d1 = Sign(Cross(c, d, a)), d2 = Sign(Cross(c, d, b)), d3 = Sign(Cross(a, b, c)),
        d4 = Sign(Cross(a, b, d));
    if (d1 * d2 < 0 && d3 * d4 < 0) return true;
    return (d1 == 0 && OnSegment(c, d, a)) || (d2 == 0 && OnSegment(c, d, b)) ||
           (d3 == 0 && OnSegment(a, b, c)) || (d4 == 0 && OnSegment(a, b, d));
}

struct Box {
    double min_lon, max_lon, min_lat, max_lat;
};

// The first pair of edges of the closed ring that cross or touch other than at their shared vertex.
// Every pair is compared (quadratic: the ring's size is bounded); pairs whose bounding boxes are
// apart are passed over first, which is most of them.
std::optional<std::pair<size_t, size_t>> SelfIntersection(const std::vector<Position>& ring) {
    size_t edges = ring.size() - 1;
    std::vector<Box> boxes(edges);
    for (size_t i = 0; i < edges; ++i) {
        boxes[i] = {std::min(ring[i].first, ring[i + 1].first),
                    std::max(ring[i].first, ring[i + 1].first),
                    std::min(ring[i].second, ring[i + 1].second),
                    std::max(ring[i].second, ring[i + 1].second)};
    }
    for (size_t i = 0; i < edges; ++i) {
        const Box& a = boxes[i];
        for (size_t j = i + 1; j < edges; ++j) {
            const Box& b = boxes[j];
            if (b.min_lon > a.max_lon || b.max_lon < a.min_lon || b.min_lat > a.max_lat ||
                b.max_lat < a.min_lat) {
                continue;  // apart: they cannot meet (nor fold back, which needs a shared stretch)
            }
            bool adjacent = j == i + 1 || (i == 0 && j == edges - 1);
            if (adjacent) {
                // Consecutive edges share one vertex; they must not fold back over each other.
                const Position& shared = j == i + 1 ? ring[j] : ring[i];
                const Position& p = j == i + 1 ? ring[i] : ring[i + 1];
                const Position& q = j == i + 1 ? ring[j + 1] : ring[j];
                if (Cross(p, shared, q) == 0 &&
                    (p.first - shared.first) * (q.first - shared.first) +
                            (p.second - shared.second) * (q.second - shared.second) >
                        0) {
                    return std::pair{i, j};
                }
                continue;
            }
            if (Intersect(ring[i], ring[i + 1], ring[j], ring[j + 1])) return std::pair{i, j};
        }
    }
    return std::nullopt;
}

void AppendPosition(std::string& out, const Position& p) {
    out += '[';
    core::AppendJsonNumber(out, p.first);
    out += ',';
    core::AppendJsonNumber(out, p.second);
    out += ']';
}

}  // namespace

std::variant<Geometry, std::string> ParseGeometry(const json::value& v) {
    if (!v.is_object()) return std::string("'geometry' must be a GeoJSON geometry object");
    const auto& o = v.as_object();
    const auto* type = o.if_contains("type");
    const auto* coordinates = o.if_contains("coordinates");
    if (!type || !type->is_string()) return std::string("'geometry' needs a 'type'");
    if (!coordinates) return std::string("'geometry' needs 'coordinates'");
    for (const auto& kv : o) {
        if (kv.key() != "type" && kv.key() != "coordinates" && kv.key() != "bbox") {
            return fmt::format("'geometry' has an unknown member '{}'",
                               std::string_view(kv.key()).substr(0, 64));
        }
    }
    Geometry g;
    if (type->as_string() == "Point") {
        auto p = ParsePosition(*coordinates);
        if (auto* bad = std::get_if<std::string>(&p)) return "'geometry': " + *bad;
        g.kind = "circle";
        g.positions.push_back(std::get<Position>(p));
        g.json = "{\"type\":\"Point\",\"coordinates\":";
        AppendPosition(g.json, g.positions.front());
        g.json += "}";
        return g;
    }
    if (type->as_string() != "Polygon") {
        return std::string("'geometry' must be a Point (a circle's centre) or a Polygon");
    }
    if (!coordinates->is_array() || coordinates->as_array().empty()) {
        return std::string("a Polygon's coordinates are an array of rings");
    }
    if (coordinates->as_array().size() > 1)
        return std::string("polygons with holes are not supported");
    const auto& ring = coordinates->as_array().front();
    if (!ring.is_array()) return std::string("a Polygon's ring is an array of positions");
    if (ring.as_array().size() < 4)
        return std::string("a Polygon's ring needs at least 4 positions");
    if (ring.as_array().size() > kMaxRingPositions) {
        return fmt::format("a Polygon's ring has at most {} positions", kMaxRingPositions);
    }
    for (const auto& pv : ring.as_array()) {
        auto p = ParsePosition(pv);
        if (auto* bad = std::get_if<std::string>(&p)) return "'geometry': " + *bad;
        g.positions.push_back(std::get<Position>(p));
    }
    if (g.positions.front() != g.positions.back()) {
        return std::string(
            "a Polygon's ring must be closed (its last position equal to its first)");
    }
    double area2 = 0;
    for (size_t i = 0; i + 1 < g.positions.size(); ++i) {
        area2 += g.positions[i].first * g.positions[i + 1].second -
                 g.positions[i + 1].first * g.positions[i].second;
    }
    if (area2 == 0) return std::string("a Polygon's ring must enclose an area");
    if (auto cross = SelfIntersection(g.positions)) {
        return fmt::format("a Polygon's ring must not cross itself (edges {} and {} meet)",
                           cross->first, cross->second);
    }
    g.kind = "polygon";
    g.json = "{\"type\":\"Polygon\",\"coordinates\":[[";
    for (size_t i = 0; i < g.positions.size(); ++i) {
        if (i) g.json += ',';
        AppendPosition(g.json, g.positions[i]);
    }
    g.json += "]]}";
    return g;
}

ImportParse ParseFeatureCollection(const json::value& v) {
    ImportParse out;
    const json::object* o = v.if_object();
    const json::value* features = o ? o->if_contains("features") : nullptr;
    if (!o || !o->contains("type") || o->at("type") != "FeatureCollection" || !features ||
        !features->is_array()) {
        out.errors.push_back({-1, "the body must be a GeoJSON FeatureCollection"});
        return out;
    }
    if (features->as_array().size() > kMaxImportFeatures) {
        out.errors.push_back(
            {-1, fmt::format("an import holds at most {} features", kMaxImportFeatures)});
        return out;
    }
    if (features->as_array().empty()) {
        out.errors.push_back({-1, "the FeatureCollection has no features"});
        return out;
    }
    int64_t index = -1;
    for (const auto& f : features->as_array()) {
        ++index;
        out.geofences.emplace_back();
        auto fail = [&](std::string detail) { out.errors.push_back({index, std::move(detail)}); };
        const json::object* feature = f.if_object();
        if (!feature || !feature->contains("type") || feature->at("type") != "Feature") {
            fail("not a GeoJSON Feature");
            continue;
        }
        const json::value* geometry = feature->if_contains("geometry");
        if (!geometry || geometry->is_null()) {
            fail("the feature has no geometry");
            continue;
        }
        auto parsed = ParseGeometry(*geometry);
        if (auto* bad = std::get_if<std::string>(&parsed)) {
            fail(*bad);
            continue;
        }
        Geometry& g = std::get<Geometry>(parsed);
        const json::value* pv = feature->if_contains("properties");
        const json::object* props = pv ? pv->if_object() : nullptr;
        const json::value* name = props ? props->if_contains("name") : nullptr;
        if (!name || !name->is_string() || name->as_string().empty() ||
            name->as_string().size() > 128) {
            fail("'properties.name' must be a string of 1 to 128 bytes");
            continue;
        }
        store::GeofenceChange& c = out.geofences.back();
        c.name = std::string(name->as_string());
        c.kind = g.kind;
        c.geometry_json = std::move(g.json);
        if (const json::value* d = props->if_contains("description"); d && !d->is_null()) {
            if (!d->is_string() || d->as_string().size() > 1000) {
                fail("'properties.description' must be a string of at most 1000 bytes");
                continue;
            }
            c.description = std::string(d->as_string());
        }
        if (const json::value* r = props->if_contains("radius_m"); r && !r->is_null()) {
            if (!Number(*r)) {
                fail("'properties.radius_m' must be a number");
                continue;
            }
            if (c.kind == "circle") c.radius_m = *Number(*r);  // a polygon's is ignored
        }
        if (c.kind == "circle" && !c.radius_m) {
            fail("a Point feature needs 'properties.radius_m' (the circle's radius in metres)");
            continue;
        }
        if (const json::value* s = props->if_contains("speed_limit_kmh"); s && !s->is_null()) {
            if (!Number(*s)) {
                fail("'properties.speed_limit_kmh' must be a number");
                continue;
            }
            c.speed_limit_kmh = std::optional<double>(*Number(*s));
        }
    }
    return out;
}

}  // namespace fleet::api::detail
