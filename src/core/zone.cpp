#include "core/zone.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace fleet::core {
namespace {

using namespace std::chrono;

// Big-endian integers of a TZif file (RFC 8536, section 3: "all multi-octet integer values are
// stored in network octet order").
class Reader {
public:
    explicit Reader(std::string_view data) : data_(data) {}
    bool Has(size_t n) const { return data_.size() - pos_ >= n; }
    int64_t Int(size_t bytes) {
        uint64_t v = 0;
        for (size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
        pos_ += bytes;
        if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
        return static_cast<int64_t>(v);
    }
    uint8_t Byte() { return static_cast<uint8_t>(data_[pos_++]); }
    std::string_view Take(size_t n) {
        auto out = data_.substr(pos_, n);
        pos_ += n;
        return out;
    }
    void Skip(size_t n) { pos_ += n; }

private:
    std::string_view data_;
    size_t pos_ = 0;
};

struct Counts {
    int64_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
    // The size of the data block that follows the header, with `time_bytes`-octet times.
    size_t Block(size_t time_bytes) const {
        return static_cast<size_t>(time * static_cast<int64_t>(time_bytes) + time + type * 6 + chars +
                                   leap * static_cast<int64_t>(time_bytes + 4) + isstd + isut);
    }
};

// The 44-octet header (section 3.1): magic, version, 15 unused octets, six counts.
Result<Counts> Header(Reader& r, char* version) {
    if (!r.Has(44) || r.Take(4) != "TZif") return MakeError("not a TZif file");
    *version = static_cast<char>(r.Byte());
    r.Skip(15);
    Counts c;
    c.isut = r.Int(4);
    c.isstd = r.Int(4);
    c.leap = r.Int(4);
    c.time = r.Int(4);
    c.type = r.Int(4);
    c.chars = r.Int(4);
    if (c.isut < 0 || c.isstd < 0 || c.leap < 0 || c.time < 0 || c.type < 1 || c.type > 256 || c.chars < 0 ||
        c.time > 100000 || c.chars > 10000 || c.leap > 10000 || c.isut > 256 || c.isstd > 256) {
        return MakeError("TZif counts out of range");
    }
    return c;
}

}  // namespace

Result<Zone> Zone::Parse(std::string_view name, std::string_view tzif) {
    Reader r(tzif);
    char version = 0;
    auto counts = Header(r, &version);
    if (!counts) return counts.error();
    size_t time_bytes = 4;
    if (version >= '2') {
        // Version 2+ repeats the data with 64-bit times after the version-1 block (section 3.2).
        if (!r.Has(counts->Block(4))) return MakeError("TZif file truncated");
        r.Skip(counts->Block(4));
        counts = Header(r, &version);
        if (!counts) return counts.error();
        time_bytes = 8;
    }
    const Counts& c = *counts;
    if (!r.Has(c.Block(time_bytes))) return MakeError("TZif file truncated");
    Zone z;
    z.name_ = std::string(name);
    z.transitions_.reserve(static_cast<size_t>(c.time));
    for (int64_t i = 0; i < c.time; ++i) z.transitions_.push_back(r.Int(time_bytes));
    for (int64_t i = 0; i < c.time; ++i) {
        uint8_t t = r.Byte();
        if (t >= c.type) return MakeError("TZif transition names no type");
        z.type_of_.push_back(t);
    }
    std::vector<std::pair<int32_t, std::pair<bool, uint8_t>>> raw;
    for (int64_t i = 0; i < c.type; ++i) {
        int32_t offset = static_cast<int32_t>(r.Int(4));
        bool dst = r.Byte() != 0;
        uint8_t index = r.Byte();
        raw.push_back({offset, {dst, index}});
    }
    std::string_view chars = r.Take(static_cast<size_t>(c.chars));
    for (const auto& [offset, rest] : raw) {
        Type t;
        t.offset_s = offset;
        t.dst = rest.first;
        if (rest.second < chars.size()) {
            std::string_view a = chars.substr(rest.second);
            t.abbreviation = std::string(a.substr(0, a.find('\0')));
        }
        z.types_.push_back(std::move(t));
    }
    if (!std::is_sorted(z.transitions_.begin(), z.transitions_.end())) return MakeError("TZif transitions unsorted");
    // "Local time for timestamps before the first transition is specified by the first time
    // type (time type 0)" (section 3.2).
    z.initial_ = 0;
    return z;
}

Result<std::shared_ptr<const Zone>> Zone::Load(std::string_view name, std::string_view zoneinfo_dir) {
    static std::mutex mu;
    static std::map<std::string, std::shared_ptr<const Zone>> cache;
    std::string path = std::string(zoneinfo_dir) + "/" + std::string(name);
    std::lock_guard lock(mu);
    if (auto it = cache.find(path); it != cache.end()) return it->second;
    if (name.empty() || name.find("..") != std::string_view::npos || name.front() == '/') {
        return MakeError(fmt::format("'{}' is not a time-zone name", name));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return MakeError(fmt::format("no time zone '{}'", name));
    std::ostringstream bytes;
    bytes << in.rdbuf();
    std::string data = bytes.str();
    if (data.size() > 1 << 20) return MakeError(fmt::format("time zone '{}': file too large", name));
    auto zone = Parse(name, data);
    if (!zone) return MakeError(fmt::format("time zone '{}': {}", name, zone.error().message));
    auto shared = std::make_shared<const Zone>(std::move(*zone));
    if (cache.size() < 1000) cache.emplace(path, shared);  // zone names are few; a bound all the same
    return shared;
}

const Zone::Type& Zone::TypeAt(TimePoint t) const {
    int64_t secs = floor<seconds>(t.time_since_epoch()).count();
    auto it = std::upper_bound(transitions_.begin(), transitions_.end(), secs);
    if (it == transitions_.begin()) return types_[initial_];
    return types_[type_of_[static_cast<size_t>(it - transitions_.begin() - 1)]];
}

seconds Zone::OffsetAt(TimePoint t) const { return seconds(TypeAt(t).offset_s); }

std::string Zone::AbbreviationAt(TimePoint t) const { return TypeAt(t).abbreviation; }

int Zone::MinuteOfDay(TimePoint t) const {
    auto local = floor<minutes>(t.time_since_epoch() + OffsetAt(t)).count();
    return static_cast<int>(((local % 1440) + 1440) % 1440);
}

std::string Zone::Format(TimePoint t) const {
    const Type& type = TypeAt(t);
    auto local = sys_seconds(floor<seconds>(t.time_since_epoch()) + seconds(type.offset_s));
    auto day = floor<days>(local);
    year_month_day ymd{day};
    hh_mm_ss<seconds> hms{local - day};
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} {}", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                       hms.minutes().count(), hms.seconds().count(), type.abbreviation);
}

}  // namespace fleet::core
