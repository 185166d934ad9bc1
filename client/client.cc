#include "client/client.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/random/random.h"
#include "client/status.h"

namespace mediagen::client {
namespace {

// Full jitter: a uniform wait in [0, cap], so that many clients failing
// together do not retry together.
absl::Duration Jitter(absl::Duration cap) {
  if (cap <= absl::ZeroDuration()) return absl::ZeroDuration();
  thread_local absl::BitGen gen;
  return absl::Nanoseconds(
      absl::Uniform<int64_t>(gen, 0, absl::ToInt64Nanoseconds(cap) + 1));
}

// What a watcher should be told about: the job without its bookkeeping.
std::string Observable(const v1::Job& job) {
  v1::Job copy = job;
  copy.clear_version();
  copy.clear_update_time();
  return copy.SerializeAsString();
}

}  // namespace

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

Client::Client(std::shared_ptr<Connection> connection, ClientOptions options)
    : connection_(std::move(connection)), options_(std::move(options)) {}

absl::Time Client::Now() const {
  return options_.now ? options_.now() : absl::Now();
}

void Client::Sleep(absl::Duration d) const {
  if (options_.sleep) {
    options_.sleep(d);
  } else {
    absl::SleepFor(d);
  }
}

CallContext Client::Resolve(const CallOptions& options, bool stream) const {
  return ResolveCallOptions(
      options, stream ? absl::ZeroDuration() : options_.default_timeout,
      options_.bearer_token, Now());
}

template <typename Request, typename Response>
absl::StatusOr<Response> Client::Create(
    Request request, const CallOptions& options,
    absl::StatusOr<Response> (Connection::*method)(const CallContext&,
                                                   const Request&)) {
  if (request.request_id().empty() && options.generate_request_id) {
    request.set_request_id(NewRequestId());
  }
  // Without a request_id the server cannot tell a retry from a new job.
  const bool may_retry = !request.request_id().empty();
  const CallContext call = Resolve(options, /*stream=*/false);
  const RetryPolicy& policy = options_.create_retry;
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<Response> result = ((*connection_).*method)(call, request);
    if (result.ok() || !may_retry ||
        result.status().code() != absl::StatusCode::kUnavailable ||
        attempt >= policy.max_attempts) {
      return result;
    }
    absl::Duration wait = Jitter(policy.BackoffCap(attempt + 1));
    // The server may know better (RetryInfo from upstream's Retry-After).
    if (std::optional<absl::Duration> hint = RetryDelay(result.status())) {
      wait = std::max(wait, std::min(*hint, policy.max_backoff));
    }
    if (Now() + wait >= call.deadline) return result;
    Sleep(wait);
  }
}

template <typename Request, typename Response>
absl::StatusOr<Response> Client::Read(
    const Request& request, const CallOptions& options,
    absl::StatusOr<Response> (Connection::*method)(const CallContext&,
                                                   const Request&)) {
  return ((*connection_).*method)(Resolve(options, /*stream=*/false), request);
}

absl::StatusOr<v1::CreateMediaResponse> Client::CreateMedia(
    v1::CreateMediaRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::CreateMedia);
}
absl::StatusOr<v1::GetMediaResponse> Client::GetMedia(
    const v1::GetMediaRequest& request, const CallOptions& options) {
  return Read(request, options, &Connection::GetMedia);
}
absl::StatusOr<v1::UpdateMediaResponse> Client::UpdateMedia(
    v1::UpdateMediaRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::UpdateMedia);
}

absl::StatusOr<v1::UploadVideoResponse> Client::UploadVideo(
    v1::UploadVideoMetadata metadata, const ChunkReader& next_chunk,
    const CallOptions& options) {
  if (metadata.request_id().empty() && options.generate_request_id) {
    metadata.set_request_id(NewRequestId());
  }
  return connection_->UploadVideo(Resolve(options, /*stream=*/false), metadata,
                                  next_chunk);
}
absl::StatusOr<v1::EstimateVideoCreditsResponse> Client::EstimateVideoCredits(
    const v1::EstimateVideoCreditsRequest& request,
    const CallOptions& options) {
  return Read(request, options, &Connection::EstimateVideoCredits);
}
absl::StatusOr<v1::CropToAspectRatioResponse> Client::CropToAspectRatio(
    v1::CropToAspectRatioRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::CropToAspectRatio);
}
absl::StatusOr<v1::ReframeVideoResponse> Client::ReframeVideo(
    v1::ReframeVideoRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::ReframeVideo);
}
absl::StatusOr<v1::EnhanceVideoResponse> Client::EnhanceVideo(
    v1::EnhanceVideoRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::EnhanceVideo);
}
absl::StatusOr<v1::AddSoundEffectResponse> Client::AddSoundEffect(
    v1::AddSoundEffectRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::AddSoundEffect);
}
absl::StatusOr<v1::AvatarLipSyncResponse> Client::AvatarLipSync(
    v1::AvatarLipSyncRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::AvatarLipSync);
}
absl::StatusOr<v1::LipSyncResponse> Client::LipSync(
    v1::LipSyncRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::LipSync);
}
absl::StatusOr<v1::GenerateVideoEffectResponse> Client::GenerateVideoEffect(
    v1::GenerateVideoEffectRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::GenerateVideoEffect);
}
absl::StatusOr<v1::ReplaceBackgroundResponse> Client::ReplaceBackground(
    v1::ReplaceBackgroundRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::ReplaceBackground);
}
absl::StatusOr<v1::ReferenceToVideoResponse> Client::ReferenceToVideo(
    v1::ReferenceToVideoRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::ReferenceToVideo);
}
absl::StatusOr<v1::VideoToVideoResponse> Client::VideoToVideo(
    v1::VideoToVideoRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::VideoToVideo);
}
absl::StatusOr<v1::AttachAudioResponse> Client::AttachAudio(
    v1::AttachAudioRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::AttachAudio);
}

absl::StatusOr<v1::UploadAudioResponse> Client::UploadAudio(
    v1::UploadAudioMetadata metadata, const ChunkReader& next_chunk,
    const CallOptions& options) {
  if (metadata.request_id().empty() && options.generate_request_id) {
    metadata.set_request_id(NewRequestId());
  }
  return connection_->UploadAudio(Resolve(options, /*stream=*/false), metadata,
                                  next_chunk);
}
absl::StatusOr<v1::EstimateAudioCreditsResponse> Client::EstimateAudioCredits(
    const v1::EstimateAudioCreditsRequest& request,
    const CallOptions& options) {
  return Read(request, options, &Connection::EstimateAudioCredits);
}
absl::StatusOr<v1::TextToSpeechResponse> Client::TextToSpeech(
    v1::TextToSpeechRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::TextToSpeech);
}
absl::StatusOr<v1::TextToSoundEffectResponse> Client::TextToSoundEffect(
    v1::TextToSoundEffectRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::TextToSoundEffect);
}
absl::StatusOr<v1::TextToMusicResponse> Client::TextToMusic(
    v1::TextToMusicRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::TextToMusic);
}

std::unique_ptr<StreamReader<v1::SynthesizeSpeechResponse>>
Client::SynthesizeSpeech(const v1::SynthesizeSpeechRequest& request,
                         const CallOptions& options) {
  return connection_->SynthesizeSpeech(Resolve(options, /*stream=*/true),
                                       request);
}
std::unique_ptr<StreamReader<v1::GenerateSoundEffectResponse>>
Client::GenerateSoundEffect(const v1::GenerateSoundEffectRequest& request,
                            const CallOptions& options) {
  return connection_->GenerateSoundEffect(Resolve(options, /*stream=*/true),
                                          request);
}

absl::StatusOr<v1::GenerateAudioResponse> Client::GenerateAudio(
    v1::GenerateAudioRequest request, const CallOptions& options) {
  return Create(std::move(request), options, &Connection::GenerateAudio);
}
absl::StatusOr<v1::GetGenerationResponse> Client::GetGeneration(
    const v1::GetGenerationRequest& request, const CallOptions& options) {
  return Read(request, options, &Connection::GetGeneration);
}

absl::StatusOr<v1::GetJobResponse> Client::GetJob(
    const v1::GetJobRequest& request, const CallOptions& options) {
  return Read(request, options, &Connection::GetJob);
}
std::unique_ptr<StreamReader<v1::WatchJobResponse>> Client::WatchJob(
    const v1::WatchJobRequest& request, const CallOptions& options) {
  return connection_->WatchJob(Resolve(options, /*stream=*/true), request);
}

absl::StatusOr<v1::GetUsageResponse> Client::GetUsage(
    const v1::GetUsageRequest& request, const CallOptions& options) {
  return Read(request, options, &Connection::GetUsage);
}

absl::StatusOr<v1::Job> Client::FollowJob(
    absl::string_view name,
    const std::function<void(const v1::Job&)>& on_change,
    const FollowOptions& follow, const CallOptions& options) {
  // One deadline for the whole follow, across reconnects.
  const CallContext call = Resolve(options, /*stream=*/true);
  std::optional<v1::Job> latest;
  std::string latest_observable;
  int broken_in_a_row = 0;
  absl::Duration backoff = follow.initial_backoff;
  v1::WatchJobRequest request;
  request.set_name(std::string(name));
  while (true) {
    // Resume from what we hold: the server then sends only what is newer
    // (or its current state, when our version is from another replica).
    request.set_resume_from_version(latest ? latest->version()
                                           : follow.resume_from_version);
    std::unique_ptr<StreamReader<v1::WatchJobResponse>> stream =
        connection_->WatchJob(call, request);
    v1::WatchJobResponse event;
    while (stream->Read(&event)) {
      broken_in_a_row = 0;
      backoff = follow.initial_backoff;
      if (!event.has_job()) continue;  // heartbeat
      std::string observable = Observable(event.job());
      const bool changed = !latest || observable != latest_observable;
      latest = event.job();
      if (changed) {
        latest_observable = std::move(observable);
        if (on_change) on_change(*latest);
      }
      if (IsTerminal(latest->state())) {
        stream->Cancel();
        stream->Finish().IgnoreError();
        return *latest;
      }
    }
    absl::Status status = stream->Finish();
    // The server ends a watch OK only after a terminal state, which was
    // returned above; an early OK end is treated like a broken stream.
    if (!status.ok() && status.code() != absl::StatusCode::kUnavailable) {
      return status;
    }
    if (++broken_in_a_row > follow.max_reconnects) {
      return status.ok() ? absl::UnavailableError(
                               "watch kept ending before the job finished")
                         : status;
    }
    const absl::Duration wait = Jitter(backoff);
    if (Now() + wait >= call.deadline) {
      return absl::DeadlineExceededError(
          "deadline passed while reconnecting the watch");
    }
    Sleep(wait);
    backoff = std::min(backoff * 2, follow.max_backoff);
  }
}

}  // namespace mediagen::client
