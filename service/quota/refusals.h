// The statuses a tenant's own limits answer with. They are RESOURCE_EXHAUSTED
// like upstream's 429, but carry google.rpc.QuotaFailure (subject
// `tenants/{name}`) and an ErrorInfo of domain `mediagen` with their own
// reasons, so callers and dashboards tell them from the provider's limits.
//
//   absl::Status s = RateLimited("acme", limits, absl::Milliseconds(20));
//   // RESOURCE_EXHAUSTED, reason TENANT_RATE_LIMITED, RetryInfo 20 ms
#ifndef MEDIAGEN_SERVICE_QUOTA_REFUSALS_H_
#define MEDIAGEN_SERVICE_QUOTA_REFUSALS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/quota/limits.h"

namespace mediagen::quota {

inline constexpr absl::string_view kRateLimited = "TENANT_RATE_LIMITED";
inline constexpr absl::string_view kConcurrentJobsExceeded =
    "TENANT_CONCURRENT_JOBS_EXCEEDED";
inline constexpr absl::string_view kBudgetExceeded = "TENANT_BUDGET_EXCEEDED";
inline constexpr absl::string_view kStoreUnavailable =
    "QUOTA_STORE_UNAVAILABLE";

// Over the request rate; a token is due in `wait`.
absl::Status RateLimited(absl::string_view tenant, const Limits& limits,
                         absl::Duration wait);
// `in_flight` jobs of the tenant have not ended. No RetryInfo: nobody knows
// when one will.
absl::Status ConcurrentJobsExceeded(absl::string_view tenant,
                                    const Limits& limits, int64_t in_flight);

// A create estimated at `cost` would take `budget` over its amount:
// `committed` (spent this period plus reserved) is already taken. RetryInfo:
// `wait`, until the period resets.
absl::Status BudgetExceeded(absl::string_view tenant, const Budget& budget,
                            double committed, double cost, absl::Duration wait);

// UNAVAILABLE (ErrorInfo QUOTA_STORE_UNAVAILABLE): the shared quota store
// (Redis) cannot be reached, so a create whose limits need it is not sent.
// Not a tenant's refusal: RefusalReason says "".
absl::Status StoreUnavailable(absl::string_view detail);

// The refused limit's ErrorInfo reason, or "" for any other status.
absl::string_view RefusalReason(const absl::Status& status);

}  // namespace mediagen::quota

#endif  // MEDIAGEN_SERVICE_QUOTA_REFUSALS_H_
