// A report as a table — typed columns and rows of cells — and its three forms: JSON (the API's
// page), CSV (RFC 4180, with the positions export's formula guard) and XLSX (libxlsxwriter).
// Every report is built as a table once (report_render.*), so the forms cannot drift apart.
//
// Times: JSON gives instants in UTC (RFC 3339 with Z, as everywhere in the API); the exports are
// for people, so CSV and XLSX give local wall-clock times in the tenant's zone, named in the
// column heading ("start_time (Europe/Paris)"); XLSX as date-time cells.
// Pure functions and values; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/record.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"

namespace fleet::api::detail {

enum class CellType {
    kText,
    kInt,
    kNumber,
    kTime,  // core::TimePoint
    kDate,  // core::LocalDay
    kBool,
    kJson,  // a serialised JSON value (text in the exports)
};

using Cell = std::variant<std::monostate, std::string, int64_t, double, core::TimePoint, core::LocalDay, bool>;

struct Column {
    std::string key;  // the JSON member and the CSV heading
    CellType type = CellType::kText;
};

struct ReportTable {
    std::string report;  // "trips", "summary", ...: the sheet's and the file's name
    std::vector<Column> columns;
    std::vector<std::vector<Cell>> rows;  // each as long as `columns`
    int64_t total = 0;                    // rows of the whole report (all pages)
};

// Text safe for a spreadsheet's XML: valid UTF-8 (an invalid byte becomes U+FFFD), without the
// control characters XML 1.0 does not allow (tab and new line stay).
std::string SheetText(std::string_view text);

// The rows as JSON objects, comma-separated (no brackets).
void AppendJsonItems(std::string& out, const ReportTable& table);
// The whole table as CSV: a heading row, then the rows; CRLF line ends.
std::string CsvOf(const ReportTable& table, const core::Zone& zone);
// The whole table as an XLSX workbook of one sheet (written through a temporary file in
// `tmp_dir`, removed afterwards). Error when the library fails.
Result<std::string> XlsxOf(const ReportTable& table, const core::Zone& zone, const std::string& tmp_dir);

// A table as a file to download or mail: "csv" or "xlsx".
struct ExportFile {
    std::string data;
    std::string content_type;
};
Result<ExportFile> ExportOf(const ReportTable& table, std::string_view format, const core::Zone& zone,
                            const std::string& tmp_dir);

}  // namespace fleet::api::detail
