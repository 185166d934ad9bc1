// Vimmerse routes over HTTP against an in-process emulator: every route's
// success path with the documented fields, each documented error, status
// progression, webhooks, strict-mode rejections and credit accounting.
#include "tests/emulator/vimmerse_routes.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/emulator/test_util.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;

// "2025-04-01T18:57:37.355064+00:00": 'd' stands for a digit.
bool IsVimmerseTimestamp(const std::string& s) {
  const std::string shape = "dddd-dd-ddTdd:dd:dd.dddddd+00:00";
  if (s.size() != shape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (shape[i] == 'd' ? !isdigit(static_cast<unsigned char>(s[i]))
                        : s[i] != shape[i]) {
      return false;
    }
  }
  return true;
}

// Exactly the two-field v2 error body.
void ExpectV2Error(const Http& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  ASSERT_TRUE(r.json.is_object()) << r.body;
  EXPECT_EQ(r.json.size(), 2u) << r.body;
  EXPECT_EQ(r.json.value("code", ""), code) << r.body;
  EXPECT_TRUE(r.json.contains("message") && r.json["message"].is_string())
      << r.body;
}

// A FastAPI 422 whose entries include one at `loc` of `type`.
void Expect422(const Http& r, const json& loc, const std::string& type) {
  EXPECT_EQ(r.status, 422) << r.body;
  ASSERT_TRUE(r.json.contains("detail") && r.json["detail"].is_array())
      << r.body;
  bool found = false;
  for (const json& e : r.json["detail"]) {
    EXPECT_TRUE(e.contains("loc") && e.contains("msg") && e.contains("type"))
        << e;
    found = found || (e["loc"] == loc && e["type"] == type);
  }
  EXPECT_TRUE(found) << "no " << loc << " " << type << " in " << r.body;
}

double Balance(EmulatorTest* t, const std::string& customer) {
  json c = t->Control("GET", "/customers");
  return c["customers"][customer]["credits"].get<double>();
}

class VimmerseTest : public EmulatorTest {};

TEST_F(VimmerseTest, CreateMediaAnswersWithTheDocumentedMediaObject) {
  Http r =
      PostJson("/v2/media",
               {{"title", "Launch"},
                {"description", "d"},
                {"prompt", "Smooth camera move"},
                {"video_tool", "Auto"},
                {"duration", 5},
                {"quantity", 1},
                {"loop", 1},
                {"aspect_ratio", "16:9"},
                {"audio_option", {{"narrator", "Sarah"}, {"narration", "Hi"}}}},
               Vim());
  ASSERT_EQ(r.status, 200) << r.body;
  const json& m = r.json;
  EXPECT_FALSE(m.value("id", "").empty());
  EXPECT_EQ(m["title"], "Launch");
  EXPECT_EQ(m["description"], "d");
  EXPECT_EQ(m["customer_id"], kVimCustomer);
  EXPECT_TRUE(m["primary_user_id"].is_string());
  EXPECT_TRUE(m["media_items"].is_null());
  EXPECT_EQ(m["duration_time"], "5");  // a string, as documented
  EXPECT_EQ(m["processing_status"], "new");
  EXPECT_EQ(m["pose_preset"], json({{"motion_type", "Auto"},
                                    {"prompt", "Smooth camera move"},
                                    {"quantity", 1},
                                    {"motion_length", 5},
                                    {"loop", 1}}));
  EXPECT_EQ(m["submit_params"], json({{"native_audio", false},
                                      {"file_size", ""},
                                      {"scale_factor", "1"}}));
  EXPECT_EQ(m["result"], json::array());
  EXPECT_EQ(m["webhook_url"], "");
  EXPECT_TRUE(IsVimmerseTimestamp(m["created_at"])) << m["created_at"];
  EXPECT_TRUE(IsVimmerseTimestamp(m["updated_at"])) << m["updated_at"];
  EXPECT_TRUE(m["version"].is_string());
  // 10 credits per 5-second block per output.
  EXPECT_EQ(Balance(this, kVimCustomer), 990);
}

TEST_F(VimmerseTest, MediaProgressesInOrderToSuccessWithDownloadableVideos) {
  Http r = PostJson("/v2/media",
                    {{"prompt", "mountains"}, {"quantity", 2}, {"duration", 4}},
                    Vim());
  ASSERT_EQ(r.status, 200) << r.body;
  json last;
  std::vector<std::string> seen = MediaStatuses(r.json["id"], &last);
  const std::vector<std::string> order = {"new", "queue_bullet",
                                          "processing_bullet", "success"};
  size_t pos = 0;
  for (const std::string& s : seen) {
    while (pos < order.size() && order[pos] != s) ++pos;
    ASSERT_LT(pos, order.size()) << "out of order: " << s;
  }
  EXPECT_EQ(seen.back(), "success");
  EXPECT_EQ(last["progress_percentage"], 100);
  ASSERT_EQ(last["result"].size(), 2u);
  const std::string url = last["result"][0];
  const std::string prefix =
      "http://127.0.0.1:" + std::to_string(port_) + "/files/";
  ASSERT_EQ(url.rfind(prefix, 0), 0u) << url;
  Http file = Get(url.substr(url.find("/files/")));
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(file.Header("Content-Type"), "video/x-msvideo");
  ASSERT_GT(file.body.size(), 12u);
  EXPECT_EQ(file.body.substr(0, 4), "RIFF");
  EXPECT_EQ(file.body.substr(8, 4), "AVI ");
}

TEST_F(VimmerseTest, QueuedFailOutcomeEndsTheMediaInFail) {
  json q = Control(
      "POST", "/outcomes",
      {{"kind", "media"}, {"outcome", "fail"}, {"message", "GPU melted"}});
  ASSERT_EQ(q["pending"].size(), 1u);
  Http r = PostJson("/v2/media", {{"prompt", "x"}}, Vim());
  ASSERT_EQ(r.status, 200);
  json last;
  std::vector<std::string> seen = MediaStatuses(r.json["id"], &last);
  EXPECT_EQ(seen.back(), "fail");
  EXPECT_EQ(last["result"], json::array());
  // The outcome was used up: the next media succeeds.
  Http next = PostJson("/v2/media", {{"prompt", "y"}}, Vim());
  EXPECT_EQ(MediaStatuses(next.json["id"], &last).back(), "success");
}

TEST_F(VimmerseTest, GetMediaHonoursFieldsAndRejectsUnknownOnes) {
  Http r = PostJson("/v2/media", {{"prompt", "x"}}, Vim());
  const std::string id = r.json["id"];
  Http some = Get("/v2/media/" + id + "?fields=processing_status,id", Vim());
  ASSERT_EQ(some.status, 200);
  EXPECT_EQ(some.json.size(), 2u);
  EXPECT_EQ(some.json["id"], id);
  EXPECT_TRUE(some.json.contains("processing_status"));
  Http bad = Get("/v2/media/" + id + "?fields=processing_status,nope", Vim());
  Expect422(bad, {"query", "fields"}, "value_error");
  Http extra = Get("/v2/media/" + id + "?expand=1", Vim());
  Expect422(extra, {"query", "expand"}, "extra_forbidden");
}

TEST_F(VimmerseTest, UnknownOrForeignMediaIs404MediaNotFound) {
  ExpectV2Error(Get("/v2/media/no-such-id", Vim()), 404, "MEDIA_NOT_FOUND");
  Http r = PostJson("/v2/media", {{"prompt", "x"}}, Vim());
  ExpectV2Error(
      Get("/v2/media/" + r.json["id"].get<std::string>(), Vim(kVimOtherKey)),
      404, "MEDIA_NOT_FOUND");
  ExpectV2Error(PutJson("/v2/media/no-such-id", {{"title", "t"}}, Vim()), 404,
                "MEDIA_NOT_FOUND");
}

TEST_F(VimmerseTest, MissingOrInvalidKeyIs401InEachRouteShape) {
  ExpectV2Error(PostJson("/v2/media", {{"prompt", "x"}}), 401,
                "MISSING_API_KEY");
  ExpectV2Error(PostJson("/v2/media", {{"prompt", "x"}}, Vim("wrong")), 401,
                "INVALID_API_KEY");
  ExpectV2Error(Get("/v2/media/x", Vim("wrong")), 401, "INVALID_API_KEY");
  // The legacy asset route answers {"message"} only.
  Http asset = Get("/asset/x");
  EXPECT_EQ(asset.status, 401);
  EXPECT_EQ(asset.json.size(), 1u);
  EXPECT_TRUE(asset.json.contains("message"));
}

TEST_F(VimmerseTest, OutOfCreditIs402AndCreatesNothing) {
  ExpectV2Error(PostJson("/v2/media", {{"prompt", "x"}}, Vim(kVimPoorKey)), 402,
                "INSUFFICIENT_CREDIT");
  ExpectV2Error(
      PostJson("/v2/video/reference-to-video",
               {{"image_urls", {"https://e.com/a.png"}}}, Vim(kVimPoorKey)),
      402, "INSUFFICIENT_CREDIT");
  json c = Control("GET", "/counters");
  EXPECT_FALSE(c["customers"].contains(kVimPoorCustomer)) << c.dump();
  EXPECT_EQ(Balance(this, kVimPoorCustomer), 5);
  // Text to speech costs 8: still too much.
  ExpectV2Error(
      PostJson("/v2/audio/text-2-speech", {{"prompt", "hi"}}, Vim(kVimPoorKey)),
      402, "INSUFFICIENT_CREDIT");
  // Uploads are free.
  httplib::MultipartFormDataItems items = {
      {"audio_file", "abc", "a.mp3", "audio/mpeg"}};
  EXPECT_EQ(ToHttp(client_->Post("/v2/audio", Vim(kVimPoorKey), items)).status,
            200);
}

TEST_F(VimmerseTest, MediaWithoutPromptOrItemsIs400) {
  ExpectV2Error(PostJson("/v2/media", {{"title", "only"}}, Vim()), 400,
                "BAD_REQUEST");
  ExpectV2Error(
      PostJson("/v2/media", {{"prompt", "  "}, {"media_items", json::array()}},
               Vim()),
      400, "BAD_REQUEST");
  Http items = PostJson("/v2/media",
                        {{"media_items",
                          {{{"type", "image"},
                            {"url", "https://e.com/a.png"},
                            {"position", "First"}}}}},
                        Vim());
  EXPECT_EQ(items.status, 200) << items.body;
  EXPECT_EQ(items.json["media_items"][0]["url"], "https://e.com/a.png");
}

TEST_F(VimmerseTest, StrictModeRejectsTranslationMistakesWith422) {
  Expect422(
      PostJson("/v2/media", {{"prompt", "x"}, {"motion_type", "Auto"}}, Vim()),
      {"body", "motion_type"}, "extra_forbidden");
  Expect422(PostJson("/v2/media", {{"prompt", "x"}, {"quantity", "2"}}, Vim()),
            {"body", "quantity"}, "int_type");
  Expect422(PostJson("/v2/media", {{"prompt", "x"}, {"duration", 5.5}}, Vim()),
            {"body", "duration"}, "int_from_float");
  Expect422(PostJson("/v2/media", {{"prompt", "x"}, {"quantity", 5}}, Vim()),
            {"body", "quantity"}, "less_than_equal");
  Expect422(
      PostJson("/v2/media", {{"prompt", "x"}, {"video_tool", "Nope"}}, Vim()),
      {"body", "video_tool"}, "enum");
  Expect422(
      PostJson("/v2/media",
               {{"prompt", "x"}, {"audio_option", "{\"narrator\":1}"}}, Vim()),
      {"body", "audio_option"}, "model_attributes_type");
  Expect422(
      PostJson("/v2/media",
               {{"prompt", "x"}, {"audio_option", {{"narrator", "Nobody"}}}},
               Vim()),
      {"body", "audio_option", "narrator"}, "enum");
  Expect422(PostJson("/v2/media",
                     {{"media_items", {{{"url", "https://e.com/a"}}}}}, Vim()),
            {"body", "media_items", 0, "type"}, "missing");
  Expect422(PostRaw("/v2/media", R"({"prompt":"x"})", "text/plain", Vim()),
            {"body"}, "model_attributes_type");
  Expect422(PostRaw("/v2/media", R"({"prompt":)", "application/json", Vim()),
            {"body", 0}, "json_invalid");
  Expect422(PostRaw("/v2/media", "", "application/json", Vim()), {"body"},
            "missing");
  Expect422(PostJson("/v2/media", json::array({1}), Vim()), {"body"},
            "model_attributes_type");
  // Nothing was paid for any of these.
  EXPECT_EQ(Balance(this, kVimCustomer), 1000);
}

class LaxVimmerseTest : public EmulatorTest {
  void Configure(EmulatorOptions& o) override { o.strict = false; }
};

TEST_F(LaxVimmerseTest, NonStrictModeIgnoresUnknownFieldsAndCoercesTypes) {
  Http r = PostRaw("/v2/media", R"({"prompt":"x","quantity":"2","bogus":true})",
                   "text/plain", Vim());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["pose_preset"]["quantity"], 2);
  // Ranges still apply.
  Expect422(PostJson("/v2/media", {{"prompt", "x"}, {"quantity", 9}}, Vim()),
            {"body", "quantity"}, "less_than_equal");
}

TEST_F(VimmerseTest, UpdateMediaMetadataInPlaceAndRegenerationChargesAgain) {
  Http r = PostJson("/v2/media", {{"prompt", "x"}}, Vim());
  const std::string id = r.json["id"];
  json done;
  ASSERT_EQ(MediaStatuses(id, &done).back(), "success");
  const json first_result = done["result"];
  ASSERT_EQ(Balance(this, kVimCustomer), 990);

  Http empty = PutJson("/v2/media/" + id, json::object(), Vim());
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.json["processing_status"], "success");

  Http meta = PutJson(
      "/v2/media/" + id,
      {{"title", "New"}, {"rating", "5"}, {"visibility_status", "2"}}, Vim());
  ASSERT_EQ(meta.status, 200) << meta.body;
  EXPECT_EQ(meta.json["title"], "New");
  EXPECT_EQ(meta.json["rating"], "5");
  EXPECT_EQ(meta.json["processing_status"], "success");
  EXPECT_EQ(meta.json["result"], first_result);
  EXPECT_EQ(meta.json["version"], "1");
  EXPECT_EQ(Balance(this, kVimCustomer), 990);

  Http regen =
      PutJson("/v2/media/" + id, {{"prompt", "y"}, {"duration", 10}}, Vim());
  ASSERT_EQ(regen.status, 200) << regen.body;
  EXPECT_EQ(regen.json["processing_status"], "new");
  EXPECT_EQ(regen.json["version"], "2");
  EXPECT_EQ(regen.json["pose_preset"]["prompt"], "y");
  EXPECT_EQ(regen.json["duration_time"], "10");
  EXPECT_EQ(Balance(this, kVimCustomer), 970);  // 2 blocks x 10
  ASSERT_EQ(MediaStatuses(id, &done).back(), "success");
  EXPECT_NE(done["result"], first_result);
  EXPECT_EQ(done["title"], "New");

  Expect422(PutJson("/v2/media/" + id, {{"visibility_status", "3"}}, Vim()),
            {"body", "visibility_status"}, "enum");
  Control("POST", "/credits", {{"customer_id", kVimCustomer}, {"credits", 1}});
  ExpectV2Error(PutJson("/v2/media/" + id, {{"prompt", "z"}}, Vim()), 402,
                "INSUFFICIENT_CREDIT");
}

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

TEST_F(VimmerseTest, MediaWebhookBodiesArriveOnEachStatusChange) {
  WebhookReceiver receiver;
  Http r = PostJson("/v2/media",
                    {{"prompt", "x"}, {"webhook_url", receiver.url()}}, Vim());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["webhook_url"], receiver.url());
  const std::string id = r.json["id"];
  std::vector<json> bodies = receiver.WaitForBodies(3);
  ASSERT_EQ(bodies.size(), 3u);
  std::vector<std::string> statuses;
  for (const json& b : bodies) {
    EXPECT_EQ(b.size(), 3u) << b;
    EXPECT_EQ(b["customer_id"], kVimCustomer);
    EXPECT_EQ(b["media_id"], id);
    statuses.push_back(b["status"]);
  }
  EXPECT_THAT(statuses,
              ElementsAre("queue_bullet", "processing_bullet", "success"));
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

class NoWebhooksTest : public EmulatorTest {
  void Configure(EmulatorOptions& o) override { o.webhooks = false; }
};

TEST_F(NoWebhooksTest, WebhooksOffDeliversNothing) {
  WebhookReceiver receiver;
  Http r = PostJson("/v2/media",
                    {{"prompt", "x"}, {"webhook_url", receiver.url()}}, Vim());
  json last;
  ASSERT_EQ(MediaStatuses(r.json["id"], &last).back(), "success");
  EXPECT_EQ(receiver.requests(), 0);
  EXPECT_EQ(Control("GET", "/webhooks")["attempts"].size(), 0u);
}

TEST(PriceTest, PricesFollowTheDocumentedList) {
  EXPECT_EQ(VideoPrice("reference-to-video", "KlingO", 2, 10.0, "").total, 80);
  EXPECT_EQ(
      VideoPrice("reference-to-video", "KlingO", 1, std::nullopt, "").total,
      20);
  EXPECT_EQ(VideoPrice("upload-video", "", 1, 30.0, "").total, 0);
  EXPECT_EQ(VideoPrice("lip-sync", "AvatarLipSync", 1, std::nullopt,
                       std::string(301, 'a'))
                .total,
            20);
  EXPECT_EQ(AudioPrice("text-to-speech", "ElevenLabsTTS", 1, "hi", std::nullopt)
                .total,
            8);
  EXPECT_EQ(AudioPrice("text-to-speech", "ChirpTTS", 1, std::string(1001, 'a'),
                       std::nullopt)
                .total,
            8);
  EXPECT_EQ(AudioPrice("text-to-audio", "ElevenLabsSE", 2, "", 6.0).total, 20);
  EXPECT_EQ(CodePoints("h\xc3\xa9llo"), 5u);
}

}  // namespace
}  // namespace mediagen::emulator
