// NotifyStore: construction, the event types and channels, and the helpers its files share.
#include "store/notify.hpp"

#include <algorithm>
#include <charconv>

#include "core/json.hpp"
#include "store/detail/notify_impl.hpp"

namespace fleet::store {

namespace {

// Issue 5's design ("Events (events.type) and their keys"): the engine's, then the periodic checks'.
constexpr std::string_view kEventTypes[] = {
    "ignition_on", "ignition_off", "trip_start", "trip_end", "idling", "overspeed", "geofence_enter",
    "geofence_exit", "harsh_acceleration", "harsh_braking", "harsh_cornering", "towing", "power_cut",
    "tampering", "gsm_jamming", "gps_lost", "low_battery", "crash", "sos", "dtc", "driver_changed",
    "unknown_badge", "refuel", "fuel_drop", "device_offline", "device_online", "maintenance_due",
    "maintenance_overdue"};

}  // namespace

std::span<const std::string_view> EventTypes() { return kEventTypes; }

bool KnownEventType(std::string_view type) {
    return std::find(std::begin(kEventTypes), std::end(kEventTypes), type) != std::end(kEventTypes);
}

bool KnownChannel(std::string_view channel) {
    return channel == "web" || channel == "email" || channel == "webhook";
}

NotifyStore::NotifyStore(AccountStore& accounts) : db_(accounts.impl()) {}

namespace detail {

std::string IntArrayJson(const std::vector<int64_t>& ids) {
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
    return out + "]";
}

std::string StringArrayJson(const std::vector<std::string>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        core::AppendJsonString(out, items[i]);
    }
    return out + "]";
}

std::vector<int64_t> ParseIntArray(std::string_view json) {
    std::vector<int64_t> out;
    size_t i = 0;
    while (i < json.size()) {
        if ((json[i] >= '0' && json[i] <= '9') || json[i] == '-') {
            int64_t v = 0;
            auto [p, ec] = std::from_chars(json.data() + i, json.data() + json.size(), v);
            if (ec == std::errc()) out.push_back(v);
            i = static_cast<size_t>(p - json.data()) + (ec == std::errc() ? 0 : 1);
        } else {
            ++i;
        }
    }
    return out;
}

// The elements are event types and channel names: [a-z_] only, so no escapes to undo.
std::vector<std::string> ParseStringArray(std::string_view json) {
    std::vector<std::string> out;
    size_t i = 0;
    while ((i = json.find('"', i)) != std::string_view::npos) {
        size_t end = json.find('"', i + 1);
        if (end == std::string_view::npos) break;
        out.emplace_back(json.substr(i + 1, end - i - 1));
        i = end + 1;
    }
    return out;
}

NotificationRule ReadRule(sqlite3_stmt* s) {
    NotificationRule r;
    r.id = sqlite3_column_int64(s, 0);
    r.name = Col(s, 1);
    r.event_types = ParseStringArray(Col(s, 2));
    r.vehicle_ids = ParseIntArray(Col(s, 3));
    r.group_ids = ParseIntArray(Col(s, 4));
    r.user_ids = ParseIntArray(Col(s, 5));
    r.webhook_ids = ParseIntArray(Col(s, 6));
    r.channels = ParseStringArray(Col(s, 7));
    r.quiet_start = ColOptText(s, 8);
    r.quiet_end = ColOptText(s, 9);
    r.enabled = sqlite3_column_int(s, 10) != 0;
    r.created_at = FromMs(sqlite3_column_int64(s, 11));
    return r;
}

WebhookTarget ReadWebhookTarget(sqlite3_stmt* s) {
    return WebhookTarget{sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), std::string(Col(s, 2)),
                         std::string(Col(s, 3)), sqlite3_column_int(s, 4) != 0};
}

Notification ReadNotification(sqlite3_stmt* s) {
    Notification n;
    n.id = sqlite3_column_int64(s, 0);
    n.channel = Col(s, 1);
    n.recipient = Col(s, 2);
    n.status = Col(s, 3);
    n.attempts = sqlite3_column_int64(s, 4);
    if (auto t = ColOptInt(s, 5)) n.next_attempt_at = FromMs(*t);
    n.last_error = ColOptText(s, 6);
    n.created_at = FromMs(sqlite3_column_int64(s, 7));
    if (auto t = ColOptInt(s, 8)) n.delivered_at = FromMs(*t);
    if (auto t = ColOptInt(s, 9)) n.read_at = FromMs(*t);
    NotifiedEvent& e = n.event;
    e.id = sqlite3_column_int64(s, 10);
    e.type = Col(s, 11);
    e.time = FromMs(sqlite3_column_int64(s, 12));
    if (sqlite3_column_type(s, 13) != SQLITE_NULL) e.lat = sqlite3_column_double(s, 13);
    if (sqlite3_column_type(s, 14) != SQLITE_NULL) e.lon = sqlite3_column_double(s, 14);
    e.detail_json = Col(s, 15);
    if (e.detail_json.empty()) e.detail_json = "{}";
    e.vehicle_id = ColOptInt(s, 16);
    e.vehicle_name = Col(s, 17);
    e.plate = Col(s, 18);
    e.driver_id = ColOptInt(s, 19);
    e.driver_name = Col(s, 20);
    return n;
}

}  // namespace detail

}  // namespace fleet::store
