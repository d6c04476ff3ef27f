// FleetStore: drivers — people who drive the tenant's vehicles, recognised by their badge.
#include "store/detail/fleet_impl.hpp"
#include "store/fleet.hpp"

namespace fleet::store {
namespace {

using namespace detail;

constexpr std::string_view kDriverSelect =
    "SELECT r.id, r.name, r.badge_id, r.employee_number, r.user_id, r.created_at FROM drivers r";

Driver ReadDriver(sqlite3_stmt* s) {
    Driver d;
    d.id = sqlite3_column_int64(s, 0);
    d.name = Col(s, 1);
    d.badge_id = ColOptText(s, 2);
    d.employee_number = Col(s, 3);
    d.user_id = ColOptInt(s, 4);
    d.created_at = FromMs(sqlite3_column_int64(s, 5));
    return d;
}

std::optional<Refused> CheckDriver(const DriverChange& c, bool adding) {
    if (adding && !c.name) return Refused{Refusal::kInvalid, "'name' is required"};
    if (c.name) {
        if (auto bad = CheckLine("name", *c.name, true)) return bad;
    }
    if (c.badge_id && *c.badge_id) {
        if (auto bad = CheckLine("badge_id", **c.badge_id, true)) return bad;
    }
    if (c.employee_number) {
        if (auto bad = CheckLine("employee_number", *c.employee_number, false)) return bad;
    }
    return std::nullopt;
}

// The user a driver is linked to must be of the tenant (kNotFound) and no other driver's (kConflict).
Outcome<Done> CheckUser(AccountStore::Impl& db, TenantScope scope, int64_t user_id, int64_t driver_id) {
    Sql user;
    user << "SELECT count(*) FROM users WHERE id = ? AND tenant_id = ?";
    user.Arg(user_id).Arg(scope.tenant_id());
    auto n = Count(db, user, "find user");
    if (!n) return n.error();
    if (*n == 0) return Refused{Refusal::kNotFound, fmt::format("no such user {}", user_id)};
    Sql taken;
    taken << "SELECT count(*) FROM drivers WHERE user_id = ? AND id != ?";
    taken.Arg(user_id).Arg(driver_id);
    auto t = Count(db, taken, "find driver of user");
    if (!t) return t.error();
    if (*t > 0) return Refused{Refusal::kConflict, "this user is another driver already"};
    return Done{};
}

constexpr std::string_view kBadgeTaken = "a driver with this badge id exists";

}  // namespace

Result<Page<Driver>> FleetStore::ListDrivers(TenantScope scope, const DriverFilter& f, const Paging& paging) {
    auto order = OrderBy(paging,
                         {{"id", "r.id"},
                          {"name", "r.name COLLATE NOCASE"},
                          {"badge_id", "r.badge_id"},
                          {"employee_number", "r.employee_number"},
                          {"created_at", "r.created_at"}},
                         "r.id");
    if (!order) return order.error();
    Sql where;
    where << " WHERE r.tenant_id = ?";
    where.Arg(scope.tenant_id());
    if (!f.q.empty()) {
        where << " AND (r.name LIKE ? ESCAPE '\\' OR r.badge_id LIKE ? ESCAPE '\\' "
                 "OR r.employee_number LIKE ? ESCAPE '\\')";
        for (int i = 0; i < 3; ++i) where.Arg(Contains(f.q));
    }
    if (f.user_id) {
        where << " AND r.user_id = ?";
        where.Arg(*f.user_id);
    }
    Sql count = where;
    count.text = "SELECT count(*) FROM drivers r" + where.text;
    auto total = Count(db_, count, "count drivers");
    if (!total) return total.error();
    Sql rows = where;
    rows.text = fmt::format("{}{}{} LIMIT ? OFFSET ?", kDriverSelect, where.text, *order);
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<Driver>(db_, rows, "list drivers", ReadDriver);
    if (!items) return items.error();
    return Page<Driver>{std::move(*items), *total};
}

Result<std::optional<Driver>> FleetStore::FindDriver(TenantScope scope, int64_t id) {
    Sql sql;
    sql << kDriverSelect << " WHERE r.id = ? AND r.tenant_id = ?";
    sql.Arg(id).Arg(scope.tenant_id());
    auto rows = Rows<Driver>(db_, sql, "find driver", ReadDriver);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<Driver>();
    return std::optional<Driver>(std::move(rows->front()));
}

Outcome<Driver> FleetStore::AddDriver(TenantScope scope, const DriverChange& c, const Actor& actor,
                                      core::TimePoint now) {
    if (auto bad = CheckDriver(c, true)) return *bad;
    return InTransaction<Driver>(db_, [&]() -> Outcome<Driver> {
        std::optional<int64_t> user = c.user_id.value_or(std::nullopt);
        if (user) {
            if (auto r = CheckUser(db_, scope, *user, 0); !r) return Failure<Driver>(r);
        }
        std::optional<std::string> badge = c.badge_id.value_or(std::nullopt);
        Sql insert;
        insert << "INSERT INTO drivers (tenant_id, name, badge_id, employee_number, user_id, created_at) VALUES (?, ?, ";
        insert.Arg(scope.tenant_id()).Arg(*c.name);
        insert.Value(badge) << ", ?, ";
        insert.Arg(c.employee_number.value_or(""));
        insert.Value(user) << ", ?)";
        insert.Arg(ToMs(now));
        if (auto r = Change(db_, insert, "add driver", kBadgeTaken); !r) return Failure<Driver>(r);
        int64_t id = sqlite3_last_insert_rowid(db_.db);
        if (auto a = Audit(db_, actor, now, scope.tenant_id(), "driver.add", fmt::format("driver:{}", id),
                           DetailJson({{"name", *c.name}}));
            !a) {
            return Failure<Driver>(a);
        }
        return Driver{id, *c.name, badge, c.employee_number.value_or(""), user, now};
    });
}

Outcome<Driver> FleetStore::UpdateDriver(TenantScope scope, int64_t id, const DriverChange& c, const Actor& actor,
                                         core::TimePoint now) {
    if (auto bad = CheckDriver(c, false)) return *bad;
    return InTransaction<Driver>(db_, [&]() -> Outcome<Driver> {
        auto found = FindDriver(scope, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such driver"};
        if (c.user_id && *c.user_id) {
            if (auto r = CheckUser(db_, scope, **c.user_id, id); !r) return Failure<Driver>(r);
        }
        Sql update;
        update << "UPDATE drivers SET id = id";
        std::string fields = "[";
        auto field = [&](const char* name) { fields += fmt::format("{}\"{}\"", fields.size() > 1 ? "," : "", name); };
        if (c.name) {
            update << ", name = ?";
            update.Arg(*c.name);
            field("name");
        }
        if (c.badge_id) {
            update << ", badge_id = ";
            update.Value(*c.badge_id);
            field("badge_id");
        }
        if (c.employee_number) {
            update << ", employee_number = ?";
            update.Arg(*c.employee_number);
            field("employee_number");
        }
        if (c.user_id) {
            update << ", user_id = ";
            update.Value(*c.user_id);
            field("user_id");
        }
        update << " WHERE id = ?";
        update.Arg(id);
        if (auto r = Change(db_, update, "update driver", kBadgeTaken); !r) return Failure<Driver>(r);
        if (auto a = Audit(db_, actor, now, scope.tenant_id(), "driver.update", fmt::format("driver:{}", id),
                           fmt::format("{{\"fields\":{}]}}", fields));
            !a) {
            return Failure<Driver>(a);
        }
        auto after = FindDriver(scope, id);
        if (!after) return after.error();
        if (!after->has_value()) return Error{"driver vanished"};
        return **after;
    });
}

Outcome<Done> FleetStore::DeleteDriver(TenantScope scope, int64_t id, const Actor& actor, core::TimePoint now) {
    return InTransaction<Done>(db_, [&]() -> Outcome<Done> {
        auto found = FindDriver(scope, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such driver"};
        Sql del;
        del << "DELETE FROM drivers WHERE id = ?";
        del.Arg(id);
        if (auto r = Change(db_, del, "delete driver"); !r) return r;
        return Audit(db_, actor, now, scope.tenant_id(), "driver.delete", fmt::format("driver:{}", id),
                     DetailJson({{"name", (*found)->name}}));
    });
}

}  // namespace fleet::store
