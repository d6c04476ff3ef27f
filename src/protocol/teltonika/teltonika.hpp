// Teltonika FMxxxx protocol: IMEI handshake, AVL data packets (Codec 8, 8 Extended, 16) over TCP and
// UDP, and the GPRS command codecs (12, 13, 14, 15). Pure functions: no I/O, no clock; thread-safe.
// Facts and sources: ../shared/reference/protocols.md section 1 (Teltonika wiki "Data Sending Protocols").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/record.hpp"
#include "core/result.hpp"

namespace fleet::protocol::teltonika {

enum class Codec : uint8_t { k8 = 0x08, k8Extended = 0x8E, k16 = 0x10, k12 = 0x0C };

// Looks for one TCP frame at the start of `buf`: either the IMEI handshake (2-byte big-endian length,
// then that many ASCII digits; a stray leading 0xFF is skipped) or a packet (4 zero bytes, 4-byte data
// length, data, 4-byte CRC). kNeedMore while the frame is incomplete; kError when the bytes cannot start
// a frame or the declared length exceeds `max_frame`.
core::FrameScan ScanTcp(core::Bytes buf, size_t max_frame);

// Decodes one TCP frame found by ScanTcp (pass the frame without its skipped prefix).
// - IMEI handshake → one kLogin message with imei; reply {0x01} (the gateway answers 0x00 instead for an
//   unknown or disabled device).
// - AVL packet (Codec 8, 8E, 16) → one kPosition message per record, in packet order; reply = the record
//   count as a 4-byte big-endian integer.
// - Codec 12 response (type 0x06), Codec 13, Codec 15 → one kCommandResponse with the text; no reply.
// Errors: bad CRC, record counts that differ, truncated or trailing bytes, unknown codec, IMEI not digits.
Result<core::Decoded> DecodeTcp(core::Bytes frame);

// Decodes one UDP datagram (length, packet id, unused byte, AVL packet id, IMEI, codec, records).
// Every message has imei set. Reply = 0005 + packet id + 01 + AVL packet id + accepted record count.
Result<core::Decoded> DecodeUdp(core::Bytes datagram);

// Encoders, used by the simulator, the benchmarks and the tests. Records are encoded from their
// fields and `io`; the attributes "priority" and "event_io_id" (int64) are used when present (and
// "generation_type" for Codec 16; default 5 On change for an event record, else 7 Periodical).
// IO elements are grouped by size in their `io` order; what the codec cannot carry is left out
// (NX elements outside Codec 8 Extended, IDs above 255 in Codec 8, more than 255 elements per
// group where the count is one byte). At most 255 records are encoded (Number of Data is one
// byte). A codec that carries no records (k12) gives an empty vector.
std::vector<uint8_t> EncodeImei(std::string_view imei);
std::vector<uint8_t> EncodeAvlTcp(Codec codec, std::span<const core::Record> records);
std::vector<uint8_t> EncodeAvlUdp(Codec codec, std::string_view imei, uint16_t packet_id,
                                  uint8_t avl_packet_id, std::span<const core::Record> records);
// Codec 12 command (type 0x05) carrying `text` as ASCII.
std::vector<uint8_t> EncodeCommand(std::string_view text);

// The device side of Codec 12, for the simulator and the tests: the answer a device sends (type
// 0x06, which DecodeTcp turns into a kCommandResponse), and the text of a command the server sent
// (one whole frame as EncodeCommand builds it; errors on a bad CRC, another codec or type, or bad
// lengths).
std::vector<uint8_t> EncodeCommandResponse(std::string_view text);
Result<std::string> DecodeCommand(core::Bytes frame);

}  // namespace fleet::protocol::teltonika
