// Each validation rule rejects with INVALID_ARGUMENT and a BadRequest whose
// field is the proto path, with a message naming it. (engine_test checks
// that nothing is sent when validation fails, RPC by RPC.)
#include "service/upstream/providers/validation.h"

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "service/upstream/providers/errors.h"

namespace mediagen::upstream {
namespace {

// The status rejects `field` (among possibly others), and the message of
// that violation names it.
::testing::AssertionResult Rejects(const absl::Status& s,
                                   absl::string_view field) {
  if (s.code() != absl::StatusCode::kInvalidArgument) {
    return ::testing::AssertionFailure() << "not INVALID_ARGUMENT: " << s;
  }
  auto br = rpc::GetBadRequest(s);
  if (!br.has_value()) return ::testing::AssertionFailure() << "no BadRequest";
  for (const auto& v : br->field_violations()) {
    if (v.field() == field) {
      if (!absl::StrContains(v.description(), absl::StrCat("`", field, "`")) &&
          !absl::StrContains(v.description(), field)) {
        return ::testing::AssertionFailure()
               << "description does not name the field: " << v.description();
      }
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "no violation on " << field << ": " << br->DebugString();
}

v1::CreateMediaRequest ValidCreate() {
  v1::CreateMediaRequest r;
  r.set_prompt("A drone shot");
  return r;
}

TEST(ValidateTest, ValidRequestsPass) {
  EXPECT_TRUE(Validate(ValidCreate()).ok());
  v1::CreateMediaRequest full = ValidCreate();
  full.set_request_id(std::string(128, 'r'));
  full.set_quantity(4);
  full.set_duration(10);
  full.set_loop(6);
  full.set_aspect_ratio("21:9");
  full.set_video_tool("KlingT4");
  full.set_pipeline_mode("Quick");
  full.mutable_audio_option()->set_narrator("Bill");
  full.mutable_audio_option()->set_narration_url("HTTPS://cdn.example/n.mp3");
  full.set_webhook_url("http://user@hooks.example:8080/m?x=1");
  auto* item = full.add_media_items();
  item->set_type("video");
  item->set_url("https://cdn.example/v.mp4");
  item->set_position("Last");
  EXPECT_TRUE(Validate(full).ok()) << Validate(full);
}

TEST(ValidateTest, RequestId) {
  v1::CreateMediaRequest r = ValidCreate();
  r.set_request_id(std::string(129, 'r'));
  EXPECT_TRUE(Rejects(Validate(r), "request_id"));
  r.set_request_id("abc\ndef");
  EXPECT_TRUE(Rejects(Validate(r), "request_id"));
  r.set_request_id("caf\xc3\xa9");
  EXPECT_TRUE(Rejects(Validate(r), "request_id"));
}

TEST(ValidateTest, CreateMediaNeedsPromptOrItems) {
  v1::CreateMediaRequest r;
  EXPECT_TRUE(Rejects(Validate(r), "prompt"));
  r.set_prompt("   ");
  EXPECT_TRUE(Rejects(Validate(r), "prompt"));
  auto* item = r.add_media_items();
  item->set_type("image");
  item->set_url("https://e/a.png");
  EXPECT_TRUE(Validate(r).ok());
}

TEST(ValidateTest, MediaRanges) {
  for (auto [field, set] :
       std::vector<std::pair<std::string, void (*)(v1::CreateMediaRequest&)>>{
           {"quantity", [](v1::CreateMediaRequest& r) { r.set_quantity(0); }},
           {"quantity", [](v1::CreateMediaRequest& r) { r.set_quantity(5); }},
           {"duration", [](v1::CreateMediaRequest& r) { r.set_duration(0); }},
           {"duration", [](v1::CreateMediaRequest& r) { r.set_duration(11); }},
           {"loop", [](v1::CreateMediaRequest& r) { r.set_loop(7); }},
           {"aspect_ratio",
            [](v1::CreateMediaRequest& r) { r.set_aspect_ratio("16x9"); }},
           {"aspect_ratio",
            [](v1::CreateMediaRequest& r) { r.set_aspect_ratio("16:9 "); }},
           {"aspect_ratio",
            [](v1::CreateMediaRequest& r) { r.set_aspect_ratio(":9"); }},
           {"video_tool",
            [](v1::CreateMediaRequest& r) { r.set_video_tool("auto"); }},
           {"pipeline_mode",
            [](v1::CreateMediaRequest& r) { r.set_pipeline_mode("Fast"); }},
           {"audio_option.narrator",
            [](v1::CreateMediaRequest& r) {
              r.mutable_audio_option()->set_narrator("Bob");
            }},
       }) {
    v1::CreateMediaRequest r = ValidCreate();
    set(r);
    EXPECT_TRUE(Rejects(Validate(r), field)) << field;
  }
}

TEST(ValidateTest, UrlFieldsNamedByPath) {
  v1::CreateMediaRequest r = ValidCreate();
  r.mutable_audio_option()->set_narration_url("ftp://x/y.mp3");
  EXPECT_TRUE(Rejects(Validate(r), "audio_option.narration_url"));
  r = ValidCreate();
  r.mutable_audio_option()->set_bg_music_url("https://x/a b.mp3");
  EXPECT_TRUE(Rejects(Validate(r), "audio_option.bg_music_url"));
  r = ValidCreate();
  auto* ok = r.add_media_items();
  ok->set_type("image");
  ok->set_url("https://e/a.png");
  auto* bad = r.add_media_items();
  bad->set_type("image");
  bad->set_url("/relative.png");
  EXPECT_TRUE(Rejects(Validate(r), "media_items[1].url"));
  bad->set_url("");
  EXPECT_TRUE(Rejects(Validate(r), "media_items[1].url"));
  bad->set_url("https://e/b.png");
  bad->set_type("gif");
  EXPECT_TRUE(Rejects(Validate(r), "media_items[1].type"));
  bad->set_type("image");
  bad->set_position("Middle");
  EXPECT_TRUE(Rejects(Validate(r), "media_items[1].position"));
  r = ValidCreate();
  r.set_webhook_url("https://" + std::string(2050, 'a'));
  EXPECT_TRUE(Rejects(Validate(r), "webhook_url"));
}

TEST(ValidateTest, GetAndUpdateMediaNames) {
  v1::GetMediaRequest g;
  EXPECT_TRUE(Rejects(Validate(g), "name"));
  g.set_name("assets/x");
  EXPECT_TRUE(Rejects(Validate(g), "name"));
  g.set_name("media/x");
  EXPECT_TRUE(Validate(g).ok());
  g.add_fields("processing_status");
  g.add_fields("a,b");
  EXPECT_TRUE(Rejects(Validate(g), "fields[1]"));

  v1::UpdateMediaRequest u;
  u.set_name("media/m");
  EXPECT_TRUE(Validate(u).ok());
  u.set_visibility_status("3");
  EXPECT_TRUE(Rejects(Validate(u), "visibility_status"));
  u.set_visibility_status("0");
  u.set_loop(0);
  EXPECT_TRUE(Rejects(Validate(u), "loop"));
}

TEST(ValidateTest, VideoRoutes) {
  v1::CropToAspectRatioRequest crop;
  EXPECT_TRUE(Rejects(Validate(crop), "video_url"));
  crop.set_video_url("https://e/v.mp4");
  crop.set_aspect_ratio("9-16");
  EXPECT_TRUE(Rejects(Validate(crop), "aspect_ratio"));
  crop.set_aspect_ratio("9:16");
  crop.set_offset_x(-1);
  EXPECT_TRUE(Rejects(Validate(crop), "offset_x"));

  v1::ReframeVideoRequest reframe;
  reframe.set_video_url("https://e/v.mp4");
  reframe.set_aspect_ratio("5:4");  // matches the pattern, not the list
  EXPECT_TRUE(Rejects(Validate(reframe), "aspect_ratio"));
  reframe.set_aspect_ratio("9:21");
  EXPECT_TRUE(Validate(reframe).ok());

  v1::EnhanceVideoRequest enhance;
  enhance.set_video_url("https://e/v.mp4");
  enhance.set_enhance_mode("8X");
  EXPECT_TRUE(Rejects(Validate(enhance), "enhance_mode"));
  enhance.set_enhance_mode("4X");
  enhance.set_compression_scale("1.5");
  EXPECT_TRUE(Rejects(Validate(enhance), "compression_scale"));
  enhance.set_compression_scale("half");
  EXPECT_TRUE(Rejects(Validate(enhance), "compression_scale"));

  v1::AddSoundEffectRequest sfx;
  sfx.set_video_url("https://e/v.mp4");
  sfx.set_webhook_url("not a url");
  EXPECT_TRUE(Rejects(Validate(sfx), "webhook_url"));

  v1::AvatarLipSyncRequest avatar;
  avatar.set_aspect_ratio("4:3");
  EXPECT_TRUE(Rejects(Validate(avatar), "aspect_ratio"));
  avatar.set_aspect_ratio("1:1");
  avatar.set_show_caption("on");
  EXPECT_TRUE(Rejects(Validate(avatar), "show_caption"));
  avatar.set_show_caption("On");
  avatar.set_bg_image_url("www.example.com/bg.png");
  EXPECT_TRUE(Rejects(Validate(avatar), "bg_image_url"));

  v1::LipSyncRequest lip;
  EXPECT_TRUE(Rejects(Validate(lip), "image_url"));
  EXPECT_TRUE(Rejects(Validate(lip), "audio_url"));
  lip.set_video_url("https://e/v.mp4");
  lip.set_prompt("Say hi");
  EXPECT_TRUE(Validate(lip).ok());
  lip.set_option("Wav2Lip");
  EXPECT_TRUE(Rejects(Validate(lip), "option"));
  lip.set_option("PVideo");
  lip.set_voice("Robot");
  EXPECT_TRUE(Rejects(Validate(lip), "voice"));
  lip.set_voice("Lily");
  lip.set_audio_duration(-2);
  EXPECT_TRUE(Rejects(Validate(lip), "audio_duration"));

  v1::GenerateVideoEffectRequest effect;
  EXPECT_TRUE(Rejects(Validate(effect), "image_url"));
  effect.set_image_url("https://e/a.png");
  effect.set_option("MagicEffects");
  EXPECT_TRUE(Rejects(Validate(effect), "option"));
  effect.set_option("WanEffects");
  effect.set_quantity(9);
  EXPECT_TRUE(Rejects(Validate(effect), "quantity"));

  v1::ReplaceBackgroundRequest bg;
  bg.set_video_url("https://e/v.mp4");
  EXPECT_TRUE(Validate(bg).ok());
  bg.set_chroma_key_color("green");
  EXPECT_TRUE(Rejects(Validate(bg), "chroma_key_color"));
  bg.set_chroma_key_color("#80FF80");
  bg.set_overlay_scale("2");
  EXPECT_TRUE(Rejects(Validate(bg), "overlay_scale"));
  bg.set_overlay_scale("0.5");
  bg.set_alignment("top");
  EXPECT_TRUE(Rejects(Validate(bg), "alignment"));
  bg.set_alignment("right");
  bg.set_bg_video_url("rtmp://x/y");
  EXPECT_TRUE(Rejects(Validate(bg), "bg_video_url"));

  v1::ReferenceToVideoRequest ref;
  EXPECT_TRUE(Rejects(Validate(ref), "image_urls"));
  ref.add_image_urls("https://e/1.png");
  ref.add_image_urls("nope");
  EXPECT_TRUE(Rejects(Validate(ref), "image_urls[1]"));
  ref.set_image_urls(1, "https://e/2.png");
  ref.set_duration(31);
  EXPECT_TRUE(Rejects(Validate(ref), "duration"));
  ref.set_duration(30);
  ref.set_quantity(0);
  EXPECT_TRUE(Rejects(Validate(ref), "quantity"));
  ref.set_quantity(4);
  ref.set_option("Sora");
  EXPECT_TRUE(Rejects(Validate(ref), "option"));

  v1::VideoToVideoRequest v2v;
  v2v.set_video_url("https://e/v.mp4");
  v2v.set_option("RunwayML");
  EXPECT_TRUE(Rejects(Validate(v2v), "option"));

  v1::AttachAudioRequest attach;
  attach.set_video_url("https://e/v.mp4");
  EXPECT_TRUE(Rejects(Validate(attach), "audio_url"));
  attach.set_audio_url("https://e/a.mp3");
  attach.set_attach_mode("Loop");
  EXPECT_TRUE(Rejects(Validate(attach), "attach_mode"));

  v1::EstimateVideoCreditsRequest est;
  EXPECT_TRUE(Rejects(Validate(est), "option"));
  est.set_option("KlingO");
  est.set_app_name("text-to-video");
  EXPECT_TRUE(Rejects(Validate(est), "app_name"));
  est.set_app_name("try-on");
  est.set_quantity(5);
  EXPECT_TRUE(Rejects(Validate(est), "quantity"));
}

TEST(ValidateTest, Uploads) {
  v1::UploadVideoMetadata v;
  EXPECT_TRUE(Rejects(Validate(v), "file_name"));
  EXPECT_TRUE(Rejects(Validate(v), "content_type"));
  v.set_file_name("clip.mp4");
  v.set_content_type("video/mp4");
  EXPECT_TRUE(Validate(v).ok());
  v.set_file_name("a\"b.mp4");
  EXPECT_TRUE(Rejects(Validate(v), "file_name"));
  v.set_file_name("a\r\nb.mp4");
  EXPECT_TRUE(Rejects(Validate(v), "file_name"));
  v.set_file_name("clip.mp4");
  v.set_content_type("video/mp4\r\nX-Evil: 1");
  EXPECT_TRUE(Rejects(Validate(v), "content_type"));
  v.set_content_type("video");
  EXPECT_TRUE(Rejects(Validate(v), "content_type"));
  v.set_content_type("video/mp4");
  v.set_video_url("s3://bucket/x");
  EXPECT_TRUE(Rejects(Validate(v), "video_url"));
  v.clear_video_url();
  v.set_size_bytes(-1);
  EXPECT_TRUE(Rejects(Validate(v), "size_bytes"));
  v.set_size_bytes(0);
  v.set_video_duration(0);
  EXPECT_TRUE(Rejects(Validate(v), "video_duration"));

  v1::UploadAudioMetadata a;
  a.set_file_name("voiceover.mp3");
  a.set_content_type("audio/mpeg");
  EXPECT_TRUE(Validate(a).ok());
  a.set_request_id(std::string(200, 'x'));
  EXPECT_TRUE(Rejects(Validate(a), "request_id"));
}

TEST(ValidateTest, AudioRoutes) {
  v1::EstimateAudioCreditsRequest est;
  EXPECT_TRUE(Rejects(Validate(est), "app_name"));
  EXPECT_TRUE(Rejects(Validate(est), "option"));
  est.set_app_name("text-to-video");
  EXPECT_TRUE(Rejects(Validate(est), "app_name"));
  est.set_app_name("upload-audio");
  est.set_option("AutoA");
  EXPECT_TRUE(Validate(est).ok());

  v1::TextToSpeechRequest tts;
  EXPECT_TRUE(Rejects(Validate(tts), "prompt"));
  tts.set_prompt("hi");
  tts.set_option("GoogleTTS");
  EXPECT_TRUE(Rejects(Validate(tts), "option"));
  tts.set_option("ChirpTTS");
  tts.set_voice("Nobody");
  EXPECT_TRUE(Rejects(Validate(tts), "voice"));

  v1::TextToSoundEffectRequest sfx;
  sfx.set_prompt("boom");
  sfx.set_duration(0);
  EXPECT_TRUE(Rejects(Validate(sfx), "duration"));

  v1::TextToMusicRequest music;
  EXPECT_TRUE(Rejects(Validate(music), "prompt"));
}

TEST(ValidateTest, ElevenLabs) {
  v1::SynthesizeSpeechRequest s;
  EXPECT_TRUE(Rejects(Validate(s), "voice_id"));
  EXPECT_TRUE(Rejects(Validate(s), "text"));
  s.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
  s.set_text("Hello");
  EXPECT_TRUE(Validate(s).ok());
  s.set_voice_id("a/b");
  EXPECT_TRUE(Rejects(Validate(s), "voice_id"));
  // A path segment: `..` would send the text to `/v1/stream`.
  for (const char* dots : {".", ".."}) {
    s.set_voice_id(dots);
    EXPECT_TRUE(Rejects(Validate(s), "voice_id")) << dots;
  }
  s.set_voice_id("...");
  EXPECT_TRUE(Validate(s).ok());
  s.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
  s.set_output_format("mp3_48000_320");
  EXPECT_TRUE(Rejects(Validate(s), "output_format"));
  s.clear_output_format();
  s.set_optimize_streaming_latency(5);
  EXPECT_TRUE(Rejects(Validate(s), "optimize_streaming_latency"));
  s.set_optimize_streaming_latency(4);
  s.mutable_voice_settings()->set_stability(1.5);
  EXPECT_TRUE(Rejects(Validate(s), "voice_settings.stability"));
  s.mutable_voice_settings()->set_stability(1);
  for (int i = 0; i < 4; ++i) {
    auto* l = s.add_pronunciation_dictionary_locators();
    l->set_pronunciation_dictionary_id("d");
    l->set_version_id("v");
  }
  EXPECT_TRUE(Rejects(Validate(s), "pronunciation_dictionary_locators"));
  s.mutable_pronunciation_dictionary_locators()->RemoveLast();
  s.mutable_pronunciation_dictionary_locators(1)->clear_version_id();
  EXPECT_TRUE(
      Rejects(Validate(s), "pronunciation_dictionary_locators[1].version_id"));
  s.mutable_pronunciation_dictionary_locators(1)->set_version_id("v");
  for (int i = 0; i < 4; ++i) s.add_previous_request_ids("r");
  EXPECT_TRUE(Rejects(Validate(s), "previous_request_ids"));
  s.clear_previous_request_ids();
  for (int i = 0; i < 4; ++i) s.add_next_request_ids("r");
  EXPECT_TRUE(Rejects(Validate(s), "next_request_ids"));
  s.clear_next_request_ids();
  s.set_apply_text_normalization("always");
  EXPECT_TRUE(Rejects(Validate(s), "apply_text_normalization"));
  s.set_apply_text_normalization("auto");
  s.set_language_code("eng");
  EXPECT_TRUE(Rejects(Validate(s), "language_code"));
  s.set_language_code("de");
  s.set_seed(4294967295u);
  EXPECT_TRUE(Validate(s).ok()) << Validate(s);

  v1::GenerateSoundEffectRequest e;
  EXPECT_TRUE(Rejects(Validate(e), "text"));
  e.set_text("boom");
  e.set_duration_seconds(0.4);
  EXPECT_TRUE(Rejects(Validate(e), "duration_seconds"));
  e.set_duration_seconds(22.5);
  EXPECT_TRUE(Rejects(Validate(e), "duration_seconds"));
  e.set_duration_seconds(22);
  e.set_prompt_influence(-0.1);
  EXPECT_TRUE(Rejects(Validate(e), "prompt_influence"));
  e.set_prompt_influence(std::nan(""));
  EXPECT_TRUE(Rejects(Validate(e), "prompt_influence"));
  e.set_prompt_influence(1);
  EXPECT_TRUE(Validate(e).ok());
}

TEST(ValidateTest, StableAudio) {
  v1::GenerateAudioRequest g;
  EXPECT_TRUE(Rejects(Validate(g), "prompt"));
  g.set_prompt("lofi");
  g.set_seconds_total(48);
  EXPECT_TRUE(Rejects(Validate(g), "seconds_total"));
  g.set_seconds_total(0.5);
  EXPECT_TRUE(Rejects(Validate(g), "seconds_total"));
  g.set_seconds_total(47);
  g.set_seconds_start(-1);
  EXPECT_TRUE(Rejects(Validate(g), "seconds_start"));
  g.set_seconds_start(47);
  g.set_steps(0);
  EXPECT_TRUE(Rejects(Validate(g), "steps"));
  g.set_steps(1001);
  EXPECT_TRUE(Rejects(Validate(g), "steps"));
  g.set_steps(1000);
  g.set_model("stable-audio-2");
  EXPECT_TRUE(Rejects(Validate(g), "model"));
  g.set_model("stable-audio");
  EXPECT_TRUE(Validate(g).ok());

  v1::GetGenerationRequest get;
  get.set_name("generations/");
  EXPECT_TRUE(Rejects(Validate(get), "name"));
  v1::GetJobRequest job;
  job.set_name("jobs/1");
  EXPECT_TRUE(Rejects(Validate(job), "name"));
}

TEST(ValidateTest, FreeTextKeepsTabsNewlinesAndStricterRules) {
  v1::TextToSpeechRequest tts;
  tts.set_prompt("Line one.\r\n\tLine two, caf\xc3\xa9.");
  EXPECT_TRUE(Validate(tts).ok());
  // A URL keeps its own (stricter) rule and one violation, not two.
  v1::CreateMediaRequest create;
  create.set_prompt("p");
  create.set_webhook_url("https://hooks.example/\x01");
  create.set_title("t\x01");
  auto br = rpc::GetBadRequest(Validate(create));
  ASSERT_TRUE(br.has_value());
  ASSERT_EQ(br->field_violations_size(), 2) << br->ShortDebugString();
  EXPECT_EQ(br->field_violations(0).field(), "webhook_url");
  EXPECT_TRUE(absl::StrContains(br->field_violations(0).description(), "URL"))
      << br->field_violations(0).description();
  EXPECT_EQ(br->field_violations(1).field(), "title");
}

TEST(ValidateTest, EveryViolationIsReported) {
  v1::GenerateAudioRequest g;
  g.set_steps(0);
  g.set_seconds_total(100);
  absl::Status s = Validate(g);
  auto br = rpc::GetBadRequest(s);
  ASSERT_TRUE(br.has_value());
  EXPECT_EQ(br->field_violations_size(), 3);
  EXPECT_TRUE(absl::StrContains(s.message(), "(and 2 more)")) << s.message();
}

}  // namespace
}  // namespace mediagen::upstream
