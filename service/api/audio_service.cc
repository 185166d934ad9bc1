#include "service/api/audio_service.h"

#include "service/api/unary_call.h"
#include "service/api/upload_call.h"

namespace mediagen::api {

using upstream::Engine;

// Audio generations answer synchronously and have no webhook_url upstream.
#define MEDIAGEN_AUDIO_GENERATION(Rpc)                                       \
  grpc::ServerUnaryReactor* AudioServiceImpl::Rpc(                           \
      grpc::CallbackServerContext* ctx, const v1::Rpc##Request* req,         \
      v1::Rpc##Response* resp) {                                             \
    static const UnaryMethod<v1::Rpc##Request, v1::Rpc##Response> m{        \
        "mediagen.v1.AudioService/" #Rpc, &Engine::Rpc, CallKind::kCreate}; \
    return RunUnary(api_, ctx, req, resp, m);                                \
  }

MEDIAGEN_AUDIO_GENERATION(TextToSpeech)
MEDIAGEN_AUDIO_GENERATION(TextToSoundEffect)
MEDIAGEN_AUDIO_GENERATION(TextToMusic)

#undef MEDIAGEN_AUDIO_GENERATION

grpc::ServerUnaryReactor* AudioServiceImpl::EstimateAudioCredits(
    grpc::CallbackServerContext* ctx, const v1::EstimateAudioCreditsRequest* req,
    v1::EstimateAudioCreditsResponse* resp) {
  static const UnaryMethod<v1::EstimateAudioCreditsRequest,
                           v1::EstimateAudioCreditsResponse>
      m{"mediagen.v1.AudioService/EstimateAudioCredits",
        &Engine::EstimateAudioCredits, CallKind::kRead};
  return RunUnary(api_, ctx, req, resp, m);
}

grpc::ServerReadReactor<v1::UploadAudioRequest>* AudioServiceImpl::UploadAudio(
    grpc::CallbackServerContext* ctx, v1::UploadAudioResponse* resp) {
  static const UploadMethod<v1::UploadAudioMetadata, v1::UploadAudioResponse> m{
      "mediagen.v1.AudioService/UploadAudio", &Engine::StartAudioUpload};
  return UploadReactor<v1::UploadAudioRequest, v1::UploadAudioMetadata,
                           v1::UploadAudioResponse>::Create(api_, ctx, resp, m);
}

}  // namespace mediagen::api
