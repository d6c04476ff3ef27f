// Concox GT06 family protocol: 0x7878 / 0x7979 framing with CRC-ITU, login, GPS/LBS (0x12, 0x22),
// status/heartbeat (0x13), alarm (0x16, 0x26), command replies (0x15, 0x21). Pure functions; thread-safe.
// Facts and sources: ../shared/reference/protocols.md section 2.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/record.hpp"
#include "core/result.hpp"

namespace fleet::protocol::gt06 {

// Looks for one frame at the start of `buf`: 7878 + 1-byte length or 7979 + 2-byte length, then the
// body, CRC and 0D0A. kNeedMore while incomplete; kError when the start bytes are wrong, the stop bytes
// are missing or the length exceeds `max_frame`.
core::FrameScan Scan(core::Bytes buf, size_t max_frame);

// Decodes one whole frame found by Scan. CRC-ITU is verified (a bad CRC is an error).
// Login → kLogin (imei from the BCD terminal id); 0x12/0x22 → kPosition; 0x13 → kHeartbeat with
// attributes; 0x16/0x26 → kAlarm with alarm name and position; 0x15/0x21 → kCommandResponse.
// `reply` is what the device expects (login, heartbeat, alarm, location acks).
// Unknown protocol numbers with a valid CRC decode to no message (and no reply), not an error.
Result<core::Decoded> Decode(core::Bytes frame);

// Encoders for the simulator and tests (serial = information serial number).
std::vector<uint8_t> EncodeLogin(std::string_view imei, uint16_t serial);
std::vector<uint8_t> EncodeLocation(const core::Record& record, uint16_t serial, uint8_t protocol = 0x12);
std::vector<uint8_t> EncodeHeartbeat(uint8_t terminal_info, uint8_t voltage_level, uint8_t gsm_level,
                                     uint16_t serial);
std::vector<uint8_t> EncodeAlarm(const core::Record& record, uint8_t alarm_code, uint16_t serial,
                                 uint8_t protocol = 0x16);
// Online command 0x80 (server → device), e.g. "Relay,1#".
std::vector<uint8_t> EncodeCommand(std::string_view text, uint32_t server_flag, uint16_t serial);

}  // namespace fleet::protocol::gt06
