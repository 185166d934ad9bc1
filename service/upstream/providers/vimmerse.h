// Vimmerse translators: every MediaService, VideoService and AudioService
// RPC to its exact v2 REST call, and Vimmerse's JSON answers back to protos.
// Requests are assumed validated (validation.h); the builders still never
// emit a malformed URL (ids are percent-encoded) and fail only on a bad
// resource name.
//
//   absl::StatusOr<UpstreamRequest> up =
//       vimmerse::BuildRequest(endpoints, key, create_media_request);
//   ... send up->http ...
//   absl::StatusOr<v1::Media> media = vimmerse::ParseMedia(response.body);
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_VIMMERSE_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_VIMMERSE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "mediagen/v1/audio.pb.h"
#include "mediagen/v1/common.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/video.pb.h"
#include "service/http/transport.h"
#include "service/upstream/providers/endpoints.h"
#include "service/upstream/providers/route.h"

namespace mediagen::upstream::vimmerse {

// Multipart field names of the two upload routes.
inline constexpr absl::string_view kVideoFileField = "video_file";
inline constexpr absl::string_view kAudioFileField = "audio_file";

// MediaService. Bodies are every set field under its own name, except
// `request_id` (the gateway's idempotency key, never sent) and `name` (in
// the path). GetMedia's `fields` become `?fields=a,b`.
absl::StatusOr<UpstreamRequest> BuildRequest(const Endpoints& e,
                                             absl::string_view key,
                                             const v1::CreateMediaRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(const Endpoints& e,
                                             absl::string_view key,
                                             const v1::GetMediaRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(const Endpoints& e,
                                             absl::string_view key,
                                             const v1::UpdateMediaRequest& r);

// VideoService JSON routes (POST /v2/video/...): every set field but
// `request_id`.
absl::StatusOr<UpstreamRequest> BuildRequest(
    const Endpoints& e, absl::string_view key,
    const v1::EstimateVideoCreditsRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(
    const Endpoints& e, absl::string_view key,
    const v1::CropToAspectRatioRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(const Endpoints& e,
                                             absl::string_view key,
                                             const v1::ReframeVideoRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(const Endpoints& e,
                                             absl::string_view key,
                                             const v1::EnhanceVideoRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(
    const Endpoints& e, absl::string_view key,
    const v1::AddSoundEffectRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(const Endpoints& e,
                                             absl::string_view key,
                                             const v1::AvatarLipSyncRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(const Endpoints& e,
                                             absl::string_view key,
                                             const v1::LipSyncRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(
    const Endpoints& e, absl::string_view key,
    const v1::GenerateVideoEffectRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(
    const Endpoints& e, absl::string_view key,
    const v1::ReplaceBackgroundRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(
    const Endpoints& e, absl::string_view key,
    const v1::ReferenceToVideoRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(const Endpoints& e,
                                             absl::string_view key,
                                             const v1::VideoToVideoRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(const Endpoints& e,
                                             absl::string_view key,
                                             const v1::AttachAudioRequest& r);

// AudioService JSON routes (POST /v2/audio/...).
absl::StatusOr<UpstreamRequest> BuildRequest(
    const Endpoints& e, absl::string_view key,
    const v1::EstimateAudioCreditsRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(const Endpoints& e,
                                             absl::string_view key,
                                             const v1::TextToSpeechRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(
    const Endpoints& e, absl::string_view key,
    const v1::TextToSoundEffectRequest& r);
absl::StatusOr<UpstreamRequest> BuildRequest(const Endpoints& e,
                                             absl::string_view key,
                                             const v1::TextToMusicRequest& r);

// Uploads: POST /v2/video and POST /v2/audio with `body` (a multipart body,
// built by the caller around the file: http::MultipartBody with field
// kVideoFileField / kAudioFileField) and its `body_content_type`
// (`multipart/form-data; boundary=...`). For video, the metadata's query
// fields (option, video_duration, asset_id, video_url, video_file_path,
// removing_asset_args) become query parameters when set. The metadata's
// request_id, file_name, content_type and size_bytes are not sent as such
// (file name and type go in the multipart part).
UpstreamRequest BuildUpload(const Endpoints& e, absl::string_view key,
                            const v1::UploadVideoMetadata& metadata,
                            std::shared_ptr<http::BodySource> body,
                            absl::string_view body_content_type);
UpstreamRequest BuildUpload(const Endpoints& e, absl::string_view key,
                            const v1::UploadAudioMetadata& metadata,
                            std::shared_ptr<http::BodySource> body,
                            absl::string_view body_content_type);

// JobService on `assets/{id}`: GET on Endpoints::asset_path_template.
UpstreamRequest BuildGetAsset(const Endpoints& e, absl::string_view key,
                              absl::string_view asset_id);

// Route of each upload (also for errors raised before a request exists).
Route UploadVideoRoute();
Route UploadAudioRoute();

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

}  // namespace mediagen::upstream::vimmerse

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_VIMMERSE_H_
