#include "service/upstream/providers/elevenlabs.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "service/upstream/providers/errors.h"
#include "service/upstream/providers/json_codec.h"

namespace mediagen::upstream::elevenlabs {
namespace {

// The body is audio in the requested format; error bodies are JSON. One
// Accept that admits both keeps content negotiation out of the way.
constexpr absl::string_view kAccept = "*/*";
// Content types and request ids are short; anything longer is cut.
constexpr size_t kMaxHeaderTextBytes = 128;

}  // namespace

absl::StatusOr<UpstreamRequest> TranslateSpeech(
    const Endpoints& e, const Route& route, absl::string_view key,
    const v1::SynthesizeSpeechRequest& r) {
  const bool stream = !r.has_stream() || r.stream();
  Route chosen = route;
  if (!stream) {
    // The same call answered in one piece: the route without `/stream`.
    chosen.path = std::string(absl::StripSuffix(route.path, "/stream"));
  }
  QueryParams query;
  if (r.has_enable_logging()) {
    query.emplace_back("enable_logging", r.enable_logging() ? "true" : "false");
  }
  if (r.has_optimize_streaming_latency()) {
    query.emplace_back("optimize_streaming_latency",
                       absl::StrCat(r.optimize_streaming_latency()));
  }
  if (r.has_output_format())
    query.emplace_back("output_format", r.output_format());
  const std::string body = Serialize(
      EncodeMessage(r, {"voice_id", "output_format", "stream", "enable_logging",
                        "optimize_streaming_latency"}));
  const std::string path = absl::StrReplaceAll(
      chosen.path, {{"{voice_id}", PercentEncode(r.voice_id())}});
  return MakeRequest(std::move(chosen), BuildUrl(e.elevenlabs, path, query),
                     key, kAccept, &body);
}

absl::StatusOr<UpstreamRequest> TranslateSoundEffect(
    const Endpoints& e, const Route& route, absl::string_view key,
    const v1::GenerateSoundEffectRequest& r) {
  QueryParams query;
  if (r.has_output_format())
    query.emplace_back("output_format", r.output_format());
  const std::string body = Serialize(EncodeMessage(r, {"output_format"}));
  return MakeRequest(route, BuildUrl(e.elevenlabs, route.path, query), key,
                     kAccept, &body);
}

std::string OutputFormatOf(const v1::SynthesizeSpeechRequest& r) {
  return r.has_output_format() ? r.output_format()
                               : std::string(kDefaultOutputFormat);
}

std::string OutputFormatOf(const v1::GenerateSoundEffectRequest& r) {
  return r.has_output_format() ? r.output_format()
                               : std::string(kDefaultOutputFormat);
}

v1::AudioStreamInfo StreamInfoFromHeaders(const http::Headers& headers,
                                          absl::string_view output_format) {
  v1::AudioStreamInfo info;
  info.set_output_format(std::string(output_format));
  // Header values are whatever bytes upstream (or a proxy) sent; proto
  // strings must be valid UTF-8 or the caller's stub cannot parse the
  // message, so they are cleaned and bounded like any upstream text.
  if (auto v = http::FindHeader(headers, "content-type")) {
    info.set_content_type(SanitizeUpstreamText(*v, {}, kMaxHeaderTextBytes));
  }
  if (auto v = http::FindHeader(headers, "request-id")) {
    info.set_upstream_request_id(
        SanitizeUpstreamText(*v, {}, kMaxHeaderTextBytes));
  }
  if (auto v = http::FindHeader(headers, "character-cost")) {
    int64_t cost;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*v), &cost) && cost >= 0) {
      info.set_character_cost(cost);
    }
  }
  return info;
}

}  // namespace mediagen::upstream::elevenlabs
