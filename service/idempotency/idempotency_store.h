// IdempotencyStore: makes creates safe to retry (AIP-155 request_id). The
// first call with a (tenant, request_id) takes a Lease and goes upstream;
// every later or concurrent call with the same key gets the first call's
// outcome instead of spending credits again.
//
//   store.Begin({tenant, request.request_id()},
//               "mediagen.v1.MediaService/CreateMedia", Fingerprint(request),
//               deadline,
//               [](std::unique_ptr<Lease> lease, Outcome answer) {
//                 if (!lease) return Answer(answer);  // duplicate or refusal
//                 Lease* l = lease.get();
//                 l->MarkSent([lease = std::move(lease)](absl::Status s) {
//                   if (!s.ok()) return Answer(s);     // nothing sent
//                   ... call upstream ...
//                   lease->Commit({status, response.SerializeAsString()});
//                 });
//               });
//
// An interface so that the store shared by all replicas
// (RedisIdempotencyStore) can replace the in-memory one
// (InMemoryIdempotencyStore) without touching the handlers. Asynchronous
// because a shared claim is a round trip.
#ifndef MEDIAGEN_SERVICE_IDEMPOTENCY_IDEMPOTENCY_STORE_H_
#define MEDIAGEN_SERVICE_IDEMPOTENCY_IDEMPOTENCY_STORE_H_

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

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

// Held by the one call that goes upstream for a key.
class Lease {
 public:
  using SentCallback = absl::AnyInvocable<void(absl::Status) &&>;

  // Destroying a lease that was neither committed nor released releases it
  // with ABORTED, so a crashed handler cannot wedge its key.
  virtual ~Lease() = default;

  // Records that the request is about to leave; `done` runs once that is
  // stored (OK: send now) or with why not (then nothing may be sent, and
  // the caller answers that status and releases the lease). A store shared
  // by replicas needs it: a holder that vanishes before this point may be
  // replaced by a retry, one that vanishes after it may have created
  // upstream (retries get ABORTED REQUEST_OUTCOME_UNKNOWN). In one process
  // there is nothing to record: the default answers OK at once.
  virtual void MarkSent(SentCallback done) {
    std::move(done)(absl::OkStatus());
  }

  // The request reached upstream: `outcome` (success or error) is the
  // answer for this key until it expires, and waiting duplicates get it now.
  // Errors are remembered too: once a create may have reached upstream, a
  // retry must not send it again.
  virtual void Commit(Outcome outcome) = 0;

  // The request provably never reached upstream (invalid, or the connection
  // was never made): forget the key so a retry can try again; waiting
  // duplicates are answered with `status` (in memory) or claim it (Redis).
  virtual void Release(absl::Status status) = 0;
};

// Runs exactly once: with a lease (this call goes upstream; `answer` is
// unused), or with null and the answer (the first call's outcome, or a
// refusal: REQUEST_ID_REUSED, REQUEST_ID_LIMIT_REACHED,
// IDEMPOTENCY_STORE_UNAVAILABLE, REQUEST_OUTCOME_UNKNOWN, or
// DEADLINE_EXCEEDED while waiting for the first call).
using BeginCallback =
    absl::AnyInvocable<void(std::unique_ptr<Lease> lease, Outcome answer) &&>;

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;

  // `method` is the full RPC name and `fingerprint` identifies the request
  // content (see Fingerprint); a duplicate waits for the first call at
  // most until `deadline`. `done` may run on this thread before Begin
  // returns, or later on another (the committing call's, or a store's own).
  // Reusing a key for another method or other content answers
  // FAILED_PRECONDITION, reason REQUEST_ID_REUSED.
  virtual void Begin(const Key& key, absl::string_view method,
                     absl::string_view fingerprint, absl::Time deadline,
                     BeginCallback done) = 0;
};

}  // namespace mediagen::idempotency

#endif  // MEDIAGEN_SERVICE_IDEMPOTENCY_IDEMPOTENCY_STORE_H_
