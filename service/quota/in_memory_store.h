// InMemoryQuotaStore: QuotaStore counters in this process (one replica, or
// no Redis configured). Memory is bounded by the configuration: one entry
// per tenant that called, and per tenant at most `concurrent_jobs` jobs
// (no jobs are kept for a tenant without that limit).
//
//   InMemoryQuotaStore store(&SystemClock());
//   absl::Status s = store.AdmitCall("acme", acme_limits);
#ifndef MEDIAGEN_SERVICE_QUOTA_IN_MEMORY_STORE_H_
#define MEDIAGEN_SERVICE_QUOTA_IN_MEMORY_STORE_H_

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
  absl::StatusOr<std::unique_ptr<JobSlot>> ReserveJob(
      const std::string& tenant, const Limits& limits) override;
  void JobEnded(const std::string& tenant, const std::string& name) override;
  std::vector<JobRef> JobsToCheck(absl::Duration quiet) override;
  int64_t JobsInFlight(const std::string& tenant) override;

  class State;

 private:
  // Shared with the slots, which may outlive the store (a completion
  // running during shutdown).
  std::shared_ptr<State> state_;
};

}  // namespace mediagen::quota

#endif  // MEDIAGEN_SERVICE_QUOTA_IN_MEMORY_STORE_H_
