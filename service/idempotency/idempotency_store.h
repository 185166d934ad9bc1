// IdempotencyStore: makes creates safe to retry (AIP-155 request_id). The
// first call with a (tenant, request_id) takes a Lease and goes upstream;
// every later or concurrent call with the same key gets the first call's
// outcome instead of spending credits again.
//
//   std::unique_ptr<Lease> lease = store.Begin(
//       {tenant, request.request_id()}, "mediagen.v1.MediaService/CreateMedia",
//       Fingerprint(request), [](Outcome o) { /* duplicate: answer with o */ });
//   if (lease) {                     // first call: do the work
//     ... call upstream ...
//     lease->Commit({status, response.SerializeAsString()});
//   }
//
// An interface so that a store shared by all replicas can replace the
// in-memory one (InMemoryIdempotencyStore) without touching the handlers.
#ifndef MEDIAGEN_SERVICE_IDEMPOTENCY_IDEMPOTENCY_STORE_H_
#define MEDIAGEN_SERVICE_IDEMPOTENCY_IDEMPOTENCY_STORE_H_

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mediagen::idempotency {

struct Key {
  std::string tenant;
  std::string request_id;
};

// What the first call produced: OK with the serialized response, or the
// error it ended with.
struct Outcome {
  absl::Status status;
  std::string response;
};

using OutcomeCallback = absl::AnyInvocable<void(Outcome) &&>;

// Held by the one call that goes upstream for a key.
class Lease {
 public:
  // Destroying a lease that was neither committed nor released releases it
  // with ABORTED, so a crashed handler cannot wedge its key.
  virtual ~Lease() = default;

  // The request reached upstream: `outcome` (success or error) is the
  // answer for this key until it expires, and waiting duplicates get it now.
  // Errors are remembered too: once a create may have reached upstream, a
  // retry must not send it again.
  virtual void Commit(Outcome outcome) = 0;

  // The request provably never reached upstream (invalid, or the connection
  // was never made): forget the key so a retry can try again; waiting
  // duplicates are answered with `status`.
  virtual void Release(absl::Status status) = 0;
};

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;

  // `method` is the full RPC name and `fingerprint` identifies the request
  // content (see Fingerprint). Returns a Lease when this is the first call
  // with `key`. Otherwise returns null and `on_outcome` runs exactly once:
  // at once (on this thread) when the first call has finished, or when it
  // does (on the committing thread). Reusing a key for another method or
  // other content answers FAILED_PRECONDITION, reason REQUEST_ID_REUSED.
  virtual std::unique_ptr<Lease> Begin(const Key& key, absl::string_view method,
                                       absl::string_view fingerprint,
                                       OutcomeCallback on_outcome) = 0;
};

}  // namespace mediagen::idempotency

#endif  // MEDIAGEN_SERVICE_IDEMPOTENCY_IDEMPOTENCY_STORE_H_
