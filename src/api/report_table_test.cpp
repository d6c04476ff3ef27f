#include "api/detail/report_table.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "api/detail/mailer.hpp"
#include "api/detail/report_render.hpp"
#include "core/time.hpp"

namespace fleet::api::detail {
namespace {

namespace json = boost::json;

ReportTable Sample() {
    ReportTable t;
    t.report = "trips";
    t.columns = {{"name", CellType::kText}, {"start", CellType::kTime}, {"day", CellType::kDate},
                 {"n", CellType::kInt},     {"x", CellType::kNumber},   {"ok", CellType::kBool},
                 {"detail", CellType::kJson}};
    t.rows.push_back({std::string("=HYPERLINK(\"x\"),\n2"), *core::ParseIso("2026-03-02T04:30:00Z"),
                      *core::ParseLocalDay("2026-03-01"), int64_t{3}, 1.5, true, std::string(R"({"a":1})")});
    t.rows.push_back({Cell{}, Cell{}, Cell{}, Cell{}, Cell{}, Cell{}, std::string("{}")});
    t.total = 2;
    return t;
}

TEST(ReportTableTest, JsonItemsAreTypedWithUtcTimesAndNulls) {
    std::string out = "[";
    AppendJsonItems(out, Sample());
    out += "]";
    json::value v = json::parse(out);
    const auto& first = v.as_array()[0].as_object();
    EXPECT_EQ(first.at("name").as_string(), "=HYPERLINK(\"x\"),\n2");
    EXPECT_EQ(first.at("start").as_string(), "2026-03-02T04:30:00.000Z");
    EXPECT_EQ(first.at("day").as_string(), "2026-03-01");
    EXPECT_EQ(first.at("n").as_int64(), 3);
    EXPECT_EQ(first.at("ok").as_bool(), true);
    EXPECT_EQ(first.at("detail").as_object().at("a").as_int64(), 1);
    EXPECT_TRUE(v.as_array()[1].as_object().at("start").is_null());
}

TEST(ReportTableTest, CsvHasLocalTimesNamedInTheHeadingAndGuardsFormulas) {
    core::Zone ny = *core::Zone::Find("America/New_York");
    std::string csv = CsvOf(Sample(), ny);
    EXPECT_EQ(csv,
              "name,start (America/New_York),day,n,x,ok,detail\r\n"
              "\"'=HYPERLINK(\"\"x\"\"),\n2\",2026-03-01 23:30:00,2026-03-01,3,1.5,true,\"{\"\"a\"\":1}\"\r\n"
              ",,,,,,{}\r\n");
}

TEST(ReportTableTest, SheetTextIsValidUtf8WithoutControlCharacters) {
    EXPECT_EQ(SheetText("a\x01" "b\tc\nd"), "ab\tc\nd");
    EXPECT_EQ(SheetText("caf\xC3\xA9 \xE2\x98\x83"), "caf\xC3\xA9 \xE2\x98\x83");
    EXPECT_EQ(SheetText("bad \xC3 \xED\xA0\x80!"), "bad \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!");
}

TEST(ReportTableTest, XlsxIsAZipWorkbookAndLeavesNoTemporaryFile) {
    auto dir = std::filesystem::temp_directory_path() / ("fleetd_xlsx_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto xlsx = XlsxOf(Sample(), *core::Zone::Find("UTC"), dir.string());
    ASSERT_TRUE(xlsx.ok()) << xlsx.error().message;
    EXPECT_EQ(xlsx->substr(0, 4), std::string("PK\x03\x04", 4));  // a ZIP archive (the test of its sheets: pytest)
    EXPECT_TRUE(std::filesystem::is_empty(dir));
    std::filesystem::remove_all(dir);
}

TEST(ReportParamsTest, DatesAreLocalAndAToDateIncludesItsDay) {
    auto parsed = ParseReportParams(ReportKind::kEvents,
                                    {{"from", "2026-03-08"}, {"to", "2026-03-08"}, {"type", "overspeed,crash,crash"},
                                     {"acknowledged", "false"}, {"vehicle_id", "7"}},
                                    true);
    ASSERT_TRUE(std::holds_alternative<ReportParams>(parsed)) << std::get<std::string>(parsed);
    const ReportParams& p = std::get<ReportParams>(parsed);
    EXPECT_EQ(p.types, (std::vector<std::string>{"overspeed", "crash"}));
    EXPECT_EQ(p.acknowledged, false);
    EXPECT_EQ(p.vehicle_id, 7);
    // 8 March in New York is 23 hours long (the change to summer time).
    auto [from, to] = ResolveRange(p, *core::Zone::Find("America/New_York"));
    EXPECT_EQ(from, *core::ParseIso("2026-03-08T05:00:00Z"));
    EXPECT_EQ(to, *core::ParseIso("2026-03-09T04:00:00Z"));
    for (const auto& bad : std::vector<std::map<std::string, std::string>>{
             {{"from", "2026-03-01"}},                                      // no to
             {{"from", "2026-03-01"}, {"to", "2026-13-01"}},                // no such day
             {{"from", "2026-03-01"}, {"to", "2026-03-02"}, {"by", "driver"}},  // eco's, not trips'
             {{"from", "2026-03-01"}, {"to", "2026-03-02"}, {"vehicle_id", "0"}}}) {
        EXPECT_TRUE(std::holds_alternative<std::string>(ParseReportParams(ReportKind::kTrips, bad, true)));
    }
    EXPECT_TRUE(std::holds_alternative<ReportParams>(ParseReportParams(ReportKind::kMaintenance, {}, true)));
    EXPECT_EQ(ParamValues(R"({"vehicle_id":3,"by":"vehicle","acknowledged":true})")->at("vehicle_id"), "3");
    EXPECT_FALSE(ParamValues(R"({"vehicle_id":[3]})"));
    EXPECT_FALSE(ParamValues("[]"));
}

TEST(ReportMailTest, AReportMailCarriesItsFileAsABase64Attachment) {
    store::OutgoingMail mail;
    mail.id = 9;
    mail.kind = std::string(kMultipartMailKind);
    mail.recipient = "m@acme.example";
    mail.subject = "fleetd: trips report";
    mail.body = MultipartBody("Attached.\n.\n", Attachment{"trips 2026/03.csv", "text/csv", "a,b\r\n1,2\r\n"});
    std::string msg = FormatMessage(mail, "fleetd@localhost");
    // One Content-Type header, the multipart one, and no plain-text header block of the mailer's.
    EXPECT_EQ(msg.find("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\nAuto"),
              std::string::npos);
    EXPECT_NE(msg.find("Auto-Submitted: auto-generated\r\nContent-Type: multipart/mixed; boundary=\"=_fleetd_part_=\""
                       "\r\n\r\n--=_fleetd_part_=\r\n"),
              std::string::npos);
    EXPECT_NE(msg.find("filename=\"trips_2026_03.csv\""), std::string::npos);
    EXPECT_NE(msg.find("\r\n\r\nYSxiDQoxLDINCg==\r\n--=_fleetd_part_=--\r\n"), std::string::npos);
    // Other mail keeps its plain-text headers.
    mail.kind = "lockout";
    mail.body = "hello";
    EXPECT_NE(FormatMessage(mail, "fleetd@localhost").find("Content-Type: text/plain; charset=utf-8"),
              std::string::npos);
}

}  // namespace
}  // namespace fleet::api::detail
