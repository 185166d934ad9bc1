// StableAudioService on the gRPC callback API (stable_audio.proto).
#ifndef MEDIAGEN_SERVICE_API_STABLE_AUDIO_SERVICE_H_
#define MEDIAGEN_SERVICE_API_STABLE_AUDIO_SERVICE_H_

#include "mediagen/v1/stable_audio.grpc.pb.h"
#include "service/api/api_context.h"

namespace mediagen::api {

class StableAudioServiceImpl : public v1::StableAudioService::CallbackService {
 public:
  explicit StableAudioServiceImpl(ApiContext api) : api_(std::move(api)) {}

  grpc::ServerUnaryReactor* GenerateAudio(
      grpc::CallbackServerContext* ctx, const v1::GenerateAudioRequest* req,
      v1::GenerateAudioResponse* resp) override;
  grpc::ServerUnaryReactor* GetGeneration(
      grpc::CallbackServerContext* ctx, const v1::GetGenerationRequest* req,
      v1::GetGenerationResponse* resp) override;

 private:
  const ApiContext api_;
};

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_STABLE_AUDIO_SERVICE_H_
