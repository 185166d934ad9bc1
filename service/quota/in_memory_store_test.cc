#include "service/quota/in_memory_store.h"

#include <memory>

#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "service/common/clock.h"
#include "service/quota/store_contract.h"

namespace mediagen::quota {
namespace {

INSTANTIATE_TEST_SUITE_P(
    InMemory, QuotaStoreContract,
    ::testing::Values(StoreFactory{
        "in_memory",
        [](const Clock* clock) -> std::unique_ptr<QuotaStore> {
          return std::make_unique<InMemoryQuotaStore>(clock);
        }}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) {
      return info.param.name;
    });

TEST(InMemoryQuotaStoreTest, ChangedLimitsApplyToTheExistingBucket) {
  FakeClock clock;
  InMemoryQuotaStore store(&clock);
  Limits slow;
  slow.requests_per_second = 1;
  slow.burst = 1;
  ASSERT_TRUE(store.AdmitCall("acme", slow).ok());
  ASSERT_FALSE(store.AdmitCall("acme", slow).ok());
  // Ten times the rate: the next token is due in 100 ms, not 1 s.
  Limits fast = slow;
  fast.requests_per_second = 10;
  absl::Status refused = store.AdmitCall("acme", fast);
  ASSERT_TRUE(rpc::RetryDelay(refused).has_value());
  EXPECT_EQ(*rpc::RetryDelay(refused), absl::Milliseconds(100));
}

}  // namespace
}  // namespace mediagen::quota
