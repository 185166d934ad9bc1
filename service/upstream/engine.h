// Engine: the asynchronous facade the server calls, one method per unary
// RPC. Inside each call: validation, the tenant's key check, translation,
// the HTTP transport, retries (through a Scheduler: no thread sleeps), and
// error mapping. The completion runs exactly once: on a transport or
// scheduler thread, or on the calling thread before the method returns when
// the call fails before anything is sent (validation, missing key, deadline
// already passed).
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
#ifndef MEDIAGEN_SERVICE_UPSTREAM_ENGINE_H_
#define MEDIAGEN_SERVICE_UPSTREAM_ENGINE_H_

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
#include "service/upstream/config.h"
#include "service/upstream/retry_policy.h"

namespace mediagen::upstream {

// One upstream attempt, as an AttemptObserver is told of it.
struct AttemptReport {
  // Provider, method and documented path ("/v2/media/{id}"): no ids.
  const Route* route = nullptr;
  int attempt = 1;  // 1 for the first
  // The HTTP status, or 0 when no answer came (then see `transport_code`).
  int http_status = 0;
  absl::StatusCode transport_code = absl::StatusCode::kOk;
  absl::Duration latency;
  // Another attempt follows (after a backoff).
  bool will_retry = false;
  // The provider's `request-id` / `x-request-id` header, when it sent one.
  std::string upstream_request_id;
};

// Told of every attempt the engine makes (metrics, logs). Called on a
// transport thread after the attempt and before the call completes or
// retries; must be thread-safe and quick.
class AttemptObserver {
 public:
  virtual ~AttemptObserver() = default;
  virtual void OnAttempt(const AttemptReport& report) = 0;
};

// Who is calling and until when.
struct CallContext {
  // The tenant's upstream keys. An empty key for the route's provider fails
  // the call with FAILED_PRECONDITION (reason PROVIDER_NOT_CONFIGURED).
  Credentials credentials;
  // Absolute deadline (from the gRPC deadline). Every attempt and every
  // retry wait ends before it.
  absl::Time deadline = absl::InfiniteFuture();
  // Forwarded as they are (e.g. `traceparent`, `tracestate`), except names
  // the engine sets itself (auth, Content-Type, Accept, Host,
  // Content-Length, Transfer-Encoding, Connection) and anything holding CR,
  // LF or NUL, which are dropped.
  http::Headers extra_headers;
  // Told of this call's attempts (besides Engine::Options::observer).
  std::shared_ptr<AttemptObserver> observer;
};

// A started call.
class CallHandle {
 public:
  virtual ~CallHandle() = default;
  // Aborts the upstream transfer and any pending retry; the completion (or
  // AudioSink::OnDone) then runs with CANCELLED unless it has run already.
  virtual void Cancel() = 0;
  // Continues an audio stream paused by AudioSink::OnChunk returning false.
  virtual void ResumeReceive() = 0;
};

// Receives a streamed audio answer. Called on a transport thread.
class AudioSink {
 public:
  virtual ~AudioSink() = default;
  // Once, before any chunk, on a 2xx answer.
  virtual void OnInfo(const v1::AudioStreamInfo& info) = 0;
  // The next bytes. Return false to pause the transfer (this chunk is
  // kept); call CallHandle::ResumeReceive() when ready for more.
  virtual bool OnChunk(absl::string_view chunk) = 0;
  // Exactly once, last: OK after the whole audio, or the mapped error.
  virtual void OnDone(absl::Status status) = 0;
};

class Engine {
 public:
  struct Options {
    Endpoints endpoints;
    // Prototypes, cloned for each call. Reads stop after 4 attempts or 30 s
    // (and always at the call's deadline); creates are bounded the same way
    // but only repeated when the request provably never left.
    std::shared_ptr<const RetryPolicy> retry_policy =
        std::make_shared<LimitedAttemptsRetryPolicy>(4, absl::Seconds(30));
    std::shared_ptr<const BackoffPolicy> backoff_policy =
        std::make_shared<ExponentialBackoffPolicy>(
            absl::Milliseconds(250), absl::Seconds(8), /*scaling=*/2.0);
    // Largest JSON answer buffered (audio streams are not buffered).
    size_t max_response_bytes = 16 << 20;
    // Every secret the server holds besides the caller's own keys (the
    // other tenants' keys, webhook tokens): scrubbed from upstream text in
    // errors too, so a confused or compromised upstream cannot hand one
    // tenant another's key. May be null.
    std::shared_ptr<const std::vector<std::string>> secrets;
    // Told of every attempt of every call (e.g. metrics); may be null.
    std::shared_ptr<AttemptObserver> observer;
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

#endif  // MEDIAGEN_SERVICE_UPSTREAM_ENGINE_H_
