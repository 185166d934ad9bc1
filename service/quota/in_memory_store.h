// InMemoryQuotaStore: QuotaStore counters in this process (one replica, or
// no Redis configured). Memory is bounded by the configuration: one entry
// per tenant that called, per tenant at most `concurrent_jobs` jobs (no
// jobs are kept for a tenant without that limit) and one spend entry per
// provider (three).
//
//   InMemoryQuotaStore store(&SystemClock());
//   absl::Status s = store.AdmitCall("acme", acme_limits);
#ifndef MEDIAGEN_SERVICE_QUOTA_IN_MEMORY_STORE_H_
#define MEDIAGEN_SERVICE_QUOTA_IN_MEMORY_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "service/common/clock.h"
#include "service/quota/quota_store.h"

namespace mediagen::quota {

class InMemoryQuotaStore : public QuotaStore {
 public:
  // `clock` must outlive the store.
  explicit InMemoryQuotaStore(const Clock* clock);
  ~InMemoryQuotaStore() override;

  absl::Status AdmitCall(const std::string& tenant,
                         const Limits& limits) override;
  // Answers before returning.
  void Reserve(Request request, ReserveDone done) override;
  void JobEnded(const std::string& tenant, const std::string& name) override;
  void JobsToCheck(absl::Duration quiet, JobsDone done) override;
  void GetUsage(const std::string& tenant, const Limits& limits,
                UsageDone done) override;

  // The same, answered directly (tests and benchmarks).
  absl::StatusOr<std::unique_ptr<Reservation>> ReserveNow(Request request);
  Usage UsageNow(const std::string& tenant, const Limits& limits);

  class State;

 private:
  // Shared with the reservations, which may outlive the store (a
  // completion running during shutdown).
  std::shared_ptr<State> state_;
};

}  // namespace mediagen::quota

#endif  // MEDIAGEN_SERVICE_QUOTA_IN_MEMORY_STORE_H_
