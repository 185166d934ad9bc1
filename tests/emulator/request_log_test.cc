#include "tests/emulator/request_log.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace mediagen::emulator {
namespace {

TEST(RedactTest, KeysAreReplacedAndTheSchemeKept) {
  EXPECT_EQ(RedactHeaderValue("X-Api-Key", "s3cret"), "[REDACTED]");
  EXPECT_EQ(RedactHeaderValue("xi-api-key", "s3cret"), "[REDACTED]");
  EXPECT_EQ(RedactHeaderValue("Authorization", "Bearer s3cret"),
            "Bearer [REDACTED]");
  EXPECT_EQ(RedactHeaderValue("authorization", "Basic s3cret"), "[REDACTED]");
  EXPECT_EQ(RedactHeaderValue("Content-Type", "application/json"),
            "application/json");
  std::multimap<std::string, std::string> h = {{"X-API-KEY", "a"},
                                               {"Accept", "b"}};
  auto r = RedactHeaders(h);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].second, "b");
  EXPECT_EQ(r[1].second, "[REDACTED]");
}

TEST(RequestLogTest, KeepsTheNewestEntriesAndFinishesBySeq) {
  RequestLog log(2, 100);
  LoggedRequest a;
  a.method = "GET";
  a.path = "/a";
  const uint64_t s1 = log.Add(a);
  a.path = "/b";
  const uint64_t s2 = log.Add(a);
  a.path = "/c";
  const uint64_t s3 = log.Add(a);
  EXPECT_LT(s1, s2);
  log.Finish(s1, 200, "x", "");  // dropped already: ignored
  log.Finish(s3, 404, "cust", "rules 1: status 404");
  nlohmann::json all = log.ToJson({});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["path"], "/b");
  EXPECT_EQ(all[0]["status"], 0);
  EXPECT_EQ(all[1]["status"], 404);
  EXPECT_EQ(all[1]["customer_id"], "cust");
  EXPECT_EQ(all[1]["fault"], "rules 1: status 404");
  RequestLog::Filter f;
  f.path_prefix = "/c";
  EXPECT_EQ(log.ToJson(f).size(), 1u);
  log.Clear();
  EXPECT_EQ(log.ToJson({}).size(), 0u);
  EXPECT_GT(log.Add(a), s3);  // sequence numbers never repeat
}

}  // namespace
}  // namespace mediagen::emulator
