// How a chunk of raw frames is written (store/frame_chunk.hpp; migration 6 in sqlite_store.cpp):
// shared by the ingestion store and bench_raw_insert, so that the plain loop writes exactly the rows
// the server writes. Not part of the store's interface: include only from src/store and bench/.
#pragma once

#include <sqlite3.h>

#include <vector>

#include "store/frame_chunk.hpp"

namespace fleet::store::detail {

inline constexpr const char* kInsertFrameChunk =
    "INSERT INTO frame_chunks (device_id, protocol, first_at, last_at, frames, packing, data) "
    "VALUES (?, ?, ?, ?, ?, 1, ?)";

// Compresses `chunk`, binds it to `insert` (prepared from kInsertFrameChunk), steps and resets it;
// returns what sqlite3_step returned (SQLITE_DONE when the row is written).
inline int InsertFrameChunk(sqlite3_stmt* insert, const FrameChunk& chunk) {
    const std::vector<uint8_t> data = CompressChunk(chunk.packed);
    sqlite3_bind_int64(insert, 1, chunk.device_id);
    sqlite3_bind_text(insert, 2, chunk.protocol.data(), static_cast<int>(chunk.protocol.size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert, 3, chunk.first_at.time_since_epoch().count());
    sqlite3_bind_int64(insert, 4, chunk.last_at.time_since_epoch().count());
    sqlite3_bind_int64(insert, 5, chunk.frames);
    sqlite3_bind_blob(insert, 6, data.data(), static_cast<int>(data.size()), SQLITE_STATIC);
    int rc = sqlite3_step(insert);
    sqlite3_reset(insert);
    return rc;
}

}  // namespace fleet::store::detail
