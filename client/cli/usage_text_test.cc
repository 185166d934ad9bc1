#include "client/cli/usage_text.h"

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "mediagen/v1/usage.pb.h"

namespace mediagen::cli {
namespace {

int64_t Utc(int y, int m, int d) {
  return absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilDay(y, m, d), absl::UTCTimeZone()));
}

TEST(UsageTextTest, LimitsSpendAndBudgetsReadAsLines) {
  v1::GetUsageResponse u;
  u.set_tenant("acme");
  u.mutable_limits()->set_requests_per_second(50);
  u.mutable_limits()->set_burst(100);
  u.mutable_limits()->set_concurrent_jobs(2);
  u.set_jobs_in_flight(1);
  v1::ProviderUsage* el = u.add_providers();
  el->set_provider(v1::PROVIDER_ELEVENLABS);
  el->set_unit("characters");
  el->set_spent_day(120);
  el->set_spent_month(1200);
  v1::BudgetUsage* month = el->add_budgets();
  month->set_period(v1::BUDGET_PERIOD_MONTH);
  month->set_amount(200000);
  month->set_remaining(198800);
  month->mutable_reset_time()->set_seconds(Utc(2027, 1, 1));
  v1::ProviderUsage* vim = u.add_providers();
  vim->set_provider(v1::PROVIDER_VIMMERSE);
  vim->set_unit("credits");
  vim->set_spent_day(18.5);
  vim->set_spent_month(18.5);
  vim->set_reserved(30);
  v1::BudgetUsage* day = vim->add_budgets();
  day->set_period(v1::BUDGET_PERIOD_DAY);
  day->set_amount(100);
  day->set_remaining(51.5);
  day->mutable_reset_time()->set_seconds(Utc(2026, 12, 5));

  EXPECT_EQ(UsageText(u),
            "tenant acme\n"
            "rate            50 requests/s, burst 100\n"
            "jobs in flight  1 of at most 2\n"
            "elevenlabs      120 characters today, 1200 this month, "
            "0 reserved\n"
            "  month budget  200000 characters: 198800 left, resets "
            "2027-01-01 00:00 UTC\n"
            "vimmerse        18.5 credits today, 18.5 this month, "
            "30 reserved\n"
            "  day budget    100 credits: 51.5 left, resets "
            "2026-12-05 00:00 UTC\n");
  EXPECT_EQ(UsageMessageText(u), UsageText(u));
}

TEST(UsageTextTest, NoLimitsReadUnlimited) {
  v1::GetUsageResponse u;
  u.set_tenant("dev");
  EXPECT_EQ(UsageText(u),
            "tenant dev\n"
            "rate            unlimited\n"
            "jobs in flight  0 (unlimited)\n"
            "spend           none, no budgets\n");
}

TEST(UsageTextTest, AnotherMessageHasNoText) {
  v1::GetUsageRequest other;
  EXPECT_EQ(UsageMessageText(other), "");
}

}  // namespace
}  // namespace mediagen::cli
