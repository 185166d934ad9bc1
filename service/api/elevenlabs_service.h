// ElevenLabsService on the gRPC callback API (elevenlabs.proto): audio
// streamed from upstream to the caller as it arrives.
#ifndef MEDIAGEN_SERVICE_API_ELEVENLABS_SERVICE_H_
#define MEDIAGEN_SERVICE_API_ELEVENLABS_SERVICE_H_

#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "service/api/api_context.h"

namespace mediagen::api {

class ElevenLabsServiceImpl : public v1::ElevenLabsService::CallbackService {
 public:
  explicit ElevenLabsServiceImpl(ApiContext api) : api_(std::move(api)) {}

  grpc::ServerWriteReactor<v1::SynthesizeSpeechResponse>* SynthesizeSpeech(
      grpc::CallbackServerContext* ctx,
      const v1::SynthesizeSpeechRequest* req) override;
  grpc::ServerWriteReactor<v1::GenerateSoundEffectResponse>*
  GenerateSoundEffect(grpc::CallbackServerContext* ctx,
                      const v1::GenerateSoundEffectRequest* req) override;

 private:
  const ApiContext api_;
};

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_ELEVENLABS_SERVICE_H_
