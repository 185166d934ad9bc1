#include "service/api/video_service.h"

#include "service/api/unary_call.h"
#include "service/api/upload_call.h"

namespace mediagen::api {

using upstream::Engine;

// Every generation route below may spend credits (kCreate) and accepts a
// webhook_url, which gets this tenant's receiver when the caller set none.
#define MEDIAGEN_VIDEO_GENERATION(Rpc)                                       \
  grpc::ServerUnaryReactor* VideoServiceImpl::Rpc(                           \
      grpc::CallbackServerContext* ctx, const v1::Rpc##Request* req,         \
      v1::Rpc##Response* resp) {                                             \
    static const UnaryMethod<v1::Rpc##Request, v1::Rpc##Response> m{        \
        "mediagen.v1.VideoService/" #Rpc, &Engine::Rpc, CallKind::kCreate,  \
        &UseOwnWebhook<v1::Rpc##Request>, nullptr};                          \
    return RunUnary(api_, ctx, req, resp, m);                                \
  }

MEDIAGEN_VIDEO_GENERATION(CropToAspectRatio)
MEDIAGEN_VIDEO_GENERATION(ReframeVideo)
MEDIAGEN_VIDEO_GENERATION(EnhanceVideo)
MEDIAGEN_VIDEO_GENERATION(AddSoundEffect)
MEDIAGEN_VIDEO_GENERATION(AvatarLipSync)
MEDIAGEN_VIDEO_GENERATION(LipSync)
MEDIAGEN_VIDEO_GENERATION(GenerateVideoEffect)
MEDIAGEN_VIDEO_GENERATION(ReplaceBackground)
MEDIAGEN_VIDEO_GENERATION(ReferenceToVideo)
MEDIAGEN_VIDEO_GENERATION(VideoToVideo)
MEDIAGEN_VIDEO_GENERATION(AttachAudio)

#undef MEDIAGEN_VIDEO_GENERATION

grpc::ServerUnaryReactor* VideoServiceImpl::EstimateVideoCredits(
    grpc::CallbackServerContext* ctx, const v1::EstimateVideoCreditsRequest* req,
    v1::EstimateVideoCreditsResponse* resp) {
  static const UnaryMethod<v1::EstimateVideoCreditsRequest,
                           v1::EstimateVideoCreditsResponse>
      m{"mediagen.v1.VideoService/EstimateVideoCredits",
        &Engine::EstimateVideoCredits, CallKind::kRead};
  return RunUnary(api_, ctx, req, resp, m);
}

grpc::ServerReadReactor<v1::UploadVideoRequest>* VideoServiceImpl::UploadVideo(
    grpc::CallbackServerContext* ctx, v1::UploadVideoResponse* resp) {
  static const UploadMethod<v1::UploadVideoMetadata, v1::UploadVideoResponse> m{
      "mediagen.v1.VideoService/UploadVideo", &Engine::StartVideoUpload};
  return UploadReactor<v1::UploadVideoRequest, v1::UploadVideoMetadata,
                           v1::UploadVideoResponse>::Create(api_, ctx, resp, m);
}

}  // namespace mediagen::api
