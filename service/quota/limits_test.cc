#include "service/quota/limits.h"

#include "gtest/gtest.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::quota {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;
using json = nlohmann::json;

TEST(LimitsTest, ParsesEveryLimit) {
  absl::StatusOr<Limits> l =
      LimitsFromJson(json::parse(R"({"requests_per_second": 50, "burst": 100,
                     "concurrent_jobs": 20})"),
                     "tenants[0].limits");
  ASSERT_THAT(l, IsOk());
  EXPECT_EQ(l->requests_per_second, 50);
  EXPECT_EQ(l->burst, 100);
  EXPECT_EQ(l->concurrent_jobs, 20);
  EXPECT_EQ(DescribeRate(*l), "at most 50 requests per second (burst 100)");
  EXPECT_EQ(DescribeConcurrency(*l), "at most 20 jobs in flight");
}

TEST(LimitsTest, AbsentMeansUnlimitedAndBurstDefaultsToTheRate) {
  absl::StatusOr<Limits> none = LimitsFromJson(json::object(), "x");
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->requests_per_second.has_value());
  EXPECT_FALSE(none->concurrent_jobs.has_value());
  EXPECT_EQ(DescribeRate(*none), "");

  absl::StatusOr<Limits> rate =
      LimitsFromJson(json::parse(R"({"requests_per_second": 2.5})"), "x");
  ASSERT_THAT(rate, IsOk());
  EXPECT_EQ(EffectiveBurst(*rate), 3);
  absl::StatusOr<Limits> slow =
      LimitsFromJson(json::parse(R"({"requests_per_second": 0.1})"), "x");
  EXPECT_EQ(EffectiveBurst(*slow), 1);
}

TEST(LimitsTest, BadValuesAndUnknownKeysNameTheKey) {
  struct Case {
    const char* text;
    const char* key;
  } cases[] = {
      {R"({"requests_per_second": 0})", "t.limits.requests_per_second"},
      {R"({"requests_per_second": "50"})", "t.limits.requests_per_second"},
      {R"({"requests_per_second": 5, "burst": 0})", "t.limits.burst"},
      {R"({"requests_per_second": 5, "burst": 1.5})", "t.limits.burst"},
      {R"({"burst": 10})", "t.limits.burst"},
      {R"({"concurrent_jobs": -1})", "t.limits.concurrent_jobs"},
      {R"({"concurrent_job": 2})", "t.limits.concurrent_job"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Limits> l = LimitsFromJson(json::parse(c.text), "t.limits");
    EXPECT_THAT(l, StatusIs(absl::StatusCode::kInvalidArgument)) << c.text;
    EXPECT_NE(l.status().message().find(c.key), absl::string_view::npos)
        << l.status().message();
  }
  EXPECT_FALSE(LimitsFromJson(json::array(), "t.limits").ok());
}

}  // namespace
}  // namespace mediagen::quota
