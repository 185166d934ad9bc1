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

TEST(LimitsTest, ParsesBudgets) {
  absl::StatusOr<Limits> l = LimitsFromJson(json::parse(R"({"budgets": [
      {"provider": "vimmerse", "unit": "credits", "amount": 5000,
       "period": "day"},
      {"provider": "elevenlabs", "unit": "characters", "amount": 200000,
       "period": "month"},
      {"provider": "aimlapi", "unit": "credits", "amount": 100000,
       "period": "month"},
      {"provider": "vimmerse", "unit": "credits", "amount": 90000,
       "period": "month"}]})"),
                                            "t.limits");
  ASSERT_THAT(l, IsOk());
  ASSERT_EQ(l->budgets.size(), 4u);
  EXPECT_EQ(l->budgets[0], (Budget{"vimmerse", "credits", 5000, Period::kDay}));
  EXPECT_EQ(l->budgets[1],
            (Budget{"elevenlabs", "characters", 200000, Period::kMonth}));
  EXPECT_EQ(DescribeBudget(l->budgets[2]),
            "at most 100000 aimlapi credits per month");
}

TEST(LimitsTest, HasBudgetAtLooksAtEveryBudget) {
  Limits limits;
  EXPECT_FALSE(HasBudgetAt(limits, "vimmerse"));
  limits.budgets = {{"elevenlabs", "characters", 10, Period::kDay},
                    {"vimmerse", "credits", 5, Period::kMonth}};
  EXPECT_TRUE(HasBudgetAt(limits, "vimmerse"));
  EXPECT_TRUE(HasBudgetAt(limits, "elevenlabs"));
  EXPECT_FALSE(HasBudgetAt(limits, "aimlapi"));
}

TEST(LimitsTest, BadBudgetsNameTheBudgetAndKey) {
  struct Case {
    const char* budget;
    const char* key;
  } cases[] = {
      {R"({"provider": "openai", "unit": "credits", "amount": 1,
           "period": "day"})",
       "t.limits.budgets[0].provider"},
      {R"({"provider": "elevenlabs", "unit": "credits", "amount": 1,
           "period": "day"})",
       "t.limits.budgets[0].unit"},
      {R"({"provider": "vimmerse", "unit": "credits", "amount": -1,
           "period": "day"})",
       "t.limits.budgets[0].amount"},
      {R"({"provider": "vimmerse", "unit": "credits", "amount": 1,
           "period": "week"})",
       "t.limits.budgets[0].period"},
      {R"({"provider": "vimmerse", "unit": "credits", "period": "day"})",
       "t.limits.budgets[0].amount"},
      {R"({"provider": "vimmerse", "unit": "credits", "amount": 1,
           "period": "day", "limit": 2})",
       "t.limits.budgets[0].limit"},
  };
  for (const Case& c : cases) {
    json j = {{"budgets", json::array({json::parse(c.budget)})}};
    absl::StatusOr<Limits> l = LimitsFromJson(j, "t.limits");
    EXPECT_THAT(l, StatusIs(absl::StatusCode::kInvalidArgument)) << c.budget;
    EXPECT_NE(l.status().message().find(c.key), absl::string_view::npos)
        << l.status().message();
  }
  absl::StatusOr<Limits> twice = LimitsFromJson(json::parse(R"({"budgets": [
      {"provider": "vimmerse", "unit": "credits", "amount": 1, "period": "day"},
      {"provider": "vimmerse", "unit": "credits", "amount": 2, "period": "day"}
      ]})"),
                                                "t.limits");
  EXPECT_THAT(twice, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(twice.status().message().find("t.limits.budgets[1]"),
            absl::string_view::npos);
}

TEST(LimitsTest, PeriodsAreUtcCalendarDaysAndMonths) {
  // 2026-12-31 23:30 UTC.
  const absl::Time t = absl::FromUnixSeconds(1798759800);
  EXPECT_EQ(PeriodKey(Period::kDay, t), "2026-12-31");
  EXPECT_EQ(PeriodKey(Period::kMonth, t), "2026-12");
  EXPECT_EQ(PeriodEnd(Period::kDay, t) - t, absl::Minutes(30));
  EXPECT_EQ(PeriodEnd(Period::kMonth, t) - t, absl::Minutes(30));
  EXPECT_EQ(PeriodKey(Period::kMonth, PeriodEnd(Period::kMonth, t)), "2027-01");
  EXPECT_EQ(PeriodEnd(Period::kMonth, t) - PeriodStart(Period::kMonth, t),
            absl::Hours(31 * 24));
}

}  // namespace
}  // namespace mediagen::quota
