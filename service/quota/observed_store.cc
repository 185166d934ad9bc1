#include "service/quota/observed_store.h"

#include <utility>

namespace mediagen::quota {

absl::Status ObservedQuotaStore::AdmitCall(const std::string& tenant,
                                           const Limits& limits) {
  absl::Status status = store_->AdmitCall(tenant, limits);
  if (!status.ok()) on_refusal_(tenant, "requests_per_second");
  return status;
}

absl::StatusOr<std::unique_ptr<JobSlot>> ObservedQuotaStore::ReserveJob(
    const std::string& tenant, const Limits& limits) {
  absl::StatusOr<std::unique_ptr<JobSlot>> slot =
      store_->ReserveJob(tenant, limits);
  if (!slot.ok()) on_refusal_(tenant, "concurrent_jobs");
  return slot;
}

}  // namespace mediagen::quota
