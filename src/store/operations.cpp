// OperationsStore: processing settings and geofences. Odometers and driver assignments are in
// operations_vehicles.cpp, maintenance in operations_maintenance.cpp.
#include "store/operations.hpp"

#include "store/detail/operations_impl.hpp"

namespace fleet::store {

using namespace detail;

OperationsStore::OperationsStore(AccountStore& accounts) : db_(accounts.impl()) {}

// --- processing settings ------------------------------------------------------------------------

Result<std::string> OperationsStore::ProcessingSettings(TenantScope scope) {
    Query q(db_.db, "SELECT settings FROM tenant_settings WHERE tenant_id = ?");
    if (!q.ok()) return q.error("read settings");
    q.Bind(1, scope.tenant_id());
    int rc = q.Step();
    if (rc == SQLITE_ROW) return std::string(Col(q.get(), 0));
    if (rc != SQLITE_DONE) return db_.DbError("read settings");
    return std::string("{}");
}

Outcome<Done> OperationsStore::SetProcessingSettings(TenantScope scope,
                                                     const std::string& settings_json,
                                                     const Actor& actor, core::TimePoint now) {
    return InTransaction<Done>(db_, [&]() -> Outcome<Done> {
        Sql upsert;
        upsert << "INSERT INTO tenant_settings (tenant_id, settings, updated_at) VALUES (?, ?, ?) "
                  "ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings, updated_at "
                  "= excluded.updated_at";
        upsert.Arg(scope.tenant_id()).Arg(settings_json).Arg(ToMs(now));
        if (auto ok = Change(db_, upsert, "save settings"); !ok) return ok;
        return Audit(db_, actor, now, scope.tenant_id(), "settings.processing.update",
                     fmt::format("tenant:{}", scope.tenant_id()), settings_json);
    });
}

// --- geofences -----------------------------------------------------------------------------------

namespace {

constexpr std::string_view kGeofenceSelect =
    "SELECT g.id, g.name, g.description, g.kind, g.geometry, g.radius_m, g.speed_limit_kmh, "
    "g.created_at, "
    "g.updated_at FROM geofences g";

Geofence ReadGeofence(sqlite3_stmt* s) {
    Geofence g;
    g.id = sqlite3_column_int64(s, 0);
    g.name = Col(s, 1);
    g.description = Col(s, 2);
    g.kind = Col(s, 3);
    g.geometry_json = Col(s, 4);
    g.radius_m = ColOptDouble(s, 5);
    g.speed_limit_kmh = ColOptDouble(s, 6);
    g.created_at = FromMs(sqlite3_column_int64(s, 7));
    g.updated_at = FromMs(sqlite3_column_int64(s, 8));
    return g;
}

constexpr std::string_view kGeofenceNameTaken = "a geofence with this name exists";

void Apply(Geofence& g, const GeofenceChange& c) {
    if (c.name) g.name = *c.name;
    if (c.description) g.description = *c.description;
    if (c.kind) {
        g.kind = *c.kind;
        // A polygon has no radius; a circle keeps its radius unless a new one comes with it.
        g.radius_m = g.kind == "polygon" ? std::nullopt : c.radius_m ? c.radius_m : g.radius_m;
    } else if (c.radius_m) {
        g.radius_m = c.radius_m;
    }
    if (c.geometry_json) g.geometry_json = *c.geometry_json;
    if (c.speed_limit_kmh) g.speed_limit_kmh = *c.speed_limit_kmh;
}

// The geofence's own consistency (no database needed).
std::optional<Refused> CheckGeofence(const Geofence& g) {
    if (auto bad = CheckLine("name", g.name, true)) return bad;
    if (auto bad = CheckLine("description", g.description, false)) return bad;
    if (g.kind != "circle" && g.kind != "polygon") {
        return Refused{Refusal::kInvalid, "'kind' is \"circle\" or \"polygon\""};
    }
    if (g.geometry_json.empty()) return Refused{Refusal::kInvalid, "'geometry' is required"};
    if (g.kind == "circle") {
        if (!g.radius_m) return Refused{Refusal::kInvalid, "a circle needs 'radius_m'"};
        if (!InRange(*g.radius_m, 1, 100000)) {
            return Refused{Refusal::kInvalid, "'radius_m' must be from 1 to 100000 (metres)"};
        }
    } else if (g.radius_m) {
        return Refused{Refusal::kInvalid, "a polygon has no 'radius_m'"};
    }
    if (g.speed_limit_kmh && !InRange(*g.speed_limit_kmh, 1, 300)) {
        return Refused{Refusal::kInvalid, "'speed_limit_kmh' must be from 1 to 300"};
    }
    return std::nullopt;
}

std::string GeofenceDetail(const Geofence& g) {
    return DetailJson({{"name", g.name}, {"kind", g.kind}});
}

Outcome<Done> InsertGeofence(AccountStore::Impl& db, int64_t tenant_id, Geofence& g) {
    Sql insert;
    insert << "INSERT INTO geofences (tenant_id, name, description, kind, geometry, radius_m, "
              "speed_limit_kmh, "
              "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ";
    insert.Arg(tenant_id).Arg(g.name).Arg(g.description).Arg(g.kind).Arg(g.geometry_json);
    insert.RealValue(g.radius_m) << ", ";
    insert.RealValue(g.speed_limit_kmh) << ", ?, ?)";
    insert.Arg(ToMs(g.created_at)).Arg(ToMs(g.updated_at));
    if (auto ok = Change(db, insert, "add geofence", kGeofenceNameTaken); !ok) return ok;
    g.id = sqlite3_last_insert_rowid(db.db);
    return Done{};
}

Result<int64_t> GeofenceCount(AccountStore::Impl& db, int64_t tenant_id) {
    Sql count;
    count << "SELECT count(*) FROM geofences WHERE tenant_id = ?";
    count.Arg(tenant_id);
    return Count(db, count, "count geofences");
}

}  // namespace

Result<Page<Geofence>> OperationsStore::ListGeofences(TenantScope scope,
                                                      const GeofenceFilter& filter,
                                                      const Paging& paging) {
    auto order = OrderBy(paging,
                         {{"id", "g.id"},
                          {"name", "g.name COLLATE NOCASE"},
                          {"created_at", "g.created_at"},
                          {"updated_at", "g.updated_at"}},
                         "g.id");
    if (!order) return order.error();
    Sql where;
    where << " WHERE g.tenant_id = ?";
    where.Arg(scope.tenant_id());
    if (!filter.q.empty()) {
        where << " AND (g.name LIKE ? ESCAPE '\\' OR g.description LIKE ? ESCAPE '\\')";
        where.Arg(Contains(filter.q)).Arg(Contains(filter.q));
    }
    if (filter.kind) {
        where << " AND g.kind = ?";
        where.Arg(*filter.kind);
    }
    Sql count = where;
    count.text = "SELECT count(*) FROM geofences g" + where.text;
    auto total = Count(db_, count, "count geofences");
    if (!total) return total.error();
    Sql rows = where;
    rows.text = fmt::format("{}{}{} LIMIT ? OFFSET ?", kGeofenceSelect, where.text, *order);
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<Geofence>(db_, rows, "list geofences", ReadGeofence);
    if (!items) return items.error();
    return Page<Geofence>{std::move(*items), *total};
}

Result<std::optional<Geofence>> OperationsStore::FindGeofence(TenantScope scope, int64_t id) {
    Sql sql;
    sql << kGeofenceSelect << " WHERE g.id = ? AND g.tenant_id = ?";
    sql.Arg(id).Arg(scope.tenant_id());
    auto rows = Rows<Geofence>(db_, sql, "find geofence", ReadGeofence);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<Geofence>();
    return std::optional<Geofence>(std::move(rows->front()));
}

Outcome<Geofence> OperationsStore::AddGeofence(TenantScope scope, const GeofenceChange& change,
                                               const Actor& actor, core::TimePoint now) {
    if (!change.name || !change.kind || !change.geometry_json) {
        return Refused{Refusal::kInvalid, "'name', 'kind' and 'geometry' are required"};
    }
    Geofence g;
    Apply(g, change);
    g.created_at = g.updated_at = now;
    if (auto bad = CheckGeofence(g)) return *bad;
    return InTransaction<Geofence>(db_, [&]() -> Outcome<Geofence> {
        auto n = GeofenceCount(db_, scope.tenant_id());
        if (!n) return n.error();
        if (*n >= kMaxGeofencesPerTenant) {
            return Refused{Refusal::kConflict, fmt::format("a tenant has at most {} geofences",
                                                           kMaxGeofencesPerTenant)};
        }
        if (auto ok = InsertGeofence(db_, scope.tenant_id(), g); !ok) return ok.Failure<Geofence>();
        if (auto a = Audit(db_, actor, now, scope.tenant_id(), "geofence.add",
                           fmt::format("geofence:{}", g.id), GeofenceDetail(g));
            !a) {
            return a.Failure<Geofence>();
        }
        return g;
    });
}

Outcome<Geofence> OperationsStore::UpdateGeofence(TenantScope scope, int64_t id,
                                                  const GeofenceChange& change, const Actor& actor,
                                                  core::TimePoint now) {
    return InTransaction<Geofence>(db_, [&]() -> Outcome<Geofence> {
        auto found = FindGeofence(scope, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such geofence"};
        Geofence g = **found;
        Apply(g, change);
        g.updated_at = now;
        if (auto bad = CheckGeofence(g)) return *bad;
        Sql update;
        update << "UPDATE geofences SET name = ?, description = ?, kind = ?, geometry = ?, "
                  "radius_m = ";
        update.Arg(g.name).Arg(g.description).Arg(g.kind).Arg(g.geometry_json);
        update.RealValue(g.radius_m) << ", speed_limit_kmh = ";
        update.RealValue(g.speed_limit_kmh) << ", updated_at = ? WHERE id = ?";
        update.Arg(ToMs(now)).Arg(id);
        if (auto ok = Change(db_, update, "update geofence", kGeofenceNameTaken); !ok)
            return ok.Failure<Geofence>();
        if (auto a = Audit(db_, actor, now, scope.tenant_id(), "geofence.update",
                           fmt::format("geofence:{}", id), GeofenceDetail(g));
            !a) {
            return a.Failure<Geofence>();
        }
        return g;
    });
}

Outcome<Done> OperationsStore::DeleteGeofence(TenantScope scope, int64_t id, const Actor& actor,
                                              core::TimePoint now) {
    return InTransaction<Done>(db_, [&]() -> Outcome<Done> {
        auto found = FindGeofence(scope, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such geofence"};
        Sql del;
        del << "DELETE FROM geofences WHERE id = ?";
        del.Arg(id);
        if (auto ok = Change(db_, del, "delete geofence"); !ok) return ok;
        return Audit(db_, actor, now, scope.tenant_id(), "geofence.delete",
                     fmt::format("geofence:{}", id), GeofenceDetail(**found));
    });
}

Outcome<ImportResult> OperationsStore::ImportGeofences(TenantScope scope,
                                                       const std::vector<GeofenceChange>& geofences,
                                                       const Actor& actor, core::TimePoint now) {
    ImportResult result;
    std::vector<Geofence> made;
    made.reserve(geofences.size());
    std::map<std::string, int64_t> names;  // name -> first index, for duplicates within the import
    for (size_t i = 0; i < geofences.size(); ++i) {
        const auto& change = geofences[i];
        auto index = static_cast<int64_t>(i);
        Geofence g;
        Apply(g, change);
        g.created_at = g.updated_at = now;
        if (!change.name || !change.kind || !change.geometry_json) {
            result.errors.push_back({index, "'name', 'kind' and 'geometry' are required"});
        } else if (auto bad = CheckGeofence(g)) {
            result.errors.push_back({index, bad->detail});
        } else if (auto [it, fresh] = names.emplace(g.name, index); !fresh) {
            result.errors.push_back(
                {index, fmt::format("the name is also that of feature {}", it->second)});
        }
        made.push_back(std::move(g));
    }
    if (!result.errors.empty()) return result;
    return InTransaction<ImportResult>(db_, [&]() -> Outcome<ImportResult> {
        auto n = GeofenceCount(db_, scope.tenant_id());
        if (!n) return n.error();
        if (*n + static_cast<int64_t>(made.size()) > kMaxGeofencesPerTenant) {
            return Refused{Refusal::kConflict,
                           fmt::format("a tenant has at most {} geofences ({} now)",
                                       kMaxGeofencesPerTenant, *n)};
        }
        for (size_t i = 0; i < made.size(); ++i) {
            Sql taken;
            taken << "SELECT count(*) FROM geofences WHERE tenant_id = ? AND name = ?";
            taken.Arg(scope.tenant_id()).Arg(made[i].name);
            auto exists = Count(db_, taken, "check geofence name");
            if (!exists) return exists.error();
            if (*exists > 0)
                result.errors.push_back({static_cast<int64_t>(i), std::string(kGeofenceNameTaken)});
        }
        if (!result.errors.empty()) return result;  // nothing written: committing changes nothing
        for (auto& g : made) {
            if (auto ok = InsertGeofence(db_, scope.tenant_id(), g); !ok)
                return ok.Failure<ImportResult>();
        }
        result.created = static_cast<int64_t>(made.size());
        if (auto a = Audit(db_, actor, now, scope.tenant_id(), "geofence.import", "geofences",
                           fmt::format("{{\"created\":{}}}", result.created));
            !a) {
            return a.Failure<ImportResult>();
        }
        return result;
    });
}

}  // namespace fleet::store
