// libFuzzer target for the OsmAnd decoder: every input goes through DecodeLine, and through
// DecodeRequest both as a whole body and split into target and body, under each content type. Each
// decoded message is serialised, re-encoded with EncodeQuery and decoded again (which may fail, e.g.
// for a JSON extra named "cell" that is no cell list); none of it may crash, leak or read past the
// input. Seeds: the request column of tests/data/osmand/requests.txt.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json.hpp"
#include "protocol/osmand/osmand.hpp"

namespace {

using fleet::protocol::osmand::DecodeLine;
using fleet::protocol::osmand::DecodeRequest;
using fleet::protocol::osmand::EncodeQuery;

constexpr std::string_view kMethods[] = {"GET", "POST", "PUT"};
constexpr std::string_view kTypes[] = {"", "application/json", "application/x-www-form-urlencoded",
                                       "Application/JSON; charset=utf-8"};

void Check(const fleet::Result<fleet::core::Decoded>& r) {
    if (!r) return;
    for (const auto& m : r->messages) {
        (void)fleet::core::MessageToJson(m);
        (void)DecodeLine(EncodeQuery(m.imei, m.record), {});
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Not NUL-terminated on purpose: a read past the end is an ASan report.
    std::string_view in(reinterpret_cast<const char*>(data), size);
    const fleet::core::TimePoint now{};
    Check(DecodeLine(in, now));
    uint8_t selector = size > 0 ? data[0] : 0;
    std::string_view type = kTypes[selector % 4];
    Check(DecodeRequest("POST", "/", type, in, now));
    // First byte picks method and content type; then target, a newline, and the body.
    std::string_view rest = in.substr(size > 0 ? 1 : 0);
    size_t newline = rest.find('\n');
    std::string_view target = rest.substr(0, newline);
    std::string_view body =
        newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    Check(DecodeRequest(kMethods[(selector / 4) % 3], target, type, body, now));
    return 0;
}
