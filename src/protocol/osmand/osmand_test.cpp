#include "protocol/osmand/osmand.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <variant>

#include "core/json.hpp"
#include "core/time.hpp"

namespace fleet::protocol::osmand {
namespace {

using core::Decoded;
using core::Message;
using core::Record;
using core::TimePoint;

// Request sources named below:
//   [traccar-test] traccar/traccar
//   src/test/java/org/traccar/protocol/OsmAndProtocolDecoderTest.java [traccar-doc]
//   https://www.traccar.org/osmand/ (query examples 1-3 and the JSON format)

TimePoint Iso(std::string_view s) {
    return core::ParseIso(s).value();
}

const TimePoint kNow = Iso("2024-01-02T03:04:05Z");

// The one message of a decode that must succeed (fails the test with the error otherwise).
Message Decode(std::string_view line) {
    auto r = DecodeLine(line, kNow);
    if (!r) {
        ADD_FAILURE() << "decode failed: " << r.error().message << "\n  line: " << line;
        return {};
    }
    EXPECT_EQ(r->messages.size(), 1u);
    EXPECT_TRUE(r->reply.empty());
    return r->messages.empty() ? Message{} : r->messages.front();
}

std::string ErrorOf(const Result<Decoded>& r) {
    return r ? std::string("(no error)") : r.error().message;
}
std::string DecodeError(std::string_view line) {
    return ErrorOf(DecodeLine(line, kNow));
}

template <typename T>
T Attr(const Record& r, std::string_view name) {
    const core::AttrValue* v = core::FindAttribute(r.attributes, name);
    if (v == nullptr) {
        ADD_FAILURE() << "no attribute " << name << " in " << core::AttributesToJson(r.attributes);
        return T{};
    }
    if (!std::holds_alternative<T>(*v)) {
        ADD_FAILURE() << "attribute " << name << " has another type in "
                      << core::AttributesToJson(r.attributes);
        return T{};
    }
    return std::get<T>(*v);
}

bool HasAttr(const Record& r, std::string_view name) {
    return core::FindAttribute(r.attributes, name) != nullptr;
}

// --- Query format, protocols.md 3.1 -------------------------------------------------------------

TEST(OsmAndTest, DecodesPercentEncodedIsoTimestamp) {
    // [traccar-test] testDecodeQuery, third request.
    Message m = Decode(
        "/?id=902064&lat=42.06288&lon=-88.23412&timestamp=2016-01-27T18%3A55%3A47Z&hdop=6.0&"
        "altitude=224.0"
        "&speed=0.0");
    EXPECT_EQ(m.type, core::MessageType::kPosition);
    EXPECT_EQ(m.imei, "902064");
    EXPECT_EQ(core::FormatIso(m.record.device_time), "2016-01-27T18:55:47.000Z");
    EXPECT_DOUBLE_EQ(m.record.lat, 42.06288);
    EXPECT_DOUBLE_EQ(m.record.lon, -88.23412);
    EXPECT_DOUBLE_EQ(m.record.altitude_m, 224.0);
    EXPECT_DOUBLE_EQ(m.record.speed_kmh, 0.0);
    ASSERT_TRUE(m.record.hdop.has_value());
    EXPECT_DOUBLE_EQ(*m.record.hdop, 6.0);
    EXPECT_TRUE(m.record.valid);
    EXPECT_TRUE(m.record.attributes.empty());
}

TEST(OsmAndTest, TreatsTimestampsAboveInt32MaxAsMilliseconds) {
    // [traccar-test] testDecodeQuery, fourth request.
    Message m = Decode(
        "/?id=902064&lat=42.06288&lon=-88.23412&timestamp=1442068686579&hdop=6.0&altitude=224.0&"
        "speed=0.0");
    EXPECT_EQ(core::FormatIso(m.record.device_time), "2015-09-12T14:38:06.579Z");
    // [traccar-doc] example 1.
    m = Decode(
        "http://demo.traccar.org:5055/?id=12345&lat=48.8566&lon=2.3522&timestamp=1609459200000");
    EXPECT_EQ(m.imei, "12345");
    EXPECT_EQ(core::FormatIso(m.record.device_time), "2021-01-01T00:00:00.000Z");
    // traccar's rule is "below Integer.MAX_VALUE is seconds": 2^31-2 is seconds, 2^31-1
    // milliseconds.
    EXPECT_EQ(core::FormatIso(Decode("id=1&lat=0&lon=0&timestamp=2147483646").record.device_time),
              "2038-01-19T03:14:06.000Z");
    EXPECT_EQ(core::FormatIso(Decode("id=1&lat=0&lon=0&timestamp=2147483647").record.device_time),
              "1970-01-25T20:31:23.647Z");
}

TEST(OsmAndTest, DecodesPlusSeparatedDateTimeAndIdAtTheEnd) {
    // [traccar-test] testDecodeQuery, fifth request: "yyyy-MM-dd HH:mm:ss" with '+' for the space.
    Message m = Decode(
        "/?lat=49.60688&lon=6.15788&timestamp=2014-06-04+09%3A10%3A11&altitude=384.7&speed=0.0"
        "&id=353861053849681");
    EXPECT_EQ(m.imei, "353861053849681");
    EXPECT_EQ(core::FormatIso(m.record.device_time), "2014-06-04T09:10:11.000Z");
    EXPECT_DOUBLE_EQ(m.record.lat, 49.60688);
    EXPECT_DOUBLE_EQ(m.record.lon, 6.15788);
    EXPECT_DOUBLE_EQ(m.record.altitude_m, 384.7);
    // The same with %20 for the space.
    m = Decode("id=1&lat=0&lon=0&timestamp=2014-06-04%2009%3A10%3A11");
    EXPECT_EQ(core::FormatIso(m.record.device_time), "2014-06-04T09:10:11.000Z");
}

TEST(OsmAndTest, DecodesSecondsTimestampBearingAndHdop) {
    // [traccar-test] testDecodeQuery, sixth request.
    Message m = Decode(
        "/?id=123456&timestamp=1377177267&lat=60.0&lon=30.0&speed=0.0&bearing=0.0&altitude=0&hdop="
        "0.0");
    EXPECT_EQ(m.imei, "123456");
    EXPECT_EQ(core::FormatIso(m.record.device_time), "2013-08-22T13:14:27.000Z");
    EXPECT_DOUBLE_EQ(m.record.lat, 60.0);
    EXPECT_DOUBLE_EQ(m.record.lon, 30.0);
    EXPECT_DOUBLE_EQ(m.record.course_deg, 0.0);
    ASSERT_TRUE(m.record.hdop.has_value());
    EXPECT_DOUBLE_EQ(*m.record.hdop, 0.0);
}

TEST(OsmAndTest, DecodesMinimalRequest) {
    // [traccar-test] testDecodeQuery, seventh request.
    Message m = Decode("/?id=123456&timestamp=1377177267&lat=60.0&lon=30.0");
    EXPECT_EQ(m.imei, "123456");
    EXPECT_EQ(core::FormatIso(m.record.device_time), "2013-08-22T13:14:27.000Z");
    EXPECT_FALSE(m.record.hdop.has_value());
    EXPECT_TRUE(m.record.valid);
}

TEST(OsmAndTest, AcceptsDeviceidAndHeadingAndUsesNowWithoutTimestamp) {
    // [traccar-test] testDecodeQuery, eighth request: vacc/hacc are not known, so kept as
    // attributes.
    Message m = Decode(
        "/?lat=60.0&lon=30.0&speed=0.0&heading=0.0&vacc=0&hacc=0&altitude=0&deviceid=123456");
    EXPECT_EQ(m.imei, "123456");
    EXPECT_EQ(m.record.device_time, kNow);
    EXPECT_EQ(Attr<int64_t>(m.record, "vacc"), 0);
    EXPECT_EQ(Attr<int64_t>(m.record, "hacc"), 0);
}

TEST(OsmAndTest, KeepsBatteryAsPercent) {
    // [traccar-test] testDecodeQuery, ninth request.
    Message m = Decode(
        "/?id=861001000719969&lat=41.666667&lon=-0.883333&altitude=350.059479&speed=0.000000&batt="
        "87");
    EXPECT_EQ(m.imei, "861001000719969");
    EXPECT_DOUBLE_EQ(m.record.lat, 41.666667);
    EXPECT_DOUBLE_EQ(m.record.lon, -0.883333);
    EXPECT_DOUBLE_EQ(m.record.altitude_m, 350.059479);
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "battery_pct"), 87);
}

TEST(OsmAndTest, AcceptsLocationAsLatCommaLon) {
    // [traccar-test] testDecodeQuery, tenth request.
    Message m = Decode("/?id=123456&timestamp=1377177267&location=60.0,30.0");
    EXPECT_DOUBLE_EQ(m.record.lat, 60.0);
    EXPECT_DOUBLE_EQ(m.record.lon, 30.0);
    EXPECT_EQ(DecodeError("id=1&location=60.0"), "bad location: '60.0' (want lat,lon)");
    EXPECT_EQ(DecodeError("id=1&location=91,30"), "lat out of range: 91");
}

TEST(OsmAndTest, ConvertsKnotsAndKeepsFreeParametersTyped) {
    // [traccar-test] testDecodeQuery, last request.
    Message m = Decode(
        "/?id=123456789012345&timestamp=1504763810&lat=40.7232948571&lon=-74.0061408571"
        "&bearing=7.19889788244&speed=40&ignition=true&rpm=933&fuel=24");
    EXPECT_EQ(m.imei, "123456789012345");
    EXPECT_EQ(core::FormatIso(m.record.device_time), "2017-09-07T05:56:50.000Z");
    EXPECT_DOUBLE_EQ(m.record.lat, 40.7232948571);
    EXPECT_DOUBLE_EQ(m.record.lon, -74.0061408571);
    EXPECT_DOUBLE_EQ(m.record.course_deg, 7.19889788244);
    EXPECT_DOUBLE_EQ(m.record.speed_kmh, 40 * 1.852);  // 40 kn = 74.08 km/h
    EXPECT_TRUE(Attr<bool>(m.record, "ignition"));
    EXPECT_EQ(Attr<int64_t>(m.record, "rpm"), 933);
    EXPECT_EQ(Attr<int64_t>(m.record, "fuel"), 24);
}

TEST(OsmAndTest, DecodesTraccarDocExampleWithAllKnownParameters) {
    // [traccar-doc] example 2.
    Message m = Decode(
        "http://demo.traccar.org:5055/"
        "?deviceid=12345&lat=48.8566&lon=2.3522&timestamp=2021-01-01T00:00:00Z"
        "&speed=15&bearing=270&altitude=35&accuracy=10&hdop=0.8&batt=75");
    EXPECT_EQ(m.imei, "12345");
    EXPECT_EQ(core::FormatIso(m.record.device_time), "2021-01-01T00:00:00.000Z");
    EXPECT_DOUBLE_EQ(m.record.lat, 48.8566);
    EXPECT_DOUBLE_EQ(m.record.lon, 2.3522);
    EXPECT_DOUBLE_EQ(m.record.speed_kmh, 15 * 1.852);
    EXPECT_DOUBLE_EQ(m.record.course_deg, 270);
    EXPECT_DOUBLE_EQ(m.record.altitude_m, 35);
    EXPECT_DOUBLE_EQ(*m.record.hdop, 0.8);
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "accuracy_m"), 10);
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "battery_pct"), 75);
    EXPECT_EQ(m.record.attributes.size(), 2u);
}

TEST(OsmAndTest, KeepsCellAndWifiAsStrings) {
    // [traccar-doc] example 3 (wifi MAC with ':').
    Message m = Decode(
        "http://demo.traccar.org:5055/?id=12345&lat=48.8566&lon=2.3522&timestamp=1609459200000"
        "&cell=208,10,12345,67890,50&wifi=00:11:22:33:44:55,-70");
    EXPECT_EQ(Attr<std::string>(m.record, "cell"), "208,10,12345,67890,50");
    EXPECT_EQ(Attr<std::string>(m.record, "wifi"), "00:11:22:33:44:55,-70");
}

TEST(OsmAndTest, JoinsRepeatedCellAndWifiButNeedsAPosition) {
    // [traccar-test] testDecodeQuery, first request: cell and wifi only. traccar fills in the last
    // known position; a pure decoder keeps no state, so this request is an error here.
    const std::string request =
        "/?id=123456&timestamp=1377177267&cell=257,02,16,2224&cell=257,02,16,2223,-90"
        "&wifi=00-14-22-01-23-45,-80&wifi=00-1C-B3-09-85-15,-70";
    EXPECT_EQ(DecodeError(request), "missing lat/lon");
    Message m = Decode(request + "&lat=60.0&lon=30.0");
    EXPECT_EQ(Attr<std::string>(m.record, "cell"), "257,02,16,2224;257,02,16,2223,-90");
    EXPECT_EQ(Attr<std::string>(m.record, "wifi"), "00-14-22-01-23-45,-80;00-1C-B3-09-85-15,-70");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&cell=257,02"),
              "bad cell: '257,02' (want mcc,mnc,lac,cid[,rssi])");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&wifi=00-14-22,-80"),
              "bad wifi: '00-14-22,-80' (want mac,rssi)");
}

TEST(OsmAndTest, RejectsRequestWithoutId) {
    // [traccar-test] testDecodeQuery, second request (traccar answers 400).
    EXPECT_EQ(DecodeError("/?timestamp=1377177267&lat=60.0&lon=30.0"), "missing id");
    EXPECT_EQ(DecodeError("/"), "missing id");
    EXPECT_EQ(DecodeError("POST / HTTP/1.1"), "missing id");
}

TEST(OsmAndTest, MapsKnownParametersToUnitNamedAttributes) {
    Message m = Decode(
        "id=abc&lat=1&lon=2&valid=0&charge=true&driverUniqueId=D%2042&odometer=1234.5&sat=7"
        "&satellites=8&heading=-1");
    EXPECT_FALSE(m.record.valid);
    EXPECT_TRUE(Attr<bool>(m.record, "charging"));
    EXPECT_EQ(Attr<std::string>(m.record, "driver_id"), "D 42");
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "odometer_m"), 1234.5);
    EXPECT_EQ(m.record.satellites, 8);         // the last one wins, like any repeated field
    EXPECT_DOUBLE_EQ(m.record.course_deg, 0);  // negative: unknown
    EXPECT_TRUE(Decode("id=1&lat=0&lon=0&valid=TRUE").record.valid);
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&valid=maybe"), "valid is not a boolean: 'maybe'");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&sat=7.5"), "satellites out of range: 7.5");
    EXPECT_FALSE(HasAttr(Decode("id=1&lat=0&lon=0&batt=-1").record, "battery_pct"));
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&batt=101"), "battery out of range: 101");
}

TEST(OsmAndTest, KeepsFreeParametersByTraccarTypingRules) {
    Message m = Decode(
        "id=1&lat=0&lon=0&a=true&b=false&c=-12&d=2.5&e=1e3&f=007&g=89014103211118510720&h=&i&j="
        "hello+world"
        "&k=True");
    EXPECT_TRUE(Attr<bool>(m.record, "a"));
    EXPECT_FALSE(Attr<bool>(m.record, "b"));
    EXPECT_EQ(Attr<int64_t>(m.record, "c"), -12);
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "d"), 2.5);
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "e"), 1000);
    EXPECT_EQ(Attr<std::string>(m.record, "f"), "007");                   // an identifier, not 7
    EXPECT_EQ(Attr<std::string>(m.record, "g"), "89014103211118510720");  // an ICCID, beyond int64
    EXPECT_EQ(Attr<std::string>(m.record, "h"), "");
    EXPECT_EQ(Attr<std::string>(m.record, "i"), "");
    EXPECT_EQ(Attr<std::string>(m.record, "j"), "hello world");
    EXPECT_EQ(Attr<std::string>(m.record, "k"), "True");
}

TEST(OsmAndTest, RestoresPlusOfIsoOffsetDecodedAsSpace) {
    EXPECT_EQ(
        core::FormatIso(
            Decode("id=1&lat=0&lon=0&timestamp=2016-01-27T20:55:47+02:00").record.device_time),
        "2016-01-27T18:55:47.000Z");
    EXPECT_EQ(core::FormatIso(Decode("id=1&lat=0&lon=0&timestamp=2016-01-27T20%3A55%3A47%2B02%3A00")
                                  .record.device_time),
              "2016-01-27T18:55:47.000Z");
}

TEST(OsmAndTest, RejectsBadTimestamps) {
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&timestamp=yesterday"), "bad timestamp: 'yesterday'");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&timestamp=2016-13-01T00:00:00Z"),
              "bad timestamp: '2016-13-01T00:00:00Z'");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&timestamp=-1"), "timestamp out of range: '-1'");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&timestamp=-9223372036854775808"),
              "timestamp out of range: '-9223372036854775808'");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&timestamp=-"), "bad timestamp: '-'");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&timestamp=253402300800000"),  // 10000-01-01
              "timestamp out of range: '253402300800000'");
    EXPECT_EQ(core::FormatIso(
                  Decode("id=1&lat=0&lon=0&timestamp=253402300799999").record.device_time),
              "9999-12-31T23:59:59.999Z");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&timestamp=99999999999999999999"),
              "timestamp out of range: '99999999999999999999'");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&timestamp=9223372036854775807"),
              "timestamp out of range: '9223372036854775807'");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&timestamp=1377177267.5"),
              "bad timestamp: '1377177267.5'");
}

TEST(OsmAndTest, RejectsOutOfRangeAndNonNumericCoordinates) {
    EXPECT_EQ(DecodeError("id=1&lat=123&lon=0"), "lat out of range: 123");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=-180.5"), "lon out of range: -180.5");
    EXPECT_EQ(DecodeError("id=1&lat=abc&lon=0"), "lat is not a number: 'abc'");
    EXPECT_EQ(DecodeError("id=1&lat=&lon=0"), "lat is not a number: ''");
    EXPECT_EQ(DecodeError("id=1&lat=nan&lon=0"), "lat is not a number: 'nan'");
    EXPECT_EQ(DecodeError("id=1&lat=inf&lon=0"), "lat is not a number: 'inf'");
    EXPECT_EQ(DecodeError("id=1&lat=1e999&lon=0"), "lat is not a number: '1e999'");
    EXPECT_EQ(DecodeError("id=1&lat=1e308&lon=0"), "lat out of range: 1e+308");
    EXPECT_EQ(DecodeError("id=1&lat=0x10&lon=0"), "lat is not a number: '0x10'");
    EXPECT_EQ(DecodeError("id=1&lat=1&lon=2&lat=95"), "lat out of range: 95");
    EXPECT_EQ(DecodeError("id=1&lat=1"), "missing lat/lon");
    // A raw '+' sign decodes to a space; both are accepted around a number.
    EXPECT_DOUBLE_EQ(Decode("id=1&lat=+45.5&lon=%2B7").record.lat, 45.5);
    EXPECT_DOUBLE_EQ(Decode("id=1&lat=-0&lon=0").record.lat, 0);
}

TEST(OsmAndTest, BoundsHugeAndOddNumbers) {
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&speed=1e300"),
              "speed out of range: 1.8520000000000002e+300 km/h");
    EXPECT_DOUBLE_EQ(Decode("id=1&lat=0&lon=0&speed=-1").record.speed_kmh, 0);  // unknown
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&bearing=361"), "course out of range: 361");
    EXPECT_DOUBLE_EQ(Decode("id=1&lat=0&lon=0&bearing=360").record.course_deg, 0);
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&altitude=-1e7"), "altitude out of range: -10000000");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&hdop=-2"), "hdop out of range: -2");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&odometer=-5"), "odometer out of range: -5");
    Message m = Decode(
        "id=1&lat=0&lon=0&big=1e308&tiny=4.9e-324&neg=-9223372036854775808&over="
        "9223372036854775808");
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "big"), 1e308);
    EXPECT_GT(Attr<double>(m.record, "tiny"), 0);
    EXPECT_EQ(Attr<int64_t>(m.record, "neg"), INT64_MIN);
    EXPECT_EQ(Attr<std::string>(m.record, "over"), "9223372036854775808");
    EXPECT_EQ(Attr<std::string>(Decode("id=1&lat=0&lon=0&x=1e999").record, "x"), "1e999");
}

TEST(OsmAndTest, ValidatesIds) {
    EXPECT_EQ(DecodeError("id=&lat=0&lon=0"),
              "bad id: '' (want 1-64 printable ASCII characters, no spaces)");
    EXPECT_EQ(DecodeError("id=a%01b&lat=0&lon=0"),
              "bad id: 'a\\x01b' (want 1-64 printable ASCII characters, no spaces)");
    EXPECT_EQ(DecodeError("id=a+b&lat=0&lon=0"),
              "bad id: 'a b' (want 1-64 printable ASCII characters, no spaces)");
    EXPECT_EQ(DecodeError("id=" + std::string(65, '7') + "&lat=0&lon=0").substr(0, 8), "bad id: ");
    EXPECT_EQ(Decode("id=" + std::string(64, '7') + "&lat=0&lon=0").imei, std::string(64, '7'));
    EXPECT_EQ(DecodeError("id=1&deviceid=2&lat=0&lon=0"), "conflicting ids: '1' and '2'");
    EXPECT_EQ(Decode("id=1&deviceid=1&lat=0&lon=0").imei, "1");
    EXPECT_EQ(Decode("id=%3Cb%3E%22x%22&lat=0&lon=0").imei, "<b>\"x\"");
}

TEST(OsmAndTest, RejectsBadPercentEncodingAndCharactersOutsideAQuery) {
    EXPECT_NE(DecodeError("id=1&lat=0&lon=0&x=%zz").find("bad query string"), std::string::npos);
    EXPECT_NE(DecodeError("id=1&lat=0&lon=0&x=%4").find("bad query string"), std::string::npos);
    EXPECT_NE(DecodeError("id=1&lat=0&lon=0&x=\"quoted\"").find("bad query string"),
              std::string::npos);
    EXPECT_NE(DecodeError("GET /?id=1&lat=0&lon=0&x=<script> HTTP/1.1").find("bad query string"),
              std::string::npos);
}

TEST(OsmAndTest, KeepsHostileTextAsEscapedStringsAndRefusesControlBytes) {
    Message m = Decode(
        "id=1&lat=0&lon=0&note=%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E&quote=%27%3B--&utf=%C3%"
        "A9t%C3%A9");
    EXPECT_EQ(Attr<std::string>(m.record, "note"), "<script>alert(\"x\")</script>");
    EXPECT_EQ(Attr<std::string>(m.record, "quote"), "';--");
    EXPECT_EQ(Attr<std::string>(m.record, "utf"), "\xC3\xA9t\xC3\xA9");
    std::string json = core::MessageToJson(m);
    EXPECT_NE(json.find(R"("note":"<script>alert(\"x\")</script>")"), std::string::npos) << json;
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&x=a%00b"),
              "attribute 'x' is not UTF-8 text without control characters: 'a\\x00b'");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&x=%FF%FE"),
              "attribute 'x' is not UTF-8 text without control characters: '\\xff\\xfe'");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&x=%ED%A0%80"),  // a UTF-16 surrogate in UTF-8
              "attribute 'x' is not UTF-8 text without control characters: '\\xed\\xa0\\x80'");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&a%0Ab=1"), "bad attribute name: 'a\\x0ab'");
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&lat=%00"), "lat is not a number: '\\x00'");
}

TEST(OsmAndTest, CapsAttributeCountAndLengths) {
    std::string request = "id=1&lat=0&lon=0";
    for (int i = 0; i < 64; ++i) request += "&a" + std::to_string(i) + "=" + std::to_string(i);
    EXPECT_EQ(Decode(request).record.attributes.size(), 64u);
    EXPECT_EQ(DecodeError(request + "&one_more=1"), "too many attributes: more than 64");
    EXPECT_EQ(Decode(request + "&a0=7").record.attributes.size(), 64u);  // replacing is not adding
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&x=" + std::string(257, 'v')),
              "attribute 'x' too long: 257 bytes (limit 256)");
    EXPECT_EQ(Decode("id=1&lat=0&lon=0&x=" + std::string(256, 'v')).record.attributes.size(), 1u);
    EXPECT_EQ(DecodeError("id=1&lat=0&lon=0&" + std::string(257, 'n') + "=1").substr(0, 20),
              "bad attribute name: ");
    std::string many = "id=1&lat=0&lon=0";
    for (int i = 0; i < 300; ++i) many += "&cell=1,2,3,4";
    EXPECT_EQ(DecodeError(many), "too many parameters: more than 256");
}

// --- Request shapes and DecodeLine -------------------------------------------------------------

TEST(OsmAndTest, ReadsOnlyTheTargetItIsGiven) {
    // Boost 1.81's parse_query reads up to the next NUL byte (boostorg/url#757): "&y=2" after the
    // end of the view must not become an attribute.
    const std::string buffer = "/?id=1&lat=0&lon=0&x=1&y=2";
    auto r =
        DecodeRequest("GET", std::string_view(buffer).substr(0, buffer.size() - 4), "", "", kNow);
    ASSERT_TRUE(r) << ErrorOf(r);
    const Record& rec = r->messages.at(0).record;
    EXPECT_EQ(Attr<int64_t>(rec, "x"), 1);
    EXPECT_FALSE(HasAttr(rec, "y"));
    EXPECT_EQ(rec.attributes.size(), 1u);
}

TEST(OsmAndTest, DecodesEveryLineShape) {
    const std::string query = "id=7&lat=1.5&lon=2.5";
    for (const std::string& line :
         {"GET /?" + query + " HTTP/1.1", "POST /?" + query + " HTTP/1.1", "GET /?" + query,
          "/?" + query, "?" + query, query, "  " + query + "\r\n",
          "http://demo.traccar.org:5055/?" + query + "#frag"}) {
        Message m = Decode(line);
        EXPECT_EQ(m.imei, "7") << line;
        EXPECT_DOUBLE_EQ(m.record.lat, 1.5) << line;
        EXPECT_DOUBLE_EQ(m.record.lon, 2.5) << line;
    }
    EXPECT_EQ(DecodeError(""), "empty line");
    EXPECT_EQ(DecodeError("GET /?id=1&lat=0&lon=0 SPDY/3"),
              "bad request line: 'GET /?id=1&lat=0&lon=0 SPDY/3'");
    // A request-line example from a third-party OsmAnd write-up (kbeigl.github.io,
    // OsmAndProtocolSpecification); its speed is read as knots, traccar's unit.
    Message m = Decode(
        "GET /track?id=phone1&lat=52.5200&lon=13.4050&timestamp=1678886400&speed=25.0&bearing=90.0"
        "&altitude=50.0&batt=85.0");
    EXPECT_EQ(m.imei, "phone1");
    EXPECT_EQ(core::FormatIso(m.record.device_time), "2023-03-15T13:20:00.000Z");
    EXPECT_DOUBLE_EQ(m.record.speed_kmh, 25.0 * 1.852);
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "battery_pct"), 85);
}

TEST(OsmAndTest, ReadsFormBodyOnlyWhenTargetHasNoQuery) {
    const std::string form = "id=9&lat=10&lon=20&speed=1\r\n";
    auto r = DecodeRequest("POST", "/", "application/x-www-form-urlencoded", form, kNow);
    ASSERT_TRUE(r) << ErrorOf(r);
    EXPECT_EQ(r->messages.at(0).imei, "9");
    EXPECT_DOUBLE_EQ(r->messages.at(0).record.speed_kmh, 1.852);
    // traccar: parameters in the target win; the body is not read at all.
    r = DecodeRequest("POST", "/?id=8&lat=1&lon=2", "application/x-www-form-urlencoded", form,
                      kNow);
    ASSERT_TRUE(r) << ErrorOf(r);
    EXPECT_EQ(r->messages.at(0).imei, "8");
    EXPECT_FALSE(DecodeRequest("POST", "/?", "", "", kNow));
    EXPECT_EQ(ErrorOf(DecodeRequest("GET", "/", "", "", kNow)), "missing id");
    r = DecodeRequest("PUT", "/?id=8&lat=1&lon=2", "", "", kNow);  // traccar accepts any method
    EXPECT_TRUE(r) << ErrorOf(r);
}

// --- JSON format, protocols.md 3.2 -------------------------------------------------------------

// [traccar-test] testDecodeJson, first body.
constexpr std::string_view kJsonAndroid =
    R"({"location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":{"latitude":37.4219983,)"
    R"("longitude":-122.084,)"
    R"("accuracy":5,"speed":0,"heading":-1,"altitude":5},"is_moving":false,"odometer":0,)"
    R"("event":"motionchange",)"
    R"("battery":{"level":1,"is_charging":false},"activity":{"type":"still"},"extras":{},)"
    R"("_":"&id=48241179&lat=37.4219983&lon=-122.084&timestamp=2025-06-15T13:45:12.862Z&"},)"
    R"("device_id":"48241179"})";

TEST(OsmAndTest, DecodesJsonBodyOfTraccarClient) {
    auto r = DecodeRequest("POST", "/", "application/json", kJsonAndroid, kNow);
    ASSERT_TRUE(r) << ErrorOf(r);
    ASSERT_EQ(r->messages.size(), 1u);
    const Message& m = r->messages[0];
    EXPECT_EQ(m.type, core::MessageType::kPosition);
    EXPECT_EQ(m.imei, "48241179");
    EXPECT_EQ(core::FormatIso(m.record.device_time), "2025-06-15T13:45:12.862Z");
    EXPECT_DOUBLE_EQ(m.record.lat, 37.4219983);
    EXPECT_DOUBLE_EQ(m.record.lon, -122.084);
    EXPECT_DOUBLE_EQ(m.record.altitude_m, 5);
    EXPECT_DOUBLE_EQ(m.record.speed_kmh, 0);
    EXPECT_DOUBLE_EQ(m.record.course_deg, 0);  // heading -1: unknown
    EXPECT_TRUE(m.record.valid);
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "accuracy_m"), 5);
    EXPECT_FALSE(Attr<bool>(m.record, "motion"));
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "odometer_m"), 0);
    EXPECT_EQ(Attr<std::string>(m.record, "event"), "motionchange");
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "battery_pct"), 100);
    EXPECT_FALSE(Attr<bool>(m.record, "charging"));
    EXPECT_EQ(Attr<std::string>(m.record, "activity"), "still");
    EXPECT_EQ(m.record.attributes.size(), 7u);
}

TEST(OsmAndTest, KeepsJsonExtrasWithTheirTypes) {
    // [traccar-test] testDecodeJson, second body.
    Message m = Decode(
        R"({"location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":{"latitude":37.4219983,)"
        R"("longitude":-122.084,)"
        R"("accuracy":5,"speed":0,"heading":-1,"altitude":5},"is_moving":false,"odometer":0,)"
        R"("event":"motionchange",)"
        R"("battery":{"level":1,"is_charging":false},"activity":{"type":"still"},)"
        R"("extras":{"device_string_test":)"
        R"("long_device_id","device_bool_test":true,"device_bool_false_test":false,)"
        R"("device_integer_test":1,)"
        R"("device_double_test":1.345,"device_very_long_double_test":1763636.3442},)"
        R"("_":"&id=48241179&lat=37.4219983&lon=-122.084&timestamp=2025-06-15T13:45:12.862Z&"},)"
        R"("device_id":"48241179"})");
    EXPECT_EQ(Attr<std::string>(m.record, "device_string_test"), "long_device_id");
    EXPECT_TRUE(Attr<bool>(m.record, "device_bool_test"));
    EXPECT_FALSE(Attr<bool>(m.record, "device_bool_false_test"));
    EXPECT_EQ(Attr<int64_t>(m.record, "device_integer_test"), 1);
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "device_double_test"), 1.345);
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "device_very_long_double_test"), 1763636.3442);
}

TEST(OsmAndTest, TreatsMinusOneAsUnknownInIosJson) {
    // [traccar-test] testDecodeJson, third body (iOS simulator: speed, heading and battery -1).
    Message m =
        Decode(R"({"location":{"extras":{},"mock":true,"coords":{"speed_accuracy":-1,"speed":-1,)"
               R"("longitude":-122.406417,)"
               R"("ellipsoidal_altitude":0,"floor":null,"heading_accuracy":-1,)"
               R"("latitude":37.785834000000001,"accuracy":5,)"
               R"("altitude_accuracy":-1,"altitude":0,"heading":-1},"is_moving":false,"age":188,)"
               R"("odometer":0,)"
               R"("uuid":"2FB04C65-99CF-42AB-8DD3-EBCB4B108BF8","event":"motionchange",)"
               R"("battery":{"level":-1,)"
               R"("is_charging":false},"activity":{"type":"unknown","confidence":100},)"
               R"("timestamp":"2025-05-09T04:11:30.579Z"},"device_id":"658765"})");
    EXPECT_EQ(m.imei, "658765");
    EXPECT_EQ(core::FormatIso(m.record.device_time), "2025-05-09T04:11:30.579Z");
    EXPECT_DOUBLE_EQ(m.record.lat, 37.785834000000001);
    EXPECT_DOUBLE_EQ(m.record.lon, -122.406417);
    EXPECT_DOUBLE_EQ(m.record.speed_kmh, 0);
    EXPECT_DOUBLE_EQ(m.record.course_deg, 0);
    EXPECT_FALSE(HasAttr(m.record, "battery_pct"));
    EXPECT_TRUE(Attr<bool>(m.record, "mock"));
    EXPECT_EQ(Attr<std::string>(m.record, "activity"), "unknown");
}

TEST(OsmAndTest, ConvertsJsonSpeedFromMetresPerSecondAndBatteryFromFraction) {
    // [traccar-test] testDecodeJson, fourth body.
    Message m = Decode(
        R"({"location":{"event":"motionchange","is_moving":false,)"
        R"("uuid":"0e9a2473-a9a7-4c00-997b-fb97d2154e75",)"
        R"("timestamp":"2021-07-21T08:06:34.444Z","odometer":0,"coords":{"latitude":-6.1148096,)"
        R"("longitude":106.6837015,)"
        R"("accuracy":3.8,"speed":18.67,"speed_accuracy":0.26,"heading":63,)"
        R"("heading_accuracy":0.28,"altitude":35.7,)"
        R"("altitude_accuracy":3.8},"activity":{"type":"still","confidence":100},)"
        R"("battery":{"is_charging":false,)"
        R"("level":0.79},"extras":{}},"device_id":"8737767034"})");
    EXPECT_EQ(m.imei, "8737767034");
    EXPECT_EQ(core::FormatIso(m.record.device_time), "2021-07-21T08:06:34.444Z");
    EXPECT_DOUBLE_EQ(m.record.lat, -6.1148096);
    EXPECT_DOUBLE_EQ(m.record.lon, 106.6837015);
    EXPECT_DOUBLE_EQ(m.record.speed_kmh, 18.67 * 3.6);  // 67.212 km/h
    EXPECT_DOUBLE_EQ(m.record.course_deg, 63);
    EXPECT_DOUBLE_EQ(m.record.altitude_m, 35.7);
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "accuracy_m"), 3.8);
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "battery_pct"), 79);
}

TEST(OsmAndTest, DecodesTheDocumentedJsonExample) {
    // [traccar-doc] JSON format (also protocols.md 3.2), without its // comments.
    Message m = Decode(
        R"({"location":{"timestamp":"2000-01-01T00:00:00.000Z","coords":{"latitude":0.0,)"
        R"("longitude":0.0,)"
        R"("accuracy":0,"speed":0,"heading":0,"altitude":0},"is_moving":false,"odometer":0,)"
        R"("event":"motionchange",)"
        R"("battery":{"level":1,"is_charging":false},"activity":{"type":"still"},"extras":{}},)"
        R"("device_id":"48241179"})");
    EXPECT_EQ(m.imei, "48241179");
    EXPECT_EQ(core::FormatIso(m.record.device_time), "2000-01-01T00:00:00.000Z");
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "accuracy_m"), 0);
}

TEST(OsmAndTest, PicksJsonByContentTypeOrOpeningBrace) {
    for (std::string_view ct :
         {"application/json", "Application/JSON; charset=utf-8", "text/plain", ""}) {
        auto r = DecodeRequest("POST", "/", ct, kJsonAndroid, kNow);
        ASSERT_TRUE(r) << ct << ": " << ErrorOf(r);
        EXPECT_EQ(r->messages.at(0).imei, "48241179") << ct;
    }
    // A JSON content type wins over parameters in the target.
    auto r = DecodeRequest("POST", "/?id=1&lat=0&lon=0", "application/json", kJsonAndroid, kNow);
    ASSERT_TRUE(r) << ErrorOf(r);
    EXPECT_EQ(r->messages.at(0).imei, "48241179");
    // ...unless the body is empty.
    r = DecodeRequest("POST", "/?id=1&lat=0&lon=0", "application/json", "", kNow);
    ASSERT_TRUE(r) << ErrorOf(r);
    EXPECT_EQ(r->messages.at(0).imei, "1");
    EXPECT_EQ(ErrorOf(DecodeRequest("POST", "/", "application/json", "id=1&lat=0&lon=0", kNow))
                  .substr(0, 9),
              "bad JSON:");
}

TEST(OsmAndTest, RejectsJsonOfTheWrongShape) {
    auto err = [](std::string_view body) {
        return ErrorOf(DecodeRequest("POST", "/", "application/json", body, kNow));
    };
    const std::string loc = R"("coords":{"latitude":1,"longitude":2})";
    EXPECT_EQ(err(R"({"location":{)" + loc + "}}"), "missing id");
    EXPECT_EQ(err(R"({"device_id":7,"location":{)" + loc + "}}"), "device_id must be a string");
    EXPECT_EQ(err(R"({"device_id":"7"})"), "missing location");
    EXPECT_EQ(err(R"({"device_id":"7","location":[]})"), "location must be an object");
    EXPECT_EQ(err(R"({"device_id":"7","location":{}})"), "missing location.coords");
    EXPECT_EQ(err(R"({"device_id":"7","location":{"coords":[1,2]}})"),
              "location.coords must be an object");
    EXPECT_EQ(err(R"({"device_id":"7","location":{"coords":{"latitude":"1","longitude":2}}})"),
              "location.coords.latitude must be a number");
    EXPECT_EQ(err(R"({"device_id":"7","location":{"coords":{"longitude":2}}})"), "missing lat/lon");
    EXPECT_EQ(err(R"({"device_id":"7","location":{"coords":{"latitude":100,"longitude":2}}})"),
              "lat out of range: 100");
    EXPECT_EQ(err(R"({"device_id":"7","location":{"timestamp":5,)" + loc + "}}"),
              "location.timestamp must be a string");
    EXPECT_EQ(err(R"({"device_id":"7","location":{"timestamp":"soon",)" + loc + "}}"),
              "bad timestamp: 'soon'");
    EXPECT_EQ(err(R"({"device_id":"7","location":{"is_moving":"yes",)" + loc + "}}"),
              "location.is_moving must be a boolean");
    EXPECT_EQ(err(R"({"device_id":"7","location":{"battery":{"level":5},)" + loc + "}}"),
              "location.battery.level out of range: 5");
    EXPECT_EQ(err(R"({"device_id":"7","location":{"activity":"still",)" + loc + "}}"),
              "location.activity must be an object");
    EXPECT_EQ(err(R"({"device_id":"7","location":{"extras":[],)" + loc + "}}"),
              "location.extras must be an object");
    EXPECT_EQ(err("[1,2,3]"), "bad JSON: the body must be an object");
    EXPECT_EQ(err("{").substr(0, 9), "bad JSON:");
    EXPECT_EQ(err(R"({"device_id":"7"} trailing)").substr(0, 9), "bad JSON:");
    EXPECT_EQ(err(std::string(40, '[') + std::string(40, ']')).substr(0, 9),
              "bad JSON:");  // too deep
    // Boost.JSON reads 1e400 as infinity rather than failing: still not a number here.
    EXPECT_EQ(err(R"({"device_id":"7","location":{"coords":{"latitude":1e400,"longitude":2}}})"),
              "location.coords.latitude must be a number");
    EXPECT_EQ(err("{\"device_id\":\"\xFF\"}").substr(0, 9), "bad JSON:");  // invalid UTF-8
    EXPECT_EQ(err(R"({"device_id":"7","location":{"extras":{"x":"a\u0000b"},)" + loc + "}}"),
              "attribute 'x' is not UTF-8 text without control characters: 'a\\x00b'");
    std::string big =
        R"({"device_id":"7","location":{)" + loc + R"(,"pad":")" + std::string(70000, 'x') + "\"}}";
    EXPECT_EQ(err(big), "body too large: 70077 bytes (limit 65536)");
}

TEST(OsmAndTest, KeepsNestedJsonExtrasAsText) {
    Message m = Decode(
        R"({"device_id":"7","location":{"coords":{"latitude":1,"longitude":2},)"
        R"("extras":{"list":[1,"a"],"obj":{"k":null},"nothing":null,"huge":18446744073709551615,)"
        R"("battery_pct":3}}})");
    EXPECT_EQ(Attr<std::string>(m.record, "list"), R"([1,"a"])");
    EXPECT_EQ(Attr<std::string>(m.record, "obj"), R"({"k":null})");
    EXPECT_FALSE(HasAttr(m.record, "nothing"));
    EXPECT_DOUBLE_EQ(Attr<double>(m.record, "huge"), 18446744073709551615.0);
    EXPECT_EQ(Attr<int64_t>(m.record, "battery_pct"), 3);  // no battery object: the extra stays
    EXPECT_EQ(m.record.device_time, kNow);                 // no timestamp: now
}

// --- Encoder -----------------------------------------------------------------------------------

TEST(OsmAndTest, EncodeQueryRoundTrips) {
    Record r;
    r.device_time = Iso("2024-05-06T07:08:09Z");
    r.lat = 48.8566;
    r.lon = -2.3522;
    r.altitude_m = 35.5;
    r.speed_kmh = 92.6;
    r.course_deg = 270.25;
    r.satellites = 9;
    r.hdop = 0.8;
    r.valid = false;
    r.attributes = {{"ignition", true},
                    {"odometer_m", 123456.0},
                    {"battery_pct", 75.0},
                    {"charging", false},
                    {"accuracy_m", 4.5},
                    {"driver_id", std::string("D 42&x=1")},
                    {"rpm", int64_t{933}},
                    {"fuel_l", 24.0},
                    {"note", std::string("été <b>")},
                    {"cell", std::string("257,02,16,2224;257,02,16,2223,-90")},
                    {"wifi", std::string("00-14-22-01-23-45,-80")}};
    std::string query = EncodeQuery("dev 1/é", r);
    EXPECT_EQ(query.substr(0, query.find("&bearing")),
              "id=dev%201%2F%C3%A9&timestamp=1714979289&lat=48.8566&lon=-2.3522&speed=" +
                  fmt::format("{}", 92.6 / 1.852));
    // An id with a space cannot be decoded; the round trip uses a plain one.
    query = EncodeQuery("353861053849681", r);
    Message m = Decode(query);
    EXPECT_EQ(m.imei, "353861053849681");
    EXPECT_EQ(m.record.device_time, r.device_time);
    EXPECT_DOUBLE_EQ(m.record.lat, r.lat);
    EXPECT_DOUBLE_EQ(m.record.lon, r.lon);
    EXPECT_DOUBLE_EQ(m.record.altitude_m, r.altitude_m);
    EXPECT_NEAR(m.record.speed_kmh, r.speed_kmh, 1e-9);
    EXPECT_DOUBLE_EQ(m.record.course_deg, r.course_deg);
    EXPECT_EQ(m.record.satellites, r.satellites);
    EXPECT_EQ(m.record.hdop, r.hdop);
    EXPECT_FALSE(m.record.valid);
    ASSERT_EQ(m.record.attributes.size(), r.attributes.size()) << query;
    for (const auto& a : r.attributes) {
        const core::AttrValue* v = core::FindAttribute(m.record.attributes, a.name);
        ASSERT_NE(v, nullptr) << a.name;
        EXPECT_EQ(*v, a.value) << a.name << " in " << query;
    }
}

TEST(OsmAndTest, EncodeQueryLeavesOutAttributesThatWouldDecodeAsFields) {
    Record r;
    r.lat = 1;
    r.lon = 2;
    r.valid = true;
    r.attributes = {
        {"lat", 50.0}, {"id", std::string("other")}, {"speed", 3.0}, {"nan", std::nan("")}};
    std::string query = EncodeQuery("1", r);
    EXPECT_EQ(query, "id=1&timestamp=0&lat=1&lon=2&speed=0&bearing=0&altitude=0");
    EXPECT_DOUBLE_EQ(Decode(query).record.lat, 1);
}

// --- Robustness --------------------------------------------------------------------------------

TEST(OsmAndTest, EveryPublishedRequestHasItsExpectedOutcome) {
    std::ifstream in(std::string(FLEETD_TEST_DATA) + "/osmand/requests.txt");
    ASSERT_TRUE(in) << "cannot open tests/data/osmand/requests.txt";
    std::string line;
    int count = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line.front() == '#') continue;
        size_t tab = line.find('\t');
        ASSERT_NE(tab, std::string::npos) << line;
        std::string expected = line.substr(0, tab);
        std::string request = line.substr(tab + 1);
        auto r = DecodeLine(request, kNow);
        if (expected == "ok") {
            EXPECT_TRUE(r) << ErrorOf(r) << "\n  line: " << request;
        } else {
            EXPECT_EQ(ErrorOf(r), expected) << request;
        }
        ++count;
    }
    EXPECT_EQ(count, 20);
}

TEST(OsmAndTest, EveryPrefixOfARequestDecodesOrFailsCleanly) {
    const std::string requests[] = {
        "GET /?id=902064&lat=42.06288&lon=-88.23412&timestamp=2016-01-27T18%3A55%3A47Z&hdop=6.0 "
        "HTTP/1.1",
        std::string(kJsonAndroid)};
    for (const auto& full : requests) {
        for (size_t n = 0; n <= full.size(); ++n) {
            auto r = DecodeLine(std::string_view(full).substr(0, n), kNow);
            if (r) {
                ASSERT_EQ(r->messages.size(), 1u);
                EXPECT_FALSE(r->messages[0].imei.empty());
            } else {
                EXPECT_FALSE(r.error().message.empty());
                EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
            }
        }
    }
}

TEST(OsmAndTest, SurvivesRandomBytes) {
    std::mt19937 rng(20240601);
    const std::string seeds[] = {
        "/?id=1&lat=1&lon=2&timestamp=1377177267&speed=3&cell=1,2,3,4&x=%41",
        std::string(kJsonAndroid)};
    const std::string_view types[] = {"", "application/json", "application/x-www-form-urlencoded"};
    int decoded = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string bytes;
        if (i % 2 == 0) {
            bytes.resize(rng() % 200);
            for (auto& c : bytes) c = static_cast<char>(rng());
        } else {
            // Mutate a real request: a few random bytes overwritten, inserted or cut.
            bytes = seeds[(i / 2) % 2];
            for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n && !bytes.empty(); ++k) {
                size_t pos = rng() % bytes.size();
                switch (rng() % 3) {
                    case 0: bytes[pos] = static_cast<char>(rng()); break;
                    case 1: bytes.insert(pos, 1, "%&=,{}\"+:-0.9e"[rng() % 14]); break;
                    default: bytes.erase(pos, 1 + rng() % 8); break;
                }
            }
        }
        auto line = DecodeLine(bytes, kNow);
        auto request = DecodeRequest("POST", "/", types[i % 3], bytes, kNow);
        for (const auto* r : {&line, &request}) {
            if (!*r) {
                EXPECT_EQ(r->error().message.find('\n'), std::string::npos);
                continue;
            }
            ++decoded;
            const Record& rec = (*r)->messages.at(0).record;
            EXPECT_TRUE(rec.lat >= -90 && rec.lat <= 90);
            EXPECT_TRUE(rec.lon >= -180 && rec.lon <= 180);
            EXPECT_FALSE(core::MessageToJson((*r)->messages.at(0)).empty());
        }
    }
    EXPECT_GT(decoded, 100);  // the mutations keep some requests valid
}

}  // namespace
}  // namespace fleet::protocol::osmand
