#include "service/upstream/providers/validation.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/upstream/providers/field_checker.h"
#include "service/upstream/providers/free_text.h"
#include "service/upstream/providers/resource_name.h"

namespace mediagen::upstream {
namespace {

using List = FieldChecker::List;

// Voices of Vimmerse TTS / narration (AudioOption.narrator, voice).
constexpr List kVoices = {"AutoV",   "Rachel",    "Aria",   "Roger",   "Sarah",
                          "Laura",   "Charlie",   "George", "Callum",  "River",
                          "Liam",    "Charlotte", "Alice",  "Matilda", "Will",
                          "Jessica", "Eric",      "Chris",  "Brian",   "Daniel",
                          "Lily",    "Bill"};
// CreateMedia video_tool: the proto's list plus v1's `motion_type` enum,
// of which it is a subset (AutoT3, KlingT4, LumaAI, PixverseT3 are v1-only).
constexpr List kVideoTools = {
    "Auto",       "AutoT3",       "KlingAI", "KlingT4",  "LumaAI",
    "LumaRay2",   "VeoFast",      "Veo",     "RunwayML", "MinimaxHailuo",
    "Seedance",   "SeedanceFast", "Hunyuan", "Pixverse", "PixverseT3",
    "PicoMotion", "StaticMotion", "Wan",     "Sora",     "SoraPro",
    "TryOnVideo"};
constexpr List kMediaItemTypes = {"image", "video", "audio"};
constexpr List kPositions = {"First", "Last"};
constexpr List kPipelineModes = {"Advanced", "Quick"};
constexpr List kVisibility = {"0", "1", "2"};
constexpr List kVideoApps = {"reference-to-video",
                             "video-effects",
                             "edit-video",
                             "lip-sync",
                             "replace-background-video",
                             "video-to-video",
                             "text-image-to-video",
                             "try-on",
                             "upload-video"};
constexpr List kReframeRatios = {"21:9", "16:9", "4:3", "1:1",
                                 "3:4",  "9:16", "9:21"};
constexpr List kEnhanceModes = {"4X", "2X", "4X&DeepClean", "2X&DeepClean",
                                "DeepClean"};
constexpr List kAvatarRatios = {"1:1", "16:9", "9:16"};
constexpr List kOnOff = {"On", "Off"};
constexpr List kLipSyncOptions = {
    "AutoLipSync", "SyncLipSync", "HummingBird",       "NewportLipSync",
    "KlingAvatar", "PVideo",      "NewportDreamAvatar"};
constexpr List kEffectOptions = {"PikaEffects",     "KlingEffects",
                                 "WanEffects",      "ViduEffects",
                                 "PixverseEffects", "HiggsfieldEffects"};
constexpr List kAlignments = {"center", "left", "right"};
constexpr List kReferenceOptions = {
    "AutoR",        "KlingO",          "HappyHorse",    "Grok",
    "SeedanceFast", "VeoReference",    "ViduReference", "HeygenAgent",
    "PikaScenes",   "MinimaxReference"};
constexpr List kVideoToVideoOptions = {"KlingO", "HappyHorse", "Grok",
                                       "SeedanceFast", "LumaModify"};
constexpr List kAttachModes = {"MatchVideo", "PadAudio", "MatchAudio",
                               "SpeedAdjust", "Strict"};
constexpr List kAudioApps = {"text-to-speech", "text-to-audio", "text-to-music",
                             "upload-audio"};
constexpr List kTtsOptions = {"ElevenLabsTTS", "ChirpTTS"};
constexpr List kOutputFormats = {
    "mp3_22050_32",  "mp3_44100_32",  "mp3_44100_64", "mp3_44100_96",
    "mp3_44100_128", "mp3_44100_192", "pcm_16000",    "pcm_22050",
    "pcm_24000",     "pcm_44100",     "ulaw_8000"};
constexpr List kTextNormalization = {"auto", "on", "off"};
constexpr List kStableAudioModels = {"stable-audio"};

void CheckMediaItems(
    FieldChecker& c,
    const google::protobuf::RepeatedPtrField<v1::MediaItem>& items) {
  for (int i = 0; i < items.size(); ++i) {
    const v1::MediaItem& item = items[i];
    const std::string base = FieldChecker::At("media_items", i);
    if (item.type().empty()) {
      c.Add(base + ".type", absl::StrCat("`", base, ".type` is required"));
    } else {
      c.OneOf(base + ".type", true, item.type(), kMediaItemTypes);
    }
    c.RequiredUrl(base + ".url", item.url());
    c.OneOf(base + ".position", !item.position().empty(), item.position(),
            kPositions);
  }
}

void CheckAudioOption(FieldChecker& c, bool has, const v1::AudioOption& a) {
  if (!has) return;
  c.OneOf("audio_option.narrator", a.has_narrator(), a.narrator(), kVoices);
  c.Url("audio_option.narration_url", a.narration_url());
  c.Url("audio_option.bg_music_url", a.bg_music_url());
}

// The rules CreateMedia and UpdateMedia share (generation fields).
template <typename R>
void CheckGeneration(FieldChecker& c, const R& r) {
  CheckMediaItems(c, r.media_items());
  c.OneOf("video_tool", r.has_video_tool(), r.video_tool(), kVideoTools);
  c.IntRange("quantity", r.has_quantity(), r.quantity(), 1, 4);
  c.IntRange("duration", r.has_duration(), r.duration(), 1, 10);
  c.IntRange("loop", r.has_loop(), r.loop(), 1, 6);
  c.AspectRatio("aspect_ratio", r.has_aspect_ratio(), r.aspect_ratio());
  c.OneOf("pipeline_mode", r.has_pipeline_mode(), r.pipeline_mode(),
          kPipelineModes);
  CheckAudioOption(c, r.has_audio_option(), r.audio_option());
  c.Url("webhook_url", r.webhook_url());
}

// request_id and webhook_url of the video generation routes.
template <typename R>
void CheckCommon(FieldChecker& c, const R& r) {
  c.RequestId(r.request_id());
  c.Url("webhook_url", r.webhook_url());
}

void CheckUploadFile(FieldChecker& c, const std::string& file_name,
                     const std::string& content_type, bool has_size,
                     int64_t size) {
  c.Required("file_name", file_name);
  // These go into the multipart part's headers.
  c.PlainText("file_name", !file_name.empty(), file_name, 255, "\"\\/");
  c.Required("content_type", content_type);
  if (!content_type.empty()) {
    const size_t slash = content_type.find('/');
    auto token = [](absl::string_view s) {
      return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
        return absl::ascii_isalnum(ch) || ch == '.' || ch == '+' || ch == '-' ||
               ch == '_';
      });
    };
    if (content_type.size() > 127 || slash == std::string::npos ||
        !token(absl::string_view(content_type).substr(0, slash)) ||
        !token(absl::string_view(content_type).substr(slash + 1))) {
      c.Add("content_type",
            absl::StrCat("`content_type` must be a MIME type such as "
                         "`video/mp4` (got ",
                         FieldChecker::Quote(content_type), ")"));
    }
  }
  c.AtLeast("size_bytes", has_size, size, 0);
}

}  // namespace

absl::Status CheckFields(const v1::CreateMediaRequest& r) {
  FieldChecker c;
  c.RequestId(r.request_id());
  if ((!r.has_prompt() || absl::StripAsciiWhitespace(r.prompt()).empty()) &&
      r.media_items().empty()) {
    c.Add("prompt", "`prompt` is required unless `media_items` is given");
  }
  CheckGeneration(c, r);
  return c.Done();
}

absl::Status CheckFields(const v1::GetMediaRequest& r) {
  FieldChecker c;
  c.Name(r.name(), ResourceKind::kMedia);
  for (int i = 0; i < r.fields_size(); ++i) {
    const std::string& f = r.fields(i);
    const bool ok = !f.empty() && f.size() <= 64 &&
                    (absl::ascii_isalpha(f[0]) || f[0] == '_') &&
                    std::all_of(f.begin(), f.end(), [](char ch) {
                      return absl::ascii_isalnum(ch) || ch == '_';
                    });
    if (!ok) {
      c.Add(FieldChecker::At("fields", i),
            absl::StrCat("`", FieldChecker::At("fields", i),
                         "` must be a key of the media object, e.g. "
                         "`processing_status` (got ",
                         FieldChecker::Quote(f), ")"));
    }
  }
  return c.Done();
}

absl::Status CheckFields(const v1::UpdateMediaRequest& r) {
  FieldChecker c;
  c.Name(r.name(), ResourceKind::kMedia);
  c.RequestId(r.request_id());
  c.OneOf("visibility_status", r.has_visibility_status(), r.visibility_status(),
          kVisibility);
  CheckGeneration(c, r);
  return c.Done();
}

absl::Status CheckFields(const v1::UploadVideoMetadata& r) {
  FieldChecker c;
  c.RequestId(r.request_id());
  CheckUploadFile(c, r.file_name(), r.content_type(), r.has_size_bytes(),
                  r.size_bytes());
  c.Positive("video_duration", r.has_video_duration(), r.video_duration());
  c.Url("video_url", r.video_url());
  c.PlainText("option", r.has_option(), r.option(), 128);
  c.PlainText("asset_id", r.has_asset_id(), r.asset_id(), 256, " ");
  c.PlainText("video_file_path", r.has_video_file_path(), r.video_file_path(),
              2048);
  c.PlainText("removing_asset_args", r.has_removing_asset_args(),
              r.removing_asset_args(), 2048);
  return c.Done();
}

absl::Status CheckFields(const v1::EstimateVideoCreditsRequest& r) {
  FieldChecker c;
  c.OneOf("app_name", r.has_app_name(), r.app_name(), kVideoApps);
  c.Required("option", r.option());
  c.IntRange("quantity", r.has_quantity(), r.quantity(), 1, 4);
  c.AtLeast("duration", r.has_duration(), r.duration(), 1);
  c.Positive("video_duration", r.has_video_duration(), r.video_duration());
  return c.Done();
}

absl::Status CheckFields(const v1::CropToAspectRatioRequest& r) {
  FieldChecker c;
  CheckCommon(c, r);
  c.RequiredUrl("video_url", r.video_url());
  c.AspectRatio("aspect_ratio", r.has_aspect_ratio(), r.aspect_ratio());
  c.AtLeast("offset_x", r.has_offset_x(), r.offset_x(), 0);
  c.AtLeast("offset_y", r.has_offset_y(), r.offset_y(), 0);
  return c.Done();
}

absl::Status CheckFields(const v1::ReframeVideoRequest& r) {
  FieldChecker c;
  CheckCommon(c, r);
  c.RequiredUrl("video_url", r.video_url());
  c.OneOf("aspect_ratio", r.has_aspect_ratio(), r.aspect_ratio(),
          kReframeRatios);
  return c.Done();
}

absl::Status CheckFields(const v1::EnhanceVideoRequest& r) {
  FieldChecker c;
  CheckCommon(c, r);
  c.RequiredUrl("video_url", r.video_url());
  c.OneOf("enhance_mode", r.has_enhance_mode(), r.enhance_mode(),
          kEnhanceModes);
  c.DecimalString("compression_scale", r.has_compression_scale(),
                  r.compression_scale(), 0, 1);
  return c.Done();
}

absl::Status CheckFields(const v1::AddSoundEffectRequest& r) {
  FieldChecker c;
  CheckCommon(c, r);
  c.RequiredUrl("video_url", r.video_url());
  return c.Done();
}

absl::Status CheckFields(const v1::AvatarLipSyncRequest& r) {
  FieldChecker c;
  CheckCommon(c, r);
  c.Url("bg_image_url", r.bg_image_url());
  c.Url("audio_url", r.audio_url());
  c.OneOf("aspect_ratio", r.has_aspect_ratio(), r.aspect_ratio(),
          kAvatarRatios);
  c.OneOf("show_caption", r.has_show_caption(), r.show_caption(), kOnOff);
  return c.Done();
}

absl::Status CheckFields(const v1::LipSyncRequest& r) {
  FieldChecker c;
  CheckCommon(c, r);
  if (r.image_url().empty() && r.video_url().empty()) {
    c.Add("image_url",
          "`image_url` or `video_url` is required (the face to animate)");
  }
  if (r.audio_url().empty() && absl::StripAsciiWhitespace(r.prompt()).empty()) {
    c.Add("audio_url",
          "`audio_url` or `prompt` is required (the speech to sync)");
  }
  c.Url("image_url", r.image_url());
  c.Url("video_url", r.video_url());
  c.Url("audio_url", r.audio_url());
  c.OneOf("option", r.has_option(), r.option(), kLipSyncOptions);
  c.OneOf("voice", r.has_voice(), r.voice(), kVoices);
  c.Positive("video_duration", r.has_video_duration(), r.video_duration());
  c.Positive("audio_duration", r.has_audio_duration(), r.audio_duration());
  return c.Done();
}

absl::Status CheckFields(const v1::GenerateVideoEffectRequest& r) {
  FieldChecker c;
  CheckCommon(c, r);
  c.RequiredUrl("image_url", r.image_url());
  c.Url("ref_image_url", r.ref_image_url());
  c.OneOf("option", r.has_option(), r.option(), kEffectOptions);
  c.AspectRatio("aspect_ratio", r.has_aspect_ratio(), r.aspect_ratio());
  c.IntRange("quantity", r.has_quantity(), r.quantity(), 1, 4);
  return c.Done();
}

absl::Status CheckFields(const v1::ReplaceBackgroundRequest& r) {
  FieldChecker c;
  CheckCommon(c, r);
  c.RequiredUrl("video_url", r.video_url());
  c.Url("bg_image_url", r.bg_image_url());
  c.Url("bg_video_url", r.bg_video_url());
  if (r.has_chroma_key_color() && r.chroma_key_color() != "origin") {
    const std::string& v = r.chroma_key_color();
    const bool hex = (v.size() == 7 || v.size() == 4) && v[0] == '#' &&
                     std::all_of(v.begin() + 1, v.end(), [](char ch) {
                       return absl::ascii_isxdigit(ch);
                     });
    if (!hex) {
      c.Add("chroma_key_color",
            absl::StrCat("`chroma_key_color` must be `origin` or an HTML "
                         "color code such as `#80FF80` (got ",
                         FieldChecker::Quote(v), ")"));
    }
  }
  c.DecimalString("chroma_tolerance", r.has_chroma_tolerance(),
                  r.chroma_tolerance(), 0, 1);
  c.DecimalString("overlay_scale", r.has_overlay_scale(), r.overlay_scale(), 0,
                  1);
  c.OneOf("alignment", r.has_alignment(), r.alignment(), kAlignments);
  c.DecimalString("start_time", r.has_start_time(), r.start_time(), 0, 1e9);
  return c.Done();
}

absl::Status CheckFields(const v1::ReferenceToVideoRequest& r) {
  FieldChecker c;
  CheckCommon(c, r);
  if (r.image_urls().empty()) {
    c.Add("image_urls", "`image_urls` needs at least one image URL");
  }
  for (int i = 0; i < r.image_urls_size(); ++i) {
    c.RequiredUrl(FieldChecker::At("image_urls", i), r.image_urls(i));
  }
  c.AspectRatio("aspect_ratio", r.has_aspect_ratio(), r.aspect_ratio());
  c.OneOf("option", r.has_option(), r.option(), kReferenceOptions);
  c.IntRange("quantity", r.has_quantity(), r.quantity(), 1, 4);
  c.IntRange("duration", r.has_duration(), r.duration(), 1, 30);
  return c.Done();
}

absl::Status CheckFields(const v1::VideoToVideoRequest& r) {
  FieldChecker c;
  CheckCommon(c, r);
  c.RequiredUrl("video_url", r.video_url());
  c.Url("image_url", r.image_url());
  c.OneOf("option", r.has_option(), r.option(), kVideoToVideoOptions);
  return c.Done();
}

absl::Status CheckFields(const v1::AttachAudioRequest& r) {
  FieldChecker c;
  CheckCommon(c, r);
  c.RequiredUrl("video_url", r.video_url());
  c.RequiredUrl("audio_url", r.audio_url());
  c.OneOf("attach_mode", r.has_attach_mode(), r.attach_mode(), kAttachModes);
  c.Positive("video_duration", r.has_video_duration(), r.video_duration());
  c.Positive("audio_duration", r.has_audio_duration(), r.audio_duration());
  return c.Done();
}

absl::Status CheckFields(const v1::UploadAudioMetadata& r) {
  FieldChecker c;
  c.RequestId(r.request_id());
  CheckUploadFile(c, r.file_name(), r.content_type(), r.has_size_bytes(),
                  r.size_bytes());
  return c.Done();
}

absl::Status CheckFields(const v1::EstimateAudioCreditsRequest& r) {
  FieldChecker c;
  if (r.app_name().empty()) {
    c.Add("app_name", "`app_name` is required");
  } else {
    c.OneOf("app_name", true, r.app_name(), kAudioApps);
  }
  c.Required("option", r.option());
  c.AtLeast("quantity", r.has_quantity(), r.quantity(), 1);
  c.AtLeast("duration", r.has_duration(), r.duration(), 1);
  return c.Done();
}

absl::Status CheckFields(const v1::TextToSpeechRequest& r) {
  FieldChecker c;
  c.RequestId(r.request_id());
  c.Required("prompt", r.prompt());
  c.OneOf("voice", r.has_voice(), r.voice(), kVoices);
  c.OneOf("option", r.has_option(), r.option(), kTtsOptions);
  c.PlainText("language", r.has_language(), r.language(), 35);
  return c.Done();
}

absl::Status CheckFields(const v1::TextToSoundEffectRequest& r) {
  FieldChecker c;
  c.RequestId(r.request_id());
  c.Required("prompt", r.prompt());
  c.AtLeast("duration", r.has_duration(), r.duration(), 1);
  return c.Done();
}

absl::Status CheckFields(const v1::TextToMusicRequest& r) {
  FieldChecker c;
  c.RequestId(r.request_id());
  c.Required("prompt", r.prompt());
  return c.Done();
}

absl::Status CheckFields(const v1::SynthesizeSpeechRequest& r) {
  FieldChecker c;
  c.Required("voice_id", r.voice_id());
  c.PathSegment("voice_id", r.voice_id());
  c.Required("text", r.text());
  c.OneOf("output_format", r.has_output_format(), r.output_format(),
          kOutputFormats);
  if (r.has_language_code()) {
    const std::string& l = r.language_code();
    if (l.size() != 2 || !absl::ascii_isalpha(l[0]) ||
        !absl::ascii_isalpha(l[1])) {
      c.Add("language_code",
            absl::StrCat("`language_code` must be an ISO 639-1 code such as "
                         "`en` (got ",
                         FieldChecker::Quote(l), ")"));
    }
  }
  if (r.has_voice_settings()) {
    const v1::VoiceSettings& v = r.voice_settings();
    c.DoubleRange("voice_settings.stability", v.has_stability(), v.stability(),
                  0, 1);
    c.DoubleRange("voice_settings.similarity_boost", v.has_similarity_boost(),
                  v.similarity_boost(), 0, 1);
    c.DoubleRange("voice_settings.style", v.has_style(), v.style(), 0, 1);
  }
  c.MaxCount("pronunciation_dictionary_locators",
             r.pronunciation_dictionary_locators_size(), 3);
  for (int i = 0; i < r.pronunciation_dictionary_locators_size(); ++i) {
    const auto& l = r.pronunciation_dictionary_locators(i);
    const std::string base =
        FieldChecker::At("pronunciation_dictionary_locators", i);
    c.Required(base + ".pronunciation_dictionary_id",
               l.pronunciation_dictionary_id());
    c.Required(base + ".version_id", l.version_id());
  }
  // `seed` is a uint32 in the API, so 0-4294967295 holds by construction.
  c.MaxCount("previous_request_ids", r.previous_request_ids_size(), 3);
  c.MaxCount("next_request_ids", r.next_request_ids_size(), 3);
  for (int i = 0; i < r.previous_request_ids_size(); ++i) {
    c.Required(FieldChecker::At("previous_request_ids", i),
               r.previous_request_ids(i));
  }
  for (int i = 0; i < r.next_request_ids_size(); ++i) {
    c.Required(FieldChecker::At("next_request_ids", i), r.next_request_ids(i));
  }
  c.IntRange("optimize_streaming_latency", r.has_optimize_streaming_latency(),
             r.optimize_streaming_latency(), 0, 4);
  c.OneOf("apply_text_normalization", r.has_apply_text_normalization(),
          r.apply_text_normalization(), kTextNormalization);
  return c.Done();
}

absl::Status CheckFields(const v1::GenerateSoundEffectRequest& r) {
  FieldChecker c;
  c.Required("text", r.text());
  c.DoubleRange("duration_seconds", r.has_duration_seconds(),
                r.duration_seconds(), 0.5, 22);
  c.DoubleRange("prompt_influence", r.has_prompt_influence(),
                r.prompt_influence(), 0, 1);
  c.OneOf("output_format", r.has_output_format(), r.output_format(),
          kOutputFormats);
  return c.Done();
}

absl::Status CheckFields(const v1::GenerateAudioRequest& r) {
  FieldChecker c;
  c.RequestId(r.request_id());
  c.OneOf("model", r.has_model(), r.model(), kStableAudioModels);
  c.Required("prompt", r.prompt());
  c.DoubleRange("seconds_start", r.has_seconds_start(), r.seconds_start(), 0,
                47);
  c.DoubleRange("seconds_total", r.has_seconds_total(), r.seconds_total(), 1,
                47);
  c.IntRange("steps", r.has_steps(), r.steps(), 1, 1000);
  return c.Done();
}

absl::Status CheckFields(const v1::GetGenerationRequest& r) {
  FieldChecker c;
  c.Name(r.name(), ResourceKind::kGeneration);
  return c.Done();
}

absl::Status CheckFields(const v1::GetJobRequest& r) {
  FieldChecker c;
  c.AnyName(r.name());
  return c.Done();
}

absl::Status CheckFields(const v1::WatchJobRequest& r) {
  FieldChecker c;
  c.AnyName(r.name());
  return c.Done();
}

namespace internal {

absl::Status WithFreeTextRule(absl::Status own,
                              const google::protobuf::Message& request) {
  std::vector<google::rpc::BadRequest::FieldViolation> text =
      ControlCharacterViolations(request);
  if (text.empty()) return own;
  FieldChecker c;
  if (!own.ok() && !c.AddViolationsOf(own)) return own;  // not a BadRequest
  for (auto& v : text) {
    if (!c.Names(v.field())) {
      c.Add(std::move(*v.mutable_field()), std::move(*v.mutable_description()));
    }
  }
  return c.Done();
}

}  // namespace internal

}  // namespace mediagen::upstream
