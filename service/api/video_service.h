// VideoService on the gRPC callback API (see proto/mediagen/v1/video.proto).
#ifndef MEDIAGEN_SERVICE_API_VIDEO_SERVICE_H_
#define MEDIAGEN_SERVICE_API_VIDEO_SERVICE_H_

#include "mediagen/v1/video.grpc.pb.h"
#include "service/api/api_context.h"

namespace mediagen::api {

class VideoServiceImpl : public v1::VideoService::CallbackService {
 public:
  explicit VideoServiceImpl(ApiContext api) : api_(std::move(api)) {}

  grpc::ServerReadReactor<v1::UploadVideoRequest>* UploadVideo(
      grpc::CallbackServerContext* ctx, v1::UploadVideoResponse* resp) override;
  grpc::ServerUnaryReactor* EstimateVideoCredits(
      grpc::CallbackServerContext* ctx,
      const v1::EstimateVideoCreditsRequest* req,
      v1::EstimateVideoCreditsResponse* resp) override;
  grpc::ServerUnaryReactor* CropToAspectRatio(
      grpc::CallbackServerContext* ctx, const v1::CropToAspectRatioRequest* req,
      v1::CropToAspectRatioResponse* resp) override;
  grpc::ServerUnaryReactor* ReframeVideo(
      grpc::CallbackServerContext* ctx, const v1::ReframeVideoRequest* req,
      v1::ReframeVideoResponse* resp) override;
  grpc::ServerUnaryReactor* EnhanceVideo(
      grpc::CallbackServerContext* ctx, const v1::EnhanceVideoRequest* req,
      v1::EnhanceVideoResponse* resp) override;
  grpc::ServerUnaryReactor* AddSoundEffect(
      grpc::CallbackServerContext* ctx, const v1::AddSoundEffectRequest* req,
      v1::AddSoundEffectResponse* resp) override;
  grpc::ServerUnaryReactor* AvatarLipSync(
      grpc::CallbackServerContext* ctx, const v1::AvatarLipSyncRequest* req,
      v1::AvatarLipSyncResponse* resp) override;
  grpc::ServerUnaryReactor* LipSync(grpc::CallbackServerContext* ctx,
                                    const v1::LipSyncRequest* req,
                                    v1::LipSyncResponse* resp) override;
  grpc::ServerUnaryReactor* GenerateVideoEffect(
      grpc::CallbackServerContext* ctx,
      const v1::GenerateVideoEffectRequest* req,
      v1::GenerateVideoEffectResponse* resp) override;
  grpc::ServerUnaryReactor* ReplaceBackground(
      grpc::CallbackServerContext* ctx, const v1::ReplaceBackgroundRequest* req,
      v1::ReplaceBackgroundResponse* resp) override;
  grpc::ServerUnaryReactor* ReferenceToVideo(
      grpc::CallbackServerContext* ctx, const v1::ReferenceToVideoRequest* req,
      v1::ReferenceToVideoResponse* resp) override;
  grpc::ServerUnaryReactor* VideoToVideo(
      grpc::CallbackServerContext* ctx, const v1::VideoToVideoRequest* req,
      v1::VideoToVideoResponse* resp) override;
  grpc::ServerUnaryReactor* AttachAudio(
      grpc::CallbackServerContext* ctx, const v1::AttachAudioRequest* req,
      v1::AttachAudioResponse* resp) override;

 private:
  const ApiContext api_;
};

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_VIDEO_SERVICE_H_
