#include "service/api/audio_service.h"

#include "service/api/unary_call.h"
#include "service/api/upload_call.h"

namespace mediagen::api {
namespace {

// Audio generations may spend credits (kCreate); they answer synchronously
// and have no webhook_url upstream. The upstream call is the request's row
// of the route table.
template <typename Req, typename Resp>
grpc::ServerUnaryReactor* RunGeneration(const ApiContext& api,
                                        grpc::CallbackServerContext* ctx,
                                        const Req* req, Resp* resp) {
  static const UnaryMethod<Req, Resp> m{CallKind::kCreate};
  return RunUnary(api, ctx, req, resp, m);
}

}  // namespace

grpc::ServerUnaryReactor* AudioServiceImpl::TextToSpeech(
    grpc::CallbackServerContext* ctx, const v1::TextToSpeechRequest* req,
    v1::TextToSpeechResponse* resp) {
  return RunGeneration(api_, ctx, req, resp);
}

grpc::ServerUnaryReactor* AudioServiceImpl::TextToSoundEffect(
    grpc::CallbackServerContext* ctx, const v1::TextToSoundEffectRequest* req,
    v1::TextToSoundEffectResponse* resp) {
  return RunGeneration(api_, ctx, req, resp);
}

grpc::ServerUnaryReactor* AudioServiceImpl::TextToMusic(
    grpc::CallbackServerContext* ctx, const v1::TextToMusicRequest* req,
    v1::TextToMusicResponse* resp) {
  return RunGeneration(api_, ctx, req, resp);
}

grpc::ServerUnaryReactor* AudioServiceImpl::EstimateAudioCredits(
    grpc::CallbackServerContext* ctx,
    const v1::EstimateAudioCreditsRequest* req,
    v1::EstimateAudioCreditsResponse* resp) {
  static const UnaryMethod<v1::EstimateAudioCreditsRequest,
                           v1::EstimateAudioCreditsResponse>
      m{CallKind::kRead};
  return RunUnary(api_, ctx, req, resp, m);
}

grpc::ServerReadReactor<v1::UploadAudioRequest>* AudioServiceImpl::UploadAudio(
    grpc::CallbackServerContext* ctx, v1::UploadAudioResponse* resp) {
  return UploadReactor<v1::UploadAudioRequest, v1::UploadAudioMetadata,
                       v1::UploadAudioResponse>::Create(api_, ctx, resp);
}

}  // namespace mediagen::api
