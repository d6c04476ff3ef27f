// The inside of OperationsStore, shared by its files (operations*.cpp): the reports' helpers (the
// vehicles' readings and the due computation live there) and small checks. Include only from
// src/store.
#pragma once

#include <cmath>
#include <map>
#include <string>

#include "store/detail/reports_impl.hpp"
#include "store/operations.hpp"

namespace fleet::store::detail {

// A finite number within [lo, hi].
inline bool InRange(double v, double lo, double hi) {
    return std::isfinite(v) && v >= lo && v <= hi;
}

// The vehicle when the viewer sees it (and, unless `archived_too`, it is not archived): its id;
// else kNotFound.
Outcome<Done> CheckVehicle(AccountStore::Impl& db, const Viewer& viewer, int64_t vehicle_id,
                           bool archived_too = false);

}  // namespace fleet::store::detail
