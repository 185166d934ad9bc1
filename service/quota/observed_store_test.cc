#include "service/quota/observed_store.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/common/clock.h"
#include "service/quota/in_memory_store.h"
#include "service/quota/store_contract.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::quota {
namespace {

using ::mediagen::testing::IsOk;

// Observing changes nothing of what the store answers.
INSTANTIATE_TEST_SUITE_P(
    Observed, QuotaStoreContract,
    ::testing::Values(StoreFactory{
        "observed_in_memory",
        [](const Clock* clock) -> std::unique_ptr<QuotaStore> {
          class Owning : public ObservedQuotaStore {
           public:
            explicit Owning(std::unique_ptr<QuotaStore> inner)
                : ObservedQuotaStore(inner.get(), {}),
                  inner_(std::move(inner)) {}

           private:
            std::unique_ptr<QuotaStore> inner_;
          };
          return std::make_unique<Owning>(
              std::make_unique<InMemoryQuotaStore>(clock));
        }}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) {
      return info.param.name;
    });

TEST(ObservedQuotaStoreTest, ReportsEachRefusalWithItsTenantAndLimit) {
  FakeClock clock;
  InMemoryQuotaStore store(&clock);
  std::vector<std::string> seen;
  ObservedQuotaStore observed(
      &store, {[&](absl::string_view tenant, absl::string_view limit) {
                 seen.push_back(absl::StrCat(tenant, "/", limit));
               },
               nullptr});
  Limits limits = WithBudgets({{"vimmerse", 10, Period::kDay}});
  limits.requests_per_second = 1;
  limits.concurrent_jobs = 1;
  ASSERT_THAT(observed.AdmitCall("acme", limits), IsOk());
  EXPECT_FALSE(observed.AdmitCall("acme", limits).ok());
  QuotaStore::Request r{"acme", limits, true, std::nullopt};
  auto slot = ReserveAndWait(observed, r);
  ASSERT_THAT(slot, IsOk());
  (*slot)->Hold("media/m1");
  EXPECT_FALSE(ReserveAndWait(observed, r).ok());
  observed.JobEnded("acme", "media/m1");
  r.cost = Cost{"vimmerse", "credits", 11};
  EXPECT_FALSE(ReserveAndWait(observed, r).ok());
  EXPECT_EQ(seen,
            (std::vector<std::string>{"acme/requests_per_second",
                                      "acme/concurrent_jobs", "acme/budgets"}));
}

TEST(ObservedQuotaStoreTest, ReportsWhatEachSettledCreateSpent) {
  FakeClock clock;
  InMemoryQuotaStore store(&clock);
  std::vector<std::string> spent;
  ObservedQuotaStore observed(
      &store, {nullptr, [&](absl::string_view tenant, const Cost& c) {
                 spent.push_back(absl::StrCat(tenant, "/", c.provider, "/",
                                              c.unit, "=", c.amount));
               }});
  QuotaStore::Request r{"acme", Limits(), true,
                        Cost{"elevenlabs", "characters", 120}};
  {
    auto estimate_stands = ReserveAndWait(observed, r);
    (*estimate_stands)->Settle(std::nullopt);
    (*estimate_stands)->Settle(5);  // once only
  }
  { (*ReserveAndWait(observed, r))->Settle(100); }
  { auto released = ReserveAndWait(observed, r); }  // never settled
  EXPECT_EQ(spent,
            (std::vector<std::string>{"acme/elevenlabs/characters=120",
                                      "acme/elevenlabs/characters=100"}));
}

}  // namespace
}  // namespace mediagen::quota
