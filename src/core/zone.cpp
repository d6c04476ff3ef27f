#include "core/zone.hpp"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <charconv>

namespace fleet::core {

namespace {

date::local_days LocalDaysOf(LocalDay d) { return date::local_days{date::days{d.days}}; }

}  // namespace

std::string LocalDay::ToString() const {
    date::year_month_day ymd{date::sys_days{date::days{days}}};
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()));
}

LocalDay LocalDay::AddMonths(int n) const {
    date::year_month_day ymd{date::sys_days{date::days{days}}};
    date::year_month_day first = date::year_month_day{ymd.year(), ymd.month(), date::day{1}} + date::months{n};
    date::year_month_day_last last{first.year(), date::month_day_last{first.month()}};
    date::day d = ymd.day() > last.day() ? last.day() : ymd.day();
    date::year_month_day out{first.year(), first.month(), d};
    return LocalDay{static_cast<int32_t>(date::sys_days{out}.time_since_epoch().count())};
}

int LocalDay::Weekday() const {
    return static_cast<int>(date::weekday{date::sys_days{date::days{days}}}.iso_encoding());
}

std::optional<LocalDay> ParseLocalDay(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    auto number = [&](size_t at, size_t len) -> std::optional<int> {
        int v = 0;
        auto [p, ec] = std::from_chars(text.data() + at, text.data() + at + len, v);
        if (ec != std::errc() || p != text.data() + at + len) return std::nullopt;
        return v;
    };
    auto y = number(0, 4), m = number(5, 2), d = number(8, 2);
    if (!y || !m || !d) return std::nullopt;
    date::year_month_day ymd{date::year{*y}, date::month{static_cast<unsigned>(*m)},
                             date::day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) return std::nullopt;
    return LocalDay{static_cast<int32_t>(date::sys_days{ymd}.time_since_epoch().count())};
}

Result<Zone> Zone::Find(const std::string& name) {
    try {
        return Zone(date::locate_zone(name), name);
    } catch (const std::exception& e) {
        return MakeError(fmt::format("time zone '{}': {}", name.substr(0, 64), e.what()));
    }
}

LocalDay Zone::DayOf(TimePoint t) const {
    auto local = zone_->to_local(t);
    return LocalDay{static_cast<int32_t>(date::floor<date::days>(local).time_since_epoch().count())};
}

TimePoint Zone::At(LocalDay day, std::chrono::minutes time_of_day) const {
    // In a gap both choices give the instant the clocks jump; at an overlap, the first one.
    auto sys = zone_->to_sys(LocalDaysOf(day) + time_of_day, date::choose::earliest);
    return std::chrono::time_point_cast<Millis>(sys);
}

std::chrono::seconds Zone::OffsetAt(TimePoint t) const {
    return zone_->get_info(t).offset;
}

int Zone::MinuteOfDay(TimePoint t) const {
    auto local = zone_->to_local(t);
    auto since_midnight = local - date::floor<date::days>(local);
    return static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(since_midnight).count());
}

std::string Zone::Format(TimePoint t) const {
    return LocalText(t) + " " + zone_->get_info(t).abbrev;
}

std::string Zone::LocalText(TimePoint t) const {
    auto local = date::floor<std::chrono::seconds>(zone_->to_local(t));
    return date::format("%Y-%m-%d %H:%M:%S", local);
}

}  // namespace fleet::core
