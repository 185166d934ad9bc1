// QuotaStore: the counters behind each tenant's limits (limits.h), checked
// before anything is sent upstream. An interface so that counters shared by
// every replica (Redis) can replace the in-memory ones (InMemoryQuotaStore)
// without touching the handlers.
//
//   // Every RPC, once (a stream when it opens), after authentication:
//   if (absl::Status s = store.AdmitCall(tenant, limits); !s.ok()) return s;
//
//   // A create, after request_id deduplication and before upstream:
//   absl::StatusOr<std::unique_ptr<JobSlot>> slot =
//       store.ReserveJob(tenant, limits);
//   if (!slot.ok()) { lease->Release(slot.status()); return slot.status(); }
//   ... upstream answers media/m1, still running ...
//   (*slot)->Hold("media/m1");       // until JobEnded(tenant, "media/m1")
//   // (a slot destroyed without Hold frees itself: the create failed, or
//   // its job had ended already)
//
// Refusals are RESOURCE_EXHAUSTED with QuotaFailure, ErrorInfo and (when
// waiting helps) RetryInfo: see refusals.h.
#ifndef MEDIAGEN_SERVICE_QUOTA_QUOTA_STORE_H_
#define MEDIAGEN_SERVICE_QUOTA_QUOTA_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/quota/limits.h"

namespace mediagen::quota {

// One create's place among its tenant's jobs in flight.
class JobSlot {
 public:
  // Destroyed without Hold: the place is free again.
  virtual ~JobSlot() = default;
  // The create made job `name` (a resource name), which has not ended: the
  // place is held until the store hears that it has (JobEnded).
  virtual void Hold(const std::string& name) = 0;
};

struct JobRef {
  std::string tenant;
  std::string name;
};

class QuotaStore {
 public:
  virtual ~QuotaStore() = default;

  // Takes one token of the tenant's request rate. RESOURCE_EXHAUSTED
  // (TENANT_RATE_LIMITED, RetryInfo: when the next token is due) when there
  // is none. OK at once without a rate limit.
  virtual absl::Status AdmitCall(const std::string& tenant,
                                 const Limits& limits) = 0;

  // Reserves a place for a create among the tenant's jobs in flight.
  // RESOURCE_EXHAUSTED (TENANT_CONCURRENT_JOBS_EXCEEDED) when they are at
  // the limit. Without a limit nothing is counted and the slot is null.
  virtual absl::StatusOr<std::unique_ptr<JobSlot>> ReserveJob(
      const std::string& tenant, const Limits& limits) = 0;

  // Job `name` of `tenant` reached a terminal state (or is gone): its place
  // is free. Unknown jobs are ignored.
  virtual void JobEnded(const std::string& tenant, const std::string& name) = 0;

  // Held jobs nobody has reported on for `quiet` (since held, or since
  // last returned here): to read from upstream so that a job nobody
  // watches cannot hold its place forever. Each is returned at most once
  // per `quiet`.
  virtual std::vector<JobRef> JobsToCheck(absl::Duration quiet) = 0;

  // Jobs of `tenant` in flight (held and reserved).
  virtual int64_t JobsInFlight(const std::string& tenant) = 0;
};

}  // namespace mediagen::quota

#endif  // MEDIAGEN_SERVICE_QUOTA_QUOTA_STORE_H_
