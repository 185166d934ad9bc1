#include "service/upstream/providers/aimlapi.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "service/upstream/providers/job_state.h"
#include "service/upstream/providers/json_codec.h"
#include "service/upstream/providers/resource_name.h"

namespace mediagen::upstream::aimlapi {
namespace {

constexpr absl::string_view kJson = "application/json";

}  // namespace

absl::StatusOr<UpstreamRequest> TranslateGenerateAudio(
    const Endpoints& e, const Route& route, absl::string_view key,
    const v1::GenerateAudioRequest& r) {
  Json body = EncodeMessage(r, {"request_id"});
  if (!r.has_model()) body["model"] = std::string(kStableAudioModel);
  const std::string text = Serialize(body);
  return MakeRequest(route, BuildUrl(e.aimlapi, route.path), key, kJson, &text);
}

absl::StatusOr<UpstreamRequest> TranslateGetGeneration(
    const Endpoints& e, const Route& route, absl::string_view key,
    const v1::GetGenerationRequest& r) {
  absl::StatusOr<std::string> id =
      ParseResourceId(r.name(), ResourceKind::kGeneration);
  if (!id.ok()) return id.status();
  // The documented route carries its query ("...?generation_id={id}").
  const absl::string_view path =
      absl::string_view(route.path).substr(0, route.path.find('?'));
  return MakeRequest(route, BuildUrl(e.aimlapi, path, {{"generation_id", *id}}),
                     key, kJson);
}

absl::StatusOr<v1::Generation> ParseGeneration(absl::string_view body,
                                               absl::string_view known_id,
                                               bool from_create) {
  std::optional<Json> obj = ParseObject(body);
  if (!obj) return absl::InternalError("the body is not a JSON object");
  v1::Generation g;
  DecodeInto(*obj, &g);  // id, status, audio_file
  if (g.id().empty()) {
    if (const Json* gid = Find(*obj, "generation_id")) {
      if (auto s = AsString(*gid)) g.set_id(*s);
    }
  }
  if (g.id().empty()) g.set_id(std::string(known_id));
  if (g.id().empty()) return absl::InternalError("the generation has no id");
  g.set_name(FormatResourceName(ResourceKind::kGeneration, g.id()));
  if (!ParseResourceName(g.name()).ok()) {
    return absl::InternalError("the generation id is not usable in a name");
  }

  if (const Json* error = Find(*obj, "error")) {
    if (error->is_object()) {
      if (const Json* n = Find(*error, "name")) {
        if (auto s = AsString(*n)) g.set_error_name(*s);
      }
      if (const Json* m = Find(*error, "message")) {
        if (auto s = AsString(*m)) g.set_error_message(*s);
      }
    } else if (auto s = AsString(*error)) {
      g.set_error_message(*s);
    }
  }
  if (const Json* meta = Find(*obj, "meta")) {
    if (const Json* usage = Find(*meta, "usage")) {
      if (const Json* used = Find(*usage, "credits_used")) {
        if (auto d = AsDouble(*used)) g.set_credits_used(*d);
      }
    }
  }
  if (g.status().empty()) {
    g.set_state(from_create ? v1::JOB_STATE_QUEUED : v1::JOB_STATE_RUNNING);
  } else {
    g.set_state(AimlapiState(g.status()));
  }
  return g;
}

}  // namespace mediagen::upstream::aimlapi
