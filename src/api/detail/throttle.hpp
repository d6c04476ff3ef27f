// Throttle: a token bucket per client address for the public authentication routes (sign-in,
// password reset and its confirmation), on top of the per-account lockout. Each request takes a
// token; a bucket holds `burst` tokens and refills at `per_minute`. An empty bucket answers how
// long to wait. In memory and bounded: past `max_addresses` buckets the least recently used one is
// dropped (a dropped bucket comes back full, which only favours an address unseen for longest).
// IPv6 addresses share a bucket per /64, since one host commonly holds a whole /64.
// Thread-safe (one mutex; each call is O(1)).
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/record.hpp"
#include "http/http_server.hpp"

namespace fleet::api::detail {

struct ThrottleSettings {
    int64_t per_minute = 20;  // tokens added per minute (and the bucket's size)
    size_t max_addresses = 100'000;
};

class Throttle {
public:
    explicit Throttle(const ThrottleSettings& settings) : settings_(settings) {}

    // Takes a token for `address` at `now`. nullopt when the request may go on; otherwise the
    // whole seconds (at least 1) until a token is back, for Retry-After.
    std::optional<std::chrono::seconds> Take(std::string_view address, core::TimePoint now);

    size_t size() const;

    // The bucket key of an address: the address itself, or its /64 for IPv6.
    static std::string KeyOf(std::string_view address);

private:
    struct Bucket {
        std::string key;
        int64_t credit = 0;  // tokens x 60,000
        core::TimePoint updated{};
    };
    ThrottleSettings settings_;
    mutable std::mutex mu_;
    std::list<Bucket> lru_;  // most recently used first
    std::unordered_map<std::string_view, std::list<Bucket>::iterator>
        index_;  // views into lru_'s keys
};

// For a public auth route: the 429 too-many-requests answer (with Retry-After) when `ip` must
// wait, else nullopt (and a token is taken).
std::optional<http::Response> TooManyRequests(Throttle& throttle, std::string_view ip,
                                              core::TimePoint now);

}  // namespace fleet::api::detail
