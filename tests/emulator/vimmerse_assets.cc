#include "tests/emulator/vimmerse_assets.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/emulator/util.h"
#include "tests/emulator/vimmerse_prices.h"

namespace mediagen::emulator::vimmerse {

// ---- small accessors over validated bodies ----------------------------------

std::optional<std::string> OptStr(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::string StrOr(const json& j, const char* key, const std::string& def) {
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

}  // namespace mediagen::emulator::vimmerse
