// AudioService on the gRPC callback API (see proto/mediagen/v1/audio.proto).
#ifndef MEDIAGEN_SERVICE_API_AUDIO_SERVICE_H_
#define MEDIAGEN_SERVICE_API_AUDIO_SERVICE_H_

#include "mediagen/v1/audio.grpc.pb.h"
#include "service/api/api_context.h"

namespace mediagen::api {

class AudioServiceImpl : public v1::AudioService::CallbackService {
 public:
  explicit AudioServiceImpl(ApiContext api) : api_(std::move(api)) {}

  grpc::ServerReadReactor<v1::UploadAudioRequest>* UploadAudio(
      grpc::CallbackServerContext* ctx, v1::UploadAudioResponse* resp) override;
  grpc::ServerUnaryReactor* EstimateAudioCredits(
      grpc::CallbackServerContext* ctx,
      const v1::EstimateAudioCreditsRequest* req,
      v1::EstimateAudioCreditsResponse* resp) override;
  grpc::ServerUnaryReactor* TextToSpeech(
      grpc::CallbackServerContext* ctx, const v1::TextToSpeechRequest* req,
      v1::TextToSpeechResponse* resp) override;
  grpc::ServerUnaryReactor* TextToSoundEffect(
      grpc::CallbackServerContext* ctx, const v1::TextToSoundEffectRequest* req,
      v1::TextToSoundEffectResponse* resp) override;
  grpc::ServerUnaryReactor* TextToMusic(
      grpc::CallbackServerContext* ctx, const v1::TextToMusicRequest* req,
      v1::TextToMusicResponse* resp) override;

 private:
  const ApiContext api_;
};

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_AUDIO_SERVICE_H_
