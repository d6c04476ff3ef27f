#include "api/detail/throttle.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>

namespace fleet::api::detail {

std::string Throttle::KeyOf(std::string_view address) {
    boost::system::error_code ec;
    auto ip = boost::asio::ip::make_address(std::string(address), ec);
    if (ec || !ip.is_v6()) return std::string(address);
    auto v6 = ip.to_v6();
    if (v6.is_v4_mapped())
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
    auto bytes = v6.to_bytes();
    for (size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
    return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

std::optional<std::chrono::seconds> Throttle::Take(std::string_view address, core::TimePoint now) {
    std::string key = KeyOf(address);
    // Integer credit, exact: one token is 60,000 units and each millisecond adds per_minute units.
    const int64_t rate = std::max<int64_t>(1, settings_.per_minute);
    const int64_t token = 60'000;
    const int64_t capacity = rate * token;
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) {
        if (lru_.size() >= std::max<size_t>(1, settings_.max_addresses)) {
            index_.erase(lru_.back().key);
            lru_.pop_back();
        }
        lru_.push_front(Bucket{std::move(key), capacity, now});
        it = index_.emplace(lru_.front().key, lru_.begin()).first;
    } else {
        lru_.splice(lru_.begin(), lru_, it->second);
    }
    Bucket& b = *it->second;
    if (now > b.updated) {
        int64_t elapsed_ms = (now - b.updated).count();
        b.credit = elapsed_ms >= capacity / rate ? capacity
                                                 : std::min(capacity, b.credit + elapsed_ms * rate);
        b.updated = now;
    }
    if (b.credit >= token) {
        b.credit -= token;
        return std::nullopt;
    }
    int64_t wait_ms = (token - b.credit + rate - 1) / rate;
    return std::chrono::seconds(std::max<int64_t>(1, (wait_ms + 999) / 1000));
}

std::optional<http::Response> TooManyRequests(Throttle& throttle, std::string_view ip,
                                              core::TimePoint now) {
    auto wait = throttle.Take(ip, now);
    if (!wait) return std::nullopt;
    http::Response res = http::Problem(
        429, "too-many-requests", "Too many requests",
        "too many sign-in or password-reset attempts from your address; try again later");
    res.headers.emplace_back("Retry-After", std::to_string(wait->count()));
    return res;
}

size_t Throttle::size() const {
    std::lock_guard lock(mu_);
    return lru_.size();
}

}  // namespace fleet::api::detail
