#include "service/upstream/providers/aimlapi.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/upstream/providers/route_table.h"
#include "service/upstream/providers/test_util.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::upstream::aimlapi {
namespace {

using ::mediagen::testing::StatusIs;
using ::mediagen::upstream::testing::Header;
using ::mediagen::upstream::testing::JsonEquals;

constexpr char kKey[] = "aiml-key";

TEST(AimlapiRequestTest, JavaScriptExample) {
  v1::GenerateAudioRequest r;
  r.set_request_id("gen-idem");
  r.set_model("stable-audio");
  r.set_prompt("lo-fi pop hip-hop ambient music");
  r.set_steps(100);
  r.set_seconds_total(10);
  auto up = BuildRequest(Endpoints{}, kKey, r);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->http.method, "POST");
  EXPECT_EQ(up->http.url, "https://api.aimlapi.com/v2/generate/audio");
  EXPECT_EQ(Header(up->http.headers, "Authorization"), "Bearer aiml-key");
  EXPECT_EQ(Header(up->http.headers, "Content-Type"), "application/json");
  EXPECT_EQ(Header(up->http.headers, "Accept"), "application/json");
  EXPECT_EQ(up->route.Label(), "POST /v2/generate/audio");
  EXPECT_EQ(up->route.idempotency, Idempotency::kNonIdempotent);
  EXPECT_TRUE(JsonEquals(up->http.body, R"({"model": "stable-audio",
      "prompt": "lo-fi pop hip-hop ambient music", "steps": 100,
      "seconds_total": 10})"));
  EXPECT_NE(up->http.body.find("\"seconds_total\":10"), std::string::npos);
}

TEST(AimlapiRequestTest, ModelIsAlwaysSentAndZeroStartIsKept) {
  v1::GenerateAudioRequest r;
  r.set_prompt("text");
  r.set_seconds_start(0);
  auto up = BuildRequest(Endpoints{}, kKey, r);
  ASSERT_TRUE(up.ok());
  EXPECT_TRUE(JsonEquals(up->http.body, R"({"model": "stable-audio",
      "prompt": "text", "seconds_start": 0})"));
}

TEST(AimlapiRequestTest, PollEncodesTheGenerationId) {
  v1::GetGenerationRequest r;
  r.set_name("generations/e6dcf61f-d3e5-4062-95e8-8b8fd0031cad:stable-audio");
  auto up = BuildRequest(Endpoints{}, kKey, r);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->http.method, "GET");
  EXPECT_EQ(up->http.url,
            "https://api.aimlapi.com/v2/generate/audio?generation_id="
            "e6dcf61f-d3e5-4062-95e8-8b8fd0031cad%3Astable-audio");
  EXPECT_EQ(Header(up->http.headers, "Authorization"), "Bearer aiml-key");
  EXPECT_EQ(Header(up->http.headers, "Content-Type"), "<absent>");
  EXPECT_EQ(up->http.body, "");
  EXPECT_EQ(up->route.idempotency, Idempotency::kIdempotent);
  EXPECT_EQ(up->route.Label(), "GET /v2/generate/audio?generation_id={id}");

  r.set_name("media/x");
  EXPECT_THAT(BuildRequest(Endpoints{}, kKey, r).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AimlapiResponseTest, CreateAnswersBothShapes) {
  auto a = ParseGeneration(
      R"({"id": "e6dcf61f-d3e5-4062-95e8-8b8fd0031cad:stable-audio", "status": "queued"})",
      "", true);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->name(),
            "generations/e6dcf61f-d3e5-4062-95e8-8b8fd0031cad:stable-audio");
  EXPECT_EQ(a->state(), v1::JOB_STATE_QUEUED);
  auto b = ParseGeneration(R"({"generation_id": "text"})", "", true);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->id(), "text");
  EXPECT_EQ(b->status(), "");
  EXPECT_EQ(b->state(), v1::JOB_STATE_QUEUED);
  EXPECT_FALSE(ParseGeneration(R"({"status": "queued"})", "", true).ok());
  EXPECT_FALSE(ParseGeneration("oops", "", true).ok());
  EXPECT_FALSE(ParseGeneration(R"({"id": ".."})", "", true).ok());
  EXPECT_FALSE(ParseGeneration(R"({"generation_id": "."})", "", true).ok());
}

TEST(AimlapiResponseTest, CompletedPollExample) {
  auto g = ParseGeneration(
      R"({"id":"e6dcf61f-d3e5-4062-95e8-8b8fd0031cad:stable-audio","status":"completed","audio_file":{"url":"https://cdn.aimlapi.com/octopus/files/43647c7ac09c4d24944cb20734cd21f5_tmp1f_g_mml.wav","content_type":"application/octet-stream","file_name":"tmp1f_g_mml.wav","file_size":7938078}})",
      "", false);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(g->audio_file().url(),
            "https://cdn.aimlapi.com/octopus/files/"
            "43647c7ac09c4d24944cb20734cd21f5_tmp1f_g_mml.wav");
  EXPECT_EQ(g->audio_file().content_type(), "application/octet-stream");
  EXPECT_EQ(g->audio_file().file_name(), "tmp1f_g_mml.wav");
  EXPECT_EQ(g->audio_file().file_size(), 7938078);
  EXPECT_FALSE(g->has_credits_used());
}

TEST(AimlapiResponseTest, QueuedPollDocExampleAndTolerance) {
  auto g = ParseGeneration(
      R"({"id": "text", "error": null, "status": "queued", "audio_file": {"url": "https://example.com"}})",
      "", false);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->state(), v1::JOB_STATE_QUEUED);
  EXPECT_EQ(g->error_message(), "");
  auto odd = ParseGeneration(
      R"({"status": "generating", "audio_file": null, "meta": {"usage": {"credits_used": "252"}},
          "unknown": 1, "audio_file_size": "7"})",
      "known:stable-audio", false);
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->name(), "generations/known:stable-audio");
  EXPECT_EQ(odd->state(), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(odd->credits_used(), 252);
  auto nostatus = ParseGeneration(R"({"id": "x"})", "", false);
  EXPECT_EQ(nostatus->state(), v1::JOB_STATE_RUNNING);
  auto unknown =
      ParseGeneration(R"({"id": "x", "status": "thinking"})", "", false);
  EXPECT_EQ(unknown->state(), v1::JOB_STATE_RUNNING);
}

TEST(AimlapiResponseTest, ErrorStatusIsAFailedGenerationNotAnError) {
  auto g = ParseGeneration(
      R"({"id": "g1", "status": "error", "audio_file": null,
          "error": {"name": "GenerationError", "message": "NSFW content detected"},
          "meta": {"usage": {"credits_used": 0}}})",
      "", false);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(g->error_name(), "GenerationError");
  EXPECT_EQ(g->error_message(), "NSFW content detected");
  EXPECT_TRUE(g->has_credits_used());
}

}  // namespace
}  // namespace mediagen::upstream::aimlapi
