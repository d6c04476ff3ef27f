// The outcomes and pages of the store's change and list methods (FleetStore, AccountStore's
// administration): a change returns its value, a refusal the client caused (the API answers 400,
// 403, 404 or 409) or a database failure; a list returns one page and the total.
// Value types; thread-safe as values are.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace fleet::store {

// Why a request was refused: outcomes a client can cause, told apart so the API can answer 400,
// 403, 404 or 409. (A database failure is an Error instead.)
enum class Refusal { kInvalid, kForbidden, kNotFound, kConflict };
struct Refused {
    Refusal why = Refusal::kInvalid;
    std::string detail;  // for people: what is wrong
};

// The result of a change: the value, a refusal, or a database failure. Default: a failure.
template <typename T>
class [[nodiscard]] Outcome {
public:
    Outcome() : v_(Error{"no outcome"}) {}
    Outcome(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
    Outcome(Refused refused) : v_(std::move(refused)) {}  // NOLINT: implicit by design
    Outcome(Error error) : v_(std::move(error)) {}        // NOLINT: implicit by design

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& operator*() { return std::get<0>(v_); }
    const T& operator*() const { return std::get<0>(v_); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    const Refused* refused() const { return std::get_if<1>(&v_); }  // null unless refused
    const Error* error() const { return std::get_if<2>(&v_); }      // null unless failed
    // This refusal or failure (the outcome is not ok) as an Outcome of another type.
    template <typename U>
    Outcome<U> Failure() const {
        if (const Refused* r = refused()) return *r;
        if (const Error* e = error()) return *e;
        return Error{"internal: a success passed on as a failure"};
    }

private:
    std::variant<T, Refused, Error> v_;
};
using Done = std::monostate;

// A page of a list: `sort` is one of the list's sort fields (see each List method; "" is the first
// one listed there; an unknown one is an Error), ties broken by id in the same direction.
struct Paging {
    int64_t limit = 100;
    int64_t offset = 0;
    std::string sort;
    bool descending = false;
};

template <typename T>
struct Page {
    std::vector<T> items;
    int64_t total = 0;  // matching items, all pages
};

}  // namespace fleet::store
