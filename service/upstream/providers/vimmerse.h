// Vimmerse translators: every MediaService, VideoService and AudioService
// RPC to its exact v2 REST call, and Vimmerse's JSON answers back to protos.
// Which RPC uses which translator and reader, on which route, is the route
// table's (route_table.h). Requests are assumed validated (validation.h);
// the translators still never emit a malformed URL (ids are
// percent-encoded) and fail only on a bad resource name.
//
//   absl::StatusOr<UpstreamRequest> up = vimmerse::PostJson(
//       endpoints, RouteFor<v1::CreateMediaRequest>().route.ToRoute(), key,
//       create_media_request);          // or BuildRequest (route_table.h)
//   ... send up->http ...
//   absl::StatusOr<v1::Media> media = vimmerse::ParseMedia(response.body);
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_VIMMERSE_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_VIMMERSE_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "mediagen/v1/audio.pb.h"
#include "mediagen/v1/common.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/video.pb.h"
#include "service/http/transport.h"
#include "service/upstream/providers/endpoints.h"
#include "service/upstream/providers/resource_name.h"
#include "service/upstream/providers/route.h"

namespace mediagen::upstream::vimmerse {

// ---- Requests ----
// Translators of the route table (route_table.h): each gets its RPC's
// Route (the documented method and path) and builds the exact request.

// Every JSON route that POSTs the request as it is (CreateMedia, the
// VideoService and AudioService JSON routes, the credit estimates): a JSON
// body of every set field under its own name, except `request_id` (the
// gateway's idempotency key, never sent), to `route.path`.
absl::StatusOr<UpstreamRequest> PostMessageJson(
    const Endpoints& e, const Route& route, absl::string_view key,
    const google::protobuf::Message& request);
template <typename Req>
absl::StatusOr<UpstreamRequest> PostJson(const Endpoints& e, const Route& route,
                                         absl::string_view key,
                                         const Req& request) {
  return PostMessageJson(e, route, key, request);
}

// GET /v2/media/{id} (`{id}` from `name`); `fields` become `?fields=a,b`.
absl::StatusOr<UpstreamRequest> TranslateGetMedia(const Endpoints& e,
                                                  const Route& route,
                                                  absl::string_view key,
                                                  const v1::GetMediaRequest& r);
// /v2/media/{id} with Endpoints::media_update_method; body: every set
// field but `name` (in the path) and `request_id`.
absl::StatusOr<UpstreamRequest> TranslateUpdateMedia(
    const Endpoints& e, const Route& route, absl::string_view key,
    const v1::UpdateMediaRequest& r);

// Uploads: POST /v2/video and POST /v2/audio with `body` (a multipart body,
// built by the caller around the file: http::MultipartBody with the row's
// file field, `video_file` / `audio_file`) and its `body_content_type`
// (`multipart/form-data; boundary=...`). For video, the metadata's query
// fields (option, video_duration, asset_id, video_url, video_file_path,
// removing_asset_args) become query parameters when set. The metadata's
// request_id, file_name, content_type and size_bytes are not sent as such
// (file name and type go in the multipart part).
UpstreamRequest TranslateUpload(const Endpoints& e, const Route& route,
                                absl::string_view key,
                                const v1::UploadVideoMetadata& metadata,
                                std::shared_ptr<http::BodySource> body,
                                absl::string_view body_content_type);
UpstreamRequest TranslateUpload(const Endpoints& e, const Route& route,
                                absl::string_view key,
                                const v1::UploadAudioMetadata& metadata,
                                std::shared_ptr<http::BodySource> body,
                                absl::string_view body_content_type);

// JobService on `assets/{id}`: GET on Endpoints::asset_path_template (not a
// row of the table: no RPC of its own).
UpstreamRequest BuildGetAsset(const Endpoints& e, absl::string_view key,
                              absl::string_view asset_id);

// ---- Responses ----
// Each fails (with a short reason of ours, never upstream text) only when
// the body is not a JSON object or names no usable id; everything else is
// read tolerantly (json_codec.h). `known_id` stands in for a missing `id`
// (GetMedia with `fields` may leave it out).

// A media object -> Media with `name` `media/{id}`, `state` from
// `processing_status`, `progress_percentage` clamped to 0-100.
absl::StatusOr<v1::Media> ParseMedia(absl::string_view body,
                                     absl::string_view known_id = "");
// An asset -> Asset with `name` `assets/{id}` and `state` from `status`.
absl::StatusOr<v1::Asset> ParseAsset(absl::string_view body,
                                     absl::string_view known_id = "");
// An estimate (`total_credits`, `breakdown`) into an
// Estimate{Video,Audio}CreditsResponse. Fails without `total_credits`.
absl::Status ParseEstimate(absl::string_view body,
                           google::protobuf::Message* response);

// ---- Answer readers of the route table ----

// A Media answer (CreateMedia).
template <typename Req, typename Resp>
AnswerReader<Resp> MediaAnswer(const Req& /*request*/) {
  return [](const http::HttpResponse& r) -> absl::StatusOr<Resp> {
    absl::StatusOr<v1::Media> media = ParseMedia(r.body);
    if (!media.ok()) return media.status();
    Resp out;
    *out.mutable_media() = *std::move(media);
    return out;
  };
}

// A Media answer to a request that names the media (Get/UpdateMedia): its
// id stands in for one the answer leaves out (GetMedia with `fields`).
template <typename Req, typename Resp>
AnswerReader<Resp> NamedMediaAnswer(const Req& request) {
  absl::StatusOr<std::string> id =
      ParseResourceId(request.name(), ResourceKind::kMedia);
  return [known_id = id.ok() ? *id : std::string()](
             const http::HttpResponse& r) -> absl::StatusOr<Resp> {
    absl::StatusOr<v1::Media> media = ParseMedia(r.body, known_id);
    if (!media.ok()) return media.status();
    Resp out;
    *out.mutable_media() = *std::move(media);
    return out;
  };
}

// An Asset answer (the video and audio generations, uploads).
template <typename Req, typename Resp>
AnswerReader<Resp> AssetAnswer(const Req& /*request*/) {
  return [](const http::HttpResponse& r) -> absl::StatusOr<Resp> {
    absl::StatusOr<v1::Asset> asset = ParseAsset(r.body);
    if (!asset.ok()) return asset.status();
    Resp out;
    *out.mutable_asset() = *std::move(asset);
    return out;
  };
}

// An estimate answer (Estimate{Video,Audio}Credits).
template <typename Req, typename Resp>
AnswerReader<Resp> EstimateAnswer(const Req& /*request*/) {
  return [](const http::HttpResponse& r) -> absl::StatusOr<Resp> {
    Resp out;
    if (absl::Status s = ParseEstimate(r.body, &out); !s.ok()) return s;
    return out;
  };
}

}  // namespace mediagen::upstream::vimmerse

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_VIMMERSE_H_
