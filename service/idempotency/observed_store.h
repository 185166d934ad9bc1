// ObservedIdempotencyStore: an IdempotencyStore that reports each repeated
// request_id (a call answered from the store, or refused for other
// content, instead of going upstream) to a callback; metrics count them.
// Refusals that are not about a repeat (the tenant's request_ids full, the
// store unreachable) are not hits.
//
//   ObservedIdempotencyStore store(&in_memory, [&](absl::string_view method) {
//     metrics.IdempotencyHit(method);
//   });
#ifndef MEDIAGEN_SERVICE_IDEMPOTENCY_OBSERVED_STORE_H_
#define MEDIAGEN_SERVICE_IDEMPOTENCY_OBSERVED_STORE_H_

#include <functional>
#include <memory>
#include <string>

#include "service/idempotency/idempotency_store.h"

namespace mediagen::idempotency {

class ObservedIdempotencyStore : public IdempotencyStore {
 public:
  using OnHit = std::function<void(absl::string_view method)>;
  // `inner` must outlive this store.
  ObservedIdempotencyStore(IdempotencyStore* inner, OnHit on_hit)
      : inner_(inner), on_hit_(std::move(on_hit)) {}

  void Begin(const Key& key, absl::string_view method,
             absl::string_view fingerprint, absl::Time deadline,
             BeginCallback done) override;

 private:
  IdempotencyStore* const inner_;
  const OnHit on_hit_;
};

}  // namespace mediagen::idempotency

#endif  // MEDIAGEN_SERVICE_IDEMPOTENCY_OBSERVED_STORE_H_
