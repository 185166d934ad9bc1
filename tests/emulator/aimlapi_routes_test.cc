// AIMLAPI Stable Audio over HTTP: generate + poll with URL-encoded ids,
// status progression, a failed generation as HTTP 200, the error envelope.
#include "tests/emulator/aimlapi_routes.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/emulator/job_clock.h"
#include "tests/emulator/test_util.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;

std::string Encode(const std::string& s) {
  return httplib::detail::encode_query_param(s);
}

void ExpectEnvelope(const Http& r, int status, const std::string& path) {
  EXPECT_EQ(r.status, status) << r.body;
  ASSERT_TRUE(r.json.is_object()) << r.body;
  EXPECT_EQ(r.json.size(), 5u) << r.body;
  EXPECT_TRUE(r.json["message"].is_string()) << r.body;
  EXPECT_EQ(r.json["path"], path);
  EXPECT_TRUE(r.json["requestId"].is_string());
  EXPECT_EQ(r.json["statusCode"], status);
  EXPECT_TRUE(r.json["timestamp"].is_string());
}

class AimlapiTest : public EmulatorTest {
 public:
  Http Poll(const std::string& id, const std::string& key = kAimlKey) {
    return Get("/v2/generate/audio?generation_id=" + Encode(id), Aiml(key));
  }
};

TEST_F(AimlapiTest, GenerateAnswers201QueuedThenPollsToCompletedWithAFile) {
  Http r = PostJson("/v2/generate/audio",
                    {{"model", "stable-audio"},
                     {"prompt", "lo-fi pop hip-hop ambient music"},
                     {"steps", 100},
                     {"seconds_total", 10}},
                    Aiml());
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json["id"];
  ASSERT_GT(id.size(), 13u);
  EXPECT_EQ(id.substr(id.size() - 13), ":stable-audio");
  EXPECT_EQ(r.json["generation_id"], id);
  EXPECT_EQ(r.json["status"], "queued");
  EXPECT_TRUE(r.json["audio_file"].is_null());
  EXPECT_TRUE(r.json["error"].is_null());
  EXPECT_EQ(r.json["meta"]["usage"]["credits_used"], 252 * 100);

  std::vector<std::string> seen;
  json done = WaitFor(
      [&] {
        json g = Poll(id).json;
        const std::string s = g.value("status", "");
        if (seen.empty() || seen.back() != s) seen.push_back(s);
        return g;
      },
      [](const json& g) {
        return JobStore::IsTerminal(JobKind::kGeneration,
                                    g.value("status", ""));
      });
  EXPECT_EQ(done["status"], "completed");
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_NE(seen[i], "queued") << "went back to queued";
  }
  const json& file = done["audio_file"];
  EXPECT_EQ(file["content_type"], "application/octet-stream");
  EXPECT_EQ(file["file_name"].get<std::string>().substr(0, 3), "tmp");
  const std::string url = file["url"];
  Http wav = Get(url.substr(url.find("/files/")));
  ASSERT_EQ(wav.status, 200);
  EXPECT_EQ(wav.body.size(), file["file_size"].get<size_t>());
  EXPECT_EQ(wav.body.size(), 44u + 10 * 8000 * 2);
  EXPECT_EQ(wav.body.substr(8, 4), "WAVE");

  json c = Control("GET", "/customers");
  EXPECT_EQ(c["customers"][kAimlCustomer]["credits"], 1000000 - 25200);
}

TEST_F(AimlapiTest, AFailedGenerationIsHttp200WithStatusError) {
  Control("POST", "/outcomes",
          {{"kind", "generation"},
           {"outcome", "fail"},
           {"message", "model overloaded"}});
  Http r = PostJson("/v2/generate/audio",
                    {{"model", "stable-audio"}, {"prompt", "x"}}, Aiml());
  ASSERT_EQ(r.status, 201);
  Http last;
  WaitFor(
      [&] {
        last = Poll(r.json["id"]);
        return last.json;
      },
      [](const json& g) { return g.value("status", "") == "error"; });
  EXPECT_EQ(last.status, 200);
  EXPECT_EQ(last.json["error"]["message"], "model overloaded");
  EXPECT_TRUE(last.json["error"]["name"].is_string());
  EXPECT_TRUE(last.json["audio_file"].is_null());
}

TEST_F(AimlapiTest, AuthCreditAndLookupErrorsUseTheEnvelope) {
  const json body = {{"model", "stable-audio"}, {"prompt", "x"}};
  ExpectEnvelope(PostJson("/v2/generate/audio", body), 401,
                 "/v2/generate/audio");
  ExpectEnvelope(
      PostJson("/v2/generate/audio", body, {{"Authorization", kAimlKey}}), 401,
      "/v2/generate/audio");
  ExpectEnvelope(PostJson("/v2/generate/audio", body, Aiml("wrong")), 401,
                 "/v2/generate/audio");
  // 1000 tokens cannot pay for 100 steps (25200).
  ExpectEnvelope(PostJson("/v2/generate/audio", body, Aiml(kAimlPoorKey)), 403,
                 "/v2/generate/audio");
  EXPECT_EQ(PostJson("/v2/generate/audio",
                     {{"model", "stable-audio"}, {"prompt", "x"}, {"steps", 3}},
                     Aiml(kAimlPoorKey))
                .status,
            201);
  ExpectEnvelope(Poll("nope:stable-audio"), 404, "/v2/generate/audio");
  Http mine = PostJson("/v2/generate/audio", body, Aiml());
  ExpectEnvelope(Poll(mine.json["id"], kAimlOtherKey), 404,
                 "/v2/generate/audio");
  ExpectEnvelope(Get("/v2/generate/audio", Aiml()), 422, "/v2/generate/audio");
}

TEST_F(AimlapiTest, ValidationErrorsAre422Envelopes) {
  Http total = PostJson(
      "/v2/generate/audio",
      {{"model", "stable-audio"}, {"prompt", "x"}, {"seconds_total", 48}},
      Aiml());
  ExpectEnvelope(total, 422, "/v2/generate/audio");
  EXPECT_NE(total.json["message"].get<std::string>().find("seconds_total"),
            std::string::npos);
  ExpectEnvelope(PostJson("/v2/generate/audio", {{"prompt", "x"}}, Aiml()), 422,
                 "/v2/generate/audio");
  ExpectEnvelope(PostJson("/v2/generate/audio",
                          {{"model", "suno"}, {"prompt", "x"}}, Aiml()),
                 422, "/v2/generate/audio");
  ExpectEnvelope(
      PostJson("/v2/generate/audio",
               {{"model", "stable-audio"}, {"prompt", "x"}, {"steps", 0}},
               Aiml()),
      422, "/v2/generate/audio");
  ExpectEnvelope(
      PostJson("/v2/generate/audio",
               {{"model", "stable-audio"}, {"prompt", "x"}, {"seconds", 5}},
               Aiml()),
      422, "/v2/generate/audio");
  ExpectEnvelope(PostRaw("/v2/generate/audio", "model=stable-audio",
                         "application/x-www-form-urlencoded", Aiml()),
                 422, "/v2/generate/audio");
  json c = Control("GET", "/customers");
  EXPECT_EQ(c["customers"][kAimlCustomer]["credits"], 1000000);
}

}  // namespace
}  // namespace mediagen::emulator
