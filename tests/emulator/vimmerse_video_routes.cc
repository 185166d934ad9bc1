#include "tests/emulator/vimmerse_video_routes.h"

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
#include "tests/emulator/vimmerse_prices.h"

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
  Price price = VideoPrice(route.app_name, option, quantity, seconds,
                           StrOr(args, "prompt"));
  price.total *= ctx.options().charge_ratio;  // 1 unless a test says so
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

}  // namespace

void AddVimmerseVideoRoutes(std::vector<Route>* routes) {
  for (VideoRoute& r : VideoRoutes()) {
    auto spec = std::make_shared<VideoRoute>(std::move(r));
    routes->push_back({"POST", spec->path, Provider::kVimmerse,
                       /*multipart=*/false, [spec](Context& ctx, Call& call) {
                         return HandleVideo(*spec, ctx, call);
                       }});
  }
}

}  // namespace mediagen::emulator
