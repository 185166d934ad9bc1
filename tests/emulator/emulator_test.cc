// The dispatcher over HTTP: every fault kind, fault bodies in each
// provider's shape, unknown routes, and Stop() with open connections.
#include "tests/emulator/emulator.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/emulator/test_util.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

class FaultTest : public EmulatorTest {
 public:
  std::string CreateMedia() {
    Http r = PostJson("/v2/media", {{"prompt", "x"}}, Vim());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json.value("id", "");
  }
  int AddFault(const json& rule) {
    json r = Control("POST", "/faults", rule);
    EXPECT_TRUE(r.contains("id")) << r.dump();
    return r.value("id", 0);
  }
};

TEST_F(FaultTest, StatusFaultFailsTheNextNRequestsBeforeAnythingIsSpent) {
  AddFault({{"method", "POST"},
            {"path", "/v2/media"},
            {"status", 503},
            {"times", 2}});
  for (int i = 0; i < 2; ++i) {
    Http r = PostJson("/v2/media", {{"prompt", "x"}}, Vim());
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.json, json({{"message", "Service unavailable."},
                            {"code", "SERVICE_UNAVAILABLE"}}));
  }
  EXPECT_EQ(PostJson("/v2/media", {{"prompt", "x"}}, Vim()).status, 200);
  json rules = Control("GET", "/faults")["rules"];
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0]["hits"], 2);
  EXPECT_EQ(rules[0]["times"], 0);
  json c = Control("GET", "/counters");
  EXPECT_EQ(c["customers"][kVimCustomer]["creates"]["POST /v2/media"], 1);
  EXPECT_EQ(c["customers"][kVimCustomer]["credits_spent"]["POST /v2/media"],
            10);
  EXPECT_EQ(c["requests"]["POST /v2/media"]["by_status"]["503"], 2);
  // The log says which requests were faulted.
  json log = Control("GET", "/requests?route=POST%20/v2/media");
  ASSERT_EQ(log["requests"].size(), 3u);
  EXPECT_NE(log["requests"][0]["fault"].get<std::string>().find("status 503"),
            std::string::npos);
  EXPECT_EQ(log["requests"][2]["fault"], "");
}

TEST_F(FaultTest, StatusAfterProcessingLosesOnlyTheAnswer) {
  AddFault({{"method", "POST"},
            {"path", "/v2/media"},
            {"status", 500},
            {"after_processing", true},
            {"times", 1}});
  Http r = PostJson("/v2/media", {{"prompt", "x"}}, Vim());
  EXPECT_EQ(r.status, 500);
  json c = Control("GET", "/counters");
  // Upstream did the work and took the credits: a blind retry pays twice.
  EXPECT_EQ(c["customers"][kVimCustomer]["creates"]["POST /v2/media"], 1);
  EXPECT_EQ(c["balances"][kVimCustomer]["credits"], 990);
}

TEST_F(FaultTest, ErrorBodiesTakeTheShapeOfThePathsProvider) {
  AddFault({{"path", "*"}, {"status", 503}});
  Http el = PostJson("/v1/text-to-speech/v", {{"text", "x"}}, El());
  EXPECT_EQ(el.status, 503);
  EXPECT_EQ(el.json["detail"]["code"], "service_unavailable");
  EXPECT_EQ(el.json["detail"]["status"], "service_unavailable");
  Http aiml = Get("/v2/generate/audio?generation_id=x", Aiml());
  EXPECT_EQ(aiml.status, 503);
  EXPECT_EQ(aiml.json["statusCode"], 503);
  EXPECT_EQ(aiml.json["path"], "/v2/generate/audio");
  Http asset = Get("/asset/x", Vim());
  EXPECT_EQ(asset.json.size(), 1u);
  EXPECT_TRUE(asset.json.contains("message"));
  Control("DELETE", "/faults");

  AddFault({{"path", "/v2/video/*"}, {"status", 422}});
  Http v =
      PostJson("/v2/video/enhance", {{"video_url", "https://e.com/v"}}, Vim());
  EXPECT_EQ(v.status, 422);
  EXPECT_TRUE(v.json["detail"].is_array());
  Control("DELETE", "/faults");

  AddFault({{"path", "/v2/media/*"},
            {"status", 429},
            {"code", "TOO_MANY"},
            {"message", "slow down"},
            {"headers", {{"Retry-After", "7"}}}});
  Http m = Get("/v2/media/x", Vim());
  EXPECT_EQ(m.status, 429);
  EXPECT_EQ(m.json, json({{"message", "slow down"}, {"code", "TOO_MANY"}}));
  EXPECT_EQ(m.Header("Retry-After"), "7");
  Control("DELETE", "/faults");

  AddFault({{"path", "/v2/media/*"},
            {"status", 502},
            {"body", "<html>bad gateway</html>"}});
  EXPECT_EQ(Get("/v2/media/x", Vim()).body, "<html>bad gateway</html>");
}

TEST_F(FaultTest, LatencyDelaysTheAnswer) {
  const std::string id = CreateMedia();
  AddFault({{"method", "GET"},
            {"path", "/v2/media/*"},
            {"latency_ms", 150},
            {"times", 1}});
  const Clock::time_point start = Clock::now();
  EXPECT_EQ(Get("/v2/media/" + id, Vim()).status, 200);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(150));
}

TEST_F(FaultTest, ResetCutsTheConnectionMidBody) {
  const std::string id = CreateMedia();
  AddFault(
      {{"method", "GET"}, {"path", "/v2/media/*"}, {"reset_after_bytes", 20}});
  httplib::Request req;
  req.method = "GET";
  req.path = "/v2/media/" + id;
  req.headers = Vim();
  size_t announced = 0;
  size_t received = 0;
  req.response_handler = [&](const httplib::Response& res) {
    announced = std::stoul(res.get_header_value("Content-Length"));
    return true;
  };
  req.content_receiver = [&](const char*, size_t n, uint64_t, uint64_t) {
    received += n;
    return true;
  };
  httplib::Result r = client_->send(req);
  EXPECT_FALSE(r) << "the transfer should fail";
  EXPECT_GT(announced, 20u);
  EXPECT_EQ(received, 20u);
  // The emulator is fine afterwards.
  Control("DELETE", "/faults");
  EXPECT_EQ(Get("/v2/media/" + id, Vim()).status, 200);
}

TEST_F(FaultTest, MalformedJsonKeepsStatusButBreaksTheBody) {
  const std::string id = CreateMedia();
  AddFault({{"method", "GET"},
            {"path", "/v2/media/*"},
            {"malformed_json", true},
            {"times", 1}});
  Http r = Get("/v2/media/" + id, Vim());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_TRUE(r.json.is_discarded()) << r.body;
  EXPECT_FALSE(Get("/v2/media/" + id, Vim()).json.is_discarded());
}

TEST_F(FaultTest, ContentTypeAndOversizeChangeAProcessedAnswer) {
  // A 2xx page of the wrong kind after the work was done (paid for).
  AddFault({{"method", "POST"},
            {"path", "/v2/media"},
            {"status", 200},
            {"after_processing", true},
            {"content_type", "text/html"},
            {"body", "<html><body>Welcome</body></html>"},
            {"times", 1}});
  Http page = PostJson("/v2/media", {{"prompt", "x"}}, Vim());
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.Header("Content-Type"), "text/html");
  EXPECT_EQ(page.body, "<html><body>Welcome</body></html>");
  json c = Control("GET", "/counters");
  EXPECT_EQ(c["customers"][kVimCustomer]["creates"]["POST /v2/media"], 1);

  // An answer padded past what a client accepts stays valid JSON.
  const std::string id = CreateMedia();
  AddFault({{"method", "GET"},
            {"path", "/v2/media/*"},
            {"oversize_bytes", 3 << 20},
            {"times", 1}});
  Http big = Get("/v2/media/" + id, Vim());
  EXPECT_EQ(big.status, 200);
  EXPECT_EQ(big.body.size(), size_t{3} << 20);
  EXPECT_EQ(big.json.value("id", ""), id);
  EXPECT_LT(Get("/v2/media/" + id, Vim()).body.size(), 4096u);
  json rules = Control("GET", "/faults")["rules"];
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0]["content_type"], "text/html");
  EXPECT_EQ(rules[1]["oversize_bytes"], 3 << 20);
}

TEST_F(FaultTest, DripSendsTheBodySlowly) {
  const std::string id = CreateMedia();
  const size_t size = Get("/v2/media/" + id, Vim()).body.size();
  ASSERT_GT(size, 400u);
  AddFault({{"method", "GET"},
            {"path", "/v2/media/*"},
            {"drip_bytes_per_sec", 2000}});
  const Clock::time_point start = Clock::now();
  Http r = Get("/v2/media/" + id, Vim());
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.json.is_discarded());
  // 200-byte pieces, 100 ms apart.
  EXPECT_GE(Clock::now() - start,
            std::chrono::milliseconds(100 * ((size - 1) / 200)));
}

TEST_F(FaultTest, ConcurrencyLimitAnswers429WhileARequestIsInFlight) {
  const std::string id = CreateMedia();
  const int limit_rule = AddFault(
      {{"method", "GET"}, {"path", "/v2/media/*"}, {"concurrency_limit", 1}});
  // Only the first request is slowed: it stays in flight for a second.
  AddFault({{"method", "GET"},
            {"path", "/v2/media/*"},
            {"latency_ms", 1000},
            {"times", 1}});
  std::atomic<int> first_status{0};
  std::thread slow([&] {
    httplib::Client c("127.0.0.1", port_);
    httplib::Result r = c.Get(("/v2/media/" + id).c_str(), Vim());
    first_status = r ? r->status : -1;
  });
  WaitFor([&] { return Control("GET", "/faults")["rules"]; },
          [&](const json& rules) {
            for (const json& r : rules) {
              if (r["id"] == limit_rule) return r.value("in_flight", 0) == 1;
            }
            return false;
          });
  Http second = Get("/v2/media/" + id, Vim());
  EXPECT_EQ(second.status, 429);
  EXPECT_EQ(second.json["code"], "RATE_LIMIT_EXCEEDED");
  slow.join();
  EXPECT_EQ(first_status, 200);
  EXPECT_EQ(Get("/v2/media/" + id, Vim()).status, 200);
}

TEST_F(FaultTest, SkipMethodAndGlobChooseWhichRequestsFail) {
  const std::string id = CreateMedia();
  AddFault({{"method", "GET"},
            {"path", "/v2/*/*"},
            {"status", 500},
            {"skip", 1},
            {"times", 1}});
  EXPECT_EQ(PostJson("/v2/media", {{"prompt", "x"}}, Vim()).status,
            200);                                        // POST: no
  EXPECT_EQ(Get("/v2/media/" + id, Vim()).status, 200);  // skipped
  EXPECT_EQ(Get("/v2/media/" + id, Vim()).status, 500);  // fires
  EXPECT_EQ(Get("/v2/media/" + id, Vim()).status, 200);  // used up
  const int rule = AddFault({{"path", "/asset/?"}, {"status", 418}});
  EXPECT_EQ(Get("/asset/a", Vim()).status, 418);
  EXPECT_EQ(Get("/asset/ab", Vim()).status, 404);
  Http del = ToHttp(
      client_->Delete(("/_emulator/faults/" + std::to_string(rule)).c_str()));
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(Get("/asset/a", Vim()).status, 404);
}

TEST_F(FaultTest, InvalidRulesAreRefused) {
  for (const json& bad :
       {json{{"path", "/x"}}, json{{"path", "/x"}, {"status", "500"}},
        json{{"path", "/x"}, {"status", 500}, {"colour", "red"}},
        json{{"status", 500}},
        json{{"path", "/x"}, {"after_processing", true}}}) {
    Http r = ToHttp(
        client_->Post("/_emulator/faults", bad.dump(), "application/json"));
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_TRUE(r.json.contains("error")) << r.body;
  }
  EXPECT_FALSE(emulator_->AddFault("{").ok());
  EXPECT_TRUE(emulator_->AddFault(R"({"path": "/x", "latency_ms": 1})").ok());
}

class FaultFlagTest : public EmulatorTest {
  void Configure(EmulatorOptions& o) override {
    o.faults = {
        R"({"method": "POST", "path": "/v2/media", "status": 503, "times": 1})"};
  }
};

TEST_F(FaultFlagTest, RulesFromOptionsApplyFromTheStart) {
  EXPECT_EQ(PostJson("/v2/media", {{"prompt", "x"}}, Vim()).status, 503);
  EXPECT_EQ(PostJson("/v2/media", {{"prompt", "x"}}, Vim()).status, 200);
}

TEST(EmulatorStartTest, BadFaultOptionFailsStart) {
  EmulatorOptions o = TestOptions();
  o.faults = {R"({"path": "/x"})"};
  Emulator e(o);
  EXPECT_FALSE(e.Start().ok());
}

TEST(EmulatorStartTest, StopClosesIdleKeepAliveConnectionsQuickly) {
  EmulatorOptions o = TestOptions();
  o.keep_alive_timeout_s = 30;
  Emulator e(o);
  absl::StatusOr<int> port = e.Start();
  ASSERT_TRUE(port.ok());
  httplib::Client c("127.0.0.1", *port);
  c.set_keep_alive(true);
  ASSERT_TRUE(c.Get("/_emulator/health"));
  const Clock::time_point start = Clock::now();
  e.Stop();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_FALSE(c.Get("/_emulator/health"));
}

TEST(EmulatorStartTest, StopDoesNotWaitForHeldCallsOrStreams) {
  EmulatorOptions o = TestOptions();
  o.time_scale = 1.0;  // a synchronous video would take 20 s
  Emulator e(o);
  absl::StatusOr<int> port = e.Start();
  ASSERT_TRUE(port.ok());
  ASSERT_TRUE(
      e.AddFault(R"({"path": "/v2/media/*", "drip_bytes_per_sec": 10})").ok());
  std::thread sync_call([&] {
    httplib::Client c("127.0.0.1", *port);
    c.Post("/v2/video/enhance", {{"X-Api-Key", kVimKey}},
           R"({"video_url": "https://e.com/v", "async_mode": false})",
           "application/json");
  });
  std::thread slow_read([&] {
    httplib::Client c("127.0.0.1", *port);
    c.Get("/v2/media/x", {{"X-Api-Key", kVimKey}});
  });
  // The synchronous call is held (logged, no status yet); the read has its
  // status and is dripping its body.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  bool held = false, dripping = false;
  while (Clock::now() < deadline && !(held && dripping)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (const json& r : e.Requests()) {
      held =
          held || (r["route"] == "POST /v2/video/enhance" && r["status"] == 0);
      dripping = dripping || (r["path"] == "/v2/media/x" && r["status"] == 404);
    }
  }
  ASSERT_TRUE(held && dripping);
  const Clock::time_point start = Clock::now();
  e.Stop();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  sync_call.join();
  slow_read.join();
}

TEST(EmulatorStartTest, TakenPortFailsStart) {
  Emulator first(TestOptions());
  absl::StatusOr<int> port = first.Start();
  ASSERT_TRUE(port.ok());
  EmulatorOptions o = TestOptions();
  o.port = *port;
  Emulator second(o);
  EXPECT_FALSE(second.Start().ok());
  EXPECT_FALSE(first.Start().ok()) << "a second Start() must fail";
}

class RoutingTest : public EmulatorTest {};

TEST_F(RoutingTest, UnknownPathsAre404AndWrongMethods405) {
  Http r = Get("/v3/nothing", Vim());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json, json({{"detail", "Not Found"}}));
  EXPECT_EQ(ToHttp(client_->Delete("/v2/media/x", Vim())).status, 405);
  EXPECT_EQ(Get("/v2/video/reframe", Vim()).status, 405);
  EXPECT_EQ(Get("/files/nope/x.wav").status, 404);
  EXPECT_EQ(Get("/_emulator/nothing").status, 404);
  json c = Control("GET", "/counters");
  EXPECT_EQ(c["requests"]["(no route)"]["by_status"]["404"], 1);
  EXPECT_EQ(c["requests"]["(no route)"]["by_status"]["405"], 2);
  EXPECT_EQ(c["requests"]["GET /files/{token}/{name}"]["by_status"]["404"], 1);
}

}  // namespace
}  // namespace mediagen::emulator
