// MockConnection: a gMock Connection for testing code that uses Client.
//
//   auto mock = std::make_shared<MockConnection>();
//   EXPECT_CALL(*mock, GetJob).WillOnce(Return(response));
//   Client client(mock);
//   // Streams: .WillOnce(Return(ByMove(MakeStreamReader<...>({...}))))
#ifndef MEDIAGEN_CLIENT_MOCK_CONNECTION_H_
#define MEDIAGEN_CLIENT_MOCK_CONNECTION_H_

#include <memory>

#include "client/connection.h"
#include "gmock/gmock.h"

namespace mediagen::client {

class MockConnection : public Connection {
 public:
  MOCK_METHOD(absl::StatusOr<v1::CreateMediaResponse>, CreateMedia,
              (const CallContext& call, const v1::CreateMediaRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::GetMediaResponse>, GetMedia,
              (const CallContext& call, const v1::GetMediaRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::UpdateMediaResponse>, UpdateMedia,
              (const CallContext& call, const v1::UpdateMediaRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::UploadVideoResponse>, UploadVideo,
              (const CallContext& call, const v1::UploadVideoMetadata& metadata,
               const ChunkReader& next_chunk),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::EstimateVideoCreditsResponse>,
              EstimateVideoCredits,
              (const CallContext& call,
               const v1::EstimateVideoCreditsRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::CropToAspectRatioResponse>, CropToAspectRatio,
              (const CallContext& call,
               const v1::CropToAspectRatioRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::ReframeVideoResponse>, ReframeVideo,
              (const CallContext& call, const v1::ReframeVideoRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::EnhanceVideoResponse>, EnhanceVideo,
              (const CallContext& call, const v1::EnhanceVideoRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::AddSoundEffectResponse>, AddSoundEffect,
              (const CallContext& call,
               const v1::AddSoundEffectRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::AvatarLipSyncResponse>, AvatarLipSync,
              (const CallContext& call,
               const v1::AvatarLipSyncRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::LipSyncResponse>, LipSync,
              (const CallContext& call, const v1::LipSyncRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::GenerateVideoEffectResponse>,
              GenerateVideoEffect,
              (const CallContext& call,
               const v1::GenerateVideoEffectRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::ReplaceBackgroundResponse>, ReplaceBackground,
              (const CallContext& call,
               const v1::ReplaceBackgroundRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::ReferenceToVideoResponse>, ReferenceToVideo,
              (const CallContext& call,
               const v1::ReferenceToVideoRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::VideoToVideoResponse>, VideoToVideo,
              (const CallContext& call, const v1::VideoToVideoRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::AttachAudioResponse>, AttachAudio,
              (const CallContext& call, const v1::AttachAudioRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::UploadAudioResponse>, UploadAudio,
              (const CallContext& call, const v1::UploadAudioMetadata& metadata,
               const ChunkReader& next_chunk),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::EstimateAudioCreditsResponse>,
              EstimateAudioCredits,
              (const CallContext& call,
               const v1::EstimateAudioCreditsRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::TextToSpeechResponse>, TextToSpeech,
              (const CallContext& call, const v1::TextToSpeechRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::TextToSoundEffectResponse>, TextToSoundEffect,
              (const CallContext& call,
               const v1::TextToSoundEffectRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::TextToMusicResponse>, TextToMusic,
              (const CallContext& call, const v1::TextToMusicRequest& request),
              (override));
  MOCK_METHOD(std::unique_ptr<StreamReader<v1::SynthesizeSpeechResponse>>,
              SynthesizeSpeech,
              (const CallContext& call,
               const v1::SynthesizeSpeechRequest& request),
              (override));
  MOCK_METHOD(std::unique_ptr<StreamReader<v1::GenerateSoundEffectResponse>>,
              GenerateSoundEffect,
              (const CallContext& call,
               const v1::GenerateSoundEffectRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::GenerateAudioResponse>, GenerateAudio,
              (const CallContext& call,
               const v1::GenerateAudioRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::GetGenerationResponse>, GetGeneration,
              (const CallContext& call,
               const v1::GetGenerationRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::GetJobResponse>, GetJob,
              (const CallContext& call, const v1::GetJobRequest& request),
              (override));
  MOCK_METHOD(std::unique_ptr<StreamReader<v1::WatchJobResponse>>, WatchJob,
              (const CallContext& call, const v1::WatchJobRequest& request),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::GetUsageResponse>, GetUsage,
              (const CallContext& call, const v1::GetUsageRequest& request),
              (override));
};

}  // namespace mediagen::client

#endif  // MEDIAGEN_CLIENT_MOCK_CONNECTION_H_
