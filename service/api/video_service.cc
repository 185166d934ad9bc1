#include "service/api/video_service.h"

#include "service/api/unary_call.h"
#include "service/api/upload_call.h"

namespace mediagen::api {
namespace {

// Every generation route of VideoService may spend credits (kCreate) and
// accepts a webhook_url, which gets this tenant's receiver when the caller
// set none. The upstream call is the request's row of the route table.
template <typename Req, typename Resp>
grpc::ServerUnaryReactor* RunGeneration(const ApiContext& api,
                                        grpc::CallbackServerContext* ctx,
                                        const Req* req, Resp* resp) {
  static const UnaryMethod<Req, Resp> m{CallKind::kCreate, &UseOwnWebhook<Req>};
  return RunUnary(api, ctx, req, resp, m);
}

}  // namespace

grpc::ServerUnaryReactor* VideoServiceImpl::CropToAspectRatio(
    grpc::CallbackServerContext* ctx, const v1::CropToAspectRatioRequest* req,
    v1::CropToAspectRatioResponse* resp) {
  return RunGeneration(api_, ctx, req, resp);
}

grpc::ServerUnaryReactor* VideoServiceImpl::ReframeVideo(
    grpc::CallbackServerContext* ctx, const v1::ReframeVideoRequest* req,
    v1::ReframeVideoResponse* resp) {
  return RunGeneration(api_, ctx, req, resp);
}

grpc::ServerUnaryReactor* VideoServiceImpl::EnhanceVideo(
    grpc::CallbackServerContext* ctx, const v1::EnhanceVideoRequest* req,
    v1::EnhanceVideoResponse* resp) {
  return RunGeneration(api_, ctx, req, resp);
}

grpc::ServerUnaryReactor* VideoServiceImpl::AddSoundEffect(
    grpc::CallbackServerContext* ctx, const v1::AddSoundEffectRequest* req,
    v1::AddSoundEffectResponse* resp) {
  return RunGeneration(api_, ctx, req, resp);
}

grpc::ServerUnaryReactor* VideoServiceImpl::AvatarLipSync(
    grpc::CallbackServerContext* ctx, const v1::AvatarLipSyncRequest* req,
    v1::AvatarLipSyncResponse* resp) {
  return RunGeneration(api_, ctx, req, resp);
}

grpc::ServerUnaryReactor* VideoServiceImpl::LipSync(
    grpc::CallbackServerContext* ctx, const v1::LipSyncRequest* req,
    v1::LipSyncResponse* resp) {
  return RunGeneration(api_, ctx, req, resp);
}

grpc::ServerUnaryReactor* VideoServiceImpl::GenerateVideoEffect(
    grpc::CallbackServerContext* ctx, const v1::GenerateVideoEffectRequest* req,
    v1::GenerateVideoEffectResponse* resp) {
  return RunGeneration(api_, ctx, req, resp);
}

grpc::ServerUnaryReactor* VideoServiceImpl::ReplaceBackground(
    grpc::CallbackServerContext* ctx, const v1::ReplaceBackgroundRequest* req,
    v1::ReplaceBackgroundResponse* resp) {
  return RunGeneration(api_, ctx, req, resp);
}

grpc::ServerUnaryReactor* VideoServiceImpl::ReferenceToVideo(
    grpc::CallbackServerContext* ctx, const v1::ReferenceToVideoRequest* req,
    v1::ReferenceToVideoResponse* resp) {
  return RunGeneration(api_, ctx, req, resp);
}

grpc::ServerUnaryReactor* VideoServiceImpl::VideoToVideo(
    grpc::CallbackServerContext* ctx, const v1::VideoToVideoRequest* req,
    v1::VideoToVideoResponse* resp) {
  return RunGeneration(api_, ctx, req, resp);
}

grpc::ServerUnaryReactor* VideoServiceImpl::AttachAudio(
    grpc::CallbackServerContext* ctx, const v1::AttachAudioRequest* req,
    v1::AttachAudioResponse* resp) {
  return RunGeneration(api_, ctx, req, resp);
}

grpc::ServerUnaryReactor* VideoServiceImpl::EstimateVideoCredits(
    grpc::CallbackServerContext* ctx,
    const v1::EstimateVideoCreditsRequest* req,
    v1::EstimateVideoCreditsResponse* resp) {
  static const UnaryMethod<v1::EstimateVideoCreditsRequest,
                           v1::EstimateVideoCreditsResponse>
      m{CallKind::kRead};
  return RunUnary(api_, ctx, req, resp, m);
}

grpc::ServerReadReactor<v1::UploadVideoRequest>* VideoServiceImpl::UploadVideo(
    grpc::CallbackServerContext* ctx, v1::UploadVideoResponse* resp) {
  return UploadReactor<v1::UploadVideoRequest, v1::UploadVideoMetadata,
                       v1::UploadVideoResponse>::Create(api_, ctx, resp);
}

}  // namespace mediagen::api
