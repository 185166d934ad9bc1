#include "tests/emulator/aimlapi_routes.h"

#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/emulator/media_files.h"
#include "tests/emulator/util.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;

const Schema& GenerateSchema() {
  static const Schema* schema = new Schema{
      Str("model").Required().Enum({"stable-audio"}),
      Str("prompt").Required(),
      Num("seconds_start").Nullable().Range(0, 47),
      Num("seconds_total").Nullable().Range(1, 47).Default(30),
      Num("steps").Nullable().Range(1, 1000).Default(100),
  };
  return *schema;
}

double NumberOr(const json& j, const char* key, double def) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : def;
}

Reply Generate(Context& ctx, Call& call) {
  if (auto denied = AuthAimlapi(ctx, call)) return *denied;
  if (auto bad = CheckQueryParams(ctx, call, {}, ErrorStyle::kAimlapi))
    return *bad;
  json body;
  if (auto bad = ParseJsonBody(ctx, call, &body, ErrorStyle::kAimlapi))
    return *bad;
  if (auto bad = ValidateBody(ctx, GenerateSchema(), body, ErrorStyle::kAimlapi,
                              call.req.path)) {
    return *bad;
  }
  body = WithDefaults(GenerateSchema(), body);
  const double steps = NumberOr(body, "steps", 100);
  const double seconds = NumberOr(body, "seconds_total", 30);
  const double tokens = StableAudioTokens(steps);
  if (!ctx.accounts.TryCharge(call.customer_id, tokens)) {
    return AimlapiError(403,
                        "You have run out of credits. Top up your balance to "
                        "continue.",
                        call.req.path);
  }
  const std::string id = NewUuid() + ":stable-audio";
  FileSpec spec;
  spec.kind = FileSpec::Kind::kWav;
  spec.seconds = seconds;
  spec.waveform = Waveform::kTone;
  spec.name = "tmp" + NewHexId().substr(0, 8) + ".wav";
  const int64_t file_size =
      44 + 2 * static_cast<int64_t>(std::llround(seconds * kWavSampleRate));
  const std::string file_name = spec.name;
  const std::string url = ctx.base_url() + ctx.files.Add(std::move(spec));

  json generation = {
      {"id", id},
      {"status", "queued"},
      {"audio_file", nullptr},
      {"error", nullptr},
      {"meta", {{"usage", {{"credits_used", JsonNumber(tokens)}}}}}};
  Job job;
  job.kind = JobKind::kGeneration;
  job.id = id;
  job.customer_id = call.customer_id;
  job.object = generation;
  // The docs' example reports the CDN's generic type for the WAV.
  job.audio_file = {{"url", url},
                    {"content_type", "application/octet-stream"},
                    {"file_name", file_name},
                    {"file_size", file_size}};
  ctx.jobs.Add(std::move(job));
  ctx.counters.CountCreate(call.customer_id, call.route, tokens);
  // The reference shows 201 {"generation_id"}, the example {id, status}:
  // answer with both.
  generation["generation_id"] = id;
  return JsonReply(201, generation);
}

Reply Poll(Context& ctx, Call& call) {
  if (auto denied = AuthAimlapi(ctx, call)) return *denied;
  if (auto bad = CheckQueryParams(ctx, call, {"generation_id"},
                                  ErrorStyle::kAimlapi)) {
    return *bad;
  }
  if (!call.req.has_param("generation_id") ||
      call.req.get_param_value("generation_id").empty()) {
    return ValidationErrorIn(ErrorStyle::kAimlapi,
                             json::array({ValidationErrorEntry(
                                 json::array({"query", "generation_id"}),
                                 "Field required", "missing")}),
                             call.req.path);
  }
  std::optional<std::string> generation =
      ctx.jobs.GetJson(call.req.get_param_value("generation_id"),
                       call.customer_id, JobKind::kGeneration);
  if (!generation) {
    return AimlapiError(404, "Generation not found.", call.req.path);
  }
  Reply r;
  r.body = *std::move(generation);
  return r;
}

}  // namespace

double StableAudioTokens(double steps) { return 252.0 * std::ceil(steps); }

void AddAimlapiRoutes(std::vector<Route>* routes) {
  routes->push_back(
      {"POST", "/v2/generate/audio", Provider::kAimlapi, false, Generate});
  routes->push_back(
      {"GET", "/v2/generate/audio", Provider::kAimlapi, false, Poll});
}

}  // namespace mediagen::emulator
