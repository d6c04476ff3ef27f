// Local time in a tenant's time zone (tenants.time_zone, an IANA name): the local days of reports
// (a daily summary groups trips by the local day they start; a range may be given as local dates),
// calendar arithmetic of maintenance plans, quiet hours and the times written in e-mails. One
// implementation for the whole server, built on Howard Hinnant's date/tz library (Debian's
// libhowardhinnant-date-dev, reading the system's tzdata), which is what C++20's <chrono> time-zone
// support standardised; g++ 12's libstdc++ does not have that part yet (it came in GCC 14).
// Thread-safety: a Zone is an immutable value; the database it points into is loaded once.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/record.hpp"
#include "core/result.hpp"

namespace date {
class time_zone;
}

namespace fleet::core {

// A calendar day: days since 1970-01-01 (negative before). Ordered, so it can be a map key.
struct LocalDay {
    int32_t days = 0;
    auto operator<=>(const LocalDay&) const = default;
    LocalDay Next(int32_t n = 1) const { return LocalDay{days + n}; }
    // `n` calendar months later (or earlier), the day clamped to the month's end (2024-01-31 + 1
    // month = 2024-02-29).
    LocalDay AddMonths(int n) const;
    // "2026-03-01"
    std::string ToString() const;
    // The ISO weekday: 1 Monday .. 7 Sunday.
    int Weekday() const;
};

// "YYYY-MM-DD" naming a day that exists, else nullopt.
std::optional<LocalDay> ParseLocalDay(std::string_view text);

class Zone {
public:
    // The zone named `name` ("Europe/Paris", "UTC"), or an error when the database has no such zone.
    static Result<Zone> Find(const std::string& name);
    const std::string& name() const { return name_; }

    // The local day an instant falls in.
    LocalDay DayOf(TimePoint t) const;
    // The first instant of a local day: its midnight, or the end of the gap when the clocks skip
    // midnight (a DST change at 00:00). A day lasts until the start of the next one (23, 24 or 25 h).
    TimePoint StartOf(LocalDay day) const { return At(day, std::chrono::minutes(0)); }
    // The instant of a local wall-clock time (in a gap: the instant the clocks jump; in an overlap:
    // the first of the two).
    TimePoint At(LocalDay day, std::chrono::minutes time_of_day) const;
    // The offset of local time from UTC at `t` (Europe/Paris in July: +2 h).
    std::chrono::seconds OffsetAt(TimePoint t) const;
    // Minutes since local midnight at `t` (0..1439).
    int MinuteOfDay(TimePoint t) const;
    // The local wall-clock time of an instant as "YYYY-MM-DD HH:MM:SS" (exports for people).
    std::string LocalText(TimePoint t) const;
    // As LocalText with the zone's abbreviation: "2026-03-01 09:00:00 CET" (e-mails, notifications).
    std::string Format(TimePoint t) const;

private:
    Zone(const date::time_zone* zone, std::string name) : zone_(zone), name_(std::move(name)) {}
    const date::time_zone* zone_;
    std::string name_;
};

}  // namespace fleet::core
