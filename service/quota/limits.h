// Limits: what one tenant may make mediagen do, from the tenant's `limits`
// object in the config file. Every limit is optional; absent = unlimited.
//
//   "limits": {"requests_per_second": 50, "burst": 100, "concurrent_jobs": 20}
//
//   absl::StatusOr<Limits> limits = LimitsFromJson(j, "tenants[0].limits");
//   if (limits->concurrent_jobs) ...            // at most that many in flight
//   std::string d = DescribeRate(*limits);      // "at most 50 requests ..."
//
// Enforced by a QuotaStore (quota_store.h) before anything goes upstream.
#ifndef MEDIAGEN_SERVICE_QUOTA_LIMITS_H_
#define MEDIAGEN_SERVICE_QUOTA_LIMITS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace mediagen::quota {

struct Limits {
  // A token bucket over every RPC of the tenant: refilled at this many
  // tokens a second, holding at most `burst` (default: the rate, at least
  // 1). A watch or a stream takes one token, when it opens.
  std::optional<double> requests_per_second;
  std::optional<int64_t> burst;
  // Jobs created through mediagen that have not reached a terminal state
  // (plus creates on their way upstream), at most.
  std::optional<int64_t> concurrent_jobs;

  bool operator==(const Limits& o) const {
    return requests_per_second == o.requests_per_second && burst == o.burst &&
           concurrent_jobs == o.concurrent_jobs;
  }
  bool operator!=(const Limits& o) const { return !(*this == o); }
};

// The bucket size in effect: `burst`, or the rate rounded up (at least 1).
int64_t EffectiveBurst(const Limits& limits);

// "at most 50 requests per second (burst 100)"; "" without a rate.
std::string DescribeRate(const Limits& limits);
// "at most 2 jobs in flight"; "" without a limit.
std::string DescribeConcurrency(const Limits& limits);

// Parses a tenant's `limits` object; `where` names it in errors
// ("tenants[0].limits"). Unknown keys are errors; requests_per_second must
// be > 0, burst >= 1 (and needs a rate), concurrent_jobs >= 1.
absl::StatusOr<Limits> LimitsFromJson(const nlohmann::json& j,
                                      absl::string_view where);

}  // namespace mediagen::quota

#endif  // MEDIAGEN_SERVICE_QUOTA_LIMITS_H_
