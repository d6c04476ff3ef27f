// PositionStore: positions as the API reads them — the latest position of each vehicle a viewer may
// see, a vehicle's history read in pages, and what a live feed needs (the device in each visible
// vehicle now, whether its session still holds) — on the SQLite connection of an AccountStore, like
// FleetStore.
//
// Positions are stored per device. A VEHICLE's history is the positions of the devices installed in
// it, each clipped to its installation window [from, to): a device's positions from before it was
// installed, or after it was removed, are not the vehicle's (they may be another vehicle's, or
// another tenant's). Visibility is FleetStore's rule (VisibleVehicleSql): a vehicle of another
// tenant, or outside the groups a user is narrowed to, is answered like a missing one.
//
// Thread-safety: as AccountStore — one connection, NOT thread-safe; use the calling worker's own.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/record.hpp"
#include "core/result.hpp"
#include "store/accounts.hpp"
#include "store/fleet.hpp"
#include "store/store.hpp"

namespace fleet::store {

// The longest range one history read may cover: a month of 10-second positions is ~270,000 rows.
inline constexpr std::chrono::hours kMaxHistoryRange{24 * 31};

// A vehicle's latest position: that of the device installed in it now, reported since it was installed.
struct VehiclePosition {
    int64_t vehicle_id = 0;
    std::string vehicle_name;
    PositionRow position;
};

struct LatestFilter {
    std::optional<int64_t> group_id;  // only members of this group
    std::string q;                    // in the vehicle's name, plate or VIN (case-insensitive ASCII)
};

// One device's part of a vehicle's history: its installation window clipped to the range read.
struct DeviceWindow {
    int64_t device_id = 0;
    core::TimePoint from{};  // inclusive
    core::TimePoint to{};    // exclusive
};

// Where a paged read of a vehicle's history stands. Only OpenHistory makes one, after checking that
// the viewer may see the vehicle; it is a plain value, kept by the caller between pages and read on
// any connection, so a month of positions never sits in memory.
class HistoryCursor {
public:
    int64_t vehicle_id() const { return vehicle_id_; }
    const std::string& vehicle_name() const { return vehicle_name_; }
    core::TimePoint from() const { return from_; }
    core::TimePoint to() const { return to_; }
    // The devices' windows, in time order (installations of one vehicle never overlap).
    const std::vector<DeviceWindow>& windows() const { return windows_; }
    // True when every row has been read.
    bool done() const { return window_ >= windows_.size(); }

private:
    friend class PositionStore;
    HistoryCursor() = default;
    int64_t vehicle_id_ = 0;
    std::string vehicle_name_;
    core::TimePoint from_{};
    core::TimePoint to_{};
    std::vector<DeviceWindow> windows_;
    size_t window_ = 0;  // the window being read
    // The key (device time in ms, fingerprint) of the last row read in that window.
    std::optional<std::pair<int64_t, int64_t>> after_;
};

// For a live feed: the vehicle a device is installed in now, and since when. For a driver viewer,
// `installed_from` is also no earlier than the start of the driver's current assignment, and `until`
// is that assignment's end (positions from then on are the next driver's).
struct LiveTarget {
    int64_t vehicle_id = 0;
    std::string vehicle_name;
    core::TimePoint installed_from{};
    std::optional<core::TimePoint> until;
};

class PositionStore {
public:
    // Works on `accounts`' connection, which must outlive this object.
    explicit PositionStore(AccountStore& accounts);

    // The latest positions of the visible, not archived vehicles matching `filter`, by vehicle id:
    // at most `limit` of those with an id above `after_vehicle_id` (a keyset page; start with 0).
    // Vehicles without a device, or whose device has not reported since it was installed, are left out.
    Result<std::vector<VehiclePosition>> Latest(const Viewer& viewer, const LatestFilter& filter,
                                                int64_t after_vehicle_id, int64_t limit);

    // Starts reading the history of vehicle `vehicle_id` (archived ones included) over [from, to).
    // kNotFound when the viewer may not see it (another tenant's, outside the viewer's groups, not
    // a driver viewer's vehicle now, or missing); kInvalid when `to` is not after `from` or the range
    // is longer than kMaxHistoryRange. For a driver viewer the windows are further cut to the
    // driver's own assignment periods of the vehicle: the rest of the range reads as empty.
    Outcome<HistoryCursor> OpenHistory(const Viewer& viewer, int64_t vehicle_id, core::TimePoint from,
                                       core::TimePoint to);
    // The next rows of the history, in time order (device time, then fingerprint), at most `limit`
    // (>= 1): fewer only when the history is done. Reads by key from where the previous page ended,
    // so rows stored meanwhile before that point are not returned and no row is returned twice.
    Result<std::vector<PositionRow>> ReadHistory(HistoryCursor& cursor, size_t limit);

    // device id -> the visible, not archived vehicle it is installed in now.
    Result<std::unordered_map<int64_t, LiveTarget>> LiveTargets(const Viewer& viewer);

private:
    // A driver viewer's own assignment periods of the vehicle, clipped to [from, to), in time order.
    Result<std::vector<std::pair<core::TimePoint, core::TimePoint>>> OwnPeriods(const Viewer& viewer,
                                                                              int64_t vehicle_id,
                                                                              core::TimePoint from,
                                                                              core::TimePoint to);

    AccountStore::Impl& db_;
};

}  // namespace fleet::store
