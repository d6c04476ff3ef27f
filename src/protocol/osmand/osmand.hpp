// OsmAnd / Traccar Client protocol over HTTP: query or form parameters (GET, POST) and the JSON body
// of Traccar Client 9+. Pure functions; thread-safe. Facts and sources: protocols.md section 3.
#pragma once

#include <string>
#include <string_view>

#include "core/record.hpp"
#include "core/result.hpp"

namespace fleet::protocol::osmand {

// Decodes one request. `target` is the request target ("/?id=...&lat=..."); `body` is decoded as
// application/x-www-form-urlencoded when the target has no query, or as JSON when `content_type` is
// application/json (or the body starts with '{'). `now` stands in for a missing timestamp.
// Result: one kPosition message with imei = the id; no reply bytes (the gateway answers HTTP 200).
// Errors: no id/deviceid, an id that is not 1-64 printable characters, lat/lon missing or out of range,
// a number that does not parse, bad percent-encoding, bad JSON.
// Unlike traccar, a request without lat/lon (cell/wifi only) is an error: a pure decoder has no last
// known position to fall back on. Limits (each an error beyond): body and target 64 KiB, 256
// parameters, 64 attributes, attribute names and string values 256 bytes; string values must be
// UTF-8 without control characters. Attributes: accuracy_m, battery_pct, charging, driver_id,
// odometer_m, cell and wifi (repeats joined with ';'); from JSON also motion, mock, event, activity;
// any other parameter and every JSON extra under its own name.
Result<core::Decoded> DecodeRequest(std::string_view method, std::string_view target,
                                    std::string_view content_type, std::string_view body,
                                    core::TimePoint now);

// For `fleetd decode`: one line that is a request line ("GET /?id=... HTTP/1.1"), a target
// ("/?id=..."), a bare query string ("id=...&lat=..."), or a JSON body ("{...}").
Result<core::Decoded> DecodeLine(std::string_view line, core::TimePoint now);

// The query string a Traccar Client would send for `record` (speed in knots, timestamp in seconds).
std::string EncodeQuery(std::string_view id, const core::Record& record);

}  // namespace fleet::protocol::osmand
