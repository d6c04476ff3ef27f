// The inside of NotifyStore, shared by its files (notify_rules.cpp, notify_match.cpp): the JSON
// arrays the rules are stored as, and the notification rows with their event. Include only from
// src/store.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/detail/fleet_impl.hpp"
#include "store/notify.hpp"

namespace fleet::store::detail {

// "[1,2,3]"
std::string IntArrayJson(const std::vector<int64_t>& ids);
// "[\"a\",\"b\"]"
std::string StringArrayJson(const std::vector<std::string>& items);
// Reads what the two above wrote (anything else yields the elements it can read).
std::vector<int64_t> ParseIntArray(std::string_view json);
std::vector<std::string> ParseStringArray(std::string_view json);

// notification_rules r: what ReadRule reads.
inline constexpr std::string_view kRuleSelect =
    "SELECT r.id, r.name, r.event_types, r.vehicle_ids, r.group_ids, r.user_ids, r.webhook_ids, r.channels, "
    "r.quiet_start, r.quiet_end, r.enabled, r.created_at FROM notification_rules r";

NotificationRule ReadRule(sqlite3_stmt* s);

// webhooks: what ReadWebhookTarget reads.
inline constexpr std::string_view kWebhookTargetSelect =
    "SELECT id, tenant_id, url, secret_sealed, enabled FROM webhooks";

WebhookTarget ReadWebhookTarget(sqlite3_stmt* s);

// notifications n JOIN events e LEFT JOIN vehicles v LEFT JOIN drivers d: what ReadNotification reads.
inline constexpr std::string_view kNotificationColumns =
    "n.id, n.channel, n.recipient, n.status, n.attempts, n.next_attempt_at, n.last_error, n.created_at, "
    "n.delivered_at, n.read_at, e.id, e.type, e.time, e.lat, e.lon, e.detail, e.vehicle_id, "
    "coalesce(v.name, ''), coalesce(v.plate, ''), e.driver_id, coalesce(d.name, '')";
inline constexpr int kNotificationColumnCount = 21;
inline constexpr std::string_view kNotificationFrom =
    " FROM notifications n JOIN events e ON e.id = n.event_id LEFT JOIN vehicles v ON v.id = e.vehicle_id"
    " LEFT JOIN drivers d ON d.id = e.driver_id";

Notification ReadNotification(sqlite3_stmt* s);

}  // namespace fleet::store::detail
