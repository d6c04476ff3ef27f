// Which tenant an administration route works in: the caller's own, unless the operator names
// another (?tenant=<name>, or "tenant" in a body). Only an operator-admin may name one.
// Thread-safety: a value; Scope runs on a database worker.
#pragma once

#include <optional>
#include <string>

#include "api/detail/router.hpp"

namespace fleet::api::detail {

struct TenantTarget {
    std::optional<std::string> name;  // named by the operator
    bool operator_tenant = false;     // the target is the operator's own tenant

    // The target's scope; nullopt when the named tenant does not exist.
    Result<std::optional<store::TenantScope>> Scope(store::AccountStore& accounts,
                                                    const Caller& caller) const;
    // True when the operator works in a customer's tenant (its reads of personal data are audited).
    bool Foreign(const Caller& caller) const { return name && *name != caller.user.tenant; }
};

// The target for `name`; sets `res` (403) and returns nullopt when the caller may not name one.
std::optional<TenantTarget> TargetOf(const Ctx& ctx, const std::optional<std::string>& name,
                                     http::Response& res);

// The value of a query parameter, if given.
std::optional<std::string> QueryValue(const Ctx& ctx, const std::string& key);

}  // namespace fleet::api::detail
