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

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;

// ---- small accessors over validated bodies ----------------------------------

std::optional<std::string> OptStr(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::string StrOr(const json& j, const char* key, const std::string& def = "") {
  return OptStr(j, key).value_or(def);
}

std::optional<double> OptNum(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::optional<int64_t> OptInt(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return static_cast<int64_t>(it->get<double>());
}

bool Present(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && !it->is_null();
}

std::string UserId(const std::string& customer_id) {
  return "user-" + customer_id;
}

// ---- field lists
// -------------------------------------------------------------

const std::vector<std::string>& MotionTypes() {
  // The v1 OpenAPI's motion_type enum; the v2 pages call it video_tool.
  static const auto* v = new std::vector<std::string>{
      "Auto",       "AutoT3",       "KlingAI", "KlingT4",  "LumaAI",
      "LumaRay2",   "VeoFast",      "Veo",     "RunwayML", "MinimaxHailuo",
      "Seedance",   "SeedanceFast", "Hunyuan", "Pixverse", "PixverseT3",
      "PicoMotion", "StaticMotion", "Wan",     "Sora",     "SoraPro",
      "TryOnVideo"};
  return *v;
}

Schema AudioOptionSchema() {
  return {Str("narrator").Nullable().Enum(VimmerseVoices()),
          Str("narration").Nullable(),
          Str("narration_url").Nullable(),
          Str("bg_music_prompt").Nullable(),
          Str("bg_music_url").Nullable(),
          Bool("native_audio").Nullable()};
}

Schema MediaSchema(bool update) {
  Schema s = {
      Str("title").Nullable(),
      Str("description").Nullable(),
      ObjList("media_items",
              {Str("type").Required().Enum({"image", "video", "audio"}),
               Str("url").Required(),
               Str("position").Nullable().Enum({"First", "Last"})})
          .Nullable(),
      Str("prompt").Nullable(),
      Str("video_tool").Nullable().Enum(MotionTypes()),
      Int("quantity").Nullable().Range(1, 4),
      Int("duration").Nullable().Range(1, 10),
      Int("loop").Nullable().Range(1, 6),
      Obj("audio_option", AudioOptionSchema()).Nullable(),
      Str("aspect_ratio").Nullable(),
      Str("pipeline_mode").Nullable().Enum({"Advanced", "Quick"}),
      Str("webhook_url").Nullable(),
  };
  if (update) {
    s.push_back(Str("visibility_status").Nullable().Enum({"0", "1", "2"}));
    s.push_back(Str("rating").Nullable());
  }
  return s;
}

// Every URL the client gives must be fetchable by upstream: http(s) only.
std::optional<Reply> CheckUrls(const json& body) {
  std::vector<std::pair<std::string, std::string>> urls;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& k = it.key();
    if (absl::EndsWith(k, "_url") && it->is_string()) {
      urls.emplace_back(k, it->get<std::string>());
    } else if (absl::EndsWith(k, "_urls") && it->is_array()) {
      for (const json& u : *it) {
        if (u.is_string()) urls.emplace_back(k, u.get<std::string>());
      }
    } else if (k == "media_items" && it->is_array()) {
      for (const json& item : *it) {
        if (item.is_object() && item.contains("url") &&
            item["url"].is_string()) {
          urls.emplace_back("media_items.url", item["url"].get<std::string>());
        }
      }
    } else if (k == "audio_option" && it->is_object()) {
      if (std::optional<Reply> bad = CheckUrls(*it)) return bad;
    }
  }
  for (const auto& [field, url] : urls) {
    if (url.empty()) continue;
    if (!absl::StartsWith(url, "http://") &&
        !absl::StartsWith(url, "https://")) {
      return VimmerseError(400, "INVALID_URL",
                           absl::StrCat(field, " must be an http(s) URL."));
    }
  }
  return std::nullopt;
}

std::vector<std::string> VideoResults(Context& ctx, int64_t count,
                                      double seconds) {
  std::vector<std::string> urls;
  for (int64_t i = 1; i <= std::max<int64_t>(1, count); ++i) {
    FileSpec spec;
    spec.kind = FileSpec::Kind::kAvi;
    spec.seconds = std::clamp(seconds, 1.0, 60.0);
    spec.name = absl::StrCat("video_", i, ".avi");
    urls.push_back(ctx.base_url() + ctx.files.Add(std::move(spec)));
  }
  return urls;
}

std::string AudioResult(Context& ctx, double seconds, Waveform waveform,
                        const std::string& name) {
  FileSpec spec;
  spec.kind = FileSpec::Kind::kWav;
  spec.seconds = std::clamp(seconds, 0.5, 300.0);
  spec.waveform = waveform;
  spec.name = name;
  return ctx.base_url() + ctx.files.Add(std::move(spec));
}

json NewAsset(const Call& call, const std::string& id,
              const std::string& app_name, json args,
              const std::string& mime_type, int64_t quantity, double credits,
              const std::string& status) {
  const std::string now = VimmerseTimestamp();
  return json{{"id", id},
              {"customer_id", call.customer_id},
              {"primary_user_id", UserId(call.customer_id)},
              {"args", std::move(args)},
              {"results", json::array()},
              {"thumbnails", json::array()},
              {"status", status},
              {"mime_type", mime_type},
              {"app_name", app_name},
              {"quantity", quantity},
              {"credits", JsonNumber(credits)},
              {"created_at", now},
              {"updated_at", now},
              {"history", json::array()}};
}

Reply InsufficientCredit() {
  return VimmerseError(402, "INSUFFICIENT_CREDIT",
                       "Insufficient credit for this request.");
}

// Adds a finished (synchronous) asset so GET /asset/{id} knows it.
json StoreFinishedAsset(Context& ctx, const Call& call, json asset,
                        std::vector<std::string> results, double credits) {
  asset["results"] = results;
  Job job;
  job.kind = JobKind::kAsset;
  job.id = asset["id"].get<std::string>();
  job.customer_id = call.customer_id;
  job.results = std::move(results);
  job.object = asset;
  ctx.jobs.Add(std::move(job));
  ctx.counters.CountCreate(call.customer_id, call.route, credits);
  return asset;
}

// ---- video generation routes -----------------------------------------------

struct VideoRoute {
  std::string path;
  std::string app_name;
  Schema schema;
  std::function<std::string(const json&)> option;
  // Seconds for pricing and the result's length; nullopt = one 5 s block.
  std::function<std::optional<double>(const json&)> seconds;
  // Checks the docs state beyond types (400s and custom 422s).
  std::function<std::optional<Reply>(const json&)> check;
};

std::optional<Reply> CheckDecimal01(const json& args, const char* key) {
  std::optional<std::string> v = OptStr(args, key);
  double d;
  if (v && (!absl::SimpleAtod(*v, &d) || d < 0 || d > 1)) {
    return ValidationReply(json::array({ValidationErrorEntry(
        json::array({"body", key}),
        "Value error, must be a decimal string between 0 and 1",
        "value_error")}));
  }
  return std::nullopt;
}

Reply HandleVideo(const VideoRoute& route, Context& ctx, Call& call) {
  if (auto denied = AuthVimmerse(ctx, call)) return *denied;
  json body;
  if (auto bad = ParseJsonBody(ctx, call, &body)) return *bad;
  Schema schema = route.schema;
  schema.push_back(Bool("async_mode").Default(true));
  schema.push_back(Str("webhook_url").Nullable());
  if (auto bad = ValidateBody(ctx, schema, body)) return *bad;
  json args = WithDefaults(schema, body);
  if (auto bad = CheckUrls(args)) return *bad;
  if (route.check) {
    if (auto bad = route.check(args)) return *bad;
  }
  const bool async_mode = args.value("async_mode", true);
  const std::string webhook_url = StrOr(args, "webhook_url");
  args.erase("async_mode");
  args.erase("webhook_url");  // may carry the caller's secret token

  const int64_t quantity = OptInt(args, "quantity").value_or(1);
  const std::optional<double> seconds =
      route.seconds ? route.seconds(args) : std::nullopt;
  const std::string option = route.option(args);
  const Price price = VideoPrice(route.app_name, option, quantity, seconds,
                                 StrOr(args, "prompt"));
  if (!ctx.accounts.TryCharge(call.customer_id, price.total)) {
    return InsufficientCredit();
  }
  const std::string id = NewUuid();
  json asset = NewAsset(call, id, route.app_name, args, "video/x-msvideo",
                        quantity, price.total, "new");
  asset["progress_percentage"] = 0;
  Job job;
  job.kind = JobKind::kAsset;
  job.id = id;
  job.customer_id = call.customer_id;
  job.webhook_url = webhook_url;
  job.results = VideoResults(ctx, quantity, seconds.value_or(5));
  job.object = std::move(asset);
  json first = job.object;
  ctx.jobs.Add(std::move(job));
  ctx.counters.CountCreate(call.customer_id, call.route, price.total);
  if (async_mode) return JsonReply(200, first);

  // async_mode false: hold the call until the job ends (as upstream does),
  // or give up with the current state after a generous timeout.
  const auto job_time = std::chrono::duration_cast<std::chrono::milliseconds>(
      ctx.Scaled(ctx.options().job_seconds));
  ctx.jobs.WaitTerminal(id, 3 * job_time + std::chrono::seconds(10));
  std::optional<json> now = ctx.jobs.Get(id, call.customer_id, JobKind::kAsset);
  return JsonReply(200, now ? *now : first);
}

std::vector<VideoRoute> VideoRoutes() {
  auto fixed = [](std::string name) {
    return [name](const json&) { return name; };
  };
  auto option_field = [](const char* key, std::string def) {
    return [key, def](const json& a) { return StrOr(a, key, def); };
  };
  auto first_number = [](std::vector<const char*> keys) {
    return [keys](const json& a) -> std::optional<double> {
      for (const char* k : keys) {
        if (std::optional<double> v = OptNum(a, k)) return v;
      }
      return std::nullopt;
    };
  };
  std::vector<VideoRoute> r;
  r.push_back(
      {"/v2/video/crop-to-aspect-ratio",
       "edit-video",
       {Str("video_url").Required(),
        Str("aspect_ratio").Pattern(kRatioPattern, IsRatio).Default("16:9"),
        Int("offset_x").Nullable(), Int("offset_y").Nullable()},
       fixed("CropToAspectRatio"),
       nullptr,
       nullptr});
  r.push_back(
      {"/v2/video/reframe",
       "edit-video",
       {Str("video_url").Required(),
        Str("aspect_ratio").Pattern(kRatioPattern, IsRatio).Default("16:9"),
        Str("prompt").Default("Make it realistic"),
        Int("grid_position_x").Nullable(), Int("grid_position_y").Nullable(),
        Int("x_start").Nullable(), Int("x_end").Nullable(),
        Int("y_start").Nullable(), Int("y_end").Nullable()},
       fixed("LumaReframe"),
       nullptr,
       nullptr});
  r.push_back(
      {"/v2/video/enhance",
       "edit-video",
       {Str("video_url").Required(),
        Str("enhance_mode")
            .Enum({"4X", "2X", "4X&DeepClean", "2X&DeepClean", "DeepClean"})
            .Default("4X&DeepClean"),
        Str("compression_scale").Default("0.5")},
       option_field("enhance_mode", "4X&DeepClean"),
       nullptr,
       [](const json& a) { return CheckDecimal01(a, "compression_scale"); }});
  r.push_back({"/v2/video/sound-effect",
               "edit-video",
               {Str("video_url").Required(), Str("prompt").Default("")},
               fixed("SoundEffect"),
               nullptr,
               nullptr});
  r.push_back(
      {"/v2/video/avatars/lip-sync",
       "lip-sync",
       {Str("avatar_id").Default(""), Str("voice_id").Default(""),
        Str("prompt").Default(""), Str("bg_image_url").Default(""),
        Str("audio_url").Default(""),
        Str("aspect_ratio").Enum({"1:1", "16:9", "9:16"}).Default("16:9"),
        Str("show_caption").Enum({"On", "Off"}).Default("On")},
       fixed("AvatarLipSync"),
       nullptr,
       nullptr});
  r.push_back(
      {"/v2/video/lip-sync",
       "lip-sync",
       {Str("image_url").Default(""), Str("video_url").Default(""),
        Str("audio_url").Default(""), Str("prompt").Default(""),
        Str("option")
            .Enum({"AutoLipSync", "SyncLipSync", "HummingBird",
                   "NewportLipSync", "KlingAvatar", "PVideo",
                   "NewportDreamAvatar"})
            .Default("AutoLipSync"),
        Str("voice").Enum(VimmerseVoices()).Default("AutoV"),
        Num("video_duration").Nullable(), Num("audio_duration").Nullable()},
       option_field("option", "AutoLipSync"),
       first_number({"video_duration", "audio_duration"}),
       [](const json& a) -> std::optional<Reply> {
         if (StrOr(a, "image_url").empty() && StrOr(a, "video_url").empty()) {
           return VimmerseError(400, "BAD_REQUEST",
                                "Provide image_url or video_url.");
         }
         if (StrOr(a, "audio_url").empty() && StrOr(a, "prompt").empty()) {
           return VimmerseError(
               400, "BAD_REQUEST",
               "Provide audio_url, or prompt for text to speech.");
         }
         return std::nullopt;
       }});
  r.push_back(
      {"/v2/video/video-effects",
       "video-effects",
       {Str("image_url").Required(), Str("ref_image_url").Default(""),
        Str("option")
            .Enum({"PikaEffects", "KlingEffects", "WanEffects", "ViduEffects",
                   "PixverseEffects", "HiggsfieldEffects"})
            .Default("HiggsfieldEffects"),
        Str("effect").Default("BulletTime"), Str("prompt").Default(""),
        Str("aspect_ratio").Nullable(), Int("quantity").Range(1, 4).Default(1)},
       option_field("option", "HiggsfieldEffects"),
       nullptr,
       nullptr});
  r.push_back(
      {"/v2/video/replace-background",
       "replace-background-video",
       {Str("video_url").Required(), Str("bg_image_url").Default(""),
        Str("bg_video_url").Default(""),
        Str("chroma_key_color").Default("origin"),
        Str("chroma_tolerance").Default("0.1"), Str("prompt").Default(""),
        Str("overlay_scale").Default("0.6666"),
        Str("alignment").Enum({"center", "left", "right"}).Default("center"),
        Str("start_time").Default("0"), Bool("crop_to_content").Default(true),
        Int("x_offset").Default(0), Int("y_offset").Default(0),
        Bool("use_rembg_lib").Default(false)},
       fixed("ReplaceBackground"),
       nullptr,
       nullptr});
  r.push_back(
      {"/v2/video/reference-to-video",
       "reference-to-video",
       {StrList("image_urls").Required().MinItems(1), StrList("elements"),
        Str("aspect_ratio").Pattern(kRatioPattern, IsRatio).Default("16:9"),
        Str("prompt").Default(""),
        Str("option")
            .Enum({"AutoR", "KlingO", "HappyHorse", "Grok", "SeedanceFast",
                   "VeoReference", "ViduReference", "HeygenAgent", "PikaScenes",
                   "MinimaxReference"})
            .Default("KlingO"),
        Int("quantity").Range(1, 4).Default(1),
        Int("duration").Range(1, 30).Default(5)},
       option_field("option", "KlingO"),
       first_number({"duration"}),
       nullptr});
  r.push_back({"/v2/video/video-to-video",
               "video-to-video",
               {Str("video_url").Required(), Str("image_url").Default(""),
                Str("prompt").Default(""),
                Str("option")
                    .Enum({"KlingO", "HappyHorse", "Grok", "SeedanceFast",
                           "LumaModify"})
                    .Default("KlingO")},
               option_field("option", "KlingO"),
               nullptr,
               nullptr});
  r.push_back(
      {"/v2/video/audio",
       "edit-video",
       {Str("video_url").Required(), Str("audio_url").Required(),
        Str("attach_mode")
            .Enum({"MatchVideo", "PadAudio", "MatchAudio", "SpeedAdjust",
                   "Strict"})
            .Default("MatchVideo"),
        Num("video_duration").Nullable(), Num("audio_duration").Nullable()},
       fixed("AttachAudio"),
       first_number({"video_duration"}),
       nullptr});
  return r;
}

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

const std::vector<std::string>& VimmerseVoices() {
  static const auto* v = new std::vector<std::string>{
      "AutoV",   "Rachel",  "Aria",   "Roger",   "Sarah", "Laura",
      "Charlie", "George",  "Callum", "River",   "Liam",  "Charlotte",
      "Alice",   "Matilda", "Will",   "Jessica", "Eric",  "Chris",
      "Brian",   "Daniel",  "Lily",   "Bill"};
  return *v;
}

size_t CodePoints(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

double SpeechSeconds(const std::string& text) {
  return std::clamp(static_cast<double>(CodePoints(text)) / 15.0, 1.0, 120.0);
}

Price VideoPrice(const std::string& app_name, const std::string& option,
                 int64_t quantity, std::optional<double> seconds,
                 const std::string& prompt) {
  static const std::map<std::string, double>* base =
      new std::map<std::string, double>{{"reference-to-video", 20},
                                        {"text-image-to-video", 10},
                                        {"video-to-video", 20},
                                        {"video-effects", 15},
                                        {"edit-video", 5},
                                        {"lip-sync", 10},
                                        {"replace-background-video", 10},
                                        {"try-on", 10},
                                        {"upload-video", 0}};
  auto it = base->find(app_name);
  const double unit = it == base->end() ? 10 : it->second;
  int64_t blocks = 1;
  if (seconds && *seconds > 0) {
    blocks =
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil(*seconds / 5.0)));
  }
  if (app_name == "lip-sync" && option == "AvatarLipSync") {
    blocks = std::max<int64_t>(
        1, static_cast<int64_t>((CodePoints(prompt) + 299) / 300));
  }
  quantity = std::max<int64_t>(1, quantity);
  Price p;
  p.total = unit * static_cast<double>(blocks * quantity);
  p.breakdown = {{"app_name", app_name},
                 {"option", option},
                 {"unit_credits", JsonNumber(unit)},
                 {"blocks", blocks},
                 {"block_seconds", 5},
                 {"quantity", quantity}};
  return p;
}

Price AudioPrice(const std::string& app_name, const std::string& option,
                 int64_t quantity, const std::string& prompt,
                 std::optional<double> seconds) {
  double unit = 0;
  int64_t blocks = 1;
  if (app_name == "text-to-speech") {
    unit = option == "ChirpTTS" ? 4 : 8;
    blocks = std::max<int64_t>(
        1, static_cast<int64_t>((CodePoints(prompt) + 999) / 1000));
  } else if (app_name == "text-to-audio") {
    unit = 5;
    const double s = seconds.value_or(5);
    blocks = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(s / 5.0)));
  } else if (app_name == "text-to-music") {
    unit = 10;
  }
  quantity = std::max<int64_t>(1, quantity);
  Price p;
  p.total = unit * static_cast<double>(blocks * quantity);
  p.breakdown = {{"app_name", app_name},
                 {"option", option},
                 {"unit_credits", JsonNumber(unit)},
                 {"blocks", blocks},
                 {"quantity", quantity}};
  return p;
}

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
  for (VideoRoute& r : VideoRoutes()) {
    auto spec = std::make_shared<VideoRoute>(std::move(r));
    add("POST", spec->path, [spec](Context& ctx, Call& call) {
      return HandleVideo(*spec, ctx, call);
    });
  }

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
