#include "service/server/webhook_handler.h"

#include <memory>
#include <utility>

#include "nlohmann/json.hpp"
#include "service/upstream/providers/resource_name.h"

namespace mediagen::server {

WebhookDecision DecideWebhook(const auth::TenantDirectory& tenants,
                              absl::string_view tenant, absl::string_view token,
                              absl::string_view body) {
  WebhookDecision d;
  std::shared_ptr<const auth::Tenant> found =
      tenants.FindByWebhookToken(tenant, token);
  if (found == nullptr) return d;  // 404
  // The admin server refuses bodies over AdminServer::kMaxWebhookBytes
  // before this runs; the parser itself is not recursive.
  nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  std::string name;
  if (json.is_object()) {
    for (auto [field, kind] :
         {std::pair{"media_id", upstream::ResourceKind::kMedia},
          std::pair{"asset_id", upstream::ResourceKind::kAsset}}) {
      auto it = json.find(field);
      if (it != json.end() && it->is_string()) {
        name = upstream::FormatResourceName(kind, it->get<std::string>());
        break;
      }
    }
  }
  if (name.empty() || !upstream::ParseResourceName(name).ok()) {
    d.http_status = 400;
    return d;
  }
  d.http_status = 204;
  d.poke = true;
  d.tenant = found->name;
  d.name = std::move(name);
  return d;
}

}  // namespace mediagen::server
