// What the operations routes (routes_settings.cpp, routes_geofences.cpp, routes_assignments.cpp,
// routes_maintenance.cpp) share: their registration, the configuration-change hook and JSON
// numbers.
#pragma once

#include <optional>
#include <string>

#include "api/detail/fleet_common.hpp"

namespace fleet::api::detail {

void AddSettingsRoutes(Service& s);     // routes_settings.cpp
void AddGeofenceRoutes(Service& s);     // routes_geofences.cpp
void AddAssignmentRoutes(Service& s);   // routes_assignments.cpp: odometers and driver assignments
void AddMaintenanceRoutes(Service& s);  // routes_maintenance.cpp

// Tells Options::config_changed (when set) that what the pipeline uses changed for the tenant.
void ConfigChanged(const Service& s, std::optional<int64_t> tenant_id);

// A number, or null.
std::string NumberJson(std::optional<double> v);

// A number member of a validated body that may be null: unset when absent, the inner nullopt for
// null.
std::optional<std::optional<double>> NullableNumber(const boost::json::object& body,
                                                    std::string_view name);

}  // namespace fleet::api::detail
