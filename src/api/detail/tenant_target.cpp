#include "api/detail/tenant_target.hpp"

#include "api/detail/body.hpp"

namespace fleet::api::detail {

Result<std::optional<store::TenantScope>> TenantTarget::Scope(store::AccountStore& accounts,
                                                              const Caller& caller) const {
    if (!name) return std::optional<store::TenantScope>(caller.scope());
    auto tenant = accounts.FindTenant(*name);
    if (!tenant) return tenant.error();
    if (!*tenant) return std::optional<store::TenantScope>();
    auto scope = accounts.OperatorScope(*name);
    if (!scope) return scope.error();
    return std::optional<store::TenantScope>(*scope);
}

std::optional<TenantTarget> TargetOf(const Ctx& ctx, const std::optional<std::string>& name,
                                     http::Response& res) {
    const Caller& caller = *ctx.caller;
    if (name && !caller.IsOperator()) {
        res = Forbidden("only the operator chooses another tenant");
        return std::nullopt;
    }
    TenantTarget t;
    t.name = name;
    t.operator_tenant = (name ? *name : caller.user.tenant) == store::kOperatorTenant;
    return t;
}

std::optional<std::string> QueryValue(const Ctx& ctx, const std::string& key) {
    auto it = ctx.query.find(key);
    if (it == ctx.query.end()) return std::nullopt;
    return it->second;
}

}  // namespace fleet::api::detail
