// Strict request bodies and the one way list endpoints page, filter and sort.
//
// A body is a JSON object sent as application/json whose members are all declared in a Schema
// with the right JSON type; anything else is refused with a problem (400 invalid-body, 415).
// A list query is ?limit=&offset=&sort=[-]field plus declared filters; anything else is 400
// invalid-query. See docs/api.md (Conventions).
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/http_server.hpp"

namespace fleet::api::detail {

enum class FieldType { kString, kInt, kBool, kNumber, kStringArray, kIntArray, kObject };

struct Field {
    std::string_view name;
    FieldType type = FieldType::kString;
    bool required = false;
    bool nullable = false;   // JSON null accepted (to clear an optional value)
    size_t max_bytes = 256;  // strings (each element for arrays); arrays hold at most 1,000 elements
};

using Schema = std::initializer_list<Field>;

// The validated object, or the problem to answer.
std::variant<boost::json::object, http::Response> ParseBody(const http::Request& req, Schema schema);

// Helpers to read a validated object.
std::optional<std::string> GetString(const boost::json::object& o, std::string_view name);
std::optional<int64_t> GetInt(const boost::json::object& o, std::string_view name);
std::optional<bool> GetBool(const boost::json::object& o, std::string_view name);
std::optional<double> GetNumber(const boost::json::object& o, std::string_view name);
std::optional<std::vector<int64_t>> GetIntArray(const boost::json::object& o, std::string_view name);
bool IsNull(const boost::json::object& o, std::string_view name);  // present and null

http::Response InvalidBody(std::string_view detail);
http::Response InvalidQuery(std::string_view detail);
http::Response NotFound(std::string_view what);
http::Response Forbidden(std::string_view detail);
http::Response Conflict(std::string_view detail);
http::Response Internal();
http::Response Json(int status, std::string body);

// A page of a list: limit 1..1000 (default 100), offset >= 0, sort by one declared field
// ascending or descending ("-name"), and equality filters on declared fields (plus "q", a
// free-text search, when the list declares it).
struct ListQuery {
    int64_t limit = 100;
    int64_t offset = 0;
    std::string sort;       // a declared sort field; "" = the list's default
    bool descending = false;
    std::map<std::string, std::string> filters;  // declared filter -> value
};

struct ListSpec {
    std::vector<std::string_view> sort_fields;    // first one is the default
    std::vector<std::string_view> filter_fields;  // may include "q"
};

std::variant<ListQuery, http::Response> ParseListQuery(const std::map<std::string, std::string>& query,
                                                       const ListSpec& spec);

// {"items":[...],"total":N,"limit":L,"offset":O}
std::string PageJson(const std::vector<std::string>& items, int64_t total, const ListQuery& q);

}  // namespace fleet::api::detail
