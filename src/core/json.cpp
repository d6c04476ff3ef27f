#include "core/json.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <cmath>

#include "core/bytes.hpp"
#include "core/time.hpp"

namespace fleet::core {

void AppendJsonString(std::string& out, std::string_view s) {
    out.push_back('"');
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
            ++i;
        } else if (c < 0x20 || c == 0x7F) {
            switch (c) {
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                default: fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
            }
            ++i;
        } else if (c < 0x80) {
            // A run of printable ASCII needing no escape goes in at once (names and most values
            // are nothing else: one append instead of a push_back a byte).
            size_t end = i + 1;
            while (end < s.size()) {
                unsigned char d = static_cast<unsigned char>(s[end]);
                if (d < 0x20 || d >= 0x7F || d == '"' || d == '\\') break;
                ++end;
            }
            out.append(s.data() + i, end - i);
            i = end;
        } else {
            // Validate one UTF-8 sequence; copy it if valid, else emit U+FFFD for the lead byte.
            size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
            bool valid = n != 0 && i + n <= s.size();
            for (size_t k = 1; valid && k < n; ++k) {
                valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
            }
            if (valid) {
                out.append(s.substr(i, n));
                i += n;
            } else {
                out += "\\ufffd";
                ++i;
            }
        }
    }
    out.push_back('"');
}

void AppendJsonNumber(std::string& out, double v) {
    if (!std::isfinite(v)) {
        out += "null";
        return;
    }
    // What "{}" writes, without parsing a format string at run time (the ingestion path writes a
    // few of these a record): fmt::format_int for integers, the compiled "{}" for the rest.
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
        fmt::format_int digits(static_cast<int64_t>(v));
        out.append(digits.data(), digits.size());
    } else {
        char buf[64];
        char* end = fmt::format_to(buf, FMT_COMPILE("{}"), v);
        out.append(buf, static_cast<size_t>(end - buf));
    }
}

void AppendJsonValue(std::string& out, const AttrValue& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, bool>) {
                out += x ? "true" : "false";
            } else if constexpr (std::is_same_v<T, int64_t>) {
                fmt::format_to(std::back_inserter(out), "{}", x);
            } else if constexpr (std::is_same_v<T, double>) {
                AppendJsonNumber(out, x);
            } else {
                AppendJsonString(out, x);
            }
        },
        v);
}

std::string IoToJson(const std::vector<IoElement>& io) {
    std::string out = "{";
    for (const auto& e : io) {
        if (out.size() > 1) out.push_back(',');
        fmt::format_to(std::back_inserter(out), "\"{}\":", e.id);
        if (e.size == 0) {
            AppendJsonString(out, ToHex(Bytes(reinterpret_cast<const uint8_t*>(e.bytes.data()), e.bytes.size())));
        } else {
            fmt::format_to(std::back_inserter(out), "{}", e.value);
        }
    }
    out.push_back('}');
    return out;
}

std::string AttributesToJson(const Attributes& attrs) {
    std::string out = "{";
    for (const auto& a : attrs) {
        if (out.size() > 1) out.push_back(',');
        AppendJsonString(out, a.name);
        out.push_back(':');
        AppendJsonValue(out, a.value);
    }
    out.push_back('}');
    return out;
}

namespace {

void AppendRecordFields(std::string& out, const Record& r) {
    out += ",\"time\":";
    AppendJsonString(out, FormatIso(r.device_time));
    if (r.server_time != TimePoint{}) {
        out += ",\"server_time\":";
        AppendJsonString(out, FormatIso(r.server_time));
    }
    out += ",\"lat\":";
    AppendJsonNumber(out, r.lat);
    out += ",\"lon\":";
    AppendJsonNumber(out, r.lon);
    out += ",\"altitude\":";
    AppendJsonNumber(out, r.altitude_m);
    out += ",\"speed_kmh\":";
    AppendJsonNumber(out, r.speed_kmh);
    out += ",\"course\":";
    AppendJsonNumber(out, r.course_deg);
    fmt::format_to(std::back_inserter(out), ",\"satellites\":{}", r.satellites);
    if (r.hdop) {
        out += ",\"hdop\":";
        AppendJsonNumber(out, *r.hdop);
    }
    out += r.valid ? ",\"valid\":true" : ",\"valid\":false";
    out += ",\"io\":";
    out += IoToJson(r.io);
    out += ",\"attributes\":";
    out += AttributesToJson(r.attributes);
}

}  // namespace

std::string MessageToJson(const Message& m) {
    std::string out;
    out.reserve(256);
    auto type_and_imei = [&](const char* type) {
        out += "{\"type\":\"";
        out += type;
        out += '"';
        if (!m.imei.empty()) {
            out += ",\"imei\":";
            AppendJsonString(out, m.imei);
        }
    };
    switch (m.type) {
        case MessageType::kLogin:
            type_and_imei("login");
            if (!m.attributes.empty()) {
                out += ",\"attributes\":";
                out += AttributesToJson(m.attributes);
            }
            break;
        case MessageType::kPosition:
            type_and_imei("position");
            AppendRecordFields(out, m.record);
            break;
        case MessageType::kAlarm:
            type_and_imei("alarm");
            out += ",\"alarm\":";
            AppendJsonString(out, m.alarm);
            AppendRecordFields(out, m.record);
            break;
        case MessageType::kHeartbeat:
            type_and_imei("heartbeat");
            if (!m.attributes.empty()) {
                out += ",\"attributes\":";
                out += AttributesToJson(m.attributes);
            }
            break;
        case MessageType::kCommandResponse:
            type_and_imei("command_response");
            out += ",\"text\":";
            AppendJsonString(out, m.text);
            break;
    }
    out.push_back('}');
    return out;
}

std::string ReplyToJson(const std::vector<uint8_t>& reply) {
    return "{\"type\":\"reply\",\"hex\":\"" + ToHex(reply) + "\"}";
}

}  // namespace fleet::core
