#include "service/upstream/providers/vimmerse.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "service/upstream/providers/job_state.h"
#include "service/upstream/providers/json_codec.h"
#include "service/upstream/providers/resource_name.h"

namespace mediagen::upstream::vimmerse {
namespace {

constexpr absl::string_view kJson = "application/json";

void ClampProgress(google::protobuf::Message* m) {
  // Both Media and Asset name it `progress_percentage` (optional int32).
  const auto* f = m->GetDescriptor()->FindFieldByName("progress_percentage");
  const auto* r = m->GetReflection();
  if (f == nullptr || !r->HasField(*m, f)) return;
  r->SetInt32(m, f, std::clamp(r->GetInt32(*m, f), 0, 100));
}

absl::Status UsableId(ResourceKind kind, const std::string& id) {
  if (id.empty()) return absl::InternalError("the object has no id");
  if (!ParseResourceName(FormatResourceName(kind, id)).ok()) {
    return absl::InternalError("the object's id is not usable in a name");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UpstreamRequest> PostMessageJson(
    const Endpoints& e, const Route& route, absl::string_view key,
    const google::protobuf::Message& request) {
  const std::string body = Serialize(EncodeMessage(request, {"request_id"}));
  return MakeRequest(route, BuildUrl(e.vimmerse, route.path), key, kJson,
                     &body);
}

absl::StatusOr<UpstreamRequest> TranslateGetMedia(
    const Endpoints& e, const Route& route, absl::string_view key,
    const v1::GetMediaRequest& r) {
  absl::StatusOr<std::string> id =
      ParseResourceId(r.name(), ResourceKind::kMedia);
  if (!id.ok()) return id.status();
  QueryParams query;
  if (r.fields_size() > 0)
    query.emplace_back("fields", absl::StrJoin(r.fields(), ","));
  return MakeRequest(
      route,
      BuildUrl(e.vimmerse,
               absl::StrReplaceAll(route.path, {{"{id}", PercentEncode(*id)}}),
               query),
      key, kJson);
}

absl::StatusOr<UpstreamRequest> TranslateUpdateMedia(
    const Endpoints& e, const Route& route, absl::string_view key,
    const v1::UpdateMediaRequest& r) {
  absl::StatusOr<std::string> id =
      ParseResourceId(r.name(), ResourceKind::kMedia);
  if (!id.ok()) return id.status();
  const std::string body = Serialize(EncodeMessage(r, {"name", "request_id"}));
  Route update = route;
  update.method = e.media_update_method;
  return MakeRequest(
      update,
      BuildUrl(e.vimmerse,
               absl::StrReplaceAll(route.path, {{"{id}", PercentEncode(*id)}})),
      key, kJson, &body);
}

UpstreamRequest TranslateUpload(const Endpoints& e, const Route& route,
                                absl::string_view key,
                                const v1::UploadVideoMetadata& m,
                                std::shared_ptr<http::BodySource> body,
                                absl::string_view body_content_type) {
  QueryParams query;
  if (m.has_option()) query.emplace_back("option", m.option());
  if (m.has_video_duration()) {
    query.emplace_back("video_duration", FormatNumber(m.video_duration()));
  }
  if (m.has_asset_id()) query.emplace_back("asset_id", m.asset_id());
  if (m.has_video_url()) query.emplace_back("video_url", m.video_url());
  if (m.has_video_file_path()) {
    query.emplace_back("video_file_path", m.video_file_path());
  }
  if (m.has_removing_asset_args()) {
    query.emplace_back("removing_asset_args", m.removing_asset_args());
  }
  UpstreamRequest up =
      MakeRequest(route, BuildUrl(e.vimmerse, route.path, query), key, kJson);
  up.http.headers.emplace_back("Content-Type", std::string(body_content_type));
  up.http.body_source = std::move(body);
  return up;
}

UpstreamRequest TranslateUpload(const Endpoints& e, const Route& route,
                                absl::string_view key,
                                const v1::UploadAudioMetadata& /*metadata*/,
                                std::shared_ptr<http::BodySource> body,
                                absl::string_view body_content_type) {
  UpstreamRequest up =
      MakeRequest(route, BuildUrl(e.vimmerse, route.path), key, kJson);
  up.http.headers.emplace_back("Content-Type", std::string(body_content_type));
  up.http.body_source = std::move(body);
  return up;
}

UpstreamRequest BuildGetAsset(const Endpoints& e, absl::string_view key,
                              absl::string_view asset_id) {
  const std::string path = absl::StrReplaceAll(
      e.asset_path_template, {{"{asset_id}", PercentEncode(asset_id)}});
  return MakeRequest(Route{v1::PROVIDER_VIMMERSE, "GET", e.asset_path_template,
                           Idempotency::kIdempotent},
                     BuildUrl(e.vimmerse, path), key, kJson);
}

absl::StatusOr<v1::Media> ParseMedia(absl::string_view body,
                                     absl::string_view known_id) {
  std::optional<Json> obj = ParseObject(body);
  if (!obj) return absl::InternalError("the body is not a JSON object");
  v1::Media media;
  DecodeInto(*obj, &media);
  if (media.id().empty()) media.set_id(std::string(known_id));
  if (absl::Status s = UsableId(ResourceKind::kMedia, media.id()); !s.ok()) {
    return s;
  }
  media.set_name(FormatResourceName(ResourceKind::kMedia, media.id()));
  media.set_state(VimmerseState(media.processing_status()));
  ClampProgress(&media);
  return media;
}

absl::StatusOr<v1::Asset> ParseAsset(absl::string_view body,
                                     absl::string_view known_id) {
  std::optional<Json> obj = ParseObject(body);
  if (!obj) return absl::InternalError("the body is not a JSON object");
  v1::Asset asset;
  DecodeInto(*obj, &asset);
  if (asset.id().empty()) asset.set_id(std::string(known_id));
  if (absl::Status s = UsableId(ResourceKind::kAsset, asset.id()); !s.ok()) {
    return s;
  }
  asset.set_name(FormatResourceName(ResourceKind::kAsset, asset.id()));
  asset.set_state(VimmerseState(asset.status()));
  ClampProgress(&asset);
  return asset;
}

absl::Status ParseEstimate(absl::string_view body,
                           google::protobuf::Message* response) {
  std::optional<Json> obj = ParseObject(body);
  if (!obj) return absl::InternalError("the body is not a JSON object");
  const Json* total = Find(*obj, "total_credits");
  if (total == nullptr || !AsDouble(*total).has_value()) {
    return absl::InternalError("the estimate has no total_credits");
  }
  DecodeInto(*obj, response);
  return absl::OkStatus();
}

}  // namespace mediagen::upstream::vimmerse
