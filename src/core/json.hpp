// A small, fast JSON writer appending to a std::string, and the JSON form of decoded messages
// (the line format of `fleetd decode` and of stored IO values and attributes). Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/record.hpp"

namespace fleet::core {

// Appends `s` as a JSON string literal (quoted, escaped; invalid UTF-8 bytes become U+FFFD).
void AppendJsonString(std::string& out, std::string_view s);
// Appends a JSON number; NaN and infinities become null.
void AppendJsonNumber(std::string& out, double v);
void AppendJsonValue(std::string& out, const AttrValue& v);

// {"239":1,"78":"0102..."}: fixed-size values as numbers, variable-length values as hex strings.
std::string IoToJson(const std::vector<IoElement>& io);
// {"ignition":true,"odometer_m":12345}
std::string AttributesToJson(const Attributes& attrs);

// One line of `fleetd decode` output for a message (no trailing newline).
std::string MessageToJson(const Message& m);
// {"type":"reply","hex":"00000002"}
std::string ReplyToJson(const std::vector<uint8_t>& reply);

}  // namespace fleet::core
