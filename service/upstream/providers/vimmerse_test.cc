// Every Vimmerse route: the exact HTTP request built from the RPC request
// (docs' examples as fixtures where they exist). The documented responses
// parsed back are in vimmerse_response_test.cc.
#include "service/upstream/providers/vimmerse.h"

#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/upstream/providers/route_table.h"
#include "service/upstream/providers/test_util.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::upstream::vimmerse {
namespace {

using ::mediagen::testing::StatusIs;
using ::mediagen::upstream::testing::Header;
using ::mediagen::upstream::testing::HeaderCount;
using ::mediagen::upstream::testing::JsonEquals;

constexpr char kKey[] = "YOUR_API_KEY";

// Checks method, URL, Vimmerse auth, JSON headers and the body (as JSON).
template <typename Req>
UpstreamRequest ExpectJson(
    const Req& request, absl::string_view method, absl::string_view url,
    absl::string_view body,
    Idempotency idempotency = Idempotency::kNonIdempotent) {
  absl::StatusOr<UpstreamRequest> up = BuildRequest(Endpoints{}, kKey, request);
  EXPECT_TRUE(up.ok()) << up.status();
  if (!up.ok()) return {};
  EXPECT_EQ(up->http.method, method);
  EXPECT_EQ(up->http.url, url);
  EXPECT_EQ(Header(up->http.headers, "X-Api-Key"), kKey);
  EXPECT_EQ(HeaderCount(up->http.headers, "X-Api-Key"), 1);
  EXPECT_EQ(Header(up->http.headers, "Accept"), "application/json");
  if (body.empty()) {
    EXPECT_EQ(Header(up->http.headers, "Content-Type"), "<absent>");
    EXPECT_EQ(up->http.body, "");
  } else {
    EXPECT_EQ(Header(up->http.headers, "Content-Type"), "application/json");
    EXPECT_TRUE(JsonEquals(up->http.body, body));
  }
  EXPECT_EQ(up->route.provider, v1::PROVIDER_VIMMERSE);
  EXPECT_EQ(up->route.idempotency, idempotency);
  EXPECT_FALSE(absl::StrContains(up->http.body, "request_id"));
  return *std::move(up);
}

// ---- MediaService ----

TEST(VimmerseRequestTest, CreateMediaDocExample) {
  v1::CreateMediaRequest r;
  r.set_request_id("9f1c2d3e-idem");
  r.set_title("Product Launch Clip");
  r.set_description("Short cinematic intro for a new product");
  r.set_prompt(
      "Smooth camera move around a premium smartwatch on a dark studio "
      "background with soft rim light");
  r.set_video_tool("Auto");
  r.set_duration(5);
  r.set_quantity(1);
  r.set_loop(1);
  r.set_aspect_ratio("16:9");
  r.mutable_audio_option()->set_narrator("Sarah");
  r.mutable_audio_option()->set_narration(
      "Introducing the next generation of smart performance.");
  UpstreamRequest up =
      ExpectJson(r, "POST", "https://api.vimmerse.net/v2/media", R"({
    "title": "Product Launch Clip",
    "description": "Short cinematic intro for a new product",
    "prompt": "Smooth camera move around a premium smartwatch on a dark studio background with soft rim light",
    "video_tool": "Auto",
    "duration": 5,
    "quantity": 1,
    "loop": 1,
    "aspect_ratio": "16:9",
    "audio_option": {
      "narrator": "Sarah",
      "narration": "Introducing the next generation of smart performance."
    }
  })");
  EXPECT_EQ(up.route.Label(), "POST /v2/media");
}

TEST(VimmerseRequestTest, CreateMediaMinimalSendsOnlyWhatIsSet) {
  v1::CreateMediaRequest r;
  auto* item = r.add_media_items();
  item->set_type("image");
  item->set_url("https://example.com/front.png");
  item->set_position("First");
  auto* item2 = r.add_media_items();
  item2->set_type("image");
  item2->set_url("https://example.com/back.png");
  r.mutable_audio_option()->set_native_audio(false);  // explicit false
  r.set_webhook_url("https://hooks.example/m");
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/media", R"({
    "media_items": [
      {"type": "image", "url": "https://example.com/front.png", "position": "First"},
      {"type": "image", "url": "https://example.com/back.png"}],
    "audio_option": {"native_audio": false},
    "webhook_url": "https://hooks.example/m"
  })");
}

TEST(VimmerseRequestTest, GetMediaEncodesIdAndFields) {
  v1::GetMediaRequest r;
  r.set_name("media/abc123-def456-ghi789");
  UpstreamRequest up = ExpectJson(
      r, "GET", "https://api.vimmerse.net/v2/media/abc123-def456-ghi789", "",
      Idempotency::kIdempotent);
  EXPECT_EQ(up.route.Label(), "GET /v2/media/{id}");
  r.add_fields("processing_status");
  r.add_fields("result");
  ExpectJson(r, "GET",
             "https://api.vimmerse.net/v2/media/abc123-def456-ghi789"
             "?fields=processing_status%2Cresult",
             "", Idempotency::kIdempotent);
  r.set_name("media/a:b@c");
  ExpectJson(r, "GET",
             "https://api.vimmerse.net/v2/media/a%3Ab%40c"
             "?fields=processing_status%2Cresult",
             "", Idempotency::kIdempotent);
}

TEST(VimmerseRequestTest, GetMediaRejectsOtherNames) {
  v1::GetMediaRequest r;
  r.set_name("assets/x");
  EXPECT_THAT(BuildRequest(Endpoints{}, kKey, r).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(VimmerseRequestTest, UpdateMediaIsPutWithOnlySetFields) {
  v1::UpdateMediaRequest r;
  r.set_name("media/m1");
  r.set_request_id("idem");
  r.set_title("Updated Product Video");
  r.set_rating("5");
  r.set_visibility_status("2");
  UpstreamRequest up =
      ExpectJson(r, "PUT", "https://api.vimmerse.net/v2/media/m1",
                 R"({"title": "Updated Product Video", "rating": "5",
                 "visibility_status": "2"})");
  EXPECT_EQ(up.route.Label(), "PUT /v2/media/{id}");
}

TEST(VimmerseRequestTest, UpdateMediaEmptyBodyMeansNoChange) {
  v1::UpdateMediaRequest r;
  r.set_name("media/m1");
  ExpectJson(r, "PUT", "https://api.vimmerse.net/v2/media/m1", "{}");
}

TEST(VimmerseRequestTest, UpdateMediaMethodIsConfigurable) {
  Endpoints e;
  e.media_update_method = "PATCH";
  e.vimmerse = "http://127.0.0.1:9999/";
  v1::UpdateMediaRequest r;
  r.set_name("media/m1");
  r.set_duration(9);
  auto up = BuildRequest(e, kKey, r);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->http.method, "PATCH");
  EXPECT_EQ(up->http.url, "http://127.0.0.1:9999/v2/media/m1");
  EXPECT_TRUE(JsonEquals(up->http.body, R"({"duration": 9})"));
}

// ---- VideoService ----

TEST(VimmerseRequestTest, EstimateVideoCreditsIsIdempotent) {
  v1::EstimateVideoCreditsRequest r;
  r.set_app_name("reference-to-video");
  r.set_option("KlingO");
  r.set_quantity(2);
  r.set_duration(10);
  r.set_video_duration(7.5);
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/video/estimate-credits",
             R"({"app_name": "reference-to-video", "option": "KlingO",
                 "quantity": 2, "duration": 10, "video_duration": 7.5})",
             Idempotency::kIdempotent);
}

TEST(VimmerseRequestTest, CropDocExample) {
  v1::CropToAspectRatioRequest r;
  r.set_request_id("x");
  r.set_video_url("https://cdn.example/input.mp4");
  r.set_aspect_ratio("9:16");
  r.set_async_mode(true);
  ExpectJson(r, "POST",
             "https://api.vimmerse.net/v2/video/crop-to-aspect-ratio",
             R"({"video_url": "https://cdn.example/input.mp4",
                 "aspect_ratio": "9:16", "async_mode": true})");
}

TEST(VimmerseRequestTest, CropExplicitFalseAndZeroArePresent) {
  v1::CropToAspectRatioRequest r;
  r.set_video_url("https://cdn.example/input.mp4");
  r.set_async_mode(false);
  r.set_offset_x(0);
  r.set_offset_y(12);
  r.set_webhook_url("https://hooks.example/a");
  ExpectJson(r, "POST",
             "https://api.vimmerse.net/v2/video/crop-to-aspect-ratio",
             R"({"video_url": "https://cdn.example/input.mp4",
                 "async_mode": false, "offset_x": 0, "offset_y": 12,
                 "webhook_url": "https://hooks.example/a"})");
}

TEST(VimmerseRequestTest, ReframeDocExample) {
  v1::ReframeVideoRequest r;
  r.set_video_url("https://cdn.example/input.mp4");
  r.set_aspect_ratio("16:9");
  r.set_prompt("Make it realistic");
  r.set_async_mode(true);
  r.set_grid_position_x(0);
  r.set_y_end(720);
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/video/reframe",
             R"({"video_url": "https://cdn.example/input.mp4",
                 "aspect_ratio": "16:9", "prompt": "Make it realistic",
                 "async_mode": true, "grid_position_x": 0, "y_end": 720})");
}

TEST(VimmerseRequestTest, Enhance) {
  v1::EnhanceVideoRequest r;
  r.set_video_url("https://cdn.example/in.mp4");
  r.set_enhance_mode("2X&DeepClean");
  r.set_compression_scale("0.5");
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/video/enhance",
             R"({"video_url": "https://cdn.example/in.mp4",
                 "enhance_mode": "2X&DeepClean", "compression_scale": "0.5"})");
}

TEST(VimmerseRequestTest, AddSoundEffect) {
  v1::AddSoundEffectRequest r;
  r.set_video_url("https://cdn.example/in.mp4");
  r.set_prompt("Add ringtone from the phone.");
  r.set_async_mode(false);
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/video/sound-effect",
             R"({"video_url": "https://cdn.example/in.mp4",
                 "prompt": "Add ringtone from the phone.", "async_mode": false})");
}

TEST(VimmerseRequestTest, AvatarLipSync) {
  v1::AvatarLipSyncRequest r;
  r.set_avatar_id("av-1");
  r.set_voice_id("vo-2");
  r.set_prompt("Write your prompt here to your avatar speak.");
  r.set_aspect_ratio("9:16");
  r.set_show_caption("Off");
  r.set_bg_image_url("");  // explicitly upstream's default
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/video/avatars/lip-sync",
             R"({"avatar_id": "av-1", "voice_id": "vo-2",
                 "prompt": "Write your prompt here to your avatar speak.",
                 "aspect_ratio": "9:16", "show_caption": "Off",
                 "bg_image_url": ""})");
}

TEST(VimmerseRequestTest, LipSyncDocExample) {
  v1::LipSyncRequest r;
  r.set_image_url("https://cdn.example/face.png");
  r.set_audio_url("https://cdn.example/speech.mp3");
  r.set_option("AutoLipSync");
  r.set_async_mode(true);
  r.set_audio_duration(12.25);
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/video/lip-sync",
             R"({"image_url": "https://cdn.example/face.png",
                 "audio_url": "https://cdn.example/speech.mp3",
                 "option": "AutoLipSync", "async_mode": true,
                 "audio_duration": 12.25})");
}

TEST(VimmerseRequestTest, VideoEffects) {
  v1::GenerateVideoEffectRequest r;
  r.set_image_url("https://cdn.example/a.png");
  r.set_ref_image_url("https://cdn.example/b.png");
  r.set_option("PikaEffects");
  r.set_effect("Hug");
  r.set_quantity(1);
  r.set_aspect_ratio("1:1");
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/video/video-effects",
             R"({"image_url": "https://cdn.example/a.png",
                 "ref_image_url": "https://cdn.example/b.png",
                 "option": "PikaEffects", "effect": "Hug", "quantity": 1,
                 "aspect_ratio": "1:1"})");
}

TEST(VimmerseRequestTest, ReplaceBackgroundKeepsStringAndBoolTypes) {
  v1::ReplaceBackgroundRequest r;
  r.set_video_url("https://cdn.example/fg.mp4");
  r.set_bg_image_url("https://cdn.example/bg.png");
  r.set_chroma_key_color("#80FF80");
  r.set_chroma_tolerance("0.1");
  r.set_overlay_scale("0.6666");
  r.set_alignment("left");
  r.set_start_time("0");
  r.set_crop_to_content(false);
  r.set_x_offset(0);
  r.set_y_offset(-5);
  r.set_use_rembg_lib(false);
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/video/replace-background",
             R"({"video_url": "https://cdn.example/fg.mp4",
                 "bg_image_url": "https://cdn.example/bg.png",
                 "chroma_key_color": "#80FF80", "chroma_tolerance": "0.1",
                 "overlay_scale": "0.6666", "alignment": "left",
                 "start_time": "0", "crop_to_content": false, "x_offset": 0,
                 "y_offset": -5, "use_rembg_lib": false})");
}

TEST(VimmerseRequestTest, ReferenceToVideo) {
  v1::ReferenceToVideoRequest r;
  r.add_image_urls("https://cdn.example/1.png");
  r.add_image_urls("https://cdn.example/2.png");
  r.set_prompt("Two friends walking");
  r.set_option("VeoReference");
  r.set_duration(30);
  ExpectJson(
      r, "POST", "https://api.vimmerse.net/v2/video/reference-to-video",
      R"({"image_urls": ["https://cdn.example/1.png", "https://cdn.example/2.png"],
                 "prompt": "Two friends walking", "option": "VeoReference",
                 "duration": 30})");
}

TEST(VimmerseRequestTest, VideoToVideo) {
  v1::VideoToVideoRequest r;
  r.set_video_url("https://cdn.example/src.mp4");
  r.set_prompt("Make boy jump high.");
  r.set_option("LumaModify");
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/video/video-to-video",
             R"({"video_url": "https://cdn.example/src.mp4",
                 "prompt": "Make boy jump high.", "option": "LumaModify"})");
}

TEST(VimmerseRequestTest, AttachAudio) {
  v1::AttachAudioRequest r;
  r.set_video_url("https://cdn.example/v.mp4");
  r.set_audio_url("https://cdn.example/a.mp3");
  r.set_attach_mode("PadAudio");
  r.set_video_duration(10);
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/video/audio",
             R"({"video_url": "https://cdn.example/v.mp4",
                 "audio_url": "https://cdn.example/a.mp3",
                 "attach_mode": "PadAudio", "video_duration": 10})");
}

// ---- AudioService ----

TEST(VimmerseRequestTest, EstimateAudioCreditsIsIdempotent) {
  v1::EstimateAudioCreditsRequest r;
  r.set_app_name("text-to-speech");
  r.set_option("ElevenLabsTTS");
  r.set_prompt("Hello");
  r.set_voice("AutoV");
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/audio/estimate-credits",
             R"({"app_name": "text-to-speech", "option": "ElevenLabsTTS",
                 "prompt": "Hello", "voice": "AutoV"})",
             Idempotency::kIdempotent);
}

TEST(VimmerseRequestTest, TextToSpeechDocExample) {
  v1::TextToSpeechRequest r;
  r.set_request_id("tts-1");
  r.set_prompt("Hello from Vimmerse.");
  r.set_voice("AutoV");
  r.set_option("ElevenLabsTTS");
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/audio/text-2-speech",
             R"({"prompt": "Hello from Vimmerse.", "voice": "AutoV",
                 "option": "ElevenLabsTTS"})");
}

TEST(VimmerseRequestTest, TextToSoundEffect) {
  v1::TextToSoundEffectRequest r;
  r.set_prompt("Door creak");
  r.set_duration(5);
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/audio/text-2-sound-effect",
             R"({"prompt": "Door creak", "duration": 5})");
}

TEST(VimmerseRequestTest, TextToMusic) {
  v1::TextToMusicRequest r;
  r.set_prompt("A lush, ambient soundscape");
  ExpectJson(r, "POST", "https://api.vimmerse.net/v2/audio/text-2-music",
             R"({"prompt": "A lush, ambient soundscape"})");
}

// ---- Uploads and asset polls ----

TEST(VimmerseRequestTest, UploadVideoQueryParamsAndStreamedBody) {
  v1::UploadVideoMetadata m;
  m.set_request_id("up-1");
  m.set_file_name("clip.mp4");
  m.set_content_type("video/mp4");
  m.set_size_bytes(1234);
  m.set_option("UploadVideo");
  m.set_video_duration(12.5);
  m.set_asset_id("as 1");
  auto body = std::shared_ptr<http::BodySource>();  // any source; not read here
  UpstreamRequest up = BuildUpload(Endpoints{}, kKey, m, body,
                                   "multipart/form-data; boundary=B");
  EXPECT_EQ(up.http.method, "POST");
  EXPECT_EQ(up.http.url,
            "https://api.vimmerse.net/v2/video?option=UploadVideo"
            "&video_duration=12.5&asset_id=as%201");
  EXPECT_EQ(Header(up.http.headers, "X-Api-Key"), kKey);
  EXPECT_EQ(Header(up.http.headers, "Content-Type"),
            "multipart/form-data; boundary=B");
  EXPECT_EQ(Header(up.http.headers, "Accept"), "application/json");
  EXPECT_EQ(up.route.Label(), "POST /v2/video");
  EXPECT_EQ(up.route.idempotency, Idempotency::kNonIdempotent);

  v1::UploadVideoMetadata bare;
  bare.set_file_name("clip.mp4");
  bare.set_content_type("video/mp4");
  EXPECT_EQ(BuildUpload(Endpoints{}, kKey, bare, body, "x").http.url,
            "https://api.vimmerse.net/v2/video");
  v1::UploadVideoMetadata all = bare;
  all.set_video_url("https://cdn.example/v.mp4");
  all.set_video_file_path("p/q");
  all.set_removing_asset_args("a,b");
  EXPECT_EQ(BuildUpload(Endpoints{}, kKey, all, body, "x").http.url,
            "https://api.vimmerse.net/v2/video"
            "?video_url=https%3A%2F%2Fcdn.example%2Fv.mp4"
            "&video_file_path=p%2Fq&removing_asset_args=a%2Cb");
}

TEST(VimmerseRequestTest, UploadAudio) {
  v1::UploadAudioMetadata m;
  m.set_file_name("voiceover.mp3");
  m.set_content_type("audio/mpeg");
  UpstreamRequest up = BuildUpload(Endpoints{}, kKey, m, nullptr,
                                   "multipart/form-data; boundary=Z");
  EXPECT_EQ(up.http.method, "POST");
  EXPECT_EQ(up.http.url, "https://api.vimmerse.net/v2/audio");
  EXPECT_EQ(Header(up.http.headers, "Content-Type"),
            "multipart/form-data; boundary=Z");
  EXPECT_EQ(up.route.Label(), "POST /v2/audio");
}

TEST(VimmerseRequestTest, AssetPollDefaultAndConfiguredPath) {
  UpstreamRequest up = BuildGetAsset(Endpoints{}, kKey, "a1/b");
  EXPECT_EQ(up.http.method, "GET");
  EXPECT_EQ(up.http.url, "https://api.vimmerse.net/asset/a1%2Fb");
  EXPECT_EQ(up.route.Label(), "GET /asset/{asset_id}");
  EXPECT_EQ(up.route.idempotency, Idempotency::kIdempotent);
  Endpoints e;
  e.asset_path_template = "/v2/assets/{asset_id}/status";
  EXPECT_EQ(BuildGetAsset(e, kKey, "a1").http.url,
            "https://api.vimmerse.net/v2/assets/a1/status");
}

}  // namespace
}  // namespace mediagen::upstream::vimmerse
