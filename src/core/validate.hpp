// Validation of the identifiers and values the fleet is described with: VINs, IMEIs and other
// device ids, calendar dates and single-line text. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace fleet::core {

// A VIN (ISO 3779): 17 characters of A-Z and 0-9 without I, O and Q, which read like 1 and 0.
// Returns it upper-cased (lower-case letters are accepted). The check digit in position 9 is NOT
// verified: only North-American (and Chinese) VINs have one; a European VIN's position 9 is any
// allowed character, so checking it would refuse valid European vehicles.
Result<std::string> NormaliseVin(std::string_view vin);

// An IMEI (3GPP TS 23.003 §6.2.1): 15 digits whose last one is the Luhn check digit of the first 14.
bool ValidImei(std::string_view imei);

// The identifier a device of `protocol` reports itself with: for "teltonika" and "gt06" an IMEI
// (ValidImei); for "osmand" 1 to 64 of [A-Za-z0-9._:-] (phones and apps choose their own ids, so
// there is no check digit). Error (saying why) for anything else, or an unknown protocol.
Result<void> ValidateDeviceId(std::string_view protocol, std::string_view id);

// True for a known device protocol: "teltonika", "gt06", "osmand".
bool KnownProtocol(std::string_view protocol);

// A calendar date written YYYY-MM-DD that exists (2024-02-29 yes, 2023-02-29 no), year 0001-9999.
bool ValidDate(std::string_view date);

// Text meant for one line (names, plates, badge ids): no ASCII control characters (tab, new line,
// NUL, DEL...), which would break logs, CSV exports and people's screens. Any other UTF-8 is kept.
bool SingleLineText(std::string_view text);

}  // namespace fleet::core
