// GeoJSON (RFC 7946) geometries of geofences: a Point (the centre of a circle) or a Polygon with
// one outer ring, checked and written in one canonical form that the store keeps (store::Geofence).
// And the FeatureCollection of an import. Pure functions; thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "store/operations.hpp"

namespace fleet::api::detail {

// The most positions a polygon's ring may have (its self-intersection check is quadratic), and the
// most features an import may hold.
inline constexpr size_t kMaxRingPositions = 5000;
inline constexpr size_t kMaxImportFeatures = 1000;

struct Geometry {
    std::string kind;  // "circle" (a Point) or "polygon"
    std::string json;  // canonical: {"type":"Point","coordinates":[lon,lat]} or
                       // {"type":"Polygon","coordinates":[[[lon,lat],...]]} (the ring closed)
    std::vector<std::pair<double, double>> positions;  // (lon, lat): the point, or the ring closed
};

// A geometry a geofence may have, or what is wrong with it (for people, naming the member):
// "type" Point or Polygon; positions of two or three numbers (a third, the altitude, is dropped)
// with longitude in [-180, 180] and latitude in [-90, 90] (RFC 7946 3.1.1); a polygon has exactly
// one ring (holes are not supported), closed (last position = first, 3.1.6), of 4 to
// kMaxRingPositions positions, enclosing an area, whose edges do not cross or touch except at
// consecutive vertices.
std::variant<Geometry, std::string> ParseGeometry(const boost::json::value& v);

// The features of an import (a FeatureCollection of Polygon features and of Point features with
// properties.radius_m; the name from properties.name, description and speed_limit_kmh optional,
// other properties ignored) as geofence changes, each checked by ParseGeometry, with the errors of
// those that are not valid. A body that is not a FeatureCollection of at most kMaxImportFeatures
// is one error at index -1.
struct ImportParse {
    std::vector<store::GeofenceChange>
        geofences;  // one per feature, in order (empty ones for errors)
    std::vector<store::ImportError> errors;
};
ImportParse ParseFeatureCollection(const boost::json::value& v);

}  // namespace fleet::api::detail
