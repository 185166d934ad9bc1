// The decision behind POST /webhooks/vimmerse/{tenant}/{token}, apart from
// HTTP: which tenant's job (if any) to re-read, and what to answer. The
// admin server calls it; fuzz tests call it directly with hostile input.
//
//   WebhookDecision d = DecideWebhook(tenants, "acme", token, request_body);
//   if (d.poke) registry.Poke(d.tenant, d.name);
//   response.status = d.http_status;
//
// A webhook is only a hint (upstream does not sign them): its body picks
// which job to re-read and nothing else. A wrong tenant or token answers
// 404, like an unknown path, so the sender learns nothing.
#ifndef MEDIAGEN_SERVICE_SERVER_WEBHOOK_HANDLER_H_
#define MEDIAGEN_SERVICE_SERVER_WEBHOOK_HANDLER_H_

#include <string>

#include "absl/strings/string_view.h"
#include "service/auth/tenant_directory.h"

namespace mediagen::server {

struct WebhookDecision {
  // 204 (accepted, whether or not anyone watches), 400 (no usable job id in
  // the body) or 404 (unknown tenant or wrong token).
  int http_status = 404;
  // When true, re-read `name` (`media/{id}` or `assets/{id}`) of `tenant`.
  bool poke = false;
  std::string tenant;
  std::string name;
};

// `tenant` and `token` are the path segments; `body` the request body. The
// documented bodies are `{"customer_id", "media_id", "status"}` and, for
// assets, `{"customer_id", "asset_id", "status"}`; only the id is used.
WebhookDecision DecideWebhook(const auth::TenantDirectory& tenants,
                              absl::string_view tenant, absl::string_view token,
                              absl::string_view body);

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_WEBHOOK_HANDLER_H_
