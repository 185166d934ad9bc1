#include "tests/emulator/faults.h"

#include "gtest/gtest.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;

FaultRule Rule(const char* text) {
  absl::StatusOr<FaultRule> r = ParseFaultRule(json::parse(text));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : FaultRule{};
}

TEST(GlobTest, StarAndQuestionMark) {
  EXPECT_TRUE(GlobMatch("/v2/media", "/v2/media"));
  EXPECT_FALSE(GlobMatch("/v2/media", "/v2/media/1"));
  EXPECT_TRUE(GlobMatch("/v2/media*", "/v2/media/1"));
  EXPECT_TRUE(GlobMatch("/v1/text-to-speech/*/stream",
                        "/v1/text-to-speech/abc/stream"));
  EXPECT_FALSE(
      GlobMatch("/v1/text-to-speech/*/stream", "/v1/text-to-speech/abc"));
  EXPECT_TRUE(GlobMatch("*", "/anything"));
  EXPECT_TRUE(GlobMatch("/asset/?", "/asset/a"));
  EXPECT_FALSE(GlobMatch("/asset/?", "/asset/ab"));
  EXPECT_TRUE(GlobMatch("*/audio", "/v2/generate/audio"));
}

TEST(ParseFaultRuleTest, RejectsBadRules) {
  EXPECT_FALSE(ParseFaultRule(json::parse(R"({"path": "/x"})")).ok());
  EXPECT_FALSE(ParseFaultRule(json::parse(R"({"status": 500})")).ok());
  EXPECT_FALSE(
      ParseFaultRule(json::parse(R"({"path": "/x", "status": 99})")).ok());
  EXPECT_FALSE(
      ParseFaultRule(json::parse(R"({"path": "/x", "latency_ms": -1})")).ok());
  EXPECT_FALSE(
      ParseFaultRule(json::parse(R"({"path": "/x", "drip_bytes_per_sec": 0})"))
          .ok());
  EXPECT_FALSE(
      ParseFaultRule(json::parse(R"({"path": "/x", "status": 500, "x": 1})"))
          .ok());
  EXPECT_FALSE(ParseFaultRule(json::parse(R"([1])")).ok());
  EXPECT_FALSE(
      ParseFaultRule(json::parse(R"({"path": "/x", "content_type": ""})")).ok());
  EXPECT_FALSE(
      ParseFaultRule(json::parse(R"({"path": "/x", "oversize_bytes": 0})")).ok());
  FaultRule ct = Rule(R"({"path": "/x", "content_type": "text/html",
                          "oversize_bytes": 100})");
  EXPECT_EQ(ct.content_type, "text/html");
  EXPECT_EQ(ct.oversize_bytes, 100);
  EXPECT_EQ(FaultRuleToJson(ct)["oversize_bytes"], 100);
  FaultRule r =
      Rule(R"({"method": "post", "path": "/x", "status": 503, "times": 2,
                         "headers": {"Retry-After": "1"}})");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.times, 2);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(FaultRuleToJson(r)["headers"]["Retry-After"], "1");
}

TEST(FaultsTest, TimesSkipAndMethodDecideWhatFires) {
  Faults f;
  f.Add(Rule(
      R"({"method": "GET", "path": "/a/*", "status": 500, "times": 1, "skip": 1})"));
  EXPECT_EQ(f.Match("POST", "/a/1").status, 0);
  EXPECT_EQ(f.Match("GET", "/a/1").status, 0);    // skipped
  EXPECT_EQ(f.Match("GET", "/a/1").status, 500);  // fires
  EXPECT_EQ(f.Match("GET", "/a/1").status, 0);    // used up
  json listed = f.ToJson();
  EXPECT_EQ(listed[0]["hits"], 1);
  EXPECT_EQ(listed[0]["times"], 0);
}

TEST(FaultsTest, EffectsOfSeveralRulesCombineFirstWins) {
  Faults f;
  f.Add(Rule(R"({"path": "/a", "latency_ms": 10})"));
  f.Add(Rule(R"({"path": "/a", "status": 502, "latency_ms": 5})"));
  f.Add(Rule(R"({"path": "/a", "status": 503, "malformed_json": true})"));
  FaultEffects fx = f.Match("GET", "/a");
  EXPECT_EQ(fx.latency_ms, 15);
  EXPECT_EQ(fx.status, 502);
  EXPECT_TRUE(fx.malformed_json);
  EXPECT_EQ(fx.fired.size(), 3u);
  EXPECT_NE(fx.Describe().find("status 502"), std::string::npos);

  f.Add(Rule(R"({"path": "/b", "content_type": "text/html"})"));
  f.Add(Rule(R"({"path": "/b", "content_type": "a/b", "oversize_bytes": 9})"));
  FaultEffects b = f.Match("GET", "/b");
  EXPECT_EQ(b.content_type, "text/html");
  EXPECT_EQ(b.oversize_bytes, 9);
  EXPECT_TRUE(b.BodyEffects());
  EXPECT_NE(b.Describe().find("content type text/html"), std::string::npos);
}

TEST(FaultsTest, ConcurrencyLimitCountsRequestsInFlight) {
  Faults f;
  f.Add(Rule(R"({"path": "/a", "concurrency_limit": 2})"));
  FaultEffects one = f.Match("GET", "/a");
  FaultEffects two = f.Match("GET", "/a");
  EXPECT_FALSE(one.concurrency_rejected);
  EXPECT_FALSE(two.concurrency_rejected);
  FaultEffects three = f.Match("GET", "/a");
  EXPECT_TRUE(three.concurrency_rejected);
  EXPECT_EQ(three.concurrency_current, 2);
  EXPECT_EQ(three.concurrency_limit, 2);
  f.Release(three);  // a rejected request holds nothing
  f.Release(one);
  FaultEffects four = f.Match("GET", "/a");
  EXPECT_FALSE(four.concurrency_rejected);
  EXPECT_EQ(f.ToJson()[0]["in_flight"], 2);
}

TEST(FaultsTest, RemoveAndClear) {
  Faults f;
  const int a = f.Add(Rule(R"({"path": "/a", "status": 500})"));
  f.Add(Rule(R"({"path": "/b", "status": 500})"));
  EXPECT_TRUE(f.Remove(a));
  EXPECT_FALSE(f.Remove(a));
  EXPECT_EQ(f.Match("GET", "/a").status, 0);
  EXPECT_EQ(f.Match("GET", "/b").status, 500);
  f.Clear();
  EXPECT_EQ(f.Match("GET", "/b").status, 0);
}

}  // namespace
}  // namespace mediagen::emulator
