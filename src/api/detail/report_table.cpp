#include "api/detail/report_table.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "api/detail/position_formats.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

namespace fleet::api::detail {

namespace {

// The length of the valid UTF-8 sequence at the start of `s`, or 0.
size_t Utf8Length(std::string_view s) {
    auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
    unsigned char c = b(0);
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)) return 0;  // overlong, surrogates
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F)) return 0;
        return 4;
    }
    return 0;
}

std::string TimeHeading(const Column& c, const core::Zone& zone) {
    return c.type == CellType::kTime ? fmt::format("{} ({})", c.key, zone.name()) : c.key;
}

// A cell as text for the CSV (text cells through CsvCell), "" when empty.
std::string CsvText(const Cell& cell, CellType type, const core::Zone& zone) {
    return std::visit(
        [&](const auto& v) -> std::string {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, std::monostate>) {
                return "";
            } else if constexpr (std::is_same_v<V, std::string>) {
                return CsvCell(v);
            } else if constexpr (std::is_same_v<V, int64_t>) {
                return std::to_string(v);
            } else if constexpr (std::is_same_v<V, double>) {
                std::string out;
                core::AppendJsonNumber(out, v);
                return out == "null" ? "" : out;
            } else if constexpr (std::is_same_v<V, core::TimePoint>) {
                return zone.LocalText(v);
            } else if constexpr (std::is_same_v<V, core::LocalDay>) {
                return v.ToString();
            } else {
                (void)type;
                return v ? "true" : "false";
            }
        },
        cell);
}

}  // namespace

std::string SheetText(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        size_t n = Utf8Length(text);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            text.remove_prefix(1);
            continue;
        }
        unsigned char c = static_cast<unsigned char>(text[0]);
        if (n > 1 || c >= 0x20 || c == '\t' || c == '\n') out.append(text.substr(0, n));
        text.remove_prefix(n);
    }
    return out;
}

void AppendJsonItems(std::string& out, const ReportTable& table) {
    for (size_t r = 0; r < table.rows.size(); ++r) {
        out += r ? ",{" : "{";
        for (size_t i = 0; i < table.columns.size(); ++i) {
            if (i) out += ',';
            core::AppendJsonString(out, table.columns[i].key);
            out += ':';
            const Cell& cell = table.rows[r][i];
            std::visit(
                [&](const auto& v) {
                    using V = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<V, std::monostate>) {
                        out += "null";
                    } else if constexpr (std::is_same_v<V, std::string>) {
                        if (table.columns[i].type == CellType::kJson) {
                            out += v;  // serialised JSON, written by the store's writers
                        } else {
                            core::AppendJsonString(out, v);
                        }
                    } else if constexpr (std::is_same_v<V, int64_t>) {
                        out += std::to_string(v);
                    } else if constexpr (std::is_same_v<V, double>) {
                        core::AppendJsonNumber(out, v);
                    } else if constexpr (std::is_same_v<V, core::TimePoint>) {
                        out += '"' + core::FormatIso(v) + '"';
                    } else if constexpr (std::is_same_v<V, core::LocalDay>) {
                        out += '"' + v.ToString() + '"';
                    } else {
                        out += v ? "true" : "false";
                    }
                },
                cell);
        }
        out += '}';
    }
}

std::string CsvOf(const ReportTable& table, const core::Zone& zone) {
    std::string out;
    for (size_t i = 0; i < table.columns.size(); ++i) {
        if (i) out += ',';
        out += CsvCell(TimeHeading(table.columns[i], zone));
    }
    out += "\r\n";
    for (const auto& row : table.rows) {
        for (size_t i = 0; i < table.columns.size(); ++i) {
            if (i) out += ',';
            out += CsvText(row[i], table.columns[i].type, zone);
        }
        out += "\r\n";
    }
    return out;
}

namespace {

// Removes a file when it goes out of scope.
struct TempFile {
    std::string path;
    ~TempFile() {
        if (!path.empty()) ::unlink(path.c_str());
    }
};

lxw_datetime DateTimeOf(const std::string& local) {  // "YYYY-MM-DD HH:MM:SS"
    lxw_datetime dt{};
    int sec = 0;
    std::sscanf(local.c_str(), "%d-%d-%d %d:%d:%d", &dt.year, &dt.month, &dt.day, &dt.hour, &dt.min, &sec);
    dt.sec = sec;
    return dt;
}

}  // namespace

Result<std::string> XlsxOf(const ReportTable& table, const core::Zone& zone, const std::string& tmp_dir) {
    std::string pattern = (std::filesystem::path(tmp_dir) / "fleetd-report-XXXXXX").string();
    int fd = ::mkstemp(pattern.data());
    if (fd < 0) return MakeError("cannot create a temporary file in " + tmp_dir);
    ::close(fd);
    TempFile file{pattern};
    // constant_memory: each row goes to the temporary file as it is written, and strings are inline.
    lxw_workbook_options options{};
    options.constant_memory = LXW_TRUE;
    std::string tmp = tmp_dir;
    options.tmpdir = tmp.data();
    lxw_workbook* book = workbook_new_opt(file.path.c_str(), &options);
    if (!book) return MakeError("cannot start an XLSX workbook");
    std::string sheet_name = table.report.substr(0, 31);
    lxw_worksheet* sheet = workbook_add_worksheet(book, sheet_name.c_str());
    lxw_format* bold = workbook_add_format(book);
    format_set_bold(bold);
    lxw_format* when = workbook_add_format(book);
    format_set_num_format(when, "yyyy-mm-dd hh:mm:ss");
    lxw_format* day = workbook_add_format(book);
    format_set_num_format(day, "yyyy-mm-dd");
    worksheet_freeze_panes(sheet, 1, 0);
    for (size_t i = 0; i < table.columns.size(); ++i) {
        auto col = static_cast<lxw_col_t>(i);
        bool wide = table.columns[i].type == CellType::kTime || table.columns[i].type == CellType::kText;
        worksheet_set_column(sheet, col, col, wide ? 20 : 12, nullptr);
        worksheet_write_string(sheet, 0, col, SheetText(TimeHeading(table.columns[i], zone)).c_str(), bold);
    }
    for (size_t r = 0; r < table.rows.size(); ++r) {
        auto row = static_cast<lxw_row_t>(r + 1);
        for (size_t i = 0; i < table.columns.size(); ++i) {
            auto col = static_cast<lxw_col_t>(i);
            std::visit(
                [&](const auto& v) {
                    using V = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<V, std::string>) {
                        // A string cell is never a formula, whatever it starts with.
                        worksheet_write_string(sheet, row, col, SheetText(v.substr(0, 32767)).c_str(), nullptr);
                    } else if constexpr (std::is_same_v<V, int64_t>) {
                        worksheet_write_number(sheet, row, col, static_cast<double>(v), nullptr);
                    } else if constexpr (std::is_same_v<V, double>) {
                        if (std::isfinite(v)) worksheet_write_number(sheet, row, col, v, nullptr);
                    } else if constexpr (std::is_same_v<V, core::TimePoint>) {
                        lxw_datetime dt = DateTimeOf(zone.LocalText(v));
                        worksheet_write_datetime(sheet, row, col, &dt, when);
                    } else if constexpr (std::is_same_v<V, core::LocalDay>) {
                        lxw_datetime dt = DateTimeOf(v.ToString() + " 00:00:00");
                        worksheet_write_datetime(sheet, row, col, &dt, day);
                    } else if constexpr (std::is_same_v<V, bool>) {
                        worksheet_write_boolean(sheet, row, col, v, nullptr);
                    }
                },
                table.rows[r][i]);
        }
    }
    if (lxw_error e = workbook_close(book); e != LXW_NO_ERROR) {
        return MakeError(fmt::format("XLSX: {}", lxw_strerror(e)));
    }
    std::ifstream in(file.path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return MakeError("cannot read the XLSX file back");
    return bytes;
}

Result<ExportFile> ExportOf(const ReportTable& table, std::string_view format, const core::Zone& zone,
                            const std::string& tmp_dir) {
    if (format == "csv") return ExportFile{CsvOf(table, zone), "text/csv; charset=utf-8; header=present"};
    auto xlsx = XlsxOf(table, zone, tmp_dir);
    if (!xlsx) return xlsx.error();
    return ExportFile{std::move(*xlsx), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"};
}

}  // namespace fleet::api::detail
