#include "service/quota/observed_store.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/common/clock.h"
#include "service/quota/in_memory_store.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::quota {
namespace {

using ::mediagen::testing::IsOk;

TEST(ObservedQuotaStoreTest, ReportsEachRefusalWithItsTenantAndLimit) {
  FakeClock clock;
  InMemoryQuotaStore store(&clock);
  std::vector<std::string> seen;
  ObservedQuotaStore observed(
      &store, [&](absl::string_view tenant, absl::string_view limit) {
        seen.push_back(std::string(tenant) + "/" + std::string(limit));
      });
  Limits limits;
  limits.requests_per_second = 1;
  limits.concurrent_jobs = 1;
  ASSERT_THAT(observed.AdmitCall("acme", limits), IsOk());
  EXPECT_FALSE(observed.AdmitCall("acme", limits).ok());
  auto slot = observed.ReserveJob("acme", limits);
  ASSERT_THAT(slot, IsOk());
  (*slot)->Hold("media/m1");
  EXPECT_EQ(observed.JobsInFlight("acme"), 1);
  EXPECT_FALSE(observed.ReserveJob("acme", limits).ok());
  observed.JobEnded("acme", "media/m1");
  EXPECT_THAT(observed.ReserveJob("acme", limits), IsOk());
  EXPECT_EQ(seen, (std::vector<std::string>{"acme/requests_per_second",
                                            "acme/concurrent_jobs"}));
}

}  // namespace
}  // namespace mediagen::quota
