// ObservedQuotaStore: a QuotaStore that tells observers of every refusal
// (for `mediagen_quota_refusals_total{tenant, limit}`) and of every spend
// settled (for `mediagen_spent_total{tenant, provider, unit}`), and
// otherwise forwards to the store it wraps.
//
//   ObservedQuotaStore observed(&store, {
//       [&](absl::string_view tenant, absl::string_view limit) {
//         metrics.QuotaRefused(tenant, limit);  // limit: "requests_per_second"
//       },
//       [&](absl::string_view tenant, const Cost& spent) {
//         metrics.Spent(tenant, spent);
//       }});
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
  struct Observers {
    // `limit` is the refused limit's config key: `requests_per_second`,
    // `concurrent_jobs` or `budgets`.
    std::function<void(absl::string_view tenant, absl::string_view limit)>
        on_refusal;
    // A create's cost was settled: `spent` is what it cost (the amount
    // reported by upstream, or the estimate). Optional.
    std::function<void(absl::string_view tenant, const Cost& spent)> on_spend;
  };

  // `store` must outlive this.
  ObservedQuotaStore(QuotaStore* store, Observers observers);

  absl::Status AdmitCall(const std::string& tenant,
                         const Limits& limits) override;
  void Reserve(Request request, ReserveDone done) override;
  void JobEnded(const std::string& tenant, const std::string& name) override {
    store_->JobEnded(tenant, name);
  }
  void JobsToCheck(absl::Duration quiet, JobsDone done) override {
    store_->JobsToCheck(quiet, std::move(done));
  }
  void GetUsage(const std::string& tenant, const Limits& limits,
                UsageDone done) override {
    store_->GetUsage(tenant, limits, std::move(done));
  }

 private:
  QuotaStore* const store_;
  // Shared with the reservations, which may outlive this.
  const std::shared_ptr<const Observers> observers_;
};

}  // namespace mediagen::quota

#endif  // MEDIAGEN_SERVICE_QUOTA_OBSERVED_STORE_H_
