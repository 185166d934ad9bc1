#include "client/connection.h"

#include <utility>

#include "client/service_config.h"
#include "client/status.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace mediagen::client {
namespace {

// Sync unary call through `method` of `stub`.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Unary(
    Stub& stub,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                 Response*),
    const CallContext& call, const Request& request) {
  grpc::ClientContext context;
  ConfigureClientContext(call, &context);
  Response response;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

template <typename Stub, typename Request, typename Response>
std::unique_ptr<StreamReader<Response>> ServerStream(
    Stub& stub,
    std::unique_ptr<grpc::ClientReader<Response>> (Stub::*method)(
        grpc::ClientContext*, const Request&),
    const CallContext& call, const Request& request) {
  auto context = std::make_unique<grpc::ClientContext>();
  ConfigureClientContext(call, context.get());
  auto reader = (stub.*method)(context.get(), request);
  return std::make_unique<GrpcStreamReader<Response>>(std::move(context),
                                                      std::move(reader));
}

// Client-streaming upload: the metadata message, then one message per chunk.
// Write blocks while the transport's window is full, so a slow server slows
// the reader instead of filling memory.
template <typename Request, typename Response, typename Metadata, typename Stub>
absl::StatusOr<Response> Upload(Stub& stub,
                                std::unique_ptr<grpc::ClientWriter<Request>> (
                                    Stub::*method)(grpc::ClientContext*,
                                                   Response*),
                                const CallContext& call,
                                const Metadata& metadata,
                                const ChunkReader& next_chunk) {
  grpc::ClientContext context;
  ConfigureClientContext(call, &context);
  Response response;
  std::unique_ptr<grpc::ClientWriter<Request>> writer =
      (stub.*method)(&context, &response);
  Request first;
  *first.mutable_metadata() = metadata;
  bool open = writer->Write(first);
  absl::Status source_error;
  Request message;
  while (open) {
    absl::StatusOr<std::string> chunk = next_chunk();
    if (!chunk.ok()) {
      source_error = chunk.status();
      context.TryCancel();
      break;
    }
    if (chunk->empty()) break;
    message.set_chunk(std::move(*chunk));
    open = writer->Write(message);
  }
  // A failed Write means the server ended the call: its status says why.
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!source_error.ok()) return source_error;
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

class GrpcConnection final : public Connection {
 public:
  explicit GrpcConnection(std::shared_ptr<grpc::Channel> channel)
      : media_(v1::MediaService::NewStub(channel)),
        video_(v1::VideoService::NewStub(channel)),
        audio_(v1::AudioService::NewStub(channel)),
        elevenlabs_(v1::ElevenLabsService::NewStub(channel)),
        stable_audio_(v1::StableAudioService::NewStub(channel)),
        jobs_(v1::JobService::NewStub(channel)),
        usage_(v1::UsageService::NewStub(channel)) {}

  absl::StatusOr<v1::CreateMediaResponse> CreateMedia(
      const CallContext& call, const v1::CreateMediaRequest& r) override {
    return Unary(*media_, &v1::MediaService::Stub::CreateMedia, call, r);
  }
  absl::StatusOr<v1::GetMediaResponse> GetMedia(
      const CallContext& call, const v1::GetMediaRequest& r) override {
    return Unary(*media_, &v1::MediaService::Stub::GetMedia, call, r);
  }
  absl::StatusOr<v1::UpdateMediaResponse> UpdateMedia(
      const CallContext& call, const v1::UpdateMediaRequest& r) override {
    return Unary(*media_, &v1::MediaService::Stub::UpdateMedia, call, r);
  }

  absl::StatusOr<v1::UploadVideoResponse> UploadVideo(
      const CallContext& call, const v1::UploadVideoMetadata& metadata,
      const ChunkReader& next_chunk) override {
    return Upload<v1::UploadVideoRequest>(*video_,
                                          &v1::VideoService::Stub::UploadVideo,
                                          call, metadata, next_chunk);
  }
  absl::StatusOr<v1::EstimateVideoCreditsResponse> EstimateVideoCredits(
      const CallContext& call,
      const v1::EstimateVideoCreditsRequest& r) override {
    return Unary(*video_, &v1::VideoService::Stub::EstimateVideoCredits, call,
                 r);
  }
  absl::StatusOr<v1::CropToAspectRatioResponse> CropToAspectRatio(
      const CallContext& call, const v1::CropToAspectRatioRequest& r) override {
    return Unary(*video_, &v1::VideoService::Stub::CropToAspectRatio, call, r);
  }
  absl::StatusOr<v1::ReframeVideoResponse> ReframeVideo(
      const CallContext& call, const v1::ReframeVideoRequest& r) override {
    return Unary(*video_, &v1::VideoService::Stub::ReframeVideo, call, r);
  }
  absl::StatusOr<v1::EnhanceVideoResponse> EnhanceVideo(
      const CallContext& call, const v1::EnhanceVideoRequest& r) override {
    return Unary(*video_, &v1::VideoService::Stub::EnhanceVideo, call, r);
  }
  absl::StatusOr<v1::AddSoundEffectResponse> AddSoundEffect(
      const CallContext& call, const v1::AddSoundEffectRequest& r) override {
    return Unary(*video_, &v1::VideoService::Stub::AddSoundEffect, call, r);
  }
  absl::StatusOr<v1::AvatarLipSyncResponse> AvatarLipSync(
      const CallContext& call, const v1::AvatarLipSyncRequest& r) override {
    return Unary(*video_, &v1::VideoService::Stub::AvatarLipSync, call, r);
  }
  absl::StatusOr<v1::LipSyncResponse> LipSync(
      const CallContext& call, const v1::LipSyncRequest& r) override {
    return Unary(*video_, &v1::VideoService::Stub::LipSync, call, r);
  }
  absl::StatusOr<v1::GenerateVideoEffectResponse> GenerateVideoEffect(
      const CallContext& call,
      const v1::GenerateVideoEffectRequest& r) override {
    return Unary(*video_, &v1::VideoService::Stub::GenerateVideoEffect, call,
                 r);
  }
  absl::StatusOr<v1::ReplaceBackgroundResponse> ReplaceBackground(
      const CallContext& call, const v1::ReplaceBackgroundRequest& r) override {
    return Unary(*video_, &v1::VideoService::Stub::ReplaceBackground, call, r);
  }
  absl::StatusOr<v1::ReferenceToVideoResponse> ReferenceToVideo(
      const CallContext& call, const v1::ReferenceToVideoRequest& r) override {
    return Unary(*video_, &v1::VideoService::Stub::ReferenceToVideo, call, r);
  }
  absl::StatusOr<v1::VideoToVideoResponse> VideoToVideo(
      const CallContext& call, const v1::VideoToVideoRequest& r) override {
    return Unary(*video_, &v1::VideoService::Stub::VideoToVideo, call, r);
  }
  absl::StatusOr<v1::AttachAudioResponse> AttachAudio(
      const CallContext& call, const v1::AttachAudioRequest& r) override {
    return Unary(*video_, &v1::VideoService::Stub::AttachAudio, call, r);
  }

  absl::StatusOr<v1::UploadAudioResponse> UploadAudio(
      const CallContext& call, const v1::UploadAudioMetadata& metadata,
      const ChunkReader& next_chunk) override {
    return Upload<v1::UploadAudioRequest>(*audio_,
                                          &v1::AudioService::Stub::UploadAudio,
                                          call, metadata, next_chunk);
  }
  absl::StatusOr<v1::EstimateAudioCreditsResponse> EstimateAudioCredits(
      const CallContext& call,
      const v1::EstimateAudioCreditsRequest& r) override {
    return Unary(*audio_, &v1::AudioService::Stub::EstimateAudioCredits, call,
                 r);
  }
  absl::StatusOr<v1::TextToSpeechResponse> TextToSpeech(
      const CallContext& call, const v1::TextToSpeechRequest& r) override {
    return Unary(*audio_, &v1::AudioService::Stub::TextToSpeech, call, r);
  }
  absl::StatusOr<v1::TextToSoundEffectResponse> TextToSoundEffect(
      const CallContext& call, const v1::TextToSoundEffectRequest& r) override {
    return Unary(*audio_, &v1::AudioService::Stub::TextToSoundEffect, call, r);
  }
  absl::StatusOr<v1::TextToMusicResponse> TextToMusic(
      const CallContext& call, const v1::TextToMusicRequest& r) override {
    return Unary(*audio_, &v1::AudioService::Stub::TextToMusic, call, r);
  }

  std::unique_ptr<StreamReader<v1::SynthesizeSpeechResponse>> SynthesizeSpeech(
      const CallContext& call, const v1::SynthesizeSpeechRequest& r) override {
    return ServerStream(
        *elevenlabs_, &v1::ElevenLabsService::Stub::SynthesizeSpeech, call, r);
  }
  std::unique_ptr<StreamReader<v1::GenerateSoundEffectResponse>>
  GenerateSoundEffect(const CallContext& call,
                      const v1::GenerateSoundEffectRequest& r) override {
    return ServerStream(*elevenlabs_,
                        &v1::ElevenLabsService::Stub::GenerateSoundEffect, call,
                        r);
  }

  absl::StatusOr<v1::GenerateAudioResponse> GenerateAudio(
      const CallContext& call, const v1::GenerateAudioRequest& r) override {
    return Unary(*stable_audio_, &v1::StableAudioService::Stub::GenerateAudio,
                 call, r);
  }
  absl::StatusOr<v1::GetGenerationResponse> GetGeneration(
      const CallContext& call, const v1::GetGenerationRequest& r) override {
    return Unary(*stable_audio_, &v1::StableAudioService::Stub::GetGeneration,
                 call, r);
  }

  absl::StatusOr<v1::GetJobResponse> GetJob(
      const CallContext& call, const v1::GetJobRequest& r) override {
    return Unary(*jobs_, &v1::JobService::Stub::GetJob, call, r);
  }
  std::unique_ptr<StreamReader<v1::WatchJobResponse>> WatchJob(
      const CallContext& call, const v1::WatchJobRequest& r) override {
    return ServerStream(*jobs_, &v1::JobService::Stub::WatchJob, call, r);
  }

  absl::StatusOr<v1::GetUsageResponse> GetUsage(
      const CallContext& call, const v1::GetUsageRequest& r) override {
    return Unary(*usage_, &v1::UsageService::Stub::GetUsage, call, r);
  }

 private:
  std::unique_ptr<v1::MediaService::Stub> media_;
  std::unique_ptr<v1::VideoService::Stub> video_;
  std::unique_ptr<v1::AudioService::Stub> audio_;
  std::unique_ptr<v1::ElevenLabsService::Stub> elevenlabs_;
  std::unique_ptr<v1::StableAudioService::Stub> stable_audio_;
  std::unique_ptr<v1::JobService::Stub> jobs_;
  std::unique_ptr<v1::UsageService::Stub> usage_;
};

}  // namespace

std::shared_ptr<Connection> MakeConnection(ConnectionOptions options) {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(options.service_config_json.empty()
                                ? std::string(PublishedServiceConfig())
                                : options.service_config_json);
  if (!options.user_agent_prefix.empty()) {
    args.SetUserAgentPrefix(options.user_agent_prefix);
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      options.credentials ? options.credentials
                          : grpc::InsecureChannelCredentials();
  return std::make_shared<GrpcConnection>(
      grpc::CreateCustomChannel(options.target, credentials, args));
}

}  // namespace mediagen::client
