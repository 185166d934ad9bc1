// AIMLAPI Stable Audio translators: GenerateAudio (POST) and GetGeneration
// (GET ?generation_id=), and the generation object back to a Generation.
//
//   absl::StatusOr<UpstreamRequest> up =
//       BuildRequest(endpoints, key, generate_audio_request);  // route_table.h
//   absl::StatusOr<v1::Generation> g =
//       aimlapi::ParseGeneration(response.body, /*known_id=*/"",
//                                /*from_create=*/true);
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_AIMLAPI_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_AIMLAPI_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "service/upstream/providers/endpoints.h"
#include "service/upstream/providers/resource_name.h"
#include "service/upstream/providers/route.h"

namespace mediagen::upstream::aimlapi {

// The only model of the route; upstream needs it in every body.
inline constexpr absl::string_view kStableAudioModel = "stable-audio";

// Translators of the route table (route_table.h).

// POST /v2/generate/audio. Body: `model` (`stable-audio` when unset: the
// route serves several models and needs it), `prompt`, and seconds_start,
// seconds_total, steps when set. `request_id` is never sent.
absl::StatusOr<UpstreamRequest> TranslateGenerateAudio(
    const Endpoints& e, const Route& route, absl::string_view key,
    const v1::GenerateAudioRequest& r);

// GET /v2/generate/audio?generation_id={id} for `generations/{id}` (also
// JobService's poll of a generation).
absl::StatusOr<UpstreamRequest> TranslateGetGeneration(
    const Endpoints& e, const Route& route, absl::string_view key,
    const v1::GetGenerationRequest& r);

// `{id, status, audio_file, error: {name, message}, meta: {usage:
// {credits_used}}}`, or the create answer `{"generation_id": ...}` -> a
// Generation named `generations/{id}`. `status: "error"` is a FAILED
// generation, not a failure of this call. Without a status, a create is
// QUEUED (upstream accepted it) and a poll RUNNING (unknown = running).
// `known_id` stands in for a missing id. Fails only on a non-object body or
// no usable id.
absl::StatusOr<v1::Generation> ParseGeneration(absl::string_view body,
                                               absl::string_view known_id,
                                               bool from_create);

// ---- Answer readers of the route table ----

// GenerateAudio's answer: a created generation (QUEUED without a status).
template <typename Req, typename Resp>
AnswerReader<Resp> GenerationAnswer(const Req& /*request*/) {
  return [](const http::HttpResponse& r) -> absl::StatusOr<Resp> {
    absl::StatusOr<v1::Generation> g =
        ParseGeneration(r.body, /*known_id=*/"", /*from_create=*/true);
    if (!g.ok()) return g.status();
    Resp out;
    *out.mutable_generation() = *std::move(g);
    return out;
  };
}

// GetGeneration's answer: a polled generation (RUNNING without a status),
// the id in the request's `name` standing in for a missing one.
template <typename Req, typename Resp>
AnswerReader<Resp> PolledGenerationAnswer(const Req& request) {
  absl::StatusOr<std::string> id =
      ParseResourceId(request.name(), ResourceKind::kGeneration);
  return [known_id = id.ok() ? *id : std::string()](
             const http::HttpResponse& r) -> absl::StatusOr<Resp> {
    absl::StatusOr<v1::Generation> g =
        ParseGeneration(r.body, known_id, /*from_create=*/false);
    if (!g.ok()) return g.status();
    Resp out;
    *out.mutable_generation() = *std::move(g);
    return out;
  };
}

}  // namespace mediagen::upstream::aimlapi

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_AIMLAPI_H_
