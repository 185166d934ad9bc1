#include "service/quota/observed_store.h"

#include <optional>
#include <utility>

#include "service/quota/refusals.h"

namespace mediagen::quota {
namespace {

absl::string_view LimitKey(const absl::Status& status) {
  const absl::string_view reason = RefusalReason(status);
  if (reason == kRateLimited) return "requests_per_second";
  if (reason == kConcurrentJobsExceeded) return "concurrent_jobs";
  if (reason == kBudgetExceeded) return "budgets";
  return "";
}

// Tells the spend observer what Settle spent.
class ObservedReservation : public Reservation {
 public:
  ObservedReservation(std::unique_ptr<Reservation> inner, std::string tenant,
                      std::optional<Cost> cost,
                      std::shared_ptr<const ObservedQuotaStore::Observers> obs)
      : inner_(std::move(inner)),
        tenant_(std::move(tenant)),
        cost_(std::move(cost)),
        observers_(std::move(obs)) {}

  void Settle(std::optional<double> actual) override {
    inner_->Settle(actual);
    if (!cost_.has_value()) return;
    Cost spent = *std::move(cost_);
    cost_.reset();
    if (actual.has_value()) spent.amount = *actual;
    if (observers_->on_spend && spent.amount > 0) {
      observers_->on_spend(tenant_, spent);
    }
  }
  void Hold(const std::string& name, Recorded recorded) override {
    inner_->Hold(name, std::move(recorded));
  }

 private:
  const std::unique_ptr<Reservation> inner_;
  const std::string tenant_;
  std::optional<Cost> cost_;  // until settled
  const std::shared_ptr<const ObservedQuotaStore::Observers> observers_;
};

}  // namespace

ObservedQuotaStore::ObservedQuotaStore(QuotaStore* store, Observers observers)
    : store_(store),
      observers_(std::make_shared<const Observers>(std::move(observers))) {}

absl::Status ObservedQuotaStore::AdmitCall(const std::string& tenant,
                                           const Limits& limits) {
  absl::Status status = store_->AdmitCall(tenant, limits);
  if (!status.ok() && observers_->on_refusal) {
    absl::string_view limit = LimitKey(status);
    if (!limit.empty()) observers_->on_refusal(tenant, limit);
  }
  return status;
}

void ObservedQuotaStore::Reserve(Request request, ReserveDone done) {
  std::string tenant = request.tenant;
  std::optional<Cost> cost = request.cost;
  store_->Reserve(std::move(request),
                  [tenant = std::move(tenant), cost = std::move(cost),
                   observers = observers_, done = std::move(done)](
                      absl::StatusOr<std::unique_ptr<Reservation>> r) mutable {
                    if (!r.ok()) {
                      absl::string_view limit = LimitKey(r.status());
                      if (!limit.empty() && observers->on_refusal) {
                        observers->on_refusal(tenant, limit);
                      }
                      std::move(done)(r.status());
                      return;
                    }
                    std::move(done)(std::unique_ptr<Reservation>(
                        std::make_unique<ObservedReservation>(
                            *std::move(r), std::move(tenant), std::move(cost),
                            std::move(observers))));
                  });
}

}  // namespace mediagen::quota
