// NotifyStore: notification rules and webhooks — a tenant's configuration, audited.
#include <algorithm>

#include "store/detail/notify_impl.hpp"
#include "store/notify.hpp"

namespace fleet::store {
namespace {

using namespace detail;

template <typename T>
void SortUnique(std::vector<T>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
}

bool ValidClock(const std::string& hhmm) {
    return hhmm.size() == 5 && hhmm[2] == ':' && std::isdigit(static_cast<unsigned char>(hhmm[0])) &&
           std::isdigit(static_cast<unsigned char>(hhmm[1])) && std::isdigit(static_cast<unsigned char>(hhmm[3])) &&
           std::isdigit(static_cast<unsigned char>(hhmm[4])) && (hhmm[0] - '0') * 10 + (hhmm[1] - '0') < 24 &&
           hhmm[3] < '6';
}

bool Has(const std::vector<std::string>& v, std::string_view x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// The rule's own consistency (no database needed).
std::optional<Refused> CheckRuleShape(NotificationRule& r) {
    if (auto bad = CheckLine("name", r.name, true)) return bad;
    SortUnique(r.event_types);
    SortUnique(r.channels);
    for (auto* ids : {&r.vehicle_ids, &r.group_ids, &r.user_ids, &r.webhook_ids}) SortUnique(*ids);
    if (r.event_types.empty()) return Refused{Refusal::kInvalid, "'event_types' must name at least one event type"};
    for (const auto& t : r.event_types) {
        if (!KnownEventType(t)) return Refused{Refusal::kInvalid, "'event_types' has an unknown event type"};
    }
    if (r.channels.empty()) return Refused{Refusal::kInvalid, "'channels' must name at least one channel"};
    for (const auto& c : r.channels) {
        if (!KnownChannel(c)) return Refused{Refusal::kInvalid, "'channels' are web, email and webhook"};
    }
    if ((Has(r.channels, "web") || Has(r.channels, "email")) && r.user_ids.empty()) {
        return Refused{Refusal::kInvalid, "the web and email channels need 'user_ids'"};
    }
    if (Has(r.channels, "webhook") != !r.webhook_ids.empty()) {
        return Refused{Refusal::kInvalid, "'webhook_ids' and the webhook channel go together"};
    }
    if (r.quiet_start.has_value() != r.quiet_end.has_value()) {
        return Refused{Refusal::kInvalid, "'quiet_start' and 'quiet_end' go together"};
    }
    if (r.quiet_start) {
        if (!ValidClock(*r.quiet_start) || !ValidClock(*r.quiet_end)) {
            return Refused{Refusal::kInvalid, "quiet hours are HH:MM (00:00 to 23:59)"};
        }
        if (*r.quiet_start == *r.quiet_end) {
            return Refused{Refusal::kInvalid, "'quiet_start' and 'quiet_end' must differ"};
        }
    }
    return std::nullopt;
}

// Every id names something of the tenant the viewer may use: kNotFound naming the first that does not.
Outcome<Done> CheckRuleTargets(AccountStore::Impl& db, const Viewer& viewer, const NotificationRule& r) {
    for (int64_t id : r.vehicle_ids) {
        Sql sql;
        sql << "SELECT count(*) FROM vehicles v WHERE v.id = ? AND v.archived_at IS NULL AND ";
        sql.Arg(id);
        VisibleVehicleSql(sql, viewer);
        auto n = Count(db, sql, "check rule vehicle");
        if (!n) return n.error();
        if (*n == 0) return Refused{Refusal::kNotFound, fmt::format("no such vehicle {}", id)};
    }
    for (int64_t id : r.group_ids) {
        Sql sql;
        sql << "SELECT count(*) FROM vehicle_groups g WHERE g.id = ? AND ";
        sql.Arg(id);
        VisibleGroupSql(sql, viewer);
        auto n = Count(db, sql, "check rule group");
        if (!n) return n.error();
        if (*n == 0) return Refused{Refusal::kNotFound, fmt::format("no such group {}", id)};
    }
    for (auto [table, ids, what] : {std::tuple{"users", &r.user_ids, "user"},
                                    std::tuple{"webhooks", &r.webhook_ids, "webhook"}}) {
        for (int64_t id : *ids) {
            Sql sql;
            sql << fmt::format("SELECT count(*) FROM {} WHERE id = ? AND tenant_id = ?", table);
            sql.Arg(id).Arg(viewer.scope.tenant_id());
            auto n = Count(db, sql, "check rule recipient");
            if (!n) return n.error();
            if (*n == 0) return Refused{Refusal::kNotFound, fmt::format("no such {} {}", what, id)};
        }
    }
    return Done{};
}

void Apply(NotificationRule& r, const RuleChange& c) {
    if (c.name) r.name = *c.name;
    if (c.event_types) r.event_types = *c.event_types;
    if (c.vehicle_ids) r.vehicle_ids = *c.vehicle_ids;
    if (c.group_ids) r.group_ids = *c.group_ids;
    if (c.user_ids) r.user_ids = *c.user_ids;
    if (c.webhook_ids) r.webhook_ids = *c.webhook_ids;
    if (c.channels) r.channels = *c.channels;
    if (c.quiet_start) r.quiet_start = *c.quiet_start;
    if (c.quiet_end) r.quiet_end = *c.quiet_end;
    if (c.enabled) r.enabled = *c.enabled;
}

std::string RuleDetail(const NotificationRule& r) {
    std::string out = DetailJson({{"name", r.name}});
    out.pop_back();
    out += fmt::format(",\"event_types\":{},\"channels\":{},\"enabled\":{}}}", StringArrayJson(r.event_types),
                       StringArrayJson(r.channels), r.enabled);
    return out;
}

constexpr std::string_view kRuleNameTaken = "a notification rule with this name exists";
constexpr std::string_view kWebhookNameTaken = "a webhook with this name exists";

}  // namespace

// --- rules ---------------------------------------------------------------------------------------

Result<Page<NotificationRule>> NotifyStore::ListRules(TenantScope scope, const RuleFilter& filter,
                                                      const Paging& paging) {
    auto order = OrderBy(paging, {{"id", "r.id"}, {"name", "r.name COLLATE NOCASE"}, {"created_at", "r.created_at"}},
                         "r.id");
    if (!order) return order.error();
    Sql where;
    where << " WHERE r.tenant_id = ?";
    where.Arg(scope.tenant_id());
    if (!filter.q.empty()) {
        where << " AND r.name LIKE ? ESCAPE '\\'";
        where.Arg(Contains(filter.q));
    }
    if (filter.enabled) {
        where << " AND r.enabled = ?";
        where.Arg(int64_t{*filter.enabled ? 1 : 0});
    }
    Sql count = where;
    count.text = "SELECT count(*) FROM notification_rules r" + where.text;
    auto total = Count(db_, count, "count rules");
    if (!total) return total.error();
    Sql rows = where;
    rows.text = fmt::format("{}{}{} LIMIT ? OFFSET ?", kRuleSelect, where.text, *order);
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<NotificationRule>(db_, rows, "list rules", ReadRule);
    if (!items) return items.error();
    return Page<NotificationRule>{std::move(*items), *total};
}

Result<std::optional<NotificationRule>> NotifyStore::FindRule(TenantScope scope, int64_t id) {
    Sql sql;
    sql << kRuleSelect << " WHERE r.id = ? AND r.tenant_id = ?";
    sql.Arg(id).Arg(scope.tenant_id());
    auto rows = Rows<NotificationRule>(db_, sql, "find rule", ReadRule);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<NotificationRule>();
    return std::optional<NotificationRule>(std::move(rows->front()));
}

Outcome<NotificationRule> NotifyStore::AddRule(const Viewer& viewer, const RuleChange& change, const Actor& actor,
                                               core::TimePoint now) {
    if (!change.name || !change.event_types || !change.channels) {
        return Refused{Refusal::kInvalid, "'name', 'event_types' and 'channels' are required"};
    }
    NotificationRule r;
    Apply(r, change);
    r.created_at = now;
    if (auto bad = CheckRuleShape(r)) return *bad;
    return InTransaction<NotificationRule>(db_, [&]() -> Outcome<NotificationRule> {
        if (auto ok = CheckRuleTargets(db_, viewer, r); !ok) return ok.Failure<NotificationRule>();
        Sql insert;
        insert << "INSERT INTO notification_rules (tenant_id, name, event_types, vehicle_ids, group_ids, user_ids, "
                  "webhook_ids, channels, quiet_start, quiet_end, enabled, created_at) VALUES "
                  "(?, ?, ?, ?, ?, ?, ?, ?, ";
        insert.Arg(viewer.scope.tenant_id()).Arg(r.name).Arg(StringArrayJson(r.event_types));
        insert.Arg(IntArrayJson(r.vehicle_ids)).Arg(IntArrayJson(r.group_ids)).Arg(IntArrayJson(r.user_ids));
        insert.Arg(IntArrayJson(r.webhook_ids)).Arg(StringArrayJson(r.channels));
        insert.Value(r.quiet_start) << ", ";
        insert.Value(r.quiet_end) << ", ?, ?)";
        insert.Arg(int64_t{r.enabled ? 1 : 0}).Arg(ToMs(now));
        if (auto ok = Change(db_, insert, "add rule", kRuleNameTaken); !ok) return ok.Failure<NotificationRule>();
        r.id = sqlite3_last_insert_rowid(db_.db);
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "notification_rule.add",
                           fmt::format("notification_rule:{}", r.id), RuleDetail(r));
            !a) {
            return a.Failure<NotificationRule>();
        }
        return r;
    });
}

Outcome<NotificationRule> NotifyStore::UpdateRule(const Viewer& viewer, int64_t id, const RuleChange& change,
                                                  const Actor& actor, core::TimePoint now) {
    return InTransaction<NotificationRule>(db_, [&]() -> Outcome<NotificationRule> {
        auto found = FindRule(viewer.scope, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such notification rule"};
        NotificationRule r = **found;
        Apply(r, change);
        if (auto bad = CheckRuleShape(r)) return *bad;
        if (auto ok = CheckRuleTargets(db_, viewer, r); !ok) return ok.Failure<NotificationRule>();
        Sql update;
        update << "UPDATE notification_rules SET name = ?, event_types = ?, vehicle_ids = ?, group_ids = ?, "
                  "user_ids = ?, webhook_ids = ?, channels = ?, quiet_start = ";
        update.Arg(r.name).Arg(StringArrayJson(r.event_types)).Arg(IntArrayJson(r.vehicle_ids));
        update.Arg(IntArrayJson(r.group_ids)).Arg(IntArrayJson(r.user_ids)).Arg(IntArrayJson(r.webhook_ids));
        update.Arg(StringArrayJson(r.channels));
        update.Value(r.quiet_start) << ", quiet_end = ";
        update.Value(r.quiet_end) << ", enabled = ? WHERE id = ?";
        update.Arg(int64_t{r.enabled ? 1 : 0}).Arg(id);
        if (auto ok = Change(db_, update, "update rule", kRuleNameTaken); !ok) return ok.Failure<NotificationRule>();
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "notification_rule.update",
                           fmt::format("notification_rule:{}", id), RuleDetail(r));
            !a) {
            return a.Failure<NotificationRule>();
        }
        return r;
    });
}

Outcome<Done> NotifyStore::DeleteRule(TenantScope scope, int64_t id, const Actor& actor, core::TimePoint now) {
    return InTransaction<Done>(db_, [&]() -> Outcome<Done> {
        auto found = FindRule(scope, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such notification rule"};
        Sql del;
        del << "DELETE FROM notification_rules WHERE id = ?";
        del.Arg(id);
        if (auto ok = Change(db_, del, "delete rule"); !ok) return ok;
        return Audit(db_, actor, now, scope.tenant_id(), "notification_rule.delete",
                     fmt::format("notification_rule:{}", id), DetailJson({{"name", (*found)->name}}));
    });
}

// --- webhooks ------------------------------------------------------------------------------------

namespace {

constexpr std::string_view kWebhookSelect = "SELECT w.id, w.name, w.url, w.enabled, w.created_at FROM webhooks w";

Webhook ReadWebhook(sqlite3_stmt* s) {
    Webhook w;
    w.id = sqlite3_column_int64(s, 0);
    w.name = Col(s, 1);
    w.url = Col(s, 2);
    w.enabled = sqlite3_column_int(s, 3) != 0;
    w.created_at = FromMs(sqlite3_column_int64(s, 4));
    return w;
}

std::optional<Refused> CheckWebhook(const Webhook& w) {
    if (auto bad = CheckLine("name", w.name, true)) return bad;
    if (auto bad = CheckLine("url", w.url, true)) return bad;
    return std::nullopt;
}

}  // namespace

Result<Page<Webhook>> NotifyStore::ListWebhooks(TenantScope scope, const std::string& q, const Paging& paging) {
    auto order = OrderBy(paging, {{"id", "w.id"}, {"name", "w.name COLLATE NOCASE"}, {"created_at", "w.created_at"}},
                         "w.id");
    if (!order) return order.error();
    Sql where;
    where << " WHERE w.tenant_id = ?";
    where.Arg(scope.tenant_id());
    if (!q.empty()) {
        where << " AND (w.name LIKE ? ESCAPE '\\' OR w.url LIKE ? ESCAPE '\\')";
        where.Arg(Contains(q)).Arg(Contains(q));
    }
    Sql count = where;
    count.text = "SELECT count(*) FROM webhooks w" + where.text;
    auto total = Count(db_, count, "count webhooks");
    if (!total) return total.error();
    Sql rows = where;
    rows.text = fmt::format("{}{}{} LIMIT ? OFFSET ?", kWebhookSelect, where.text, *order);
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<Webhook>(db_, rows, "list webhooks", ReadWebhook);
    if (!items) return items.error();
    return Page<Webhook>{std::move(*items), *total};
}

Result<std::optional<Webhook>> NotifyStore::FindWebhook(TenantScope scope, int64_t id) {
    Sql sql;
    sql << kWebhookSelect << " WHERE w.id = ? AND w.tenant_id = ?";
    sql.Arg(id).Arg(scope.tenant_id());
    auto rows = Rows<Webhook>(db_, sql, "find webhook", ReadWebhook);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<Webhook>();
    return std::optional<Webhook>(std::move(rows->front()));
}

Result<std::optional<WebhookTarget>> NotifyStore::FindWebhookTarget(TenantScope scope, int64_t id) {
    Sql sql;
    sql << kWebhookTargetSelect << " WHERE id = ? AND tenant_id = ?";
    sql.Arg(id).Arg(scope.tenant_id());
    auto rows = Rows<WebhookTarget>(db_, sql, "find webhook", ReadWebhookTarget);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<WebhookTarget>();
    return std::optional<WebhookTarget>(std::move(rows->front()));
}

Outcome<Webhook> NotifyStore::AddWebhook(TenantScope scope, const Webhook& webhook, const std::string& secret_sealed,
                                         const Actor& actor, core::TimePoint now) {
    if (auto bad = CheckWebhook(webhook)) return *bad;
    return InTransaction<Webhook>(db_, [&]() -> Outcome<Webhook> {
        Sql insert;
        insert << "INSERT INTO webhooks (tenant_id, name, url, secret_sealed, enabled, created_at) "
                  "VALUES (?, ?, ?, ?, ?, ?)";
        insert.Arg(scope.tenant_id()).Arg(webhook.name).Arg(webhook.url).Arg(secret_sealed);
        insert.Arg(int64_t{webhook.enabled ? 1 : 0}).Arg(ToMs(now));
        if (auto ok = Change(db_, insert, "add webhook", kWebhookNameTaken); !ok) return ok.Failure<Webhook>();
        Webhook w = webhook;
        w.id = sqlite3_last_insert_rowid(db_.db);
        w.created_at = now;
        if (auto a = Audit(db_, actor, now, scope.tenant_id(), "webhook.add", fmt::format("webhook:{}", w.id),
                           DetailJson({{"name", w.name}, {"url", w.url}}));
            !a) {
            return a.Failure<Webhook>();
        }
        return w;
    });
}

Outcome<Webhook> NotifyStore::UpdateWebhook(TenantScope scope, int64_t id, const WebhookChange& change,
                                            const Actor& actor, core::TimePoint now) {
    return InTransaction<Webhook>(db_, [&]() -> Outcome<Webhook> {
        auto found = FindWebhook(scope, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such webhook"};
        Webhook w = **found;
        if (change.name) w.name = *change.name;
        if (change.url) w.url = *change.url;
        if (change.enabled) w.enabled = *change.enabled;
        if (auto bad = CheckWebhook(w)) return *bad;
        Sql update;
        update << "UPDATE webhooks SET name = ?, url = ?, enabled = ? WHERE id = ?";
        update.Arg(w.name).Arg(w.url).Arg(int64_t{w.enabled ? 1 : 0}).Arg(id);
        if (auto ok = Change(db_, update, "update webhook", kWebhookNameTaken); !ok) return ok.Failure<Webhook>();
        std::string detail = DetailJson({{"name", w.name}, {"url", w.url}});
        detail.pop_back();
        detail += fmt::format(",\"enabled\":{}}}", w.enabled);
        if (auto a = Audit(db_, actor, now, scope.tenant_id(), "webhook.update", fmt::format("webhook:{}", id),
                           detail);
            !a) {
            return a.Failure<Webhook>();
        }
        return w;
    });
}

Outcome<Webhook> NotifyStore::RotateWebhookSecret(TenantScope scope, int64_t id, const std::string& secret_sealed,
                                                  const Actor& actor, core::TimePoint now) {
    return InTransaction<Webhook>(db_, [&]() -> Outcome<Webhook> {
        auto found = FindWebhook(scope, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such webhook"};
        Sql update;
        update << "UPDATE webhooks SET secret_sealed = ? WHERE id = ?";
        update.Arg(secret_sealed).Arg(id);
        if (auto ok = Change(db_, update, "rotate webhook secret"); !ok) return ok.Failure<Webhook>();
        if (auto a = Audit(db_, actor, now, scope.tenant_id(), "webhook.rotate_secret", fmt::format("webhook:{}", id),
                           DetailJson({{"name", (*found)->name}}));
            !a) {
            return a.Failure<Webhook>();
        }
        return **found;
    });
}

Outcome<Done> NotifyStore::DeleteWebhook(TenantScope scope, int64_t id, const Actor& actor, core::TimePoint now) {
    return InTransaction<Done>(db_, [&]() -> Outcome<Done> {
        auto found = FindWebhook(scope, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such webhook"};
        Sql users;
        users << "SELECT count(*) FROM notification_rules r, json_each(r.webhook_ids) j "
                 "WHERE r.tenant_id = ? AND j.value = ?";
        users.Arg(scope.tenant_id()).Arg(id);
        auto n = Count(db_, users, "find rules of webhook");
        if (!n) return n.error();
        if (*n > 0) {
            return Refused{Refusal::kConflict,
                           fmt::format("{} notification rule(s) call this webhook: change them first", *n)};
        }
        Sql del;
        del << "DELETE FROM webhooks WHERE id = ?";
        del.Arg(id);
        if (auto ok = Change(db_, del, "delete webhook"); !ok) return ok;
        return Audit(db_, actor, now, scope.tenant_id(), "webhook.delete", fmt::format("webhook:{}", id),
                     DetailJson({{"name", (*found)->name}}));
    });
}

}  // namespace fleet::store
