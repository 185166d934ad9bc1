// Engine: the asynchronous facade the server calls, one method per unary
// RPC. Inside each call: validation, the tenant's key check, translation
// (../providers), then one Operation (operation.h: the HTTP transport,
// retries through a Scheduler so no thread sleeps, the deadline,
// cancellation, error mapping). The completion runs exactly once: on a
// transport or scheduler thread, or on the calling thread before the method
// returns when the call fails before anything is sent (validation, missing key,
// deadline already passed).
//
//   Engine engine(Engine::Options{}, &curl_transport, &thread_scheduler);
//   CallContext ctx;
//   ctx.credentials = tenant.keys;
//   ctx.deadline = grpc_context->deadline();            // absolute
//   ctx.extra_headers = {{"traceparent", traceparent}};
//   Engine::Handle h = engine.CreateMedia(ctx, request,
//       [reactor](absl::StatusOr<v1::CreateMediaResponse> r) {
//         reactor->Finish(r.ok() ? grpc::Status::OK
//                                : rpc::ToGrpcStatus(r.status()));
//       });
//   h->Cancel();                        // when the RPC is cancelled
//
// Streams (ElevenLabs): the sink gets OnInfo once on a 2xx, then OnChunk for
// each piece as it arrives (return false to pause; resume with
// Handle::ResumeReceive()), then OnDone. An error status's body is parsed,
// never streamed. Uploads: pass the file as a BodySource (a BodyPipe fed by
// the gRPC reader); it is sent inside a streamed multipart body.
//
// A call dropped without completing (its retry timer discarded by a
// stopping scheduler, or its completion by a stopping transport) completes
// with UNAVAILABLE when the last reference to it goes. The engine must
// outlive every call it started. Thread-safe.
#ifndef MEDIAGEN_SERVICE_UPSTREAM_ENGINE_ENGINE_H_
#define MEDIAGEN_SERVICE_UPSTREAM_ENGINE_ENGINE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mediagen/v1/audio.pb.h"
#include "mediagen/v1/elevenlabs.pb.h"
#include "mediagen/v1/jobs.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "mediagen/v1/video.pb.h"
#include "service/common/scheduler.h"
#include "service/http/transport.h"
#include "service/upstream/engine/operation.h"
#include "service/upstream/engine/retry_policy.h"
#include "service/upstream/providers/endpoints.h"

namespace mediagen::upstream {

class Engine {
 public:
  // What every call shares (retries, limits, secrets to scrub, the
  // attempt observer: operation.h), and where the providers are.
  struct Options : OperationOptions {
    Endpoints endpoints;
  };

  template <typename T>
  using Done = absl::AnyInvocable<void(absl::StatusOr<T>) &&>;
  using Handle = std::shared_ptr<CallHandle>;

  // `transport` and `scheduler` must outlive the engine.
  Engine(Options options, http::HttpTransport* transport, Scheduler* scheduler);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const Options& options() const { return options_; }

  // MediaService.
  Handle CreateMedia(const CallContext& ctx, const v1::CreateMediaRequest& r,
                     Done<v1::CreateMediaResponse> done);
  Handle GetMedia(const CallContext& ctx, const v1::GetMediaRequest& r,
                  Done<v1::GetMediaResponse> done);
  Handle UpdateMedia(const CallContext& ctx, const v1::UpdateMediaRequest& r,
                     Done<v1::UpdateMediaResponse> done);

  // VideoService.
  Handle StartVideoUpload(const CallContext& ctx,
                          const v1::UploadVideoMetadata& metadata,
                          std::shared_ptr<http::BodySource> file,
                          Done<v1::UploadVideoResponse> done);
  Handle EstimateVideoCredits(const CallContext& ctx,
                              const v1::EstimateVideoCreditsRequest& r,
                              Done<v1::EstimateVideoCreditsResponse> done);
  Handle CropToAspectRatio(const CallContext& ctx,
                           const v1::CropToAspectRatioRequest& r,
                           Done<v1::CropToAspectRatioResponse> done);
  Handle ReframeVideo(const CallContext& ctx, const v1::ReframeVideoRequest& r,
                      Done<v1::ReframeVideoResponse> done);
  Handle EnhanceVideo(const CallContext& ctx, const v1::EnhanceVideoRequest& r,
                      Done<v1::EnhanceVideoResponse> done);
  Handle AddSoundEffect(const CallContext& ctx,
                        const v1::AddSoundEffectRequest& r,
                        Done<v1::AddSoundEffectResponse> done);
  Handle AvatarLipSync(const CallContext& ctx,
                       const v1::AvatarLipSyncRequest& r,
                       Done<v1::AvatarLipSyncResponse> done);
  Handle LipSync(const CallContext& ctx, const v1::LipSyncRequest& r,
                 Done<v1::LipSyncResponse> done);
  Handle GenerateVideoEffect(const CallContext& ctx,
                             const v1::GenerateVideoEffectRequest& r,
                             Done<v1::GenerateVideoEffectResponse> done);
  Handle ReplaceBackground(const CallContext& ctx,
                           const v1::ReplaceBackgroundRequest& r,
                           Done<v1::ReplaceBackgroundResponse> done);
  Handle ReferenceToVideo(const CallContext& ctx,
                          const v1::ReferenceToVideoRequest& r,
                          Done<v1::ReferenceToVideoResponse> done);
  Handle VideoToVideo(const CallContext& ctx, const v1::VideoToVideoRequest& r,
                      Done<v1::VideoToVideoResponse> done);
  Handle AttachAudio(const CallContext& ctx, const v1::AttachAudioRequest& r,
                     Done<v1::AttachAudioResponse> done);

  // AudioService.
  Handle StartAudioUpload(const CallContext& ctx,
                          const v1::UploadAudioMetadata& metadata,
                          std::shared_ptr<http::BodySource> file,
                          Done<v1::UploadAudioResponse> done);
  Handle EstimateAudioCredits(const CallContext& ctx,
                              const v1::EstimateAudioCreditsRequest& r,
                              Done<v1::EstimateAudioCreditsResponse> done);
  Handle TextToSpeech(const CallContext& ctx, const v1::TextToSpeechRequest& r,
                      Done<v1::TextToSpeechResponse> done);
  Handle TextToSoundEffect(const CallContext& ctx,
                           const v1::TextToSoundEffectRequest& r,
                           Done<v1::TextToSoundEffectResponse> done);
  Handle TextToMusic(const CallContext& ctx, const v1::TextToMusicRequest& r,
                     Done<v1::TextToMusicResponse> done);

  // ElevenLabsService (streamed). Never repeated once the request may have
  // left (each call is billed).
  Handle SynthesizeSpeech(const CallContext& ctx,
                          const v1::SynthesizeSpeechRequest& r,
                          std::shared_ptr<AudioSink> sink);
  Handle GenerateSoundEffect(const CallContext& ctx,
                             const v1::GenerateSoundEffectRequest& r,
                             std::shared_ptr<AudioSink> sink);

  // StableAudioService.
  Handle GenerateAudio(const CallContext& ctx,
                       const v1::GenerateAudioRequest& r,
                       Done<v1::GenerateAudioResponse> done);
  Handle GetGeneration(const CallContext& ctx,
                       const v1::GetGenerationRequest& r,
                       Done<v1::GetGenerationResponse> done);

  // JobService: reads `media/{id}`, `assets/{id}` or `generations/{id}`
  // from upstream (GET /v2/media/{id}, the asset poll path, or GET
  // /v2/generate/audio?generation_id=) as a normalized Job (version 0).
  Handle GetJob(const CallContext& ctx, absl::string_view name,
                Done<v1::Job> done);

 private:
  template <typename Req, typename Resp, typename Parse>
  Handle Unary(const CallContext& ctx, const Req& request,
               v1::Provider provider, Parse parse, Done<Resp> done);
  template <typename Meta, typename Resp>
  Handle Upload(const CallContext& ctx, const Meta& metadata,
                std::shared_ptr<http::BodySource> file, absl::string_view field,
                Done<Resp> done);
  template <typename Req>
  Handle Audio(const CallContext& ctx, const Req& request,
               std::shared_ptr<AudioSink> sink);

  const Options options_;
  http::HttpTransport* const transport_;
  Scheduler* const scheduler_;
};

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_ENGINE_ENGINE_H_
