// SyncBegin: IdempotencyStore::Begin in the form tests read best: returns
// the lease when the store granted it before returning (the in-memory store
// always answers a first call on the calling thread), and hands answers to
// `on_answer` (at once or, for a duplicate of a call in flight, later).
//
//   std::unique_ptr<Lease> lease = SyncBegin(store, {"t", "r1"}, kMethod,
//                                            "fp", [](Outcome o) { ... });
#ifndef MEDIAGEN_SERVICE_IDEMPOTENCY_SYNC_BEGIN_H_
#define MEDIAGEN_SERVICE_IDEMPOTENCY_SYNC_BEGIN_H_

#include <memory>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "service/idempotency/idempotency_store.h"

namespace mediagen::idempotency {

inline std::unique_ptr<Lease> SyncBegin(
    IdempotencyStore& store, const Key& key, absl::string_view method,
    absl::string_view fingerprint,
    absl::AnyInvocable<void(Outcome)> on_answer) {
  std::unique_ptr<Lease> granted;
  store.Begin(key, method, fingerprint, absl::InfiniteFuture(),
              [&granted, on_answer = std::move(on_answer)](
                  std::unique_ptr<Lease> lease, Outcome answer) mutable {
                if (lease != nullptr) {
                  granted = std::move(lease);
                } else {
                  on_answer(std::move(answer));
                }
              });
  return granted;
}

}  // namespace mediagen::idempotency

#endif  // MEDIAGEN_SERVICE_IDEMPOTENCY_SYNC_BEGIN_H_
