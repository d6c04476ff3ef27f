#include "store/packed_json.hpp"

#define LZ4_STATIC_LINKING_ONLY  // LZ4_attach_dictionary: liblz4 is linked statically (CMakeLists.txt)
#include <lz4.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace fleet::store {
namespace {

constexpr uint8_t kVersion1 = 0x01;

// Version 1's dictionary: what positions' JSON is made of, so that even a single record finds
// matches. Attribute names from the decoders (Teltonika's IO names, GT06's, OsmAnd's), then the IO
// IDs of Teltonika's FMB range in the order the devices usually send them, with typical values. LZ4
// prefers the newest match, so the commonest material is last. Part of the stored format: never edit.
constexpr std::string_view kDictionaryV1 =
    R"({"battery_level":0,"battery_pct":0,"charging":false,"alarm_code":0,"upload_mode":0,"reupload":false,)"
    R"("device_type":"","timezone_offset_min":0,"cell_id":0,"lac":0,"mcc":0,"mnc":0,"armed":false,)"
    R"("oil_cut":false,"gps_tracking":false,"iccid":"","server_flag":0,"generation_type":0,)"
    R"("axis_x_mg":0,"axis_y_mg":0,"axis_z_mg":0,"engine_rpm":0,"fuel_used_l":0,"fuel_level_l":0,)"
    R"("crash":true,"tow":true,"power_cut":true,"gsm_jamming":true,"overspeed":true,"harsh_acceleration":true,)"
    R"("harsh_braking":true,"harsh_cornering":true,"alarm":"","dtc_codes":"","driver_id":"",)"
    R"("battery_current_a":0.0,"sleep_mode":0,"fuel_level_pct":0,"odometer_m":0,"trip_odometer_m":0})"
    R"({"1":0,"9":0,"12":0,"13":0,"179":0,"205":0,"206":0,"241":0,"68":0,"80":1,"200":0,"113":0,"17":0,"18":0,"19":0,)"
    R"("239":0,"240":0,"21":5,"69":1,"30":0,"89":0,"66":12000,"67":4000,"24":0,"181":10,"182":10,"16":0,"199":0,"78":0})"
    R"({"priority":0,"event_io_id":0,"ignition":false,"motion":false,"gsm_signal":5,"gnss_status":1,)"
    R"("dtc_count":0,"fuel_level_pct":0,"external_voltage_v":12.000,"battery_v":4.000,"pdop":1.0,"hdop":1.0,)"
    R"("odometer_m":0,"trip_odometer_m":0})";

}  // namespace

std::string PackJson(std::string_view io_json, std::string_view attributes_json) {
    // The text to compress and LZ4's output go through buffers the thread keeps (as large as the
    // largest record it packed, which a frame's limit bounds): the packed row is then allocated once,
    // at its size (not at LZ4's bound, zero-filled, then cut).
    thread_local std::string plain;
    thread_local std::string scratch;
    plain.clear();
    plain.append(io_json).push_back('\0');
    plain.append(attributes_json);
    // One stream per thread, reset for each text and given the dictionary's state, loaded once per
    // thread: blocks are independent (each row unpacks alone), the thread's state is reused, not
    // allocated, and the dictionary is neither hashed nor copied for each text (attaching it is what
    // liblz4's own frame API does). Copying the 16 KiB loaded state for each record, as before, was
    // about 1.8% of the network threads' samples under load (perf: memmove fell from 3.6% to 1.8%);
    // compressing with an attached dictionary costs about 1% more (LZ4 rose from 5.3% to 6.3%); the
    // packed rows are the same size (124.2 bytes on average).
    thread_local const LZ4_stream_t loaded = [] {
        LZ4_stream_t s;
        LZ4_initStream(&s, sizeof s);
        LZ4_loadDict(&s, kDictionaryV1.data(), static_cast<int>(kDictionaryV1.size()));
        return s;
    }();
    thread_local LZ4_stream_t stream = [] {
        LZ4_stream_t s;
        LZ4_initStream(&s, sizeof s);
        return s;
    }();
    LZ4_resetStream_fast(&stream);
    LZ4_attach_dictionary(&stream, &loaded);
    char head[16];  // the version and a LEB128 length (at most 10 bytes)
    size_t head_size = 0;
    head[head_size++] = static_cast<char>(kVersion1);
    for (size_t v = plain.size();; v >>= 7) {
        head[head_size++] = static_cast<char>((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        if (v <= 0x7f) break;
    }
    const auto bound = static_cast<size_t>(LZ4_compressBound(static_cast<int>(plain.size())));
    if (scratch.size() < bound) scratch.resize(bound);
    int n = LZ4_compress_fast_continue(&stream, plain.data(), scratch.data(), static_cast<int>(plain.size()),
                                       static_cast<int>(bound), 1);
    const auto packed = static_cast<size_t>(n > 0 ? n : 0);
    std::string out;
    out.reserve(head_size + packed);
    out.append(head, head_size).append(scratch.data(), packed);
    return out;
}

bool UnpackJson(const void* data, size_t size, std::string& io_json, std::string& attributes_json) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    if (size < 2 || bytes[0] != kVersion1 || size > kMaxUnpackedBytes) return false;
    size_t at = 1, length = 0;
    for (int shift = 0;; shift += 7) {
        if (at >= size || shift > 21) return false;  // truncated, or longer than accepted
        length |= static_cast<size_t>(bytes[at] & 0x7f) << shift;
        if ((bytes[at++] & 0x80) == 0) break;
    }
    if (length > kMaxUnpackedBytes) return false;
    std::string plain(length, '\0');
    int n = LZ4_decompress_safe_usingDict(reinterpret_cast<const char*>(bytes + at), plain.data(),
                                          static_cast<int>(size - at), static_cast<int>(length),
                                          kDictionaryV1.data(), static_cast<int>(kDictionaryV1.size()));
    if (n < 0 || static_cast<size_t>(n) != length) return false;  // damaged, or not the stated length
    size_t nul = plain.find('\0');
    if (nul == std::string::npos) return false;
    io_json.assign(plain, 0, nul);
    attributes_json.assign(plain, nul + 1);
    return true;
}

}  // namespace fleet::store
