// Client: the mediagen.v1 API for C++ callers, over a Connection.
//
//   auto client = mediagen::client::Client(
//       mediagen::client::MakeConnection({.target = "mediagen:50051"}),
//       {.bearer_token = token});
//   v1::CreateMediaRequest request;
//   request.set_prompt("a red kite over the sea");
//   absl::StatusOr<v1::CreateMediaResponse> created =
//       client.CreateMedia(request);
//   absl::StatusOr<v1::Job> done = client.FollowJob(
//       created->media().name(), [](const v1::Job& job) { ... });
//
// What it adds to the raw stubs:
// - Per-call options (CallOptions): deadline, bearer token, metadata.
// - Creates get a `request_id` when they have none, and are retried on
//   UNAVAILABLE with the published retry policy only when they carry one,
//   so a retry is never charged twice (the server answers a repeated
//   request_id with the first outcome). Reads are retried by the channel's
//   service config (connection.h). Uploads and streamed audio are never
//   retried: their input or output cannot be replayed.
// - FollowJob: watches a job to its end, resuming from the last version after
//   a broken stream (for example when a server replica drains).
//
// A Client is a cheap value (it shares the connection); copy it freely and
// use it from any thread.
#ifndef MEDIAGEN_CLIENT_CLIENT_H_
#define MEDIAGEN_CLIENT_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/call_options.h"
#include "client/connection.h"
#include "client/service_config.h"
#include "client/stream_reader.h"

namespace mediagen::client {

struct ClientOptions {
  // Sent as `authorization: Bearer <token>` unless a call sets its own.
  std::string bearer_token;
  // Deadline of unary calls and uploads that set none. Zero: none.
  absl::Duration default_timeout = absl::Seconds(60);
  // Retries of creates that carry a request_id (default: the published one).
  RetryPolicy create_retry = PublishedRetryPolicy();
  // Seams for tests; empty means the real clock and absl::SleepFor.
  std::function<absl::Time()> now;
  std::function<void(absl::Duration)> sleep;
};

struct FollowOptions {
  // A version of the job the caller already holds (from an earlier
  // follow): only newer states are reported. 0: from the current state.
  int64_t resume_from_version = 0;
  // Wait before re-opening a broken watch; grows up to `max_backoff`.
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
  // Consecutive broken watches without a single message before giving up.
  int max_reconnects = 10;
};

// True for SUCCEEDED, FAILED and CANCELLED.
bool IsTerminal(v1::JobState state);

class Client {
 public:
  explicit Client(std::shared_ptr<Connection> connection,
                  ClientOptions options = {});

  // MediaService
  absl::StatusOr<v1::CreateMediaResponse> CreateMedia(
      v1::CreateMediaRequest request, const CallOptions& options = {});
  absl::StatusOr<v1::GetMediaResponse> GetMedia(
      const v1::GetMediaRequest& request, const CallOptions& options = {});
  absl::StatusOr<v1::UpdateMediaResponse> UpdateMedia(
      v1::UpdateMediaRequest request, const CallOptions& options = {});

  // VideoService. Uploads read `next_chunk` until it returns "" (see
  // file_chunks.h for files); a request_id is added to `metadata` when it
  // has none, but the upload itself is not retried.
  absl::StatusOr<v1::UploadVideoResponse> UploadVideo(
      v1::UploadVideoMetadata metadata, const ChunkReader& next_chunk,
      const CallOptions& options = {});
  absl::StatusOr<v1::EstimateVideoCreditsResponse> EstimateVideoCredits(
      const v1::EstimateVideoCreditsRequest& request,
      const CallOptions& options = {});
  absl::StatusOr<v1::CropToAspectRatioResponse> CropToAspectRatio(
      v1::CropToAspectRatioRequest request, const CallOptions& options = {});
  absl::StatusOr<v1::ReframeVideoResponse> ReframeVideo(
      v1::ReframeVideoRequest request, const CallOptions& options = {});
  absl::StatusOr<v1::EnhanceVideoResponse> EnhanceVideo(
      v1::EnhanceVideoRequest request, const CallOptions& options = {});
  absl::StatusOr<v1::AddSoundEffectResponse> AddSoundEffect(
      v1::AddSoundEffectRequest request, const CallOptions& options = {});
  absl::StatusOr<v1::AvatarLipSyncResponse> AvatarLipSync(
      v1::AvatarLipSyncRequest request, const CallOptions& options = {});
  absl::StatusOr<v1::LipSyncResponse> LipSync(v1::LipSyncRequest request,
                                              const CallOptions& options = {});
  absl::StatusOr<v1::GenerateVideoEffectResponse> GenerateVideoEffect(
      v1::GenerateVideoEffectRequest request, const CallOptions& options = {});
  absl::StatusOr<v1::ReplaceBackgroundResponse> ReplaceBackground(
      v1::ReplaceBackgroundRequest request, const CallOptions& options = {});
  absl::StatusOr<v1::ReferenceToVideoResponse> ReferenceToVideo(
      v1::ReferenceToVideoRequest request, const CallOptions& options = {});
  absl::StatusOr<v1::VideoToVideoResponse> VideoToVideo(
      v1::VideoToVideoRequest request, const CallOptions& options = {});
  absl::StatusOr<v1::AttachAudioResponse> AttachAudio(
      v1::AttachAudioRequest request, const CallOptions& options = {});

  // AudioService
  absl::StatusOr<v1::UploadAudioResponse> UploadAudio(
      v1::UploadAudioMetadata metadata, const ChunkReader& next_chunk,
      const CallOptions& options = {});
  absl::StatusOr<v1::EstimateAudioCreditsResponse> EstimateAudioCredits(
      const v1::EstimateAudioCreditsRequest& request,
      const CallOptions& options = {});
  absl::StatusOr<v1::TextToSpeechResponse> TextToSpeech(
      v1::TextToSpeechRequest request, const CallOptions& options = {});
  absl::StatusOr<v1::TextToSoundEffectResponse> TextToSoundEffect(
      v1::TextToSoundEffectRequest request, const CallOptions& options = {});
  absl::StatusOr<v1::TextToMusicResponse> TextToMusic(
      v1::TextToMusicRequest request, const CallOptions& options = {});

  // ElevenLabsService: read the audio chunks as they arrive.
  std::unique_ptr<StreamReader<v1::SynthesizeSpeechResponse>> SynthesizeSpeech(
      const v1::SynthesizeSpeechRequest& request,
      const CallOptions& options = {});
  std::unique_ptr<StreamReader<v1::GenerateSoundEffectResponse>>
  GenerateSoundEffect(const v1::GenerateSoundEffectRequest& request,
                      const CallOptions& options = {});

  // StableAudioService
  absl::StatusOr<v1::GenerateAudioResponse> GenerateAudio(
      v1::GenerateAudioRequest request, const CallOptions& options = {});
  absl::StatusOr<v1::GetGenerationResponse> GetGeneration(
      const v1::GetGenerationRequest& request, const CallOptions& options = {});

  // JobService
  absl::StatusOr<v1::GetJobResponse> GetJob(const v1::GetJobRequest& request,
                                            const CallOptions& options = {});
  std::unique_ptr<StreamReader<v1::WatchJobResponse>> WatchJob(
      const v1::WatchJobRequest& request, const CallOptions& options = {});

  // UsageService: the calling tenant's limits and usage (a read).
  absl::StatusOr<v1::GetUsageResponse> GetUsage(
      const v1::GetUsageRequest& request = {}, const CallOptions& options = {});

  // Watches job `name` until it reaches a terminal state and returns that
  // last snapshot. `on_change` sees the first snapshot and then every
  // change (not heartbeats, not a repeat of the same state after a resume).
  // A watch that breaks with UNAVAILABLE is re-opened from the last version
  // held, after a backoff; any other error ends the follow with that error.
  // `options.timeout` bounds the whole follow (default: none).
  absl::StatusOr<v1::Job> FollowJob(
      absl::string_view name,
      const std::function<void(const v1::Job&)>& on_change,
      const FollowOptions& follow = {}, const CallOptions& options = {});

 private:
  template <typename Request, typename Response>
  absl::StatusOr<Response> Create(
      Request request, const CallOptions& options,
      absl::StatusOr<Response> (Connection::*method)(const CallContext&,
                                                     const Request&));
  template <typename Request, typename Response>
  absl::StatusOr<Response> Read(const Request& request,
                                const CallOptions& options,
                                absl::StatusOr<Response> (Connection::*method)(
                                    const CallContext&, const Request&));
  CallContext Resolve(const CallOptions& options, bool stream) const;
  absl::Time Now() const;
  void Sleep(absl::Duration d) const;

  std::shared_ptr<Connection> connection_;
  ClientOptions options_;
};

}  // namespace mediagen::client

#endif  // MEDIAGEN_CLIENT_CLIENT_H_
