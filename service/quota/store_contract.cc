#include "service/quota/store_contract.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "proto/rpc/error_details.h"
#include "service/common/mutex.h"
#include "service/quota/refusals.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::quota {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;

namespace {

// One asynchronous answer, waited for. Not absl::Notification: Debian's
// Abseil is not built with ThreadSanitizer, which would then report the
// hand-off from a store's I/O thread as a race (mutex.h says more).
template <typename T>
class Answer {
 public:
  void Set(T value) {
    MutexLock lock(&mu_);
    value_.emplace(std::move(value));
    cv_.SignalAll();
  }
  T Wait() {
    MutexLock lock(&mu_);
    while (!value_.has_value()) cv_.Wait(&mu_);
    return *std::move(value_);
  }
  // Nothing when no answer came within `timeout`.
  std::optional<T> WaitFor(absl::Duration timeout) {
    const absl::Time until = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (!value_.has_value() && cv_.WaitUntil(&mu_, until)) {
    }
    return std::move(value_);
  }

 private:
  Mutex mu_;
  CondVar cv_;
  std::optional<T> value_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<Reservation>> ReserveAndWait(
    QuotaStore& store, QuotaStore::Request request) {
  Answer<absl::StatusOr<std::unique_ptr<Reservation>>> answer;
  store.Reserve(std::move(request),
                [&](absl::StatusOr<std::unique_ptr<Reservation>> r) {
                  answer.Set(std::move(r));
                });
  return answer.Wait();
}

absl::StatusOr<Usage> UsageAndWait(QuotaStore& store, const std::string& tenant,
                                   const Limits& limits) {
  Answer<absl::StatusOr<Usage>> answer;
  store.GetUsage(tenant, limits,
                 [&](absl::StatusOr<Usage> u) { answer.Set(std::move(u)); });
  return answer.Wait();
}

std::vector<JobRef> JobsToCheckAndWait(QuotaStore& store,
                                       absl::Duration quiet) {
  Answer<std::vector<JobRef>> answer;
  store.JobsToCheck(
      quiet, [&](std::vector<JobRef> jobs) { answer.Set(std::move(jobs)); });
  return answer.Wait();
}

bool HoldAndWait(Reservation& reservation, const std::string& name) {
  auto answer = std::make_shared<Answer<bool>>();
  reservation.Hold(name, [answer] { answer->Set(true); });
  return answer->WaitFor(absl::Seconds(10)).has_value();
}

Limits WithBudgets(std::vector<BudgetSpec> budgets) {
  Limits l;
  for (BudgetSpec& b : budgets) {
    l.budgets.push_back({b.provider, std::string(ProviderUnit(b.provider)),
                         b.amount, b.period});
  }
  return l;
}

void QuotaStoreContract::SetUp() {
  // 2026-12-04 12:00 UTC: periods end at midnight and on January 1st.
  clock_.Set(absl::FromUnixSeconds(1796385600));
  store_ = GetParam().make(&clock_);
}

absl::StatusOr<std::unique_ptr<Reservation>> QuotaStoreContract::Create(
    const std::string& tenant, const Limits& limits, std::optional<double> cost,
    const std::string& provider) {
  QuotaStore::Request r;
  r.tenant = tenant;
  r.limits = limits;
  if (cost.has_value()) {
    r.cost = Cost{provider, std::string(ProviderUnit(provider)), *cost};
  }
  return ReserveAndWait(*store_, std::move(r));
}

int64_t QuotaStoreContract::InFlight(const std::string& tenant) {
  absl::StatusOr<Usage> u = UsageAndWait(*store_, tenant, Limits());
  EXPECT_THAT(u, IsOk());
  return u.ok() ? u->jobs_in_flight : -1;
}

Spend QuotaStoreContract::SpendOf(const std::string& tenant,
                                  const Limits& limits,
                                  const std::string& provider) {
  absl::StatusOr<Usage> u = UsageAndWait(*store_, tenant, limits);
  EXPECT_THAT(u, IsOk());
  if (u.ok()) {
    for (const Spend& s : u->spend) {
      if (s.provider == provider) return s;
    }
  }
  return Spend{provider, std::string(ProviderUnit(provider))};
}

namespace {

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

TEST_P(QuotaStoreContract, NoLimitsAdmitEverythingAndCountNothing) {
  for (int i = 0; i < 200; ++i) {
    ASSERT_THAT(store_->AdmitCall("acme", Limits()), IsOk());
    auto r = Create("acme", Limits());
    ASSERT_THAT(r, IsOk());
    ASSERT_NE(*r, nullptr);
    (*r)->Hold("media/m" + std::to_string(i));
  }
  EXPECT_EQ(InFlight("acme"), 0);
}

TEST_P(QuotaStoreContract, RateRefusalCarriesQuotaFailureAndAWorkingDelay) {
  const Limits limits = Rate(50, 100);
  for (int i = 0; i < 100; ++i) {
    ASSERT_THAT(store_->AdmitCall("acme", limits), IsOk());
  }
  absl::Status refused = store_->AdmitCall("acme", limits);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(RefusalReason(refused), kRateLimited);
  ASSERT_TRUE(rpc::GetQuotaFailure(refused).has_value());
  EXPECT_EQ(rpc::GetQuotaFailure(refused)->violations(0).subject(),
            "tenants/acme");
  EXPECT_EQ(rpc::GetQuotaFailure(refused)->violations(0).description(),
            "at most 50 requests per second (burst 100)");
  ASSERT_TRUE(rpc::RetryDelay(refused).has_value());
  clock_.Advance(*rpc::RetryDelay(refused));
  EXPECT_THAT(store_->AdmitCall("acme", limits), IsOk());
}

TEST_P(QuotaStoreContract, TenantsHaveTheirOwnBuckets) {
  const Limits limits = Rate(1, 2);
  ASSERT_THAT(store_->AdmitCall("acme", limits), IsOk());
  ASSERT_THAT(store_->AdmitCall("acme", limits), IsOk());
  ASSERT_FALSE(store_->AdmitCall("acme", limits).ok());
  EXPECT_THAT(store_->AdmitCall("globex", limits), IsOk());
  EXPECT_THAT(store_->AdmitCall("globex", limits), IsOk());
}

TEST_P(QuotaStoreContract, ThirdJobIsRefusedUntilOneEnds) {
  const Limits limits = Jobs(2);
  auto a = Create("acme", limits);
  auto b = Create("acme", limits);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  (*a)->Hold("media/a");
  (*b)->Hold("media/b");
  a->reset();
  b->reset();  // held places outlive their reservations
  EXPECT_EQ(InFlight("acme"), 2);

  auto c = Create("acme", limits);
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(RefusalReason(c.status()), kConcurrentJobsExceeded);
  EXPECT_FALSE(rpc::RetryDelay(c.status()).has_value());
  EXPECT_EQ(rpc::GetQuotaFailure(c.status())->violations(0).description(),
            "at most 2 jobs in flight");
  EXPECT_EQ(c.status().message(),
            "tenant acme has 2 jobs in flight, its limit; nothing was sent "
            "upstream (retry when one has ended)");
  // Another tenant is not affected.
  EXPECT_THAT(Create("globex", limits), IsOk());

  store_->JobEnded("acme", "media/unknown");
  EXPECT_FALSE(Create("acme", limits).ok());
  store_->JobEnded("acme", "media/a");
  EXPECT_THAT(Create("acme", limits), IsOk());
}

TEST_P(QuotaStoreContract, ReservationsCountAndAnUnheldOneFreesItsPlace) {
  const Limits limits = Jobs(1);
  auto first = Create("acme", limits);
  ASSERT_THAT(first, IsOk());
  // The first create is still on its way upstream: its place is taken.
  EXPECT_FALSE(Create("acme", limits).ok());
  first->reset();  // it failed: never held
  EXPECT_EQ(InFlight("acme"), 0);
  EXPECT_THAT(Create("acme", limits), IsOk());
}

TEST_P(QuotaStoreContract, HoldSaysWhenThePlaceIsRecorded) {
  auto r = Create("acme", Jobs(1));
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(HoldAndWait(**r, "media/m1"));
  r->reset();
  EXPECT_EQ(InFlight("acme"), 1);
  // Without a place to hold (no concurrent_jobs limit) it answers too.
  auto unlimited = Create("acme", Limits());
  ASSERT_THAT(unlimited, IsOk());
  EXPECT_TRUE(HoldAndWait(**unlimited, "media/m2"));
  EXPECT_EQ(InFlight("acme"), 1);
}

TEST_P(QuotaStoreContract, HoldingAJobAlreadyHeldKeepsOnePlace) {
  const Limits limits = Jobs(3);
  auto create = Create("acme", limits);
  (*create)->Hold("media/m1");
  auto update = Create("acme", limits);  // regenerates media/m1
  (*update)->Hold("media/m1");
  EXPECT_EQ(InFlight("acme"), 1);
}

TEST_P(QuotaStoreContract, QuietJobsAreOfferedForACheckOncePerInterval) {
  auto r = Create("acme", Jobs(5));
  (*r)->Hold("assets/a1");
  EXPECT_TRUE(JobsToCheckAndWait(*store_, absl::Minutes(1)).empty());
  clock_.Advance(absl::Minutes(1));
  std::vector<JobRef> due = JobsToCheckAndWait(*store_, absl::Minutes(1));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].tenant, "acme");
  EXPECT_EQ(due[0].name, "assets/a1");
  EXPECT_TRUE(JobsToCheckAndWait(*store_, absl::Minutes(1)).empty());
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(JobsToCheckAndWait(*store_, absl::Minutes(1)).size(), 1u);
  store_->JobEnded("acme", "assets/a1");
  clock_.Advance(absl::Minutes(1));
  EXPECT_TRUE(JobsToCheckAndWait(*store_, absl::Minutes(1)).empty());
}

TEST_P(QuotaStoreContract, BudgetAcceptsUntilTheNextCreateWouldExceedIt) {
  const Limits limits = WithBudgets({{"vimmerse", 100, Period::kDay}});
  for (int i = 0; i < 5; ++i) {
    auto r = Create("acme", limits, 20);
    ASSERT_THAT(r, IsOk()) << i;
    (*r)->Settle(std::nullopt);  // the estimate stands
  }
  auto refused = Create("acme", limits, 20);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(RefusalReason(refused.status()), kBudgetExceeded);
  ASSERT_TRUE(rpc::GetQuotaFailure(refused.status()).has_value());
  EXPECT_EQ(rpc::GetQuotaFailure(refused.status())->violations(0).subject(),
            "tenants/acme");
  EXPECT_EQ(rpc::GetQuotaFailure(refused.status())->violations(0).description(),
            "at most 100 vimmerse credits per day");
  // RetryInfo: the budget resets at the next UTC midnight, 12 h away.
  ASSERT_TRUE(rpc::RetryDelay(refused.status()).has_value());
  EXPECT_EQ(*rpc::RetryDelay(refused.status()), absl::Hours(12));
  // A free call (an upload) still passes; so does another provider.
  EXPECT_THAT(Create("acme", limits, 0), IsOk());
  EXPECT_THAT(Create("acme", limits, 50, "aimlapi"), IsOk());
  EXPECT_EQ(SpendOf("acme", limits).spent_day, 100);

  clock_.Advance(*rpc::RetryDelay(refused.status()));
  EXPECT_THAT(Create("acme", limits, 20), IsOk());
  EXPECT_EQ(SpendOf("acme", limits).spent_day, 0);
  EXPECT_EQ(SpendOf("acme", limits).spent_month, 100);
}

TEST_P(QuotaStoreContract, ReservedCostsCountUntilSettledOrReleased) {
  const Limits limits = WithBudgets({{"vimmerse", 50, Period::kMonth}});
  auto a = Create("acme", limits, 30);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(SpendOf("acme", limits).reserved, 30);
  // 30 reserved + 30 > 50: refused while the first is on its way.
  EXPECT_FALSE(Create("acme", limits, 30).ok());
  a->reset();  // refused upstream with a 4xx: nothing was spent
  EXPECT_EQ(SpendOf("acme", limits).reserved, 0);
  EXPECT_EQ(SpendOf("acme", limits).spent_month, 0);
  auto b = Create("acme", limits, 30);
  ASSERT_THAT(b, IsOk());
  (*b)->Settle(12);  // upstream reported fewer credits than estimated
  b->reset();
  const Spend s = SpendOf("acme", limits);
  EXPECT_EQ(s.reserved, 0);
  EXPECT_EQ(s.spent_month, 12);
  EXPECT_EQ(s.spent_day, 12);
  // The difference is free again: 12 + 38 fits.
  EXPECT_THAT(Create("acme", limits, 38), IsOk());
}

TEST_P(QuotaStoreContract, DayAndMonthBudgetsBothApply) {
  const Limits limits = WithBudgets(
      {{"elevenlabs", 100, Period::kDay}, {"elevenlabs", 150, Period::kMonth}});
  auto a = Create("acme", limits, 90, "elevenlabs");
  (*a)->Settle(std::nullopt);
  EXPECT_EQ(RefusalReason(Create("acme", limits, 20, "elevenlabs").status()),
            kBudgetExceeded);       // the day's
  clock_.Advance(absl::Hours(12));  // the next day
  auto b = Create("acme", limits, 60, "elevenlabs");
  ASSERT_THAT(b, IsOk());
  (*b)->Settle(std::nullopt);
  auto refused = Create("acme", limits, 1, "elevenlabs");  // the month's
  ASSERT_EQ(RefusalReason(refused.status()), kBudgetExceeded);
  EXPECT_EQ(rpc::GetQuotaFailure(refused.status())->violations(0).description(),
            "at most 150 elevenlabs characters per month");
  // 2026-12-05 00:00 -> 2027-01-01 00:00.
  EXPECT_EQ(*rpc::RetryDelay(refused.status()), absl::Hours(27 * 24));
}

TEST_P(QuotaStoreContract, RefusedBudgetTakesNoPlace) {
  Limits limits = WithBudgets({{"vimmerse", 10, Period::kDay}});
  limits.concurrent_jobs = 1;
  EXPECT_EQ(RefusalReason(Create("acme", limits, 20).status()),
            kBudgetExceeded);
  EXPECT_EQ(InFlight("acme"), 0);
  EXPECT_THAT(Create("acme", limits, 10), IsOk());
}

TEST_P(QuotaStoreContract, UsageIsPerTenant) {
  const Limits limits = WithBudgets({{"vimmerse", 100, Period::kDay}});
  auto a = Create("acme", limits, 40);
  (*a)->Settle(std::nullopt);
  EXPECT_EQ(SpendOf("acme", limits).spent_day, 40);
  EXPECT_EQ(SpendOf("globex", limits).spent_day, 0);
  // A tenant without budgets still sees what it spent this month.
  auto g = Create("globex", Limits(), 0, "aimlapi");
  (*g)->Settle(7);
  EXPECT_EQ(SpendOf("globex", Limits(), "aimlapi").spent_month, 7);
  EXPECT_EQ(SpendOf("acme", Limits(), "aimlapi").spent_month, 0);
}

}  // namespace
}  // namespace mediagen::quota
