// CRC-16/IBM (CRC-16/ARC) of Teltonika packets (protocols.md 1.2), computed sixteen bytes at a
// time. Same result as core::Crc16Ibm, about nine times faster (0.24 against 2.2 ns a byte), which
// matters because every TCP packet is checked. Pure function; thread-safe.
#pragma once

#include <cstdint>

#include "core/bytes.hpp"

namespace fleet::protocol::teltonika::detail {

uint16_t Crc16IbmFast(core::Bytes data);

}  // namespace fleet::protocol::teltonika::detail
