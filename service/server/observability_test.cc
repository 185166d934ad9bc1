// The quota metrics of Observability as /metrics renders them: spend per
// tenant, provider and unit in whole units, and refusals per tenant and
// limit (the README's "Metrics" table names both).
#include "service/server/observability.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "service/quota/quota_store.h"
#include "service/telemetry/log.h"

namespace mediagen::server {
namespace {

class ObservabilityTest : public ::testing::Test {
 protected:
  bool Has(const std::string& line) {
    return absl::StrContains(obs_.metrics().Render(), line + "\n");
  }

  telemetry::Logger log_{telemetry::LogLevel::kError, [](absl::string_view) {}};
  Observability obs_{&log_};
};

TEST_F(ObservabilityTest, SpendIsCountedPerTenantProviderAndUnitInWholeUnits) {
  obs_.Spent("acme", quota::Cost{"vimmerse", "credits", 17.6});
  obs_.Spent("acme", quota::Cost{"vimmerse", "credits", 2});
  obs_.Spent("acme", quota::Cost{"elevenlabs", "characters", 120});
  obs_.Spent("globex", quota::Cost{"vimmerse", "credits", 5});
  obs_.Spent("globex", quota::Cost{"aimlapi", "credits", 0.3});  // rounds to 0
  EXPECT_TRUE(Has(
      R"(mediagen_spent_total{tenant="acme",provider="vimmerse",unit="credits"} 20)"));
  EXPECT_TRUE(Has(
      R"(mediagen_spent_total{tenant="acme",provider="elevenlabs",unit="characters"} 120)"));
  EXPECT_TRUE(Has(
      R"(mediagen_spent_total{tenant="globex",provider="vimmerse",unit="credits"} 5)"));
  EXPECT_FALSE(absl::StrContains(obs_.metrics().Render(), "aimlapi"));
}

TEST_F(ObservabilityTest, RefusalsAreCountedPerTenantAndLimit) {
  obs_.QuotaRefused("acme", "budgets");
  obs_.QuotaRefused("acme", "budgets");
  obs_.QuotaRefused("acme", "concurrent_jobs");
  EXPECT_TRUE(
      Has(R"(mediagen_quota_refusals_total{tenant="acme",limit="budgets"} 2)"));
  EXPECT_TRUE(Has(
      R"(mediagen_quota_refusals_total{tenant="acme",limit="concurrent_jobs"} 1)"));
}

}  // namespace
}  // namespace mediagen::server
