// The behaviour every QuotaStore owes its callers, as GoogleTest cases
// parameterized by a factory, so the in-memory store and the Redis store
// are held to the same contract:
//
//   INSTANTIATE_TEST_SUITE_P(
//       InMemory, QuotaStoreContract,
//       ::testing::Values(StoreFactory{"in_memory", [](const Clock* clock) {
//         return std::make_unique<InMemoryQuotaStore>(clock);
//       }}));
//
// The cases drive time with a FakeClock, so a store must read the time
// from the clock it is given.
#ifndef MEDIAGEN_SERVICE_QUOTA_STORE_CONTRACT_H_
#define MEDIAGEN_SERVICE_QUOTA_STORE_CONTRACT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "service/common/clock.h"
#include "service/quota/quota_store.h"

namespace mediagen::quota {

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<QuotaStore>(const Clock*)> make;
};

// Synchronous views of the asynchronous calls (they wait for `done`).
absl::StatusOr<std::unique_ptr<Reservation>> ReserveAndWait(
    QuotaStore& store, QuotaStore::Request request);
absl::StatusOr<Usage> UsageAndWait(QuotaStore& store, const std::string& tenant,
                                   const Limits& limits);
std::vector<JobRef> JobsToCheckAndWait(QuotaStore& store, absl::Duration quiet);
// Holds `name` and waits (at most 10 s) for the store to say it recorded
// it; false when it did not.
bool HoldAndWait(Reservation& reservation, const std::string& name);

// Budgets of one provider, e.g. Budgets({{"vimmerse", 100, Period::kDay}}).
struct BudgetSpec {
  std::string provider;
  double amount;
  Period period;
};
Limits WithBudgets(std::vector<BudgetSpec> budgets);

class QuotaStoreContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;

  // A create of `tenant` with `limits`, costing `cost` at `provider` (none
  // when nullopt).
  absl::StatusOr<std::unique_ptr<Reservation>> Create(
      const std::string& tenant, const Limits& limits,
      std::optional<double> cost = std::nullopt,
      const std::string& provider = "vimmerse");
  int64_t InFlight(const std::string& tenant);
  // The tenant's spend at `provider` (zeros when not reported).
  Spend SpendOf(const std::string& tenant, const Limits& limits,
                const std::string& provider = "vimmerse");

  FakeClock clock_;
  std::unique_ptr<QuotaStore> store_;
};

}  // namespace mediagen::quota

#endif  // MEDIAGEN_SERVICE_QUOTA_STORE_CONTRACT_H_
