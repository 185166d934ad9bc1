// MediaService on the gRPC callback API (see proto/mediagen/v1/media.proto).
//
//   MediaServiceImpl media(api);
//   builder.RegisterService(&media);
#ifndef MEDIAGEN_SERVICE_API_MEDIA_SERVICE_H_
#define MEDIAGEN_SERVICE_API_MEDIA_SERVICE_H_

#include "mediagen/v1/media.grpc.pb.h"
#include "service/api/api_context.h"

namespace mediagen::api {

class MediaServiceImpl : public v1::MediaService::CallbackService {
 public:
  explicit MediaServiceImpl(ApiContext api) : api_(std::move(api)) {}

  grpc::ServerUnaryReactor* CreateMedia(
      grpc::CallbackServerContext* ctx, const v1::CreateMediaRequest* req,
      v1::CreateMediaResponse* resp) override;
  grpc::ServerUnaryReactor* GetMedia(grpc::CallbackServerContext* ctx,
                                     const v1::GetMediaRequest* req,
                                     v1::GetMediaResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateMedia(
      grpc::CallbackServerContext* ctx, const v1::UpdateMediaRequest* req,
      v1::UpdateMediaResponse* resp) override;

 private:
  const ApiContext api_;
};

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_MEDIA_SERVICE_H_
