#include "tests/emulator/vimmerse_routes.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/emulator/util.h"
#include "tests/emulator/vimmerse_assets.h"
#include "tests/emulator/vimmerse_video_routes.h"

namespace mediagen::emulator {
namespace {

using vimmerse::AudioOptionSchema;
using vimmerse::AudioResult;
using vimmerse::CheckUrls;
using vimmerse::InsufficientCredit;
using vimmerse::json;
using vimmerse::MediaSchema;
using vimmerse::MotionTypes;
using vimmerse::NewAsset;
using vimmerse::OptInt;
using vimmerse::OptNum;
using vimmerse::OptStr;
using vimmerse::Present;
using vimmerse::StoreFinishedAsset;
using vimmerse::StrOr;
using vimmerse::UserId;
using vimmerse::VideoResults;

// ---- estimates -------------------------------------------------------------

Reply EstimateVideo(Context& ctx, Call& call) {
  if (auto denied = AuthVimmerse(ctx, call)) return *denied;
  json body;
  if (auto bad = ParseJsonBody(ctx, call, &body)) return *bad;
  static const Schema* schema = new Schema{
      Str("app_name")
          .Enum({"reference-to-video", "video-effects", "edit-video",
                 "lip-sync", "replace-background-video", "video-to-video",
                 "text-image-to-video", "try-on", "upload-video"})
          .Default("reference-to-video"),
      Str("option").Required(),
      Int("quantity").Range(1, 4).Default(1),
      Str("prompt").Default(""),
      Int("duration").Nullable(),
      Num("video_duration").Nullable()};
  if (auto bad = ValidateBody(ctx, *schema, body)) return *bad;
  const json a = WithDefaults(*schema, body);
  std::optional<double> seconds = OptNum(a, "video_duration");
  if (!seconds) seconds = OptNum(a, "duration");
  const Price p = VideoPrice(StrOr(a, "app_name"), StrOr(a, "option"),
                             OptInt(a, "quantity").value_or(1), seconds,
                             StrOr(a, "prompt"));
  return JsonReply(200, {{"total_credits", JsonNumber(p.total)},
                         {"breakdown", p.breakdown}});
}

Reply EstimateAudio(Context& ctx, Call& call) {
  if (auto denied = AuthVimmerse(ctx, call)) return *denied;
  json body;
  if (auto bad = ParseJsonBody(ctx, call, &body)) return *bad;
  static const Schema* schema =
      new Schema{Str("app_name")
                     .Required()
                     .Enum({"text-to-speech", "text-to-audio", "text-to-music",
                            "upload-audio"}),
                 Str("option").Required(),
                 Int("quantity").Default(1),
                 Str("prompt"),
                 Int("duration"),
                 Str("voice")};
  if (auto bad = ValidateBody(ctx, *schema, body)) return *bad;
  const json a = WithDefaults(*schema, body);
  const Price p = AudioPrice(StrOr(a, "app_name"), StrOr(a, "option"),
                             OptInt(a, "quantity").value_or(1),
                             StrOr(a, "prompt"), OptNum(a, "duration"));
  return JsonReply(200, {{"total_credits", JsonNumber(p.total)},
                         {"breakdown", p.breakdown}});
}

// ---- audio generation ------------------------------------------------------

Reply HandleAudio(Context& ctx, Call& call, const Schema& schema,
                  const std::string& app_name,
                  const std::function<std::string(const json&)>& option,
                  const std::function<double(const json&)>& seconds,
                  Waveform waveform, const std::string& file_name) {
  if (auto denied = AuthVimmerse(ctx, call)) return *denied;
  json body;
  if (auto bad = ParseJsonBody(ctx, call, &body)) return *bad;
  if (auto bad = ValidateBody(ctx, schema, body)) return *bad;
  json args = WithDefaults(schema, body);
  const std::string prompt = StrOr(args, "prompt");
  if (absl::StripAsciiWhitespace(prompt).empty()) {
    return VimmerseError(400, "BAD_REQUEST", "prompt must not be empty.");
  }
  const Price price =
      AudioPrice(app_name, option(args), 1, prompt, OptNum(args, "duration"));
  if (!ctx.accounts.TryCharge(call.customer_id, price.total)) {
    return InsufficientCredit();
  }
  // Generation runs synchronously upstream; take a moment, as it would.
  ctx.SleepFor(ctx.Scaled(0.05 * ctx.options().job_seconds));
  json asset = NewAsset(call, NewUuid(), app_name, args, "audio/wav", 1,
                        price.total, "success");
  std::vector<std::string> results = {
      AudioResult(ctx, seconds(args), waveform, file_name)};
  return JsonReply(200, StoreFinishedAsset(ctx, call, std::move(asset),
                                           std::move(results), price.total));
}

// ---- uploads
// -----------------------------------------------------------------

Reply HandleUpload(Context& ctx, Call& call, bool video) {
  if (auto denied = AuthVimmerse(ctx, call)) return *denied;
  const char* field = video ? "video_file" : "audio_file";
  static const std::vector<std::string> kVideoQuery = {
      "video_url",           "video_file_path", "asset_id",
      "removing_asset_args", "option",          "video_duration"};
  if (auto bad = CheckQueryParams(
          ctx, call, video ? kVideoQuery : std::vector<std::string>{})) {
    return *bad;
  }
  json file_part = nullptr;
  json errors = json::array();
  if (call.multipart) {
    for (const json& part : call.parts) {
      const std::string name = part.value("name", "");
      if (name == field && file_part.is_null()) {
        file_part = part;
      } else if (ctx.strict()) {
        errors.push_back(ValidationErrorEntry(json::array({"body", name}),
                                              "Extra inputs are not permitted",
                                              "extra_forbidden"));
      }
    }
  }
  const std::string video_url =
      video ? call.req.get_param_value("video_url") : std::string();
  if (file_part.is_null() && (!video || video_url.empty())) {
    if (!call.multipart && !call.body.empty()) {
      errors.push_back(ValidationErrorEntry(
          json::array({"body", field}),
          "Field required (the body is not multipart/form-data)", "missing"));
    } else if (!video) {
      errors.push_back(ValidationErrorEntry(json::array({"body", field}),
                                            "Field required", "missing"));
    }
  }
  if (!errors.empty()) return ValidationReply(errors);
  if (file_part.is_null() && video_url.empty()) {
    return VimmerseError(400, "BAD_REQUEST",
                         "Provide video_file or video_url.");
  }
  if (!file_part.is_null() && file_part.value("size", int64_t{0}) == 0) {
    return VimmerseError(400, "BAD_REQUEST", "The uploaded file is empty.");
  }
  if (!video_url.empty()) {
    if (auto bad = CheckUrls(json{{"video_url", video_url}})) return *bad;
  }

  json args = json::object();
  std::string mime = video ? "video/mp4" : "audio/mpeg";
  if (!file_part.is_null()) {
    args["file_name"] = file_part.value("filename", "");
    args["file_size"] = file_part.value("size", int64_t{0});
    if (!file_part.value("content_type", "").empty()) {
      mime = file_part.value("content_type", "");
    }
  }
  double seconds = 5;
  if (video) {
    args["option"] = call.req.has_param("option")
                         ? call.req.get_param_value("option")
                         : std::string("UploadVideo");
    for (const std::string& k : kVideoQuery) {
      if (k != "option" && call.req.has_param(k.c_str())) {
        args[k] = call.req.get_param_value(k.c_str());
      }
    }
    double d;
    if (absl::SimpleAtod(call.req.get_param_value("video_duration"), &d) &&
        d > 0) {
      seconds = d;
    }
  }
  const std::string app = video ? "upload-video" : "upload-audio";
  json asset = NewAsset(call, NewUuid(), app, args, mime, 1, 0, "success");
  // The bytes were counted, not kept: the hosted URL serves a generated
  // file of the same kind.
  std::vector<std::string> results =
      video ? VideoResults(ctx, 1, seconds)
            : std::vector<std::string>{
                  AudioResult(ctx, seconds, Waveform::kTone, "upload.wav")};
  return JsonReply(200, StoreFinishedAsset(ctx, call, std::move(asset),
                                           std::move(results), 0));
}

// ---- media
// -------------------------------------------------------------------

Reply InsufficientOr404(bool found) {
  if (!found) {
    return VimmerseError(404, "MEDIA_NOT_FOUND",
                         "The requested media was not found or you do not have "
                         "access.");
  }
  return InsufficientCredit();
}

std::string MediaPrompt(const json& body) { return StrOr(body, "prompt"); }

Reply CreateMedia(Context& ctx, Call& call) {
  if (auto denied = AuthVimmerse(ctx, call)) return *denied;
  json body;
  if (auto bad = ParseJsonBody(ctx, call, &body)) return *bad;
  static const Schema* schema = new Schema(MediaSchema(false));
  if (auto bad = ValidateBody(ctx, *schema, body)) return *bad;
  body = WithDefaults(*schema, body);
  if (auto bad = CheckUrls(body)) return *bad;
  const std::string prompt = MediaPrompt(body);
  const bool has_items = body.contains("media_items") &&
                         body["media_items"].is_array() &&
                         !body["media_items"].empty();
  if (absl::StripAsciiWhitespace(prompt).empty() && !has_items) {
    return VimmerseError(400, "BAD_REQUEST",
                         "Provide a prompt, media_items, or both.");
  }
  const int64_t quantity = OptInt(body, "quantity").value_or(1);
  const int64_t duration = OptInt(body, "duration").value_or(5);
  const int64_t loop = OptInt(body, "loop").value_or(1);
  const std::string tool = StrOr(body, "video_tool", "Auto");
  const Price price =
      VideoPrice("text-image-to-video", tool, quantity, duration, prompt);
  if (!ctx.accounts.TryCharge(call.customer_id, price.total)) {
    return InsufficientCredit();
  }
  const std::string id = NewUuid();
  const std::string now = VimmerseTimestamp();
  bool native_audio = false;
  if (body.contains("audio_option") && body["audio_option"].is_object()) {
    native_audio = body["audio_option"].value("native_audio", false) == true;
  }
  json media = {
      {"id", id},
      {"title", StrOr(body, "title")},
      {"description", StrOr(body, "description")},
      {"customer_id", call.customer_id},
      {"primary_user_id", UserId(call.customer_id)},
      {"media_items", has_items ? body["media_items"] : json(nullptr)},
      {"duration_time", std::to_string(duration)},
      {"processing_status", "new"},
      {"progress_percentage", 0},
      {"pose_preset",
       {{"motion_type", tool},
        {"prompt", prompt},
        {"quantity", quantity},
        {"motion_length", duration},
        {"loop", loop}}},
      {"submit_params",
       {{"native_audio", native_audio},
        {"file_size", ""},
        {"scale_factor", "1"}}},
      {"result", json::array()},
      {"webhook_url", StrOr(body, "webhook_url")},
      {"created_at", now},
      {"updated_at", now},
      {"version", "1"}};
  Job job;
  job.kind = JobKind::kMedia;
  job.id = id;
  job.customer_id = call.customer_id;
  job.webhook_url = StrOr(body, "webhook_url");
  job.results = VideoResults(ctx, quantity, static_cast<double>(duration));
  job.object = media;
  ctx.jobs.Add(std::move(job));
  ctx.counters.CountCreate(call.customer_id, call.route, price.total);
  return JsonReply(200, media);
}

Reply GetMedia(Context& ctx, Call& call) {
  if (auto denied = AuthVimmerse(ctx, call)) return *denied;
  if (auto bad = CheckQueryParams(ctx, call, {"fields"})) return *bad;
  if (!call.req.has_param("fields")) {
    std::optional<std::string> text =
        ctx.jobs.GetJson(call.params[0], call.customer_id, JobKind::kMedia);
    if (!text) return InsufficientOr404(false);
    Reply r;
    r.body = *std::move(text);
    return r;
  }
  std::optional<json> media =
      ctx.jobs.Get(call.params[0], call.customer_id, JobKind::kMedia);
  if (!media) return InsufficientOr404(false);
  json picked = json::object();
  json errors = json::array();
  const size_t n = call.req.get_param_value_count("fields");
  for (size_t i = 0; i < n; ++i) {
    for (absl::string_view f :
         absl::StrSplit(call.req.get_param_value("fields", i), ',')) {
      const std::string key(absl::StripAsciiWhitespace(f));
      if (key.empty()) continue;
      if (media->contains(key)) {
        picked[key] = (*media)[key];
      } else if (ctx.strict()) {
        errors.push_back(ValidationErrorEntry(
            json::array({"query", "fields"}),
            absl::StrCat("Value error, unknown media field '", key, "'"),
            "value_error"));
      }
    }
  }
  if (!errors.empty()) return ValidationReply(errors);
  return JsonReply(200, picked);
}

Reply UpdateMedia(Context& ctx, Call& call) {
  if (auto denied = AuthVimmerse(ctx, call)) return *denied;
  json body;
  if (auto bad = ParseJsonBody(ctx, call, &body)) return *bad;
  static const Schema* schema = new Schema(MediaSchema(true));
  if (auto bad = ValidateBody(ctx, *schema, body)) return *bad;
  body = WithDefaults(*schema, body);
  if (auto bad = CheckUrls(body)) return *bad;
  const std::string& id = call.params[0];
  std::optional<json> current =
      ctx.jobs.Get(id, call.customer_id, JobKind::kMedia);
  if (!current) return InsufficientOr404(false);

  static const char* kRegen[] = {
      "prompt",      "video_tool",   "quantity",     "duration",     "loop",
      "media_items", "audio_option", "aspect_ratio", "pipeline_mode"};
  bool regen = false;
  for (const char* k : kRegen) regen = regen || Present(body, k);

  double credits = 0;
  std::vector<std::string> results;
  const json& pose = (*current)["pose_preset"];
  const std::string tool =
      StrOr(body, "video_tool", pose.value("motion_type", "Auto"));
  const int64_t quantity =
      OptInt(body, "quantity").value_or(pose.value("quantity", int64_t{1}));
  const int64_t duration =
      OptInt(body, "duration")
          .value_or(pose.value("motion_length", int64_t{5}));
  const int64_t loop =
      OptInt(body, "loop").value_or(pose.value("loop", int64_t{1}));
  const std::string prompt =
      OptStr(body, "prompt").value_or(pose.value("prompt", ""));
  if (regen) {
    credits =
        VideoPrice("text-image-to-video", tool, quantity, duration, prompt)
            .total;
    if (!ctx.accounts.TryCharge(call.customer_id, credits)) {
      return InsufficientCredit();
    }
    results = VideoResults(ctx, quantity, static_cast<double>(duration));
  }
  std::optional<json> updated = ctx.jobs.Edit(
      id, call.customer_id, JobKind::kMedia,
      [&](Job& job) {
        json& m = job.object;
        for (const char* k :
             {"title", "description", "visibility_status", "rating"}) {
          if (Present(body, k)) m[k] = body[k];
        }
        if (Present(body, "webhook_url")) {
          m["webhook_url"] = body["webhook_url"];
          job.webhook_url = body["webhook_url"].get<std::string>();
        }
        if (!regen) return;
        m["pose_preset"] = {{"motion_type", tool},
                            {"prompt", prompt},
                            {"quantity", quantity},
                            {"motion_length", duration},
                            {"loop", loop}};
        m["duration_time"] = std::to_string(duration);
        if (Present(body, "media_items"))
          m["media_items"] = body["media_items"];
        if (Present(body, "audio_option")) {
          m["submit_params"]["native_audio"] =
              body["audio_option"].value("native_audio", false) == true;
        }
        int64_t version = 1;
        if (m["version"].is_string() &&
            absl::SimpleAtoi(m["version"].get<std::string>(), &version)) {
          ++version;
        }
        m["version"] = std::to_string(version);
        m["result"] = json::array();
        job.results = results;
      },
      regen);
  if (!updated) return InsufficientOr404(false);
  if (!regen) {
    // Metadata only: updated in place, nothing spent.
    (*updated)["updated_at"] = VimmerseTimestamp();
  } else {
    ctx.counters.CountCreate(call.customer_id, call.route, credits);
  }
  return JsonReply(200, *updated);
}

Reply GetAsset(Context& ctx, Call& call) {
  if (auto denied = AuthVimmerse(ctx, call, /*v1_shape=*/true)) return *denied;
  std::optional<std::string> asset =
      ctx.jobs.GetJson(call.params[0], call.customer_id, JobKind::kAsset);
  if (!asset) return VimmerseV1Error(404, "ASSET_NOT_FOUND");
  Reply r;
  r.body = "{\"data\":" + *asset + "}";
  return r;
}

}  // namespace

void AddVimmerseRoutes(std::vector<Route>* routes) {
  auto add = [routes](std::string method, std::string pattern, Handler h,
                      bool multipart = false) {
    routes->push_back({std::move(method), std::move(pattern),
                       Provider::kVimmerse, multipart, std::move(h)});
  };
  add("POST", "/v2/media", CreateMedia);
  add("GET", "/v2/media/{id}", GetMedia);
  add("PUT", "/v2/media/{id}", UpdateMedia);
  add("GET", "/asset/{asset_id}", GetAsset);

  add(
      "POST", "/v2/video",
      [](Context& ctx, Call& call) { return HandleUpload(ctx, call, true); },
      /*multipart=*/true);
  add("POST", "/v2/video/estimate-credits", EstimateVideo);
  AddVimmerseVideoRoutes(routes);

  add(
      "POST", "/v2/audio",
      [](Context& ctx, Call& call) { return HandleUpload(ctx, call, false); },
      /*multipart=*/true);
  add("POST", "/v2/audio/estimate-credits", EstimateAudio);
  add("POST", "/v2/audio/text-2-speech", [](Context& ctx, Call& call) {
    static const Schema* schema =
        new Schema{Str("prompt").Required(),
                   Str("voice").Enum(VimmerseVoices()).Default("AutoV"),
                   Str("option")
                       .Enum({"ElevenLabsTTS", "ChirpTTS"})
                       .Default("ElevenLabsTTS"),
                   Str("language").Default("")};
    return HandleAudio(
        ctx, call, *schema, "text-to-speech",
        [](const json& a) { return StrOr(a, "option", "ElevenLabsTTS"); },
        [](const json& a) { return SpeechSeconds(StrOr(a, "prompt")); },
        Waveform::kTone, "speech.wav");
  });
  add("POST", "/v2/audio/text-2-sound-effect", [](Context& ctx, Call& call) {
    static const Schema* schema =
        new Schema{Str("prompt").Required(), Int("duration").Min(1).Default(5)};
    return HandleAudio(
        ctx, call, *schema, "text-to-audio",
        [](const json&) { return std::string("ElevenLabsSE"); },
        [](const json& a) {
          return static_cast<double>(OptInt(a, "duration").value_or(5));
        },
        Waveform::kNoise, "sound_effect.wav");
  });
  add("POST", "/v2/audio/text-2-music", [](Context& ctx, Call& call) {
    static const Schema* schema = new Schema{Str("prompt").Required()};
    return HandleAudio(
        ctx, call, *schema, "text-to-music",
        [](const json&) { return std::string("Lyria"); },
        [](const json&) { return 30.0; }, Waveform::kTone, "music.wav");
  });
}

}  // namespace mediagen::emulator
