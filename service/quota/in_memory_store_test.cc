#include "service/quota/in_memory_store.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "service/common/clock.h"
#include "service/quota/refusals.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::quota {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;

Limits Rate(double rps, int64_t burst) {
  Limits l;
  l.requests_per_second = rps;
  l.burst = burst;
  return l;
}

Limits Jobs(int64_t n) {
  Limits l;
  l.concurrent_jobs = n;
  return l;
}

TEST(InMemoryQuotaStoreTest, NoLimitsAdmitEverythingAndCountNothing) {
  FakeClock clock;
  InMemoryQuotaStore store(&clock);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_THAT(store.AdmitCall("acme", Limits()), IsOk());
    absl::StatusOr<std::unique_ptr<JobSlot>> slot =
        store.ReserveJob("acme", Limits());
    ASSERT_THAT(slot, IsOk());
    EXPECT_EQ(*slot, nullptr);
  }
  EXPECT_EQ(store.JobsInFlight("acme"), 0);
}

TEST(InMemoryQuotaStoreTest, RateRefusalCarriesQuotaFailureAndAWorkingDelay) {
  FakeClock clock;
  InMemoryQuotaStore store(&clock);
  const Limits limits = Rate(50, 100);
  for (int i = 0; i < 100; ++i)
    ASSERT_THAT(store.AdmitCall("acme", limits), IsOk());
  absl::Status refused = store.AdmitCall("acme", limits);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(RefusalReason(refused), kRateLimited);
  ASSERT_TRUE(rpc::GetQuotaFailure(refused).has_value());
  EXPECT_EQ(rpc::GetQuotaFailure(refused)->violations(0).subject(),
            "tenants/acme");
  EXPECT_EQ(rpc::GetQuotaFailure(refused)->violations(0).description(),
            "at most 50 requests per second (burst 100)");
  ASSERT_TRUE(rpc::RetryDelay(refused).has_value());
  clock.Advance(*rpc::RetryDelay(refused));
  EXPECT_THAT(store.AdmitCall("acme", limits), IsOk());
}

TEST(InMemoryQuotaStoreTest, TenantsHaveTheirOwnBuckets) {
  FakeClock clock;
  InMemoryQuotaStore store(&clock);
  const Limits limits = Rate(1, 2);
  ASSERT_THAT(store.AdmitCall("acme", limits), IsOk());
  ASSERT_THAT(store.AdmitCall("acme", limits), IsOk());
  ASSERT_FALSE(store.AdmitCall("acme", limits).ok());
  EXPECT_THAT(store.AdmitCall("globex", limits), IsOk());
  EXPECT_THAT(store.AdmitCall("globex", limits), IsOk());
}

TEST(InMemoryQuotaStoreTest, ChangedLimitsApplyToTheExistingBucket) {
  FakeClock clock;
  InMemoryQuotaStore store(&clock);
  ASSERT_THAT(store.AdmitCall("acme", Rate(1, 1)), IsOk());
  ASSERT_FALSE(store.AdmitCall("acme", Rate(1, 1)).ok());
  // Ten times the rate: the next token is due in 100 ms, not 1 s.
  absl::Status refused = store.AdmitCall("acme", Rate(10, 1));
  ASSERT_TRUE(rpc::RetryDelay(refused).has_value());
  EXPECT_EQ(*rpc::RetryDelay(refused), absl::Milliseconds(100));
}

TEST(InMemoryQuotaStoreTest, ThirdJobIsRefusedUntilOneEnds) {
  FakeClock clock;
  InMemoryQuotaStore store(&clock);
  const Limits limits = Jobs(2);
  auto a = store.ReserveJob("acme", limits);
  auto b = store.ReserveJob("acme", limits);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  (*a)->Hold("media/a");
  (*b)->Hold("media/b");
  a->reset();
  b->reset();  // held places outlive their slot objects
  EXPECT_EQ(store.JobsInFlight("acme"), 2);

  auto c = store.ReserveJob("acme", limits);
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(RefusalReason(c.status()), kConcurrentJobsExceeded);
  EXPECT_FALSE(rpc::RetryDelay(c.status()).has_value());
  EXPECT_EQ(rpc::GetQuotaFailure(c.status())->violations(0).description(),
            "at most 2 jobs in flight");
  EXPECT_EQ(c.status().message(),
            "tenant acme has 2 jobs in flight, its limit; nothing was sent "
            "upstream (retry when one has ended)");
  // Another tenant is not affected.
  EXPECT_THAT(store.ReserveJob("globex", limits), IsOk());

  store.JobEnded("acme", "media/unknown");
  EXPECT_FALSE(store.ReserveJob("acme", limits).ok());
  store.JobEnded("acme", "media/a");
  EXPECT_THAT(store.ReserveJob("acme", limits), IsOk());
}

TEST(InMemoryQuotaStoreTest, ReservationsCountAndAnUnheldSlotFreesItsPlace) {
  FakeClock clock;
  InMemoryQuotaStore store(&clock);
  const Limits limits = Jobs(1);
  auto first = store.ReserveJob("acme", limits);
  ASSERT_THAT(first, IsOk());
  // The first create is still on its way upstream: its place is taken.
  EXPECT_FALSE(store.ReserveJob("acme", limits).ok());
  first->reset();  // it failed: never held
  EXPECT_EQ(store.JobsInFlight("acme"), 0);
  EXPECT_THAT(store.ReserveJob("acme", limits), IsOk());
}

TEST(InMemoryQuotaStoreTest, HoldingAJobAlreadyHeldKeepsOnePlace) {
  FakeClock clock;
  InMemoryQuotaStore store(&clock);
  const Limits limits = Jobs(3);
  auto create = store.ReserveJob("acme", limits);
  (*create)->Hold("media/m1");
  auto update = store.ReserveJob("acme", limits);  // regenerates media/m1
  (*update)->Hold("media/m1");
  EXPECT_EQ(store.JobsInFlight("acme"), 1);
}

TEST(InMemoryQuotaStoreTest, QuietJobsAreOfferedForACheckOncePerInterval) {
  FakeClock clock;
  InMemoryQuotaStore store(&clock);
  auto slot = store.ReserveJob("acme", Jobs(5));
  (*slot)->Hold("assets/a1");
  EXPECT_TRUE(store.JobsToCheck(absl::Minutes(1)).empty());
  clock.Advance(absl::Minutes(1));
  std::vector<JobRef> due = store.JobsToCheck(absl::Minutes(1));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].tenant, "acme");
  EXPECT_EQ(due[0].name, "assets/a1");
  EXPECT_TRUE(store.JobsToCheck(absl::Minutes(1)).empty());
  clock.Advance(absl::Minutes(1));
  EXPECT_EQ(store.JobsToCheck(absl::Minutes(1)).size(), 1u);
  store.JobEnded("acme", "assets/a1");
  clock.Advance(absl::Minutes(1));
  EXPECT_TRUE(store.JobsToCheck(absl::Minutes(1)).empty());
}

}  // namespace
}  // namespace mediagen::quota
