// Connection: one virtual function per mediagen.v1 RPC, the seam between the
// Client (client.h: request ids, create retries, following jobs) and the
// wire. MakeConnection gives the gRPC one; tests mock it (mock_connection.h),
// as with google-cloud-cpp's *Connection classes.
//
// A Connection makes exactly one attempt per call, except that the channel
// retries UNAVAILABLE on the read RPCs listed in the published service config
// (service_config.h). Errors come back as absl::Status with the server's
// details (status.h).
#ifndef MEDIAGEN_CLIENT_CONNECTION_H_
#define MEDIAGEN_CLIENT_CONNECTION_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/call_options.h"
#include "client/stream_reader.h"
#include "grpcpp/security/credentials.h"
#include "mediagen/v1/audio.grpc.pb.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/stable_audio.grpc.pb.h"
#include "mediagen/v1/usage.grpc.pb.h"
#include "mediagen/v1/video.grpc.pb.h"

namespace mediagen::client {

namespace v1 = ::mediagen::v1;

// The next piece of an upload: bytes, an empty string at the end, or an
// error (which cancels the upload).
using ChunkReader = std::function<absl::StatusOr<std::string>()>;

class Connection {
 public:
  virtual ~Connection() = default;

  // MediaService
  virtual absl::StatusOr<v1::CreateMediaResponse> CreateMedia(
      const CallContext& call, const v1::CreateMediaRequest& request) = 0;
  virtual absl::StatusOr<v1::GetMediaResponse> GetMedia(
      const CallContext& call, const v1::GetMediaRequest& request) = 0;
  virtual absl::StatusOr<v1::UpdateMediaResponse> UpdateMedia(
      const CallContext& call, const v1::UpdateMediaRequest& request) = 0;

  // VideoService. The upload sends `metadata` first, then the chunks.
  virtual absl::StatusOr<v1::UploadVideoResponse> UploadVideo(
      const CallContext& call, const v1::UploadVideoMetadata& metadata,
      const ChunkReader& next_chunk) = 0;
  virtual absl::StatusOr<v1::EstimateVideoCreditsResponse> EstimateVideoCredits(
      const CallContext& call,
      const v1::EstimateVideoCreditsRequest& request) = 0;
  virtual absl::StatusOr<v1::CropToAspectRatioResponse> CropToAspectRatio(
      const CallContext& call, const v1::CropToAspectRatioRequest& request) = 0;
  virtual absl::StatusOr<v1::ReframeVideoResponse> ReframeVideo(
      const CallContext& call, const v1::ReframeVideoRequest& request) = 0;
  virtual absl::StatusOr<v1::EnhanceVideoResponse> EnhanceVideo(
      const CallContext& call, const v1::EnhanceVideoRequest& request) = 0;
  virtual absl::StatusOr<v1::AddSoundEffectResponse> AddSoundEffect(
      const CallContext& call, const v1::AddSoundEffectRequest& request) = 0;
  virtual absl::StatusOr<v1::AvatarLipSyncResponse> AvatarLipSync(
      const CallContext& call, const v1::AvatarLipSyncRequest& request) = 0;
  virtual absl::StatusOr<v1::LipSyncResponse> LipSync(
      const CallContext& call, const v1::LipSyncRequest& request) = 0;
  virtual absl::StatusOr<v1::GenerateVideoEffectResponse> GenerateVideoEffect(
      const CallContext& call,
      const v1::GenerateVideoEffectRequest& request) = 0;
  virtual absl::StatusOr<v1::ReplaceBackgroundResponse> ReplaceBackground(
      const CallContext& call, const v1::ReplaceBackgroundRequest& request) = 0;
  virtual absl::StatusOr<v1::ReferenceToVideoResponse> ReferenceToVideo(
      const CallContext& call, const v1::ReferenceToVideoRequest& request) = 0;
  virtual absl::StatusOr<v1::VideoToVideoResponse> VideoToVideo(
      const CallContext& call, const v1::VideoToVideoRequest& request) = 0;
  virtual absl::StatusOr<v1::AttachAudioResponse> AttachAudio(
      const CallContext& call, const v1::AttachAudioRequest& request) = 0;

  // AudioService
  virtual absl::StatusOr<v1::UploadAudioResponse> UploadAudio(
      const CallContext& call, const v1::UploadAudioMetadata& metadata,
      const ChunkReader& next_chunk) = 0;
  virtual absl::StatusOr<v1::EstimateAudioCreditsResponse> EstimateAudioCredits(
      const CallContext& call,
      const v1::EstimateAudioCreditsRequest& request) = 0;
  virtual absl::StatusOr<v1::TextToSpeechResponse> TextToSpeech(
      const CallContext& call, const v1::TextToSpeechRequest& request) = 0;
  virtual absl::StatusOr<v1::TextToSoundEffectResponse> TextToSoundEffect(
      const CallContext& call, const v1::TextToSoundEffectRequest& request) = 0;
  virtual absl::StatusOr<v1::TextToMusicResponse> TextToMusic(
      const CallContext& call, const v1::TextToMusicRequest& request) = 0;

  // ElevenLabsService: audio streamed back as it arrives.
  virtual std::unique_ptr<StreamReader<v1::SynthesizeSpeechResponse>>
  SynthesizeSpeech(const CallContext& call,
                   const v1::SynthesizeSpeechRequest& request) = 0;
  virtual std::unique_ptr<StreamReader<v1::GenerateSoundEffectResponse>>
  GenerateSoundEffect(const CallContext& call,
                      const v1::GenerateSoundEffectRequest& request) = 0;

  // StableAudioService
  virtual absl::StatusOr<v1::GenerateAudioResponse> GenerateAudio(
      const CallContext& call, const v1::GenerateAudioRequest& request) = 0;
  virtual absl::StatusOr<v1::GetGenerationResponse> GetGeneration(
      const CallContext& call, const v1::GetGenerationRequest& request) = 0;

  // JobService
  virtual absl::StatusOr<v1::GetJobResponse> GetJob(
      const CallContext& call, const v1::GetJobRequest& request) = 0;
  virtual std::unique_ptr<StreamReader<v1::WatchJobResponse>> WatchJob(
      const CallContext& call, const v1::WatchJobRequest& request) = 0;

  // UsageService
  virtual absl::StatusOr<v1::GetUsageResponse> GetUsage(
      const CallContext& call, const v1::GetUsageRequest& request) = 0;
};

struct ConnectionOptions {
  // gRPC target, e.g. "127.0.0.1:50051" or "dns:///mediagen.media:50051".
  std::string target = "127.0.0.1:50051";
  // Plaintext by default: inside a mesh the sidecar adds mTLS.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // The channel's service config (retries of reads). Empty: the published
  // proto/mediagen/v1/mediagen_grpc_service_config.json.
  std::string service_config_json;
  // Prepended to gRPC's user agent.
  std::string user_agent_prefix = "mediagen-cpp/1";
};

// A connection over a new gRPC channel. Channels are shared by all calls
// and threads; make one per process and target.
std::shared_ptr<Connection> MakeConnection(ConnectionOptions options);

}  // namespace mediagen::client

#endif  // MEDIAGEN_CLIENT_CONNECTION_H_
