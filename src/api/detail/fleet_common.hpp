// What the fleet routes (routes_fleet.cpp, routes_devices.cpp, routes_installations.cpp,
// routes_drivers.cpp) share: who the caller is to the store, ids from paths, paging, answering a
// store outcome with the right status, and the JSON of each resource.
#pragma once

#include <spdlog/spdlog.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/detail/service.hpp"
#include "store/fleet.hpp"

namespace fleet::api::detail {

// Route groups registered by AddFleetRoutes.
void AddVehicleRoutes(Service& s);       // routes_fleet.cpp: groups and vehicles
void AddDeviceRoutes(Service& s);        // routes_devices.cpp: devices and pending devices
void AddInstallationRoutes(Service& s);  // routes_installations.cpp
void AddDriverRoutes(Service& s);        // routes_drivers.cpp

using Handler = boost::asio::awaitable<void> (*)(Service&, Ctx&, http::Response&);
// Adds a route for signed-in callers with `permission` (nullopt: the handler checks).
// `step_up`: the route needs a recent password or TOTP check (Route::step_up); `drivers`: the
// driver role may call it, and the handler narrows it to the driver's own (Route::drivers).
void AddRoute(Service& s, const char* method, const char* pattern, std::optional<Permission> permission, Handler fn,
              bool step_up = false, bool drivers = false);

// The caller as an audit actor: "user:<id>", its id and address.
store::Actor ActorOf(const Ctx& ctx);
// The caller as a viewer of vehicles: its tenant, narrowed to its groups when it has some, and to
// the vehicle it is assigned to now when it is a driver (store::ViewerFor).
store::Viewer ViewerOf(const Ctx& ctx);

// The {id} of the path when it is a positive integer (anything else names nothing: 404).
std::optional<int64_t> PathId(const Ctx& ctx, const char* name = "id");
// A filter value that must be a positive integer / "true" or "false"; the problem when it is not.
std::optional<http::Response> IntFilter(const ListQuery& q, std::string_view name, std::optional<int64_t>& out);
std::optional<http::Response> BoolFilter(const ListQuery& q, std::string_view name, std::optional<bool>& out);
store::Paging PagingOf(const ListQuery& q);

// A body that may be left out entirely (an empty body is {}), else as ParseBody.
std::variant<boost::json::object, http::Response> ParseOptionalBody(const http::Request& req, Schema schema);
// An ISO 8601 time member of a validated body: nullopt when absent; the problem when malformed.
std::optional<http::Response> TimeField(const boost::json::object& body, std::string_view name,
                                        std::optional<core::TimePoint>& out);

// The problem for a refusal (400, 403, 404, 409) or a failure (500, logged).
http::Response ProblemOf(const store::Refused* refused, const Error* error);

// Answers a change: `status` with the value's JSON, or the problem.
template <typename T, typename ToJson>
void Answer(http::Response& res, const store::Outcome<T>& out, int status, ToJson&& json) {
    if (!out) {
        res = ProblemOf(out.refused(), out.error());
        return;
    }
    res = Json(status, json(*out));
}

// Answers a read of one resource: 200, 404 naming `what`, or 500.
template <typename T, typename ToJson>
void AnswerFound(http::Response& res, const Result<std::optional<T>>& found, std::string_view what, ToJson&& json) {
    if (!found) {
        res = ProblemOf(nullptr, &found.error());
    } else if (!found->has_value()) {
        res = NotFound(what);
    } else {
        res = Json(200, json(**found));
    }
}

// Answers a list: the page, or 500.
template <typename T, typename ToJson>
void AnswerPage(http::Response& res, const Result<store::Page<T>>& page, const ListQuery& q, ToJson&& json) {
    if (!page) {
        res = ProblemOf(nullptr, &page.error());
        return;
    }
    std::vector<std::string> items;
    items.reserve(page->items.size());
    for (const auto& item : page->items) items.push_back(json(item));
    res = Json(200, PageJson(items, page->total, q));
}

// 204 No Content for a change that answers nothing, or the problem.
void AnswerDone(http::Response& res, const store::Outcome<store::Done>& out);

std::string GroupJson(const store::Group& g);
std::string VehicleJson(const store::Vehicle& v);
std::string DeviceJson(const store::FleetDevice& d);
std::string PendingJson(const store::PendingDevice& p);
std::string InstallationJson(const store::Installation& i);
std::string DriverJson(const store::Driver& d);

}  // namespace fleet::api::detail
