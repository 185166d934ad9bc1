// Vimmerse media routes (/v2/media) over HTTP against an in-process
// emulator: the documented media object, status progression, each
// documented error, strict-mode rejections, updates, media webhooks and
// credit accounting. The video, audio and upload routes are in
// vimmerse_video_routes_test.cc.
#include "tests/emulator/vimmerse_routes.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/emulator/test_util.h"
#include "tests/emulator/vimmerse_expect.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;

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

}  // namespace
}  // namespace mediagen::emulator
