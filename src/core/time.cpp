#include "core/time.hpp"

#include <fmt/format.h>

#include <charconv>

namespace fleet::core {

using namespace std::chrono;

std::string FormatIso(TimePoint t) {
    auto day = floor<days>(t);
    year_month_day ymd{day};
    hh_mm_ss<Millis> hms{t - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                       hms.subseconds().count());
}

Result<TimePoint> MakeUtc(int year, int month, int day, int hour, int minute, int second, int millis) {
    year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                       std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok() || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60 ||
        millis < 0 || millis > 999) {
        return MakeError(fmt::format("invalid date or time {:04}-{:02}-{:02} {:02}:{:02}:{:02}", year, month,
                                     day, hour, minute, second));
    }
    return TimePoint{sys_days{ymd}.time_since_epoch() + hours{hour} + minutes{minute} + seconds{second} +
                     Millis{millis}};
}

namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

}  // namespace

Result<TimePoint> ParseIso(std::string_view s) {
    auto bad = [&] { return MakeError("not an ISO 8601 time: '" + std::string(s.substr(0, 64)) + "'"); };
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
    if (!Digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
        !Digits(s, 8, 2, d)) {
        return bad();
    }
    size_t pos = 10;
    if (pos < s.size()) {
        if (s[pos] != 'T' && s[pos] != ' ' && s[pos] != 't') return bad();
        if (!Digits(s, pos + 1, 2, h) || s.size() < pos + 6 || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, mi)) {
            return bad();
        }
        pos += 6;
        if (pos < s.size() && s[pos] == ':') {
            if (!Digits(s, pos + 1, 2, sec)) return bad();
            pos += 3;
        }
        if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
            ++pos;
            int scale = 100;
            size_t start = pos;
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                if (scale > 0) ms += (s[pos] - '0') * scale;
                scale /= 10;
                ++pos;
            }
            if (pos == start) return bad();
        }
    }
    int offset_min = 0;
    if (pos < s.size()) {
        char c = s[pos];
        if ((c == 'Z' || c == 'z') && pos + 1 == s.size()) {
            pos += 1;
        } else if (c == '+' || c == '-') {
            int oh = 0, om = 0;
            if (!Digits(s, pos + 1, 2, oh)) return bad();
            size_t p = pos + 3;
            if (p < s.size() && s[p] == ':') ++p;
            if (p < s.size() && !Digits(s, p, 2, om)) return bad();
            if (p < s.size()) p += 2;
            if (p != s.size() || oh > 23 || om > 59) return bad();
            offset_min = (oh * 60 + om) * (c == '+' ? 1 : -1);
            pos = p;
        } else {
            return bad();
        }
    }
    auto t = MakeUtc(y, mo, d, h, mi, sec, ms);
    if (!t) return t.error();
    return *t - minutes{offset_min};
}

}  // namespace fleet::core
