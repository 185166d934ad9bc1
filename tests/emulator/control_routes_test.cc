// The control API over HTTP: the request log (redaction, what it records,
// the body cap), counters, reset, and the job clock controls.
#include "tests/emulator/control_routes.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/emulator/test_util.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;

class ControlTest : public EmulatorTest {};

TEST_F(ControlTest, RequestLogRedactsEveryProvidersKey) {
  PostJson("/v2/media", {{"prompt", "x"}}, Vim());
  PostJson("/v1/text-to-speech/v", {{"text", "x"}}, El());
  PostJson("/v2/generate/audio", {{"model", "stable-audio"}, {"prompt", "x"}},
           Aiml());
  Get("/v2/media/x",
      {{"Authorization", "Basic dXNlcjpwYXNz"}, {"X-Api-Key", kVimKey}});
  const json log = Control("GET", "/requests")["requests"];
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0]["headers"]["x-api-key"], "[REDACTED]");
  EXPECT_EQ(log[1]["headers"]["xi-api-key"], "[REDACTED]");
  EXPECT_EQ(log[2]["headers"]["authorization"], "Bearer [REDACTED]");
  EXPECT_EQ(log[3]["headers"]["authorization"], "[REDACTED]");
  const std::string all = log.dump();
  for (const char* secret : {kVimKey, kElKey, kAimlKey, "dXNlcjpwYXNz"}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret;
  }
  // Who sent it is still visible, by customer id.
  EXPECT_EQ(log[0]["customer_id"], kVimCustomer);
  EXPECT_EQ(log[1]["customer_id"], kElCustomer);
  EXPECT_EQ(log[2]["customer_id"], kAimlCustomer);
}

TEST_F(ControlTest, RequestLogRecordsWhatWasSent) {
  Http gen = PostJson("/v2/generate/audio",
                      {{"model", "stable-audio"}, {"prompt", "rain"}}, Aiml());
  const std::string id = gen.json["id"];
  const std::string encoded = httplib::detail::encode_query_param(id);
  ASSERT_NE(encoded, id);
  Get("/v2/generate/audio?generation_id=" + encoded, Aiml());
  const json log =
      Control("GET", "/requests?path_prefix=/v2/generate")["requests"];
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["method"], "POST");
  EXPECT_EQ(log[0]["route"], "POST /v2/generate/audio");
  EXPECT_EQ(log[0]["provider"], "aimlapi");
  EXPECT_EQ(log[0]["status"], 201);
  EXPECT_EQ(log[0]["json"],
            json({{"model", "stable-audio"}, {"prompt", "rain"}}));
  EXPECT_EQ(log[0]["headers"]["content-type"], "application/json");
  EXPECT_EQ(log[1]["method"], "GET");
  EXPECT_EQ(log[1]["query"], "generation_id=" + encoded);  // raw, as sent
  EXPECT_EQ(log[1]["status"], 200);
  EXPECT_GT(log[1]["seq"].get<int>(), log[0]["seq"].get<int>());
  // Filters.
  const uint64_t first = log[0]["seq"];
  EXPECT_EQ(
      Control("GET", "/requests?since=" + std::to_string(first))["requests"]
          .size(),
      1u);
  EXPECT_EQ(Control("GET", "/requests?method=GET")["requests"].size(), 1u);
  EXPECT_EQ(Control("GET", "/requests?limit=1")["requests"][0]["seq"],
            log[1]["seq"]);
  Control("DELETE", "/requests");
  EXPECT_EQ(Control("GET", "/requests")["requests"].size(), 0u);
}

class SmallLogTest : public EmulatorTest {
  void Configure(EmulatorOptions& o) override {
    o.request_log_body_cap = 16;
    o.request_log_max_entries = 3;
  }
};

TEST_F(SmallLogTest, BodiesAndEntriesAreCapped) {
  for (int i = 0; i < 5; ++i) {
    PostJson("/v2/media", {{"prompt", "a long prompt that is over the cap"}},
             Vim());
  }
  const json log = Control("GET", "/requests")["requests"];
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0]["body"].get<std::string>().size(), 16u);
  EXPECT_EQ(log[0]["body_truncated"], true);
  EXPECT_GT(log[0]["body_bytes"].get<int>(), 16);
  EXPECT_FALSE(log[0].contains("json"));
}

TEST_F(ControlTest, CountersProveWhatWasCreatedAndPaid) {
  PostJson("/v2/media", {{"prompt", "x"}}, Vim());
  PostJson("/v2/media", {{"prompt", "x"}, {"duration", 10}}, Vim());
  PostJson("/v2/media", {{"prompt", "x"}}, Vim(kVimPoorKey));  // 402
  PostJson("/v2/audio/text-2-speech", {{"prompt", "x"}}, Vim(kVimOtherKey));
  const json c = Control("GET", "/counters");
  const json& mine = c["customers"][kVimCustomer];
  EXPECT_EQ(mine["creates"]["POST /v2/media"], 2);
  EXPECT_EQ(mine["credits_spent"]["POST /v2/media"], 30);
  EXPECT_EQ(mine["creates_total"], 2);
  EXPECT_EQ(c["customers"][kVimOtherCustomer]["credits_spent_total"], 8);
  EXPECT_FALSE(c["customers"].contains(kVimPoorCustomer));
  EXPECT_EQ(c["requests"]["POST /v2/media"]["total"], 3);
  EXPECT_EQ(c["requests"]["POST /v2/media"]["by_status"]["200"], 2);
  EXPECT_EQ(c["requests"]["POST /v2/media"]["by_status"]["402"], 1);
  EXPECT_EQ(c["balances"][kVimCustomer]["credits"], 970);
  EXPECT_EQ(c["balances"][kVimCustomer]["initial_credits"], 1000);
  // The in-process view matches.
  EXPECT_EQ(emulator_->Counters()["customers"], c["customers"]);
}

TEST_F(ControlTest, ResetForgetsEverythingAndRestoresBalances) {
  Http m = PostJson("/v2/media", {{"prompt", "x"}}, Vim());
  Control("POST", "/faults", {{"path", "/nothing"}, {"status", 500}});
  Control("POST", "/outcomes", {{"kind", "any"}});
  ASSERT_EQ(Control("GET", "/counters")["balances"][kVimCustomer]["credits"],
            990);
  EXPECT_EQ(Control("POST", "/reset"), json({{"ok", true}}));
  const json c = Control("GET", "/counters");
  EXPECT_EQ(c["balances"][kVimCustomer]["credits"], 1000);
  EXPECT_EQ(c["customers"], json::object());
  EXPECT_EQ(c["jobs"], 0);
  EXPECT_EQ(Control("GET", "/requests")["requests"].size(), 0u);
  EXPECT_EQ(Control("GET", "/faults")["rules"].size(), 0u);
  EXPECT_EQ(Control("GET", "/outcomes")["pending"].size(), 0u);
  EXPECT_EQ(Get("/v2/media/" + m.json["id"].get<std::string>(), Vim()).status,
            404);
}

TEST_F(ControlTest, PausedClockHoldsJobsUntilAdvancedOrCompleted) {
  Control("POST", "/clock", {{"paused", true}});
  Http m = PostJson("/v2/media", {{"prompt", "x"}}, Vim());
  const std::string id = m.json["id"];
  // Longer than the whole timeline at this time scale.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Get("/v2/media/" + id, Vim()).json["processing_status"], "new");
  json job = Control("POST", "/jobs/" + id + "/advance");
  EXPECT_EQ(job["status"], "queue_bullet");
  EXPECT_EQ(Get("/v2/media/" + id, Vim()).json["processing_status"],
            "queue_bullet");
  job = Control("POST", "/jobs/" + id + "/advance");
  EXPECT_EQ(job["status"], "processing_bullet");
  job = Control("POST", "/jobs/" + id + "/complete", {{"outcome", "fail"}});
  EXPECT_EQ(job["status"], "fail");
  EXPECT_EQ(Get("/v2/media/" + id, Vim()).json["processing_status"], "fail");
  Http bad =
      ToHttp(client_->Post(("/_emulator/jobs/" + id + "/complete").c_str(),
                           R"({"outcome": "explode"})", "application/json"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ToHttp(client_->Post("/_emulator/jobs/nope/advance", "",
                                 "application/json"))
                .status,
            404);
  // Resuming the clock leaves a finished job alone.
  Control("POST", "/clock", {{"paused", false}});
  EXPECT_EQ(Control("GET", "/clock")["paused"], false);
  EXPECT_EQ(Get("/v2/media/" + id, Vim()).json["processing_status"], "fail");
}

TEST_F(ControlTest, CreditsCanBeSetPerCustomer) {
  Control("POST", "/credits", {{"customer_id", kVimCustomer}, {"credits", 3}});
  EXPECT_EQ(PostJson("/v2/media", {{"prompt", "x"}}, Vim()).status, 402);
  Http bad = ToHttp(client_->Post("/_emulator/credits",
                                  R"({"customer_id": "nobody", "credits": 1})",
                                  "application/json"));
  EXPECT_EQ(bad.status, 404);
  const json cfg = Control("GET", "/config");
  EXPECT_EQ(cfg["strict"], true);
  EXPECT_EQ(cfg["time_scale"], 0.01);
  EXPECT_EQ(cfg.dump().find(kVimKey), std::string::npos) << "keys never leave";
}

}  // namespace
}  // namespace mediagen::emulator
