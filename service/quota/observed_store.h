// ObservedQuotaStore: a QuotaStore that tells an observer of every refusal
// (for the `mediagen_quota_refusals_total{tenant, limit}` counter) and
// otherwise forwards to the store it wraps.
//
//   ObservedQuotaStore observed(&store, [&](absl::string_view tenant,
//                                           absl::string_view limit) {
//     metrics.QuotaRefused(tenant, limit);   // limit: "requests_per_second"
//   });
#ifndef MEDIAGEN_SERVICE_QUOTA_OBSERVED_STORE_H_
#define MEDIAGEN_SERVICE_QUOTA_OBSERVED_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "service/quota/quota_store.h"

namespace mediagen::quota {

class ObservedQuotaStore : public QuotaStore {
 public:
  // `limit` is the refused limit's config key: `requests_per_second` or
  // `concurrent_jobs`.
  using RefusalObserver =
      std::function<void(absl::string_view tenant, absl::string_view limit)>;

  // `store` must outlive this.
  ObservedQuotaStore(QuotaStore* store, RefusalObserver on_refusal)
      : store_(store), on_refusal_(std::move(on_refusal)) {}

  absl::Status AdmitCall(const std::string& tenant,
                         const Limits& limits) override;
  absl::StatusOr<std::unique_ptr<JobSlot>> ReserveJob(
      const std::string& tenant, const Limits& limits) override;
  void JobEnded(const std::string& tenant, const std::string& name) override {
    store_->JobEnded(tenant, name);
  }
  std::vector<JobRef> JobsToCheck(absl::Duration quiet) override {
    return store_->JobsToCheck(quiet);
  }
  int64_t JobsInFlight(const std::string& tenant) override {
    return store_->JobsInFlight(tenant);
  }

 private:
  QuotaStore* const store_;
  const RefusalObserver on_refusal_;
};

}  // namespace mediagen::quota

#endif  // MEDIAGEN_SERVICE_QUOTA_OBSERVED_STORE_H_
