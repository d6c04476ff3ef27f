#include <fmt/format.h>

#include <boost/json.hpp>

#include "api/detail/service.hpp"
#include "api/openapi_fragments.hpp"  // generated: kOpenApiBase, kOpenApiFragments

namespace fleet::api::detail {

namespace json = boost::json;

Result<std::string> BuildOpenApi() {
    boost::system::error_code ec;
    json::value doc = json::parse(kOpenApiBase, ec);
    if (ec || !doc.is_object()) return MakeError("openapi/base.json is not a JSON object");
    json::object& paths = doc.as_object()["paths"].as_object();
    json::object& schemas = doc.as_object()["components"].as_object()["schemas"].as_object();
    for (const auto& [name, text] : kOpenApiFragments) {
        json::value frag = json::parse(text, ec);
        if (ec || !frag.is_object()) return MakeError(fmt::format("openapi/{} is not a JSON object", name));
        if (auto* p = frag.as_object().if_contains("paths")) {
            for (const auto& [path, item] : p->as_object()) {
                json::value& slot = paths[path];
                if (!slot.is_object()) slot.emplace_object();
                json::object& into = slot.as_object();
                for (const auto& [method, op] : item.as_object()) {
                    if (into.contains(method)) {
                        return MakeError(fmt::format("openapi/{}: {} {} is described twice", name, method,
                                                     std::string_view(path)));
                    }
                    into[method] = op;
                }
            }
        }
        if (auto* c = frag.as_object().if_contains("components")) {
            if (auto* sc = c->as_object().if_contains("schemas")) {
                for (const auto& [schema, body] : sc->as_object()) {
                    if (schemas.contains(schema)) {
                        return MakeError(fmt::format("openapi/{}: schema {} is defined twice", name,
                                                     std::string_view(schema)));
                    }
                    schemas[schema] = body;
                }
            }
        }
    }
    return json::serialize(doc);
}

}  // namespace fleet::api::detail
