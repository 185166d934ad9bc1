#include "service/api/stable_audio_service.h"

#include "service/api/unary_call.h"

namespace mediagen::api {

grpc::ServerUnaryReactor* StableAudioServiceImpl::GenerateAudio(
    grpc::CallbackServerContext* ctx, const v1::GenerateAudioRequest* req,
    v1::GenerateAudioResponse* resp) {
  static const UnaryMethod<v1::GenerateAudioRequest, v1::GenerateAudioResponse>
      m{CallKind::kCreate};
  return RunUnary(api_, ctx, req, resp, m);
}

grpc::ServerUnaryReactor* StableAudioServiceImpl::GetGeneration(
    grpc::CallbackServerContext* ctx, const v1::GetGenerationRequest* req,
    v1::GetGenerationResponse* resp) {
  static const UnaryMethod<v1::GetGenerationRequest, v1::GetGenerationResponse>
      m{CallKind::kRead};
  return RunUnary(api_, ctx, req, resp, m);
}

}  // namespace mediagen::api
