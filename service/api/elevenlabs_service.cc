#include "service/api/elevenlabs_service.h"

#include "service/api/audio_stream_call.h"

namespace mediagen::api {

grpc::ServerWriteReactor<v1::SynthesizeSpeechResponse>*
ElevenLabsServiceImpl::SynthesizeSpeech(grpc::CallbackServerContext* ctx,
                                        const v1::SynthesizeSpeechRequest* req) {
  return new AudioStreamReactor<v1::SynthesizeSpeechRequest,
                                v1::SynthesizeSpeechResponse>(api_, ctx, *req);
}

grpc::ServerWriteReactor<v1::GenerateSoundEffectResponse>*
ElevenLabsServiceImpl::GenerateSoundEffect(
    grpc::CallbackServerContext* ctx,
    const v1::GenerateSoundEffectRequest* req) {
  return new AudioStreamReactor<v1::GenerateSoundEffectRequest,
                                v1::GenerateSoundEffectResponse>(api_, ctx,
                                                                 *req);
}

}  // namespace mediagen::api
