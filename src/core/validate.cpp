#include "core/validate.hpp"

#include <chrono>

namespace fleet::core {

namespace {

bool AllDigits(std::string_view s) { return s.find_first_not_of("0123456789") == std::string_view::npos; }

}  // namespace

Result<std::string> NormaliseVin(std::string_view vin) {
    std::string out(vin);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    if (out.size() != 17) return MakeError("a VIN is 17 characters");
    for (char c : out) {
        bool digit = c >= '0' && c <= '9';
        bool letter = c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'Q';
        if (!digit && !letter) return MakeError("a VIN has only digits and the letters A-Z except I, O and Q");
    }
    return out;
}

bool ValidImei(std::string_view imei) {
    if (imei.size() != 15 || !AllDigits(imei)) return false;
    // Luhn: from the check digit leftwards, every second digit is doubled (and 9 taken off when
    // that makes two digits); the sum of all is a multiple of 10.
    int sum = 0;
    for (size_t k = 0; k < imei.size(); ++k) {
        int digit = imei[imei.size() - 1 - k] - '0';
        if (k % 2 == 1) {
            digit *= 2;
            if (digit > 9) digit -= 9;
        }
        sum += digit;
    }
    return sum % 10 == 0;
}

bool KnownProtocol(std::string_view protocol) {
    return protocol == "teltonika" || protocol == "gt06" || protocol == "osmand";
}

Result<void> ValidateDeviceId(std::string_view protocol, std::string_view id) {
    if (protocol == "teltonika" || protocol == "gt06") {
        if (id.size() != 15 || !AllDigits(id)) return MakeError("an IMEI is 15 digits");
        if (!ValidImei(id)) return MakeError("the IMEI's check digit (Luhn) is wrong: check for a typing error");
        return {};
    }
    if (protocol == "osmand") {
        if (id.empty() || id.size() > 64 ||
            id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") !=
                std::string_view::npos) {
            return MakeError("an OsmAnd device id is 1 to 64 letters, digits or ._:- characters");
        }
        return {};
    }
    return MakeError("the protocol is teltonika, gt06 or osmand");
}

bool ValidDate(std::string_view date) {
    if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
    std::string_view y = date.substr(0, 4), m = date.substr(5, 2), d = date.substr(8, 2);
    if (!AllDigits(y) || !AllDigits(m) || !AllDigits(d)) return false;
    auto number = [](std::string_view s) {
        int v = 0;
        for (char c : s) v = v * 10 + (c - '0');
        return v;
    };
    if (number(y) == 0) return false;
    std::chrono::year_month_day ymd{std::chrono::year{number(y)}, std::chrono::month{static_cast<unsigned>(number(m))},
                                    std::chrono::day{static_cast<unsigned>(number(d))}};
    return ymd.ok();
}

bool SingleLineText(std::string_view text) {
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) return false;
    }
    return true;
}

}  // namespace fleet::core
