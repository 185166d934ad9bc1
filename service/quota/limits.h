// Limits: what one tenant may make mediagen do, from the tenant's `limits`
// object in the config file. Every limit is optional; absent = unlimited.
//
//   "limits": {
//     "requests_per_second": 50, "burst": 100, "concurrent_jobs": 20,
//     "budgets": [
//       {"provider": "vimmerse", "unit": "credits", "amount": 5000,
//        "period": "day"},
//       {"provider": "elevenlabs", "unit": "characters", "amount": 200000,
//        "period": "month"}]
//   }
//
//   absl::StatusOr<Limits> limits = LimitsFromJson(j, "tenants[0].limits");
//   if (limits->concurrent_jobs) ...            // at most that many in flight
//   std::string d = DescribeRate(*limits);      // "at most 50 requests ..."
//   absl::Time end = PeriodEnd(Period::kDay, now);  // next UTC midnight
//
// Enforced by a QuotaStore (quota_store.h) before anything goes upstream.
#ifndef MEDIAGEN_SERVICE_QUOTA_LIMITS_H_
#define MEDIAGEN_SERVICE_QUOTA_LIMITS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace mediagen::quota {

// Budget periods are UTC calendar days and months.
enum class Period { kDay, kMonth };

// "day" / "month".
absl::string_view PeriodName(Period period);
// The period containing `t`: its first instant, and the first instant of
// the next one (when the budget resets).
absl::Time PeriodStart(Period period, absl::Time t);
absl::Time PeriodEnd(Period period, absl::Time t);
// "2026-12-04" (day) or "2026-12" (month): names the period containing `t`
// in keys of a shared store.
std::string PeriodKey(Period period, absl::Time t);

// What a tenant may spend at one provider, in that provider's unit, per
// period. The pairs are fixed by what each provider bills in:
// vimmerse/credits, elevenlabs/characters, aimlapi/credits.
struct Budget {
  std::string provider;
  std::string unit;
  double amount = 0;
  Period period = Period::kDay;

  bool operator==(const Budget& o) const {
    return provider == o.provider && unit == o.unit && amount == o.amount &&
           period == o.period;
  }
  bool operator!=(const Budget& o) const { return !(*this == o); }
};

// The unit `provider` bills in ("credits", "characters"), or "" for a
// provider mediagen does not know.
absl::string_view ProviderUnit(absl::string_view provider);

struct Limits {
  // A token bucket over every RPC of the tenant: refilled at this many
  // tokens a second, holding at most `burst` (default: the rate, at least
  // 1). A watch or a stream takes one token, when it opens.
  std::optional<double> requests_per_second;
  std::optional<int64_t> burst;
  // Jobs created through mediagen that have not reached a terminal state
  // (plus creates on their way upstream), at most.
  std::optional<int64_t> concurrent_jobs;
  // At most one per provider and period (a day and a month budget for the
  // same provider may both apply).
  std::vector<Budget> budgets;

  bool operator==(const Limits& o) const {
    return requests_per_second == o.requests_per_second && burst == o.burst &&
           concurrent_jobs == o.concurrent_jobs && budgets == o.budgets;
  }
  bool operator!=(const Limits& o) const { return !(*this == o); }
};

// The bucket size in effect: `burst`, or the rate rounded up (at least 1).
int64_t EffectiveBurst(const Limits& limits);

// Whether `limits` has a budget (day or month) at `provider`.
bool HasBudgetAt(const Limits& limits, absl::string_view provider);

// "at most 50 requests per second (burst 100)"; "" without a rate.
std::string DescribeRate(const Limits& limits);
// "at most 2 jobs in flight"; "" without a limit.
std::string DescribeConcurrency(const Limits& limits);
// "at most 5000 vimmerse credits per day"
std::string DescribeBudget(const Budget& budget);

// Parses a tenant's `limits` object; `where` names it in errors
// ("tenants[0].limits"). Unknown keys are errors; requests_per_second must
// be > 0, burst >= 1 (and needs a rate), concurrent_jobs >= 1; a budget
// needs a known provider, that provider's unit, an amount >= 0 and a
// period "day" or "month", and may not repeat a provider and period.
absl::StatusOr<Limits> LimitsFromJson(const nlohmann::json& j,
                                      absl::string_view where);

}  // namespace mediagen::quota

#endif  // MEDIAGEN_SERVICE_QUOTA_LIMITS_H_
