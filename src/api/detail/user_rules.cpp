#include "api/detail/user_rules.hpp"

#include <fmt/format.h>

namespace fleet::api::detail {

namespace {

using store::Refusal;
using store::Refused;
using store::Role;

bool IsAdmin(Role role) { return role == Role::kOperatorAdmin || role == Role::kTenantAdmin; }

}  // namespace

// The enumerators are declared from the highest role down.
bool Outranks(Role a, Role b) { return static_cast<int>(a) < static_cast<int>(b); }

std::optional<Refused> RefuseRole(const store::User& caller, Role role, size_t group_count,
                                  bool operator_tenant) {
    if (Outranks(role, caller.role)) {
        return Refused{
            Refusal::kForbidden,
            fmt::format("you cannot give a role above your own ({})", ToString(caller.role))};
    }
    if (role == Role::kOperatorAdmin && !operator_tenant) {
        return Refused{Refusal::kForbidden,
                       "operator-admin is a role of the operator's tenant only"};
    }
    if (IsAdmin(role) && group_count > 0) {
        return Refused{Refusal::kInvalid,
                       "administrators see their whole tenant: they take no 'group_ids'"};
    }
    return std::nullopt;
}

std::optional<Refused> RefuseUserChange(const store::User& caller, const store::UserDetail& target,
                                        const store::UserChange& change, bool operator_tenant) {
    if (Outranks(target.user.role, caller.role)) {
        return Refused{Refusal::kForbidden, "you cannot change a user whose role is above yours"};
    }
    bool self = target.user.id == caller.id;
    if (self && change.disabled.value_or(false)) {
        return Refused{Refusal::kForbidden, "you cannot disable yourself"};
    }
    if (self && change.role && Outranks(target.user.role, *change.role)) {
        return Refused{Refusal::kForbidden, "you cannot lower your own role"};
    }
    if (!change.role && !change.group_ids) return std::nullopt;
    Role role = change.role.value_or(target.user.role);
    size_t groups = change.group_ids ? change.group_ids->size() : target.group_ids.size();
    return RefuseRole(caller, role, groups, operator_tenant);
}

}  // namespace fleet::api::detail
