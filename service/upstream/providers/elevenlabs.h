// ElevenLabs translators: SynthesizeSpeech and GenerateSoundEffect to their
// REST calls, and the response headers to the AudioStreamInfo sent before
// the audio bytes.
//
//   absl::StatusOr<UpstreamRequest> up =
//       BuildRequest(endpoints, key, speech_request);  // route_table.h
//   // on 2xx headers:
//   v1::AudioStreamInfo info = elevenlabs::StreamInfoFromHeaders(
//       headers, elevenlabs::OutputFormatOf(speech_request));
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ELEVENLABS_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ELEVENLABS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mediagen/v1/elevenlabs.pb.h"
#include "service/http/transport.h"
#include "service/upstream/providers/endpoints.h"
#include "service/upstream/providers/route.h"

namespace mediagen::upstream::elevenlabs {

// Upstream's default `output_format`.
inline constexpr absl::string_view kDefaultOutputFormat = "mp3_44100_128";

// Translators of the route table (route_table.h).

// POST /v1/text-to-speech/{voice_id}/stream (the row's route), or without
// /stream when `stream` is false. Query, when set and in the documented
// order: `enable_logging`, `optimize_streaming_latency`, `output_format`.
// Body: every other set field (text, model_id, language_code,
// voice_settings, pronunciation_dictionary_locators, seed, previous_text,
// next_text, previous_request_ids, next_request_ids, use_pvc_as_ivc,
// apply_text_normalization). Every call synthesizes (and bills
// characters): the row makes it non-idempotent.
absl::StatusOr<UpstreamRequest> TranslateSpeech(
    const Endpoints& e, const Route& route, absl::string_view key,
    const v1::SynthesizeSpeechRequest& r);

// POST /v1/sound-generation[?output_format=...]; body text,
// duration_seconds, prompt_influence when set.
absl::StatusOr<UpstreamRequest> TranslateSoundEffect(
    const Endpoints& e, const Route& route, absl::string_view key,
    const v1::GenerateSoundEffectRequest& r);

// The requested output format, or upstream's default.
std::string OutputFormatOf(const v1::SynthesizeSpeechRequest& r);
std::string OutputFormatOf(const v1::GenerateSoundEffectRequest& r);

// From a 2xx response's headers: `content-type`, `request-id`,
// `character-cost` (when it is an integer).
v1::AudioStreamInfo StreamInfoFromHeaders(const http::Headers& headers,
                                          absl::string_view output_format);

}  // namespace mediagen::upstream::elevenlabs

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ELEVENLABS_H_
