// Who may give which role to whom: the rules of user administration, without HTTP or database,
// so each is unit-tested. Roles rank operator-admin > tenant-admin > fleet-manager > viewer >
// driver.
//   - Nobody gives a role above their own (so a tenant admin never makes an operator-admin).
//   - operator-admin exists only in the operator's tenant (as the admin command also insists).
//   - Nobody changes a user whose role is above their own.
//   - Nobody disables or demotes themself (an organisation cannot lose its last admin that way).
//   - Administrators (tenant-admin, operator-admin) see their whole tenant: they are not narrowed
//     to vehicle groups. This also means whoever manages users is never narrowed themself.
// Pure functions; thread-safe.
#pragma once

#include <optional>

#include "store/accounts.hpp"

namespace fleet::api::detail {

// True when `a` ranks above `b`.
bool Outranks(store::Role a, store::Role b);

// Why `caller` may not give a user of a tenant (the operator's when `operator_tenant`) `role` with
// `group_count` groups, or nullopt: the check for a new user, and part of RefuseUserChange.
std::optional<store::Refused> RefuseRole(const store::User& caller, store::Role role,
                                         size_t group_count, bool operator_tenant);

// Why `caller` may not make `change` to `target` (a user of the operator's tenant when
// `operator_tenant`), or nullopt.
std::optional<store::Refused> RefuseUserChange(const store::User& caller,
                                               const store::UserDetail& target,
                                               const store::UserChange& change,
                                               bool operator_tenant);

}  // namespace fleet::api::detail
