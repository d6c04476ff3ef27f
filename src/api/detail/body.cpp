#include "api/detail/body.hpp"

#include <fmt/format.h>

#include <boost/beast/core/string.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

namespace fleet::api::detail {

namespace json = boost::json;

http::Response InvalidBody(std::string_view detail) {
    return http::Problem(400, "invalid-body", "Invalid request body", detail);
}
http::Response InvalidQuery(std::string_view detail) {
    return http::Problem(400, "invalid-query", "Invalid query", detail);
}
http::Response NotFound(std::string_view what) {
    return http::Problem(404, "not-found", "Not found", fmt::format("no such {}", what));
}
http::Response Forbidden(std::string_view detail) {
    return http::Problem(403, "forbidden", "Forbidden", detail);
}
http::Response Conflict(std::string_view detail) { return http::Problem(409, "conflict", "Conflict", detail); }
http::Response Internal() {
    return http::Problem(500, "internal", "Internal error", "the server could not answer; see its log");
}
http::Response Json(int status, std::string body) {
    http::Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::move(body);
    return r;
}

namespace {

bool IsJsonContentType(std::string_view ct) {
    auto semi = ct.find(';');
    std::string_view type = ct.substr(0, semi);
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    return boost::beast::iequals(type, "application/json");
}

std::string_view TypeName(FieldType t) {
    switch (t) {
        case FieldType::kString: return "a string";
        case FieldType::kInt: return "an integer";
        case FieldType::kBool: return "a boolean";
        case FieldType::kNumber: return "a number";
        case FieldType::kStringArray: return "an array of strings";
        case FieldType::kIntArray: return "an array of integers";
        case FieldType::kObject: return "an object";
    }
    return "?";
}

std::optional<std::string> Check(const Field& f, const json::value& v) {
    auto wrong = [&] { return fmt::format("'{}' must be {}", f.name, TypeName(f.type)); };
    if (v.is_null()) {
        if (f.nullable) return std::nullopt;
        return wrong();
    }
    switch (f.type) {
        case FieldType::kString:
            if (!v.is_string()) return wrong();
            if (v.as_string().size() > f.max_bytes) return fmt::format("'{}' is longer than {} bytes", f.name, f.max_bytes);
            return std::nullopt;
        case FieldType::kInt:
            if (v.is_int64() || (v.is_uint64() && v.as_uint64() <= INT64_MAX)) return std::nullopt;
            return wrong();
        case FieldType::kBool:
            return v.is_bool() ? std::nullopt : std::optional(wrong());
        case FieldType::kNumber:
            return v.is_number() ? std::nullopt : std::optional(wrong());
        case FieldType::kStringArray:
            if (!v.is_array() || v.as_array().size() > 1000) return wrong();
            for (const auto& e : v.as_array()) {
                if (!e.is_string()) return wrong();
                if (e.as_string().size() > f.max_bytes) return fmt::format("an element of '{}' is longer than {} bytes", f.name, f.max_bytes);
            }
            return std::nullopt;
        case FieldType::kIntArray:
            if (!v.is_array() || v.as_array().size() > 1000) return wrong();
            for (const auto& e : v.as_array()) {
                if (!e.is_int64() && !(e.is_uint64() && e.as_uint64() <= INT64_MAX)) return wrong();
            }
            return std::nullopt;
        case FieldType::kObject:
            if (!v.is_object()) return wrong();
            if (json::serialize(v).size() > f.max_bytes) return fmt::format("'{}' is larger than {} bytes", f.name, f.max_bytes);
            return std::nullopt;
    }
    return wrong();
}

}  // namespace

std::variant<json::object, http::Response> ParseBody(const http::Request& req, Schema schema) {
    if (!IsJsonContentType(req.content_type)) {
        return http::Problem(415, "unsupported-media-type", "Unsupported media type", "send the body as application/json");
    }
    boost::system::error_code ec;
    json::value v = json::parse(req.body, ec);
    if (ec) return InvalidBody("the body is not JSON: " + ec.message());
    if (!v.is_object()) return InvalidBody("the body must be a JSON object");
    for (const auto& kv : v.as_object()) {
        const Field* field = nullptr;
        for (const auto& f : schema) {
            if (f.name == std::string_view(kv.key())) field = &f;
        }
        if (!field) return InvalidBody(fmt::format("unknown field '{}'", std::string_view(kv.key()).substr(0, 64)));
        if (auto problem = Check(*field, kv.value())) return InvalidBody(*problem);
    }
    for (const auto& f : schema) {
        if (f.required && !v.as_object().contains(f.name)) return InvalidBody(fmt::format("'{}' is required", f.name));
    }
    return std::move(v.as_object());
}

std::optional<std::string> GetString(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end() || !it->value().is_string()) return std::nullopt;
    return std::string(it->value().as_string());
}
std::optional<int64_t> GetInt(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end()) return std::nullopt;
    if (it->value().is_int64()) return it->value().as_int64();
    if (it->value().is_uint64()) return static_cast<int64_t>(it->value().as_uint64());
    return std::nullopt;
}
std::optional<bool> GetBool(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end() || !it->value().is_bool()) return std::nullopt;
    return it->value().as_bool();
}
std::optional<double> GetNumber(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end() || !it->value().is_number()) return std::nullopt;
    return it->value().to_number<double>();
}
std::optional<std::vector<int64_t>> GetIntArray(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end() || !it->value().is_array()) return std::nullopt;
    std::vector<int64_t> out;
    for (const auto& e : it->value().as_array()) {
        out.push_back(e.is_int64() ? e.as_int64() : static_cast<int64_t>(e.as_uint64()));
    }
    return out;
}
bool IsNull(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    return it != o.end() && it->value().is_null();
}

namespace {
std::optional<int64_t> ParseInt(std::string_view s) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}
}  // namespace

std::variant<ListQuery, http::Response> ParseListQuery(const std::map<std::string, std::string>& query,
                                                       const ListSpec& spec) {
    ListQuery q;
    if (!spec.sort_fields.empty()) q.sort = spec.sort_fields.front();
    for (const auto& [key, value] : query) {
        if (key == "limit") {
            auto v = ParseInt(value);
            if (!v || *v < 1 || *v > 1000) return InvalidQuery("'limit' must be an integer from 1 to 1000");
            q.limit = *v;
        } else if (key == "offset") {
            auto v = ParseInt(value);
            if (!v || *v < 0) return InvalidQuery("'offset' must be a non-negative integer");
            q.offset = *v;
        } else if (key == "sort") {
            std::string_view f = value;
            bool desc = !f.empty() && f.front() == '-';
            if (desc) f.remove_prefix(1);
            bool known = false;
            for (auto s : spec.sort_fields) known = known || s == f;
            if (!known) return InvalidQuery(fmt::format("cannot sort by '{}'", f.substr(0, 64)));
            q.sort = std::string(f);
            q.descending = desc;
        } else {
            bool known = false;
            for (auto s : spec.filter_fields) known = known || s == key;
            if (!known) return InvalidQuery(fmt::format("unknown query parameter '{}'", std::string_view(key).substr(0, 64)));
            if (value.size() > 256) return InvalidQuery(fmt::format("'{}' is longer than 256 bytes", key));
            q.filters[key] = value;
        }
    }
    return q;
}

std::string PageJson(const std::vector<std::string>& items, int64_t total, const ListQuery& q) {
    std::string out = "{\"items\":[";
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        out += items[i];
    }
    out += fmt::format("],\"total\":{},\"limit\":{},\"offset\":{}}}", total, q.limit, q.offset);
    return out;
}

}  // namespace fleet::api::detail
