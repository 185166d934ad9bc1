// Vimmerse video, audio and upload routes (/v2/video/*, /v2/audio/*)
// over HTTP against an in-process emulator: each route's asynchronous and
// synchronous answers, validation errors, uploads, the estimate routes
// against what the routes charge, and asset webhooks.
#include "tests/emulator/vimmerse_video_routes.h"

#include <cctype>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/emulator/test_util.h"
#include "tests/emulator/vimmerse_expect.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;

class VimmerseTest : public EmulatorTest {};

struct VideoCase {
  std::string path;
  json body;
  std::string app_name;
  std::string option;  // for the matching estimate
  double credits;
};

std::vector<VideoCase> VideoCases() {
  const std::string v = "https://e.com/in.mp4";
  const std::string i = "https://e.com/in.png";
  const std::string a = "https://e.com/in.mp3";
  return {
      {"/v2/video/crop-to-aspect-ratio",
       {{"video_url", v}, {"aspect_ratio", "9:16"}},
       "edit-video",
       "CropToAspectRatio",
       5},
      {"/v2/video/reframe",
       {{"video_url", v}, {"grid_position_x", 3}},
       "edit-video",
       "LumaReframe",
       5},
      {"/v2/video/enhance",
       {{"video_url", v}, {"enhance_mode", "2X"}},
       "edit-video",
       "2X",
       5},
      {"/v2/video/sound-effect",
       {{"video_url", v}, {"prompt", "ring"}},
       "edit-video",
       "SoundEffect",
       5},
      {"/v2/video/avatars/lip-sync",
       {{"avatar_id", "a1"}, {"prompt", "hello"}},
       "lip-sync",
       "AvatarLipSync",
       10},
      {"/v2/video/lip-sync",
       {{"image_url", i}, {"audio_url", a}, {"video_duration", 12}},
       "lip-sync",
       "AutoLipSync",
       30},
      {"/v2/video/video-effects",
       {{"image_url", i}, {"quantity", 2}},
       "video-effects",
       "HiggsfieldEffects",
       30},
      {"/v2/video/replace-background",
       {{"video_url", v}, {"bg_image_url", i}},
       "replace-background-video",
       "ReplaceBackground",
       10},
      {"/v2/video/reference-to-video",
       {{"image_urls", {i}},
        {"prompt", "p"},
        {"quantity", 2},
        {"duration", 10}},
       "reference-to-video",
       "KlingO",
       80},
      {"/v2/video/video-to-video",
       {{"video_url", v}, {"option", "LumaModify"}},
       "video-to-video",
       "LumaModify",
       20},
      {"/v2/video/audio",
       {{"video_url", v}, {"audio_url", a}},
       "edit-video",
       "AttachAudio",
       5},
  };
}

class VideoRouteTest : public EmulatorTest,
                       public ::testing::WithParamInterface<VideoCase> {};

TEST_P(VideoRouteTest, AsyncCreateReturnsAtOnceThenPollsToSuccess) {
  const VideoCase& c = GetParam();
  json body = c.body;
  body["webhook_url"] = "http://127.0.0.1:1/never";  // not in args
  Http r = PostJson(c.path, body, Vim());
  ASSERT_EQ(r.status, 200) << r.body;
  const json& asset = r.json;
  EXPECT_EQ(asset["status"], "new");
  EXPECT_EQ(asset["app_name"], c.app_name);
  EXPECT_EQ(asset["customer_id"], kVimCustomer);
  EXPECT_EQ(asset["credits"], c.credits);
  EXPECT_EQ(asset["results"], json::array());
  for (const char* k :
       {"id", "primary_user_id", "args", "thumbnails", "mime_type", "quantity",
        "created_at", "updated_at", "history"}) {
    EXPECT_TRUE(asset.contains(k)) << k;
  }
  EXPECT_FALSE(asset["args"].contains("webhook_url"));
  EXPECT_FALSE(asset["args"].contains("async_mode"));

  // The estimate for the same app and option is what was charged.
  json estimate = c.body;
  json est_body = {{"app_name", c.app_name}, {"option", c.option}};
  if (c.body.contains("quantity")) est_body["quantity"] = c.body["quantity"];
  if (c.body.contains("duration")) est_body["duration"] = c.body["duration"];
  if (c.body.contains("video_duration")) {
    est_body["video_duration"] = c.body["video_duration"];
  }
  if (c.body.contains("prompt")) est_body["prompt"] = c.body["prompt"];
  Http est = PostJson("/v2/video/estimate-credits", est_body, Vim());
  ASSERT_EQ(est.status, 200) << est.body;
  EXPECT_EQ(est.json["total_credits"], c.credits) << est.body;
  EXPECT_TRUE(est.json["breakdown"].is_object());

  json done = WaitAsset(asset["id"]);
  EXPECT_EQ(done["status"], "success");
  EXPECT_EQ(done["progress_percentage"], 100);
  const int64_t quantity = c.body.value("quantity", 1);
  EXPECT_EQ(done["results"].size(), static_cast<size_t>(quantity));
  EXPECT_EQ(1000 - Balance(this, kVimCustomer), c.credits);
}

INSTANTIATE_TEST_SUITE_P(AllVideoRoutes, VideoRouteTest,
                         ::testing::ValuesIn(VideoCases()),
                         [](const ::testing::TestParamInfo<VideoCase>& info) {
                           std::string name = info.param.path.substr(10);
                           for (char& ch : name) {
                             if (!isalnum(static_cast<unsigned char>(ch)))
                               ch = '_';
                           }
                           return name;
                         });

TEST_F(VimmerseTest, SyncVideoAnswersWithSuccessAndResults) {
  Http r = PostJson(
      "/v2/video/crop-to-aspect-ratio",
      {{"video_url", "https://e.com/v.mp4"}, {"async_mode", false}}, Vim());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["status"], "success");
  EXPECT_EQ(r.json["results"].size(), 1u);
}

TEST_F(VimmerseTest, QueuedAssetFailureEndsInFail) {
  Control("POST", "/outcomes", {{"kind", "asset"}, {"outcome", "fail"}});
  Http r = PostJson("/v2/video/enhance", {{"video_url", "https://e.com/v.mp4"}},
                    Vim());
  ASSERT_EQ(r.status, 200);
  json done = WaitAsset(r.json["id"]);
  EXPECT_EQ(done["status"], "fail");
  EXPECT_EQ(done["results"], json::array());
}

TEST_F(VimmerseTest, VideoRouteValidationErrors) {
  const std::string v = "https://e.com/v.mp4";
  Expect422(PostJson("/v2/video/reference-to-video",
                     {{"image_urls", json::array()}}, Vim()),
            {"body", "image_urls"}, "too_short");
  Expect422(
      PostJson("/v2/video/reference-to-video",
               {{"image_urls", {"https://e.com/a.png"}}, {"duration", 31}},
               Vim()),
      {"body", "duration"}, "less_than_equal");
  Expect422(
      PostJson("/v2/video/reference-to-video", {{"image_urls", {1}}}, Vim()),
      {"body", "image_urls", 0}, "string_type");
  Expect422(PostJson("/v2/video/crop-to-aspect-ratio",
                     {{"video_url", v}, {"aspect_ratio", "wide"}}, Vim()),
            {"body", "aspect_ratio"}, "string_pattern_mismatch");
  Expect422(PostJson("/v2/video/crop-to-aspect-ratio",
                     {{"aspect_ratio", "1:1"}}, Vim()),
            {"body", "video_url"}, "missing");
  Expect422(PostJson("/v2/video/crop-to-aspect-ratio",
                     {{"video_url", v}, {"async_mode", "yes"}}, Vim()),
            {"body", "async_mode"}, "bool_type");
  Expect422(PostJson("/v2/video/enhance",
                     {{"video_url", v}, {"compression_scale", "2"}}, Vim()),
            {"body", "compression_scale"}, "value_error");
  Expect422(PostJson("/v2/video/audio", {{"video_url", v}}, Vim()),
            {"body", "audio_url"}, "missing");
  Expect422(
      PostJson("/v2/video/lip-sync",
               {{"image_url", v}, {"prompt", "p"}, {"voice", "Robot"}}, Vim()),
      {"body", "voice"}, "enum");
  ExpectV2Error(PostJson("/v2/video/lip-sync", {{"audio_url", v}}, Vim()), 400,
                "BAD_REQUEST");
  ExpectV2Error(PostJson("/v2/video/lip-sync", {{"image_url", v}}, Vim()), 400,
                "BAD_REQUEST");
  ExpectV2Error(PostJson("/v2/video/sound-effect",
                         {{"video_url", "ftp://e.com/v"}}, Vim()),
                400, "INVALID_URL");
  EXPECT_EQ(Balance(this, kVimCustomer), 1000);
}

TEST_F(VimmerseTest, UploadVideoCountsThePartAndNeverLogsTheBytes) {
  const std::string bytes(200000, 'v');
  httplib::MultipartFormDataItems items = {
      {"video_file", bytes, "clip.mp4", "video/mp4"}};
  Http r = ToHttp(client_->Post("/v2/video?option=UploadVideo&video_duration=3",
                                Vim(), items));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["status"], "success");
  EXPECT_EQ(r.json["app_name"], "upload-video");
  EXPECT_EQ(r.json["mime_type"], "video/mp4");
  EXPECT_EQ(r.json["args"]["file_size"], 200000);
  EXPECT_EQ(r.json["args"]["video_duration"], "3");
  ASSERT_EQ(r.json["results"].size(), 1u);
  const std::string url = r.json["results"][0];
  EXPECT_EQ(Get(url.substr(url.find("/files/"))).status, 200);
  // The asset is pollable like any other.
  EXPECT_EQ(WaitAsset(r.json["id"])["status"], "success");

  json log = Control("GET", "/requests?route=POST%20/v2/video");
  ASSERT_EQ(log["requests"].size(), 1u);
  const json& entry = log["requests"][0];
  EXPECT_EQ(entry["body"], "");
  EXPECT_EQ(entry["parts"], json::array({{{"name", "video_file"},
                                          {"filename", "clip.mp4"},
                                          {"content_type", "video/mp4"},
                                          {"size", 200000}}}));
  EXPECT_EQ(entry["query"], "option=UploadVideo&video_duration=3");
}

TEST_F(VimmerseTest, UploadErrors) {
  httplib::MultipartFormDataItems file = {
      {"video_file", "abc", "c.mp4", "video/mp4"}};
  Expect422(ToHttp(client_->Post("/v2/video?colour=red", Vim(), file)),
            {"query", "colour"}, "extra_forbidden");
  httplib::MultipartFormDataItems extra = {
      {"video_file", "abc", "c.mp4", "video/mp4"}, {"note", "x", "", ""}};
  Expect422(ToHttp(client_->Post("/v2/video", Vim(), extra)), {"body", "note"},
            "extra_forbidden");
  Expect422(PostJson("/v2/video", {{"video_file", "abc"}}, Vim()),
            {"body", "video_file"}, "missing");
  // Neither a file nor a video_url.
  ExpectV2Error(ToHttp(client_->Post("/v2/video", Vim())), 400, "BAD_REQUEST");
  Http by_url = ToHttp(
      client_->Post("/v2/video?video_url=https%3A%2F%2Fe.com%2Fv.mp4", Vim()));
  EXPECT_EQ(by_url.status, 200) << by_url.body;
  EXPECT_EQ(by_url.json["args"]["video_url"], "https://e.com/v.mp4");
  ExpectV2Error(
      ToHttp(client_->Post("/v2/video?video_url=file%3A%2F%2Fx", Vim())), 400,
      "INVALID_URL");
}

TEST_F(VimmerseTest, UploadAudioNeedsTheAudioFilePart) {
  httplib::MultipartFormDataItems ok = {
      {"audio_file", "ID3abc", "v.mp3", "audio/mpeg"}};
  Http r = ToHttp(client_->Post("/v2/audio", Vim(), ok));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["app_name"], "upload-audio");
  EXPECT_EQ(r.json["status"], "success");
  EXPECT_EQ(r.json["results"].size(), 1u);
  httplib::MultipartFormDataItems wrong = {
      {"file", "x", "v.mp3", "audio/mpeg"}};
  Http bad = ToHttp(client_->Post("/v2/audio", Vim(), wrong));
  Expect422(bad, {"body", "audio_file"}, "missing");
  Expect422(bad, {"body", "file"}, "extra_forbidden");
  httplib::MultipartFormDataItems empty = {
      {"audio_file", "", "v.mp3", "audio/mpeg"}};
  ExpectV2Error(ToHttp(client_->Post("/v2/audio", Vim(), empty)), 400,
                "BAD_REQUEST");
}

TEST_F(VimmerseTest, AudioRoutesAnswerSynchronouslyWithWavResults) {
  Http tts = PostJson("/v2/audio/text-2-speech",
                      {{"prompt", "Welcome to the show."},
                       {"voice", "AutoV"},
                       {"option", "ElevenLabsTTS"}},
                      Vim());
  ASSERT_EQ(tts.status, 200) << tts.body;
  EXPECT_EQ(tts.json["status"], "success");
  EXPECT_EQ(tts.json["app_name"], "text-to-speech");
  EXPECT_EQ(tts.json["credits"], 8);  // the documented example's price
  EXPECT_TRUE(tts.json["credits"].is_number_integer())
      << tts.body;  // 8, not 8.0
  EXPECT_EQ(tts.json["quantity"], 1);
  EXPECT_EQ(tts.json["args"], json({{"prompt", "Welcome to the show."},
                                    {"voice", "AutoV"},
                                    {"option", "ElevenLabsTTS"},
                                    {"language", ""}}));
  ASSERT_EQ(tts.json["results"].size(), 1u);

  Http sfx = PostJson("/v2/audio/text-2-sound-effect",
                      {{"prompt", "boom"}, {"duration", 3}}, Vim());
  ASSERT_EQ(sfx.status, 200) << sfx.body;
  EXPECT_EQ(sfx.json["app_name"], "text-to-audio");
  const std::string url = sfx.json["results"][0];
  Http wav = Get(url.substr(url.find("/files/")));
  EXPECT_EQ(wav.Header("Content-Type"), "audio/wav");
  EXPECT_EQ(wav.body.size(), 44u + 3 * 8000 * 2);  // 3 s, 8 kHz, 16-bit mono
  EXPECT_EQ(wav.body.substr(0, 4), "RIFF");

  Http music = PostJson("/v2/audio/text-2-music", {{"prompt", "lofi"}}, Vim());
  ASSERT_EQ(music.status, 200) << music.body;
  EXPECT_EQ(music.json["app_name"], "text-to-music");
  EXPECT_EQ(Get("/asset/" + music.json["id"].get<std::string>(), Vim())
                .json["data"]["status"],
            "success");

  ExpectV2Error(PostJson("/v2/audio/text-2-music", {{"prompt", ""}}, Vim()),
                400, "BAD_REQUEST");
  Expect422(PostJson("/v2/audio/text-2-speech",
                     {{"prompt", "x"}, {"voice", "Zed"}}, Vim()),
            {"body", "voice"}, "enum");
  Expect422(PostJson("/v2/audio/text-2-speech",
                     {{"prompt", "x"}, {"async_mode", true}}, Vim()),
            {"body", "async_mode"}, "extra_forbidden");
  Expect422(PostJson("/v2/audio/text-2-sound-effect",
                     {{"prompt", "x"}, {"duration", 0}}, Vim()),
            {"body", "duration"}, "greater_than_equal");
}

TEST_F(VimmerseTest, EstimatesMatchWhatTheRoutesCharge) {
  Http est = PostJson("/v2/audio/estimate-credits",
                      {{"app_name", "text-to-audio"},
                       {"option", "ElevenLabsSE"},
                       {"duration", 12}},
                      Vim());
  ASSERT_EQ(est.status, 200) << est.body;
  EXPECT_EQ(est.json["total_credits"], 15);
  Http sfx = PostJson("/v2/audio/text-2-sound-effect",
                      {{"prompt", "b"}, {"duration", 12}}, Vim());
  EXPECT_EQ(sfx.json["credits"], 15);
  Http media_est = PostJson("/v2/video/estimate-credits",
                            {{"app_name", "text-image-to-video"},
                             {"option", "Auto"},
                             {"quantity", 3},
                             {"duration", 10}},
                            Vim());
  EXPECT_EQ(media_est.json["total_credits"], 60);
  const double before = Balance(this, kVimCustomer);
  PostJson("/v2/media", {{"prompt", "x"}, {"quantity", 3}, {"duration", 10}},
           Vim());
  EXPECT_EQ(before - Balance(this, kVimCustomer), 60);
  Http upload_est =
      PostJson("/v2/audio/estimate-credits",
               {{"app_name", "upload-audio"}, {"option", "AutoA"}}, Vim());
  EXPECT_EQ(upload_est.json["total_credits"], 0);

  Expect422(PostJson("/v2/video/estimate-credits",
                     {{"app_name", "reference-to-video"}}, Vim()),
            {"body", "option"}, "missing");
  Expect422(
      PostJson("/v2/audio/estimate-credits", {{"option", "Lyria"}}, Vim()),
      {"body", "app_name"}, "missing");
  Expect422(PostJson("/v2/video/estimate-credits",
                     {{"app_name", "make-movie"}, {"option", "KlingO"}}, Vim()),
            {"body", "app_name"}, "enum");
  ExpectV2Error(PostJson("/v2/video/estimate-credits", {{"option", "KlingO"}}),
                401, "MISSING_API_KEY");
}

TEST_F(VimmerseTest, UnknownOrForeignAssetIs404InTheLegacyShape) {
  Http r = Get("/asset/nope", Vim());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json, json({{"message", "ASSET_NOT_FOUND"}}));
  Http created =
      PostJson("/v2/video/enhance", {{"video_url", "https://e.com/v"}}, Vim());
  EXPECT_EQ(
      Get("/asset/" + created.json["id"].get<std::string>(), Vim(kVimOtherKey))
          .status,
      404);
  // A media id is not an asset id.
  Http media = PostJson("/v2/media", {{"prompt", "x"}}, Vim());
  EXPECT_EQ(Get("/asset/" + media.json["id"].get<std::string>(), Vim()).status,
            404);
}

TEST_F(VimmerseTest, AssetWebhookIsRetriedUntilTheReceiverAccepts) {
  WebhookReceiver receiver(/*fail_first=*/2);
  Http r = PostJson(
      "/v2/video/sound-effect",
      {{"video_url", "https://e.com/v"}, {"webhook_url", receiver.url()}},
      Vim());
  ASSERT_EQ(r.status, 200);
  std::vector<json> bodies = receiver.WaitForBodies(3);
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[0], json({{"customer_id", kVimCustomer},
                             {"asset_id", r.json["id"]},
                             {"status", "queue_bullet"}}));
  EXPECT_EQ(bodies[2]["status"], "success");
  EXPECT_EQ(receiver.requests(), 5);  // two refusals, then three deliveries
  json hooks = Control("GET", "/webhooks");
  ASSERT_GE(hooks["attempts"].size(), 3u);
  EXPECT_EQ(hooks["attempts"][0]["status"], 500);
  EXPECT_EQ(hooks["attempts"][0]["attempt"], 1);
  EXPECT_EQ(hooks["attempts"][1]["attempt"], 2);
  EXPECT_EQ(hooks["attempts"][2]["delivered"], true);
  EXPECT_EQ(hooks["attempts"][2]["attempt"], 3);
}

}  // namespace
}  // namespace mediagen::emulator
