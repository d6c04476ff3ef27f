// The API's description: GET /api/v1/openapi.json (public: it holds no data).
#include "api/detail/service.hpp"

namespace fleet::api::detail {

void AddMetaRoutes(Service& s) {
    s.router.Add({"GET", "/api/v1/openapi.json", Access::kPublic, std::nullopt, true,
                  [&s](Ctx&, http::Response& res) -> boost::asio::awaitable<void> {
                      res = Json(200, s.openapi);
                      co_return;
                  }});
}

}  // namespace fleet::api::detail
