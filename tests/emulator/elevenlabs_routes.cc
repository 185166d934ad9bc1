#include "tests/emulator/elevenlabs_routes.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/emulator/media_files.h"
#include "tests/emulator/util.h"
#include "tests/emulator/vimmerse_prices.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;

const Schema& SpeechSchema() {
  static const Schema* schema = new Schema{
      Str("text").Required(),
      Str("model_id").Default("eleven_monolingual_v1"),
      Str("language_code").Nullable(),
      Obj("voice_settings",
          {Num("stability").Nullable(), Num("similarity_boost").Nullable(),
           Num("style").Nullable(), Bool("use_speaker_boost").Nullable()})
          .Nullable(),
      ObjList("pronunciation_dictionary_locators",
              {Str("pronunciation_dictionary_id").Required(),
               Str("version_id").Nullable()})
          .Nullable()
          .MaxItems(3),
      Int("seed").Nullable().Range(0, 4294967295.0),
      Str("previous_text").Nullable(),
      Str("next_text").Nullable(),
      StrList("previous_request_ids").Nullable().MaxItems(3),
      StrList("next_request_ids").Nullable().MaxItems(3),
      Bool("use_pvc_as_ivc").Nullable(),
      Str("apply_text_normalization").Nullable().Enum({"auto", "on", "off"}),
  };
  return *schema;
}

const Schema& SoundSchema() {
  static const Schema* schema = new Schema{
      Str("text").Required(),
      Num("duration_seconds").Nullable().Range(0.5, 22),
      Num("prompt_influence").Nullable().Range(0, 1).Default(0.3),
  };
  return *schema;
}

std::optional<bool> ParseBool(std::string v) {
  v = absl::AsciiStrToLower(v);
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return std::nullopt;
}

// Validates the query string; fills `format` (default mp3_44100_128).
std::optional<Reply> CheckQuery(const Context& ctx, const Call& call,
                                bool speech, AudioFormat* format) {
  std::vector<std::string> allowed = {"output_format"};
  if (speech) {
    allowed.push_back("enable_logging");
    allowed.push_back("optimize_streaming_latency");
  }
  if (auto bad = CheckQueryParams(ctx, call, allowed)) return bad;
  json errors = json::array();
  std::string name = "mp3_44100_128";
  if (call.req.has_param("output_format")) {
    name = call.req.get_param_value("output_format");
  }
  absl::StatusOr<AudioFormat> parsed = ParseElevenLabsFormat(name);
  if (!parsed.ok()) {
    Field f = Str("output_format").Enum(ElevenLabsOutputFormats());
    json e = Validate({f}, json{{"output_format", name}}, true,
                      json::array({"query"}));
    for (auto& x : e) errors.push_back(std::move(x));
  } else {
    *format = *parsed;
  }
  if (speech && call.req.has_param("enable_logging") &&
      !ParseBool(call.req.get_param_value("enable_logging"))) {
    errors.push_back(ValidationErrorEntry(
        json::array({"query", "enable_logging"}),
        "Input should be a valid boolean, unable to interpret input",
        "bool_parsing"));
  }
  if (speech && call.req.has_param("optimize_streaming_latency")) {
    int64_t v;
    if (!absl::SimpleAtoi(
            call.req.get_param_value("optimize_streaming_latency"), &v)) {
      errors.push_back(ValidationErrorEntry(
          json::array({"query", "optimize_streaming_latency"}),
          "Input should be a valid integer, unable to parse string as an "
          "integer",
          "int_parsing"));
    } else if (v < 0 || v > 4) {
      errors.push_back(ValidationErrorEntry(
          json::array({"query", "optimize_streaming_latency"}),
          v < 0 ? "Input should be greater than or equal to 0"
                : "Input should be less than or equal to 4",
          v < 0 ? "greater_than_equal" : "less_than_equal"));
    }
  }
  if (!errors.empty()) return ValidationReply(errors);
  return std::nullopt;
}

int Limit(const Context& ctx, const std::string& customer_id) {
  const int own = ctx.accounts.ConcurrencyLimit(customer_id);
  return own > 0 ? own : ctx.options().elevenlabs_concurrency;
}

Reply Audio(Context& ctx, Call& call, const AudioFormat& format, double seconds,
            Waveform waveform, bool stream, int current, int limit,
            int64_t character_cost) {
  Reply r;
  r.status = 200;
  r.content_type = format.ContentType();
  r.body = EncodeAudio(format, seconds, waveform);
  r.headers.emplace_back("request-id", NewHexId());
  if (character_cost >= 0) {
    r.headers.emplace_back("character-cost", std::to_string(character_cost));
  }
  r.headers.emplace_back("current-concurrent-requests",
                         std::to_string(current));
  r.headers.emplace_back("maximum-concurrent-requests", std::to_string(limit));
  if (stream) {
    // Audio arrives as it is synthesized: a short wait for the first bytes,
    // then a quarter second of audio every 0.1 s (faster than real time).
    r.chunked = true;
    const size_t bytes_per_second =
        std::max<size_t>(1, r.body.size() / std::max(0.5, seconds));
    r.chunk_size = std::max<size_t>(512, bytes_per_second / 4);
    r.first_byte_delay = ctx.Scaled(0.3);
    r.chunk_interval = ctx.Scaled(0.1);
  } else {
    // The plain route answers once the whole clip exists.
    r.first_byte_delay = ctx.Scaled(0.5 + 0.1 * seconds);
  }
  const std::string customer = call.customer_id;
  Context* c = &ctx;
  r.on_finish = [c, customer] { c->counters.Leave(customer); };
  return r;
}

Reply Synthesize(Context& ctx, Call& call, bool stream) {
  if (auto denied = AuthElevenLabs(ctx, call)) return *denied;
  AudioFormat format;
  if (auto bad = CheckQuery(ctx, call, /*speech=*/true, &format)) return *bad;
  json body;
  if (auto bad = ParseJsonBody(ctx, call, &body)) return *bad;
  if (auto bad = ValidateBody(ctx, SpeechSchema(), body)) return *bad;
  body = WithDefaults(SpeechSchema(), body);
  const std::string model = body.value("model_id", "eleven_monolingual_v1");
  const bool language_model =
      model == "eleven_turbo_v2_5" || model == "eleven_flash_v2_5";
  if (body.contains("language_code") && body["language_code"].is_string() &&
      !language_model) {
    return ElevenLabsError(
        400, "invalid_request_error", "unsupported_language_code",
        absl::StrCat("Model '", model,
                     "' does not support language_code; only "
                     "eleven_turbo_v2_5 and eleven_flash_v2_5 do."),
        "language_code");
  }
  if (model == "eleven_turbo_v2_5" &&
      body.value("apply_text_normalization", json("auto")) == "on") {
    return ElevenLabsError(
        400, "invalid_request_error", "unsupported_text_normalization",
        "apply_text_normalization cannot be 'on' for eleven_turbo_v2_5.",
        "apply_text_normalization");
  }
  const int limit = Limit(ctx, call.customer_id);
  int current = 0;
  if (!ctx.counters.TryEnter(call.customer_id, limit, &current)) {
    return ConcurrencyLimitReply(call.req.path, current, limit);
  }
  const std::string text = body["text"].get<std::string>();
  const int64_t cost = static_cast<int64_t>(CodePoints(text));
  const double seconds = std::min(30.0, SpeechSeconds(text));
  ctx.counters.CountCreate(call.customer_id, call.route,
                           static_cast<double>(cost));
  return Audio(ctx, call, format, seconds, Waveform::kTone, stream, current,
               limit, cost);
}

Reply SoundGeneration(Context& ctx, Call& call) {
  if (auto denied = AuthElevenLabs(ctx, call)) return *denied;
  AudioFormat format;
  if (auto bad = CheckQuery(ctx, call, /*speech=*/false, &format)) return *bad;
  json body;
  if (auto bad = ParseJsonBody(ctx, call, &body)) return *bad;
  if (auto bad = ValidateBody(ctx, SoundSchema(), body)) return *bad;
  body = WithDefaults(SoundSchema(), body);
  const int limit = Limit(ctx, call.customer_id);
  int current = 0;
  if (!ctx.counters.TryEnter(call.customer_id, limit, &current)) {
    return ConcurrencyLimitReply(call.req.path, current, limit);
  }
  // No duration: upstream guesses one from the prompt; the emulator picks 5 s.
  double seconds = 5.0;
  if (body.contains("duration_seconds") &&
      body["duration_seconds"].is_number()) {
    seconds = body["duration_seconds"].get<double>();
  }
  ctx.counters.CountCreate(call.customer_id, call.route, 0);
  Reply r = Audio(ctx, call, format, seconds, Waveform::kNoise,
                  /*stream=*/false, current, limit, /*character_cost=*/-1);
  r.first_byte_delay = ctx.Scaled(1.0);
  return r;
}

}  // namespace

void AddElevenLabsRoutes(std::vector<Route>* routes) {
  routes->push_back(
      {"POST", "/v1/text-to-speech/{voice_id}", Provider::kElevenLabs, false,
       [](Context& ctx, Call& call) { return Synthesize(ctx, call, false); }});
  routes->push_back(
      {"POST", "/v1/text-to-speech/{voice_id}/stream", Provider::kElevenLabs,
       false,
       [](Context& ctx, Call& call) { return Synthesize(ctx, call, true); }});
  routes->push_back({"POST", "/v1/sound-generation", Provider::kElevenLabs,
                     false, SoundGeneration});
}

}  // namespace mediagen::emulator
