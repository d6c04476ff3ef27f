// NotifyStore: the matcher (events -> notifications), delivery bookkeeping, the inbox and the log.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "core/zone.hpp"
#include "store/detail/notify_impl.hpp"
#include "store/detail/outbox.hpp"
#include "store/notify.hpp"

namespace fleet::store {
namespace {

using namespace detail;

std::optional<int> ClockMinutes(const std::optional<std::string>& hhmm) {
    if (!hhmm || hhmm->size() != 5) return std::nullopt;
    return ((*hhmm)[0] - '0') * 600 + ((*hhmm)[1] - '0') * 60 + ((*hhmm)[3] - '0') * 10 + ((*hhmm)[4] - '0');
}

// In [start, end) of the local day; a window whose start is after its end spans midnight.
bool InQuietHours(const NotificationRule& rule, const core::Zone* zone, core::TimePoint now) {
    auto start = ClockMinutes(rule.quiet_start);
    auto end = ClockMinutes(rule.quiet_end);
    if (!start || !end) return false;
    int m = zone ? zone->MinuteOfDay(now)
                 : static_cast<int>(std::chrono::floor<std::chrono::minutes>(now.time_since_epoch()).count() % 1440);
    return *start < *end ? (m >= *start && m < *end) : (m >= *start || m < *end);
}

struct TenantRules {
    bool active = false;
    std::optional<core::Zone> zone;  // nullopt: UTC (a zone the system does not know)
    std::vector<NotificationRule> rules;     // enabled ones
};

// What one batch of the matcher has read already: tenants and their rules, vehicles' groups, and
// who sees which vehicle. Valid for one transaction only.
class MatchCache {
public:
    explicit MatchCache(AccountStore::Impl& db) : db_(db) {}

    Result<const TenantRules*> Tenant(int64_t tenant_id) {
        auto it = tenants_.find(tenant_id);
        if (it != tenants_.end()) return &it->second;
        TenantRules t;
        Sql sql;
        sql << "SELECT status, time_zone FROM tenants WHERE id = ?";
        sql.Arg(tenant_id);
        auto rows = Rows<std::pair<std::string, std::string>>(db_, sql, "read tenant", [](sqlite3_stmt* s) {
            return std::pair<std::string, std::string>(Col(s, 0), Col(s, 1));
        });
        if (!rows) return rows.error();
        if (!rows->empty() && rows->front().first == "active") {
            t.active = true;
            auto zone = core::Zone::Find(rows->front().second);
            if (zone) t.zone = *zone;  // else UTC: the API only stores zones it found
            Sql rules;
            rules << kRuleSelect << " WHERE r.tenant_id = ? AND r.enabled = 1 ORDER BY r.id";
            rules.Arg(tenant_id);
            auto read = Rows<NotificationRule>(db_, rules, "read rules", ReadRule);
            if (!read) return read.error();
            t.rules = std::move(*read);
        }
        return &tenants_.emplace(tenant_id, std::move(t)).first->second;
    }

    Result<const std::vector<int64_t>*> GroupsOf(int64_t vehicle_id) {
        auto it = groups_.find(vehicle_id);
        if (it != groups_.end()) return &it->second;
        Sql sql;
        sql << "SELECT group_id FROM group_vehicles WHERE vehicle_id = ?";
        sql.Arg(vehicle_id);
        auto ids = Rows<int64_t>(db_, sql, "read vehicle groups", [](sqlite3_stmt* s) {
            return sqlite3_column_int64(s, 0);
        });
        if (!ids) return ids.error();
        return &groups_.emplace(vehicle_id, std::move(*ids)).first->second;
    }

    // The user is of the tenant, active, reads the fleet (drivers do not) and sees the vehicle.
    Result<bool> Sees(int64_t tenant_id, int64_t user_id, int64_t vehicle_id) {
        auto key = std::pair(user_id, vehicle_id);
        if (auto it = sees_.find(key); it != sees_.end()) return it->second;
        User as;
        as.tenant_id = tenant_id;
        Sql sql;
        sql << "SELECT count(*) FROM users u, vehicles v WHERE u.id = ? AND u.tenant_id = ? AND u.disabled = 0 "
               "AND u.role != 'driver' AND v.id = ? AND ";
        sql.Arg(user_id).Arg(tenant_id).Arg(vehicle_id);
        VisibleVehicleSql(sql, Viewer{AccountStore::ScopeOf(as), user_id});
        auto n = Count(db_, sql, "check recipient");
        if (!n) return n.error();
        return sees_[key] = *n > 0;
    }

    Result<bool> WebhookOn(int64_t tenant_id, int64_t webhook_id) {
        if (auto it = webhooks_.find(webhook_id); it != webhooks_.end()) return it->second;
        Sql sql;
        sql << "SELECT count(*) FROM webhooks WHERE id = ? AND tenant_id = ? AND enabled = 1";
        sql.Arg(webhook_id).Arg(tenant_id);
        auto n = Count(db_, sql, "check webhook");
        if (!n) return n.error();
        return webhooks_[webhook_id] = *n > 0;
    }

private:
    AccountStore::Impl& db_;
    std::map<int64_t, TenantRules> tenants_;
    std::map<int64_t, std::vector<int64_t>> groups_;
    std::map<std::pair<int64_t, int64_t>, bool> sees_;
    std::map<int64_t, bool> webhooks_;
};

bool RuleNamesVehicle(const NotificationRule& r, int64_t vehicle_id, const std::vector<int64_t>& groups) {
    if (r.vehicle_ids.empty() && r.group_ids.empty()) return true;
    if (std::find(r.vehicle_ids.begin(), r.vehicle_ids.end(), vehicle_id) != r.vehicle_ids.end()) return true;
    return std::any_of(groups.begin(), groups.end(), [&](int64_t g) {
        return std::find(r.group_ids.begin(), r.group_ids.end(), g) != r.group_ids.end();
    });
}

struct EventRow {
    int64_t id = 0;
    std::optional<int64_t> tenant_id;
    std::optional<int64_t> vehicle_id;
    std::string type;
};

// (channel, recipient) -> quiet: true while every rule reaching it so far is in its quiet hours.
using Targets = std::map<std::pair<std::string, std::string>, bool>;

void Reach(Targets& targets, const std::string& channel, const std::string& recipient, bool quiet) {
    auto [it, inserted] = targets.try_emplace({channel, recipient}, quiet);
    if (!inserted) it->second = it->second && quiet;
}

}  // namespace

namespace {

// The cursor, and whether an event waits after it.
Result<std::pair<int64_t, bool>> Waiting(AccountStore::Impl& db) {
    Sql cursor;
    cursor << "SELECT coalesce((SELECT value FROM service_cursors WHERE name = ?), 0)";
    cursor.Arg(std::string(kNotifierCursor));
    auto at = Count(db, cursor, "read cursor");
    if (!at) return at.error();
    Sql next;
    next << "SELECT count(*) FROM (SELECT 1 FROM events WHERE id > ? LIMIT 1)";
    next.Arg(*at);
    auto waiting = Count(db, next, "look for events");
    if (!waiting) return waiting.error();
    return std::pair(*at, *waiting > 0);
}

}  // namespace

Result<MatchResult> NotifyStore::MatchEvents(core::TimePoint now, int64_t batch) {
    // Looked at first without the write lock: the notifier asks every second, and an idle server
    // must not take the database's write lock from ingestion that often for nothing.
    auto waiting = Waiting(db_);
    if (!waiting) return waiting.error();
    if (!waiting->second) return MatchResult{0, 0, waiting->first};
    return db_.Transaction<MatchResult>([&]() -> Result<MatchResult> {
        MatchResult out;
        auto at = Waiting(db_);  // again inside: another notifier (a second process) may have moved it
        if (!at) return at.error();
        out.cursor = at->first;
        Sql events;
        events << "SELECT id, tenant_id, vehicle_id, type FROM events WHERE id > ? ORDER BY id LIMIT ?";
        events.Arg(out.cursor).Arg(batch);
        auto rows = Rows<EventRow>(db_, events, "read events", [](sqlite3_stmt* s) {
            return EventRow{sqlite3_column_int64(s, 0), ColOptInt(s, 1), ColOptInt(s, 2), std::string(Col(s, 3))};
        });
        if (!rows) return rows.error();
        if (rows->empty()) return out;
        MatchCache cache(db_);
        for (const EventRow& e : *rows) {
            ++out.events;
            out.cursor = e.id;
            if (!e.tenant_id || !e.vehicle_id) continue;
            auto tenant = cache.Tenant(*e.tenant_id);
            if (!tenant) return tenant.error();
            if (!(*tenant)->active) continue;
            auto groups = cache.GroupsOf(*e.vehicle_id);
            if (!groups) return groups.error();
            Targets targets;
            for (const NotificationRule& rule : (*tenant)->rules) {
                if (std::find(rule.event_types.begin(), rule.event_types.end(), e.type) == rule.event_types.end()) {
                    continue;
                }
                if (!RuleNamesVehicle(rule, *e.vehicle_id, **groups)) continue;
                bool quiet = InQuietHours(rule, (*tenant)->zone ? &*(*tenant)->zone : nullptr, now);
                for (const std::string& channel : rule.channels) {
                    if (channel == "webhook") {
                        for (int64_t w : rule.webhook_ids) {
                            auto on = cache.WebhookOn(*e.tenant_id, w);
                            if (!on) return on.error();
                            if (*on) Reach(targets, channel, fmt::format("webhook:{}", w), quiet);
                        }
                        continue;
                    }
                    for (int64_t u : rule.user_ids) {
                        auto sees = cache.Sees(*e.tenant_id, u, *e.vehicle_id);
                        if (!sees) return sees.error();
                        if (*sees) Reach(targets, channel, fmt::format("user:{}", u), quiet);
                    }
                }
            }
            for (const auto& [target, quiet] : targets) {
                Query q(db_.db,
                        "INSERT OR IGNORE INTO notifications (tenant_id, event_id, channel, recipient, status, "
                        "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
                if (!q.ok()) return q.error("add notification");
                q.Bind(1, *e.tenant_id).Bind(2, e.id).Bind(3, target.first).Bind(4, target.second);
                q.Bind(5, quiet ? "quiet" : "pending");
                q.Bind(6, quiet ? std::nullopt : std::optional<int64_t>(ToMs(now))).Bind(7, ToMs(now));
                if (q.Step() != SQLITE_DONE) return db_.DbError("add notification");
                out.notifications += sqlite3_changes(db_.db);
            }
        }
        Query save(db_.db,
                   "INSERT INTO service_cursors (name, value) VALUES (?, ?) "
                   "ON CONFLICT (name) DO UPDATE SET value = excluded.value");
        if (!save.ok()) return save.error("save cursor");
        save.Bind(1, kNotifierCursor).Bind(2, out.cursor);
        if (save.Step() != SQLITE_DONE) return db_.DbError("save cursor");
        return out;
    });
}

// --- delivery ------------------------------------------------------------------------------------

Result<std::vector<Delivery>> NotifyStore::DueDeliveries(core::TimePoint now, int64_t limit) {
    Sql sql;
    sql << "SELECT " << kNotificationColumns << ", n.tenant_id, t.time_zone" << kNotificationFrom
        << " JOIN tenants t ON t.id = n.tenant_id WHERE n.status = 'pending' AND n.next_attempt_at <= ?"
           " ORDER BY n.next_attempt_at, n.id LIMIT ?";
    sql.Arg(ToMs(now)).Arg(limit);
    auto due = Rows<Delivery>(db_, sql, "list due notifications", [](sqlite3_stmt* s) {
        Delivery d;
        d.notification = ReadNotification(s);
        d.tenant_id = sqlite3_column_int64(s, kNotificationColumnCount);
        d.time_zone = Col(s, kNotificationColumnCount + 1);
        return d;
    });
    if (!due) return due.error();
    for (Delivery& d : *due) {
        const std::string& to = d.notification.recipient;
        std::vector<int64_t> named = ParseIntArray(to);  // "user:7" -> 7
        int64_t id = named.empty() ? 0 : named.front();
        if (to.rfind("user:", 0) == 0) {
            d.user_id = id;
            Sql user;
            user << "SELECT email FROM users WHERE id = ? AND tenant_id = ? AND disabled = 0";
            user.Arg(id).Arg(d.tenant_id);
            auto email = Rows<std::string>(db_, user, "read recipient", [](sqlite3_stmt* s) {
                return std::string(Col(s, 0));
            });
            if (!email) return email.error();
            if (!email->empty()) d.email = email->front();
        } else if (to.rfind("webhook:", 0) == 0) {
            Sql hook;
            hook << kWebhookTargetSelect << " WHERE id = ? AND tenant_id = ? AND enabled = 1";
            hook.Arg(id).Arg(d.tenant_id);
            auto target = Rows<WebhookTarget>(db_, hook, "read webhook", ReadWebhookTarget);
            if (!target) return target.error();
            if (!target->empty()) d.webhook = target->front();
        }
    }
    return due;
}

Result<void> NotifyStore::MarkSent(int64_t id, core::TimePoint now) {
    Query q(db_.db,
            "UPDATE notifications SET status = 'sent', delivered_at = ?, attempts = attempts + 1, "
            "next_attempt_at = NULL WHERE id = ? AND status = 'pending'");
    if (!q.ok()) return q.error("mark notification sent");
    q.Bind(1, ToMs(now)).Bind(2, id);
    if (q.Step() != SQLITE_DONE) return db_.DbError("mark notification sent");
    return {};
}

Result<void> NotifyStore::MarkAttemptFailed(int64_t id, const std::string& error,
                                            std::optional<core::TimePoint> retry_at) {
    Query q(db_.db,
            "UPDATE notifications SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
            "status = ? WHERE id = ? AND status = 'pending'");
    if (!q.ok()) return q.error("mark notification failed");
    q.Bind(1, std::string_view(error).substr(0, 500));
    q.Bind(2, retry_at ? std::optional<int64_t>(ToMs(*retry_at)) : std::nullopt);
    q.Bind(3, retry_at ? "pending" : "failed").Bind(4, id);
    if (q.Step() != SQLITE_DONE) return db_.DbError("mark notification failed");
    return {};
}

Result<void> NotifyStore::QueueMail(int64_t id, const OutgoingMail& mail, core::TimePoint now) {
    return db_.Transaction<void>([&]() -> Result<void> {
        if (auto m = InsertMail(db_, mail); !m) return m.error();
        return MarkSent(id, now);
    });
}

// --- reading -------------------------------------------------------------------------------------

namespace {

// The viewer's web notifications about vehicles it sees (alias n, v as in kNotificationFrom).
void InboxWhere(Sql& sql, const Viewer& viewer) {
    sql << " WHERE n.tenant_id = ? AND n.channel = 'web' AND n.recipient = ? AND ";
    sql.Arg(viewer.scope.tenant_id()).Arg(fmt::format("user:{}", viewer.user_id));
    VisibleVehicleSql(sql, viewer);
}

}  // namespace

Result<Inbox> NotifyStore::ListInbox(const Viewer& viewer, bool unread_only, const Paging& paging) {
    Sql where;
    where << kNotificationFrom;
    InboxWhere(where, viewer);
    Sql unread = where;
    unread.text = "SELECT count(*)" + unread.text + " AND n.read_at IS NULL";
    auto unread_count = Count(db_, unread, "count unread notifications");
    if (!unread_count) return unread_count.error();
    if (unread_only) where << " AND n.read_at IS NULL";
    Sql count = where;
    count.text = "SELECT count(*)" + count.text;
    auto total = Count(db_, count, "count notifications");
    if (!total) return total.error();
    Sql rows = where;
    rows.text = fmt::format("SELECT {}{} ORDER BY n.id DESC LIMIT ? OFFSET ?", kNotificationColumns, where.text);
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<Notification>(db_, rows, "list notifications", ReadNotification);
    if (!items) return items.error();
    return Inbox{Page<Notification>{std::move(*items), *total}, *unread_count};
}

Outcome<Notification> NotifyStore::MarkRead(const Viewer& viewer, int64_t id, core::TimePoint now) {
    Sql find;
    find << "SELECT " << kNotificationColumns << kNotificationFrom;
    InboxWhere(find, viewer);
    find << " AND n.id = ?";
    find.Arg(id);
    auto found = Rows<Notification>(db_, find, "find notification", ReadNotification);
    if (!found) return found.error();
    if (found->empty()) return Refused{Refusal::kNotFound, "no such notification"};
    Notification n = found->front();
    if (n.read_at) return n;
    Sql update;
    update << "UPDATE notifications SET read_at = ? WHERE id = ? AND read_at IS NULL";
    update.Arg(ToMs(now)).Arg(id);
    if (auto ok = Change(db_, update, "mark notification read"); !ok) return ok.Failure<Notification>();
    n.read_at = now;
    return n;
}

Result<Page<Notification>> NotifyStore::ListDeliveries(TenantScope scope, const DeliveryFilter& filter,
                                                       const Paging& paging) {
    auto order = OrderBy(paging, {{"id", "n.id"}, {"created_at", "n.created_at"}}, "n.id");
    if (!order) return order.error();
    Sql where;
    where << kNotificationFrom << " WHERE n.tenant_id = ?";
    where.Arg(scope.tenant_id());
    if (filter.channel) {
        where << " AND n.channel = ?";
        where.Arg(*filter.channel);
    }
    if (filter.status) {
        where << " AND n.status = ?";
        where.Arg(*filter.status);
    }
    if (filter.recipient) {
        where << " AND n.recipient = ?";
        where.Arg(*filter.recipient);
    }
    if (filter.event_id) {
        where << " AND n.event_id = ?";
        where.Arg(*filter.event_id);
    }
    Sql count = where;
    count.text = "SELECT count(*)" + count.text;
    auto total = Count(db_, count, "count deliveries");
    if (!total) return total.error();
    Sql rows = where;
    rows.text = fmt::format("SELECT {}{}{} LIMIT ? OFFSET ?", kNotificationColumns, where.text, *order);
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<Notification>(db_, rows, "list deliveries", ReadNotification);
    if (!items) return items.error();
    return Page<Notification>{std::move(*items), *total};
}

}  // namespace fleet::store
