#include <fmt/format.h>

#include <boost/json.hpp>

#include "api/detail/service.hpp"
#include "api/openapi_fragments.hpp"  // generated: kOpenApiBase, kOpenApiFragments

namespace fleet::api::detail {

namespace json = boost::json;

namespace {

// Marks each documented operation with who may call it, from the route table (never adds an
// operation: a route missing from the fragments stays missing, and OpenApiTest says so).
void Annotate(json::object& paths, const Router& router) {
    for (const auto& r : router.routes()) {
        auto* item = paths.if_contains(r.pattern);
        if (!item || !item->is_object()) continue;
        std::string method = r.method;
        for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto* op = item->as_object().if_contains(method);
        if (!op || !op->is_object()) continue;
        std::string access = r.access == Access::kPublic ? "public"
                             : r.permission          ? std::string(ToString(*r.permission))
                                                     : "signed-in";
        op->as_object()["x-fleetd-access"] = access;
        if (r.access == Access::kSignedIn) op->as_object()["x-fleetd-before-setup"] = r.allowed_before_setup;
        // The driver role reaches a route with a permission only where it is marked (Route::drivers).
        if (r.access == Access::kSignedIn) op->as_object()["x-fleetd-drivers"] = !r.permission || r.drivers;
    }
}

}  // namespace

Result<std::string> BuildOpenApi(const Router& router) {
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
    Annotate(paths, router);
    return json::serialize(doc);
}

}  // namespace fleet::api::detail
