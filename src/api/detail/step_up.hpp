// Step-up: sensitive routes need a recent re-authentication in the caller's session
// (POST /api/v1/auth/step-up). A route requires it with
//     if (!RecentStepUp(*ctx.caller, ctx.now)) { res = StepUpRequired(); co_return; }
// API tokens never have a step-up: such routes are session-only. See docs/api.md (Step-up).
#pragma once

#include "api/detail/account_security.hpp"
#include "api/detail/router.hpp"

namespace fleet::api::detail {

// True when the caller signed in with a session that was stepped up at most kStepUpLifetime
// (5 minutes) before `now`.
inline bool RecentStepUp(const Caller& caller, core::TimePoint now) {
    if (!caller.session || !caller.session->step_up_at) return false;
    auto at = *caller.session->step_up_at;
    return at <= now && now - at <= std::chrono::duration_cast<core::Millis>(kStepUpLifetime);
}

inline http::Response StepUpRequired() {
    return http::Problem(
        403, "step-up-required", "Re-authentication required",
        "confirm your password first (POST /api/v1/auth/step-up), then retry within 5 minutes");
}

}  // namespace fleet::api::detail
