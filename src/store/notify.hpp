// NotifyStore: who is told what about which events — notification rules and webhooks (configured by
// a tenant), the matcher that turns new events into notifications, and what the notifier, the inbox
// and the delivery log read and write. On the SQLite connection of an AccountStore (same
// transactions, same audit chain); the schema is migration 4's (tables notification_rules, webhooks,
// notifications, service_cursors).
//
// One notification per event, channel and recipient: the notifications table's UNIQUE(event_id,
// channel, recipient) makes it so however many rules (or groups sharing a vehicle) match, and the
// matcher inserts with INSERT OR IGNORE. Recipients are "user:<id>" (web, email) and "webhook:<id>".
//
// Tenancy: configuration and reads take the caller's TenantScope or Viewer; another tenant's id is
// answered like a missing one. The matcher and the delivery methods work across tenants: they are
// for the notifier's own thread (api/detail/notifier.*) and for nothing else.
//
// Every configuration change is audited in its own transaction ("notification_rule.add", ...).
// Thread-safety: as AccountStore — one connection, NOT thread-safe; use the calling thread's own.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.hpp"
#include "core/result.hpp"
#include "store/accounts.hpp"
#include "store/fleet.hpp"
#include "store/outcome.hpp"

namespace fleet::store {

// The event types a rule may name: the pipeline's and the periodic checks' (docs/api.md).
std::span<const std::string_view> EventTypes();
bool KnownEventType(std::string_view type);
// "web", "email", "webhook".
bool KnownChannel(std::string_view channel);

// Where the matcher got to in the events table (service_cursors.name).
inline constexpr std::string_view kNotifierCursor = "notifier";

struct NotificationRule {
    int64_t id = 0;
    std::string name;
    std::vector<std::string> event_types;  // known types, no duplicates
    std::vector<int64_t> vehicle_ids;      // with group_ids: both empty = every vehicle of the tenant
    std::vector<int64_t> group_ids;
    std::vector<int64_t> user_ids;     // recipients of web and email
    std::vector<int64_t> webhook_ids;  // recipients of webhook
    std::vector<std::string> channels;  // of "web", "email", "webhook"
    std::optional<std::string> quiet_start;  // "HH:MM" in the tenant's time zone, with quiet_end
    std::optional<std::string> quiet_end;
    bool enabled = true;
    core::TimePoint created_at{};
};

// Unset members keep their value (on AddRule name, event_types and channels are required); the
// inner nullopt of the quiet hours clears them (both go together).
struct RuleChange {
    std::optional<std::string> name;
    std::optional<std::vector<std::string>> event_types;
    std::optional<std::vector<int64_t>> vehicle_ids;
    std::optional<std::vector<int64_t>> group_ids;
    std::optional<std::vector<int64_t>> user_ids;
    std::optional<std::vector<int64_t>> webhook_ids;
    std::optional<std::vector<std::string>> channels;
    std::optional<std::optional<std::string>> quiet_start;
    std::optional<std::optional<std::string>> quiet_end;
    std::optional<bool> enabled;
};

struct RuleFilter {
    std::string q;  // in the name
    std::optional<bool> enabled;
};

// A webhook as its tenant sees it: never its secret (shown once by the API when made or rotated).
struct Webhook {
    int64_t id = 0;
    std::string name;
    std::string url;  // checked by the API (absolute http or https)
    bool enabled = true;
    core::TimePoint created_at{};
};

struct WebhookChange {
    std::optional<std::string> name;
    std::optional<std::string> url;
    std::optional<bool> enabled;
};

// What calling a webhook needs: its address and its sealed HMAC key.
struct WebhookTarget {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string url;
    std::string secret_sealed;
    bool enabled = true;
};

// The event a notification is about, with the names a reader needs.
struct NotifiedEvent {
    int64_t id = 0;
    std::string type;
    core::TimePoint time{};
    std::optional<double> lat;
    std::optional<double> lon;
    std::string detail_json = "{}";  // a JSON object (the pipeline writes it)
    std::optional<int64_t> vehicle_id;
    std::string vehicle_name;
    std::string plate;
    std::optional<int64_t> driver_id;
    std::string driver_name;
};

struct Notification {
    int64_t id = 0;
    std::string channel;    // "web", "email", "webhook"
    std::string recipient;  // "user:<id>" or "webhook:<id>"
    std::string status;     // "pending", "sent", "failed", "quiet"
    int64_t attempts = 0;
    std::optional<core::TimePoint> next_attempt_at;
    std::optional<std::string> last_error;
    core::TimePoint created_at{};
    std::optional<core::TimePoint> delivered_at;
    std::optional<core::TimePoint> read_at;
    NotifiedEvent event;
};

struct DeliveryFilter {
    std::optional<std::string> channel;
    std::optional<std::string> status;
    std::optional<std::string> recipient;
    std::optional<int64_t> event_id;
};

// A user's web notifications, and how many of them are unread in all.
struct Inbox {
    Page<Notification> page;
    int64_t unread = 0;
};

// A notification due now, with what its channel needs.
struct Delivery {
    Notification notification;
    int64_t tenant_id = 0;
    std::string time_zone;  // the tenant's (IANA)
    // web and email: the recipient user (email empty when it cannot be told any more: disabled)
    int64_t user_id = 0;
    std::string email;
    // webhook: nullopt when the webhook was deleted or disabled meanwhile
    std::optional<WebhookTarget> webhook;
};

struct MatchResult {
    int64_t events = 0;         // events looked at
    int64_t notifications = 0;  // rows written (duplicates not counted)
    int64_t cursor = 0;         // the last event id looked at
};

class NotifyStore {
public:
    // Works on `accounts`' connection, which must outlive this object.
    explicit NotifyStore(AccountStore& accounts);

    // --- rules (kReportsRead to read, kOperationsWrite to change) -----------------------------------
    // Sort fields: id, name, created_at.
    Result<Page<NotificationRule>> ListRules(TenantScope scope, const RuleFilter& filter, const Paging& paging);
    Result<std::optional<NotificationRule>> FindRule(TenantScope scope, int64_t id);
    // Names unique in the tenant (kConflict), one line, not blank. kInvalid: no event type, an
    // unknown type or channel, a web/email channel without users, a webhook channel without
    // webhooks (or webhooks without it), quiet hours not both "HH:MM" or equal. kNotFound: a vehicle
    // or group the viewer does not see, a user or webhook not of the tenant.
    Outcome<NotificationRule> AddRule(const Viewer& viewer, const RuleChange& change, const Actor& actor,
                                      core::TimePoint now);
    Outcome<NotificationRule> UpdateRule(const Viewer& viewer, int64_t id, const RuleChange& change,
                                         const Actor& actor, core::TimePoint now);
    Outcome<Done> DeleteRule(TenantScope scope, int64_t id, const Actor& actor, core::TimePoint now);

    // --- webhooks (kTenantSettings) -----------------------------------------------------------------
    // Sort fields: id, name, created_at. q: in the name or URL.
    Result<Page<Webhook>> ListWebhooks(TenantScope scope, const std::string& q, const Paging& paging);
    Result<std::optional<Webhook>> FindWebhook(TenantScope scope, int64_t id);
    // Names unique in the tenant (kConflict), one line; the URL one line (the API checks the rest).
    Outcome<Webhook> AddWebhook(TenantScope scope, const Webhook& webhook, const std::string& secret_sealed,
                                const Actor& actor, core::TimePoint now);
    Outcome<Webhook> UpdateWebhook(TenantScope scope, int64_t id, const WebhookChange& change, const Actor& actor,
                                   core::TimePoint now);
    // Replaces the secret (audited webhook.rotate_secret; the secret itself is never in the log).
    Outcome<Webhook> RotateWebhookSecret(TenantScope scope, int64_t id, const std::string& secret_sealed,
                                         const Actor& actor, core::TimePoint now);
    // kConflict while rules name it (they would silently lose a recipient).
    Outcome<Done> DeleteWebhook(TenantScope scope, int64_t id, const Actor& actor, core::TimePoint now);
    Result<std::optional<WebhookTarget>> FindWebhookTarget(TenantScope scope, int64_t id);

    // --- the matcher (the notifier's thread) ------------------------------------------------------
    // Looks at up to `batch` events after the cursor, in id order, and writes their notifications,
    // advancing the cursor in the same transaction (a crash repeats nothing and loses nothing).
    // An event matches a rule of its tenant that is enabled, names its type, and names its vehicle
    // (directly or through a group; no vehicles and no groups: every vehicle). Events without a
    // vehicle or of a suspended tenant notify nobody. Recipients: the rule's users that are active,
    // may read the fleet (not drivers) and see the vehicle (group narrowing), and its enabled
    // webhooks. A (channel, recipient) is 'quiet' when every rule reaching it is in its quiet hours
    // at `now` (tenant's local time; start > end spans midnight), else 'pending', due at `now`.
    Result<MatchResult> MatchEvents(core::TimePoint now, int64_t batch);

    // --- delivery (the notifier's thread) ---------------------------------------------------------
    // Pending notifications due at `now`, soonest first, at most `limit`.
    Result<std::vector<Delivery>> DueDeliveries(core::TimePoint now, int64_t limit);
    // status 'sent', delivered_at = now, attempts + 1.
    Result<void> MarkSent(int64_t id, core::TimePoint now);
    // Counts a failed attempt and keeps `error` (cut to 500 bytes); due again at `retry_at`, or
    // 'failed' for good when nullopt.
    Result<void> MarkAttemptFailed(int64_t id, const std::string& error, std::optional<core::TimePoint> retry_at);
    // Queues `mail` in the outbox and marks the notification sent, in one transaction.
    Result<void> QueueMail(int64_t id, const OutgoingMail& mail, core::TimePoint now);

    // --- reading ----------------------------------------------------------------------------------
    // The viewer's web notifications about vehicles it sees now, newest first, with the unread count.
    Result<Inbox> ListInbox(const Viewer& viewer, bool unread_only, const Paging& paging);
    // Marks one of the viewer's web notifications read (again: unchanged). kNotFound otherwise.
    Outcome<Notification> MarkRead(const Viewer& viewer, int64_t id, core::TimePoint now);
    // The tenant's delivery log. Sort fields: id, created_at (the API asks newest first).
    Result<Page<Notification>> ListDeliveries(TenantScope scope, const DeliveryFilter& filter, const Paging& paging);

private:
    AccountStore::Impl& db_;
};

}  // namespace fleet::store
