#include "service/idempotency/observed_store.h"

namespace mediagen::idempotency {

std::unique_ptr<Lease> ObservedIdempotencyStore::Begin(
    const Key& key, absl::string_view method, absl::string_view fingerprint,
    OutcomeCallback on_outcome) {
  std::unique_ptr<Lease> lease =
      inner_->Begin(key, method, fingerprint, std::move(on_outcome));
  if (lease == nullptr && on_hit_) on_hit_(method);
  return lease;
}

}  // namespace mediagen::idempotency
