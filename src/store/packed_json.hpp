// How a position's IO values and attributes (two JSON texts) are stored: packed into one BLOB, LZ4
// with a fixed dictionary of the names and IDs devices report. A stored position is mostly those two
// texts (about 380 of 470 bytes for a Teltonika FMB record), and the bytes of a row are what ingestion
// pays for: each packet's rows rewrite their device's B-tree leaf and the siblings a split rebalances,
// all of it written twice (WAL, then database). Packed, the same rows take about a third of the room.
//
// Format (version 1): byte 0x01, the length of the unpacked text (LEB128), then the LZ4 block of
// `io_json` NUL `attributes_json` (JSON text has no raw NUL), compressed with kDictionaryV1 as LZ4's
// dictionary. The dictionary is part of the format:
// never change it; a new one is a new version byte. Rows stored before (TEXT columns) are read as
// they are.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fleet::store {

// The BLOB for the two texts. Throws nothing; any input packs (unpack gives it back exactly).
std::string PackJson(std::string_view io_json, std::string_view attributes_json);

// The two texts of a BLOB made by PackJson. False (and the outputs unchanged) for anything else:
// an unknown version, damaged or truncated data, a result longer than kMaxUnpackedBytes.
bool UnpackJson(const void* data, size_t size, std::string& io_json, std::string& attributes_json);

// What UnpackJson accepts at most, unpacked: far above a frame's worth of IO values.
inline constexpr size_t kMaxUnpackedBytes = 1 << 20;

}  // namespace fleet::store
