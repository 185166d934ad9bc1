// AIMLAPI Stable Audio translators: GenerateAudio (POST) and GetGeneration
// (GET ?generation_id=), and the generation object back to a Generation.
//
//   absl::StatusOr<UpstreamRequest> up =
//       aimlapi::BuildRequest(endpoints, key, generate_audio_request);
//   absl::StatusOr<v1::Generation> g =
//       aimlapi::ParseGeneration(response.body, /*known_id=*/"",
//                                /*from_create=*/true);
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_AIMLAPI_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_AIMLAPI_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "service/upstream/providers/endpoints.h"
#include "service/upstream/providers/route.h"

namespace mediagen::upstream::aimlapi {

// The only model of the route; upstream needs it in every body.
inline constexpr absl::string_view kStableAudioModel = "stable-audio";

// POST /v2/generate/audio. Body: `model` (`stable-audio` when unset: the
// route serves several models and needs it), `prompt`, and seconds_start,
// seconds_total, steps when set. `request_id` is never sent.
absl::StatusOr<UpstreamRequest> BuildRequest(const Endpoints& e,
                                             absl::string_view key,
                                             const v1::GenerateAudioRequest& r);

// GET /v2/generate/audio?generation_id={id} for `generations/{id}`.
absl::StatusOr<UpstreamRequest> BuildRequest(const Endpoints& e,
                                             absl::string_view key,
                                             const v1::GetGenerationRequest& r);

// The same poll for a bare generation id (JobService).
UpstreamRequest BuildGetGeneration(const Endpoints& e, absl::string_view key,
                                   absl::string_view generation_id);

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

}  // namespace mediagen::upstream::aimlapi

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_AIMLAPI_H_
