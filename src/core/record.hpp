// The domain types every protocol decodes into and the store persists: Record (one position fix with
// its IO values and named attributes) and Message (one decoded device message). Plain values, no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace fleet::core {

using Millis = std::chrono::milliseconds;
using TimePoint = std::chrono::sys_time<Millis>;

// One raw IO element as the device sent it. Fixed-size values (1, 2, 4 or 8 bytes) are kept as the
// unsigned big-endian number (`size` says how many bytes); variable-length values keep their bytes.
struct IoElement {
    uint16_t id = 0;
    uint8_t size = 0;       // 1, 2, 4, 8 for fixed-size values; 0 for variable-length bytes
    uint64_t value = 0;     // fixed-size value, unsigned as on the wire
    std::string bytes;      // variable-length value (Codec 8 Extended NX elements)
};

// A named attribute: a well-known value with its unit in the name (odometer_m, external_voltage_v).
using AttrValue = std::variant<bool, int64_t, double, std::string>;
struct Attribute {
    std::string name;
    AttrValue value;
};
using Attributes = std::vector<Attribute>;

// Sets `name` to `value`, replacing an existing attribute of that name.
void SetAttribute(Attributes& attrs, std::string name, AttrValue value);
// The attribute named `name`, or nullptr.
const AttrValue* FindAttribute(const Attributes& attrs, std::string_view name);

struct Record {
    TimePoint device_time{};   // when the device took the fix (UTC)
    TimePoint server_time{};   // when fleetd received it (set by the gateway; zero from pure decoders)
    double lat = 0;            // degrees, WGS84, north positive
    double lon = 0;            // degrees, east positive
    double altitude_m = 0;
    double speed_kmh = 0;
    double course_deg = 0;     // 0 = north, clockwise
    int satellites = 0;
    std::optional<double> hdop;
    bool valid = false;        // the device says the fix is valid
    std::vector<IoElement> io; // every IO value as received (empty for protocols without IO ids)
    Attributes attributes;     // named, unit-bearing values (ignition, odometer_m, alarm, ...)
};

enum class MessageType { kLogin, kPosition, kAlarm, kHeartbeat, kCommandResponse };

// One decoded message. `imei` is set when the frame itself carries the identity (Teltonika handshake
// and UDP, GT06 login, OsmAnd id); otherwise the session that knows the device fills it in.
struct Message {
    MessageType type = MessageType::kPosition;
    std::string imei;
    Record record;             // kPosition and kAlarm
    std::string alarm;         // kAlarm: the alarm name (sos, power_cut, ...)
    std::string text;          // kCommandResponse: the device's answer
    Attributes attributes;     // kHeartbeat / kLogin: status values (battery, gsm_signal, ...)
};

// What decoding one frame produced: its messages and the bytes the server answers (may be empty).
struct Decoded {
    std::vector<Message> messages;
    std::vector<uint8_t> reply;
};

// Result of looking for one frame at the start of a stream buffer.
struct FrameScan {
    enum class Status { kFrame, kNeedMore, kError };
    Status status = Status::kNeedMore;
    size_t length = 0;      // kFrame: bytes of the frame (from the buffer start, including any skipped prefix)
    size_t skip = 0;        // kFrame: bytes to ignore at the start of the frame (e.g. Teltonika's stray 0xFF)
    std::string error;      // kError: why the bytes cannot be a frame

    static FrameScan Frame(size_t length, size_t skip = 0) { return {Status::kFrame, length, skip, {}}; }
    static FrameScan NeedMore() { return {}; }
    static FrameScan Fail(std::string why) { return {Status::kError, 0, 0, std::move(why)}; }
};

}  // namespace fleet::core
