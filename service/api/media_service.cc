#include "service/api/media_service.h"

#include "service/api/unary_call.h"

namespace mediagen::api {
namespace {

// mediagen's own receiver URL carries the tenant's webhook token: callers
// never see it (they did not set it, and it is a secret).
void HideOwnWebhook(const ApiContext& api, const ResolvedCall& call,
                    v1::Media& media) {
  if (!media.webhook_url().empty() &&
      media.webhook_url() == WebhookUrlFor(api, *call.tenant)) {
    media.clear_webhook_url();
  }
}

void AfterCreate(const ApiContext& api, const ResolvedCall& call,
                 v1::CreateMediaResponse& resp) {
  HideOwnWebhook(api, call, *resp.mutable_media());
}

void AfterGet(const ApiContext& api, const ResolvedCall& call,
              v1::GetMediaResponse& resp) {
  HideOwnWebhook(api, call, *resp.mutable_media());
}

void AfterUpdate(const ApiContext& api, const ResolvedCall& call,
                 v1::UpdateMediaResponse& resp) {
  HideOwnWebhook(api, call, *resp.mutable_media());
  // An update may have started a new generation: a cached (even terminal)
  // state of this media is no longer the truth.
  api.registry->Invalidate(call.tenant->name, resp.media().name());
}

}  // namespace

grpc::ServerUnaryReactor* MediaServiceImpl::CreateMedia(
    grpc::CallbackServerContext* ctx, const v1::CreateMediaRequest* req,
    v1::CreateMediaResponse* resp) {
  static const UnaryMethod<v1::CreateMediaRequest, v1::CreateMediaResponse> m{
      CallKind::kCreate, &UseOwnWebhook<v1::CreateMediaRequest>, &AfterCreate};
  return RunUnary(api_, ctx, req, resp, m);
}

grpc::ServerUnaryReactor* MediaServiceImpl::GetMedia(
    grpc::CallbackServerContext* ctx, const v1::GetMediaRequest* req,
    v1::GetMediaResponse* resp) {
  static const UnaryMethod<v1::GetMediaRequest, v1::GetMediaResponse> m{
      CallKind::kRead, nullptr, &AfterGet};
  return RunUnary(api_, ctx, req, resp, m);
}

grpc::ServerUnaryReactor* MediaServiceImpl::UpdateMedia(
    grpc::CallbackServerContext* ctx, const v1::UpdateMediaRequest* req,
    v1::UpdateMediaResponse* resp) {
  // Updates spend credits when they regenerate, so they are treated like
  // creates: request_id makes them idempotent, and they are never retried.
  // No webhook is injected: the media's existing one stays as it was.
  static const UnaryMethod<v1::UpdateMediaRequest, v1::UpdateMediaResponse> m{
      CallKind::kCreate, nullptr, &AfterUpdate};
  return RunUnary(api_, ctx, req, resp, m);
}

}  // namespace mediagen::api
