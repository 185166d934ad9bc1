// RedisIdempotencyStore: the IdempotencyStore shared by every replica
// through Redis (service/redis/client.h), so a request_id sent to any
// replica, any number of times, creates upstream at most once.
//
//   RedisIdempotencyStore store(RedisIdempotencyStore::Options{}, &redis,
//                               &scheduler);
//   store.Begin({tenant, request_id}, method, Fingerprint(request),
//               deadline, [](std::unique_ptr<Lease> lease, Outcome answer) {
//                 if (!lease) return Answer(answer);  // duplicate or refusal
//                 Lease* l = lease.get();
//                 l->MarkSent([lease = std::move(lease)](absl::Status s) {
//                   if (s.ok()) SendUpstreamThenCommit(std::move(lease));
//                 });
//               });
//
// Per request_id, all under the tenant's hash tag (a Redis Cluster keeps a
// tenant's request_ids on one shard, so each script stays on it):
//
//   PREFIX{TENANT}:rid:ID       hash: m (method), f (fingerprint), s (state:
//                               claimed, sent, done, unknown), o (the
//                               lease's random owner id), x (claim expiry,
//                               ms), st (the outcome's google.rpc.Status),
//                               r (the serialized response); expires after
//                               `ttl`
//   PREFIX{TENANT}:rids         sorted set of the tenant's live request_ids
//                               by expiry: the per-tenant capacity
//   PREFIX{TENANT}:rid:ID:done  pub/sub channel: the outcome is in (or the
//                               claim was released or given up)
//
// The claim (one Lua script) either takes the lease, answers the stored
// outcome, refuses (other content: REQUEST_ID_REUSED; the tenant full:
// REQUEST_ID_LIMIT_REACHED), or makes the caller wait: waiters subscribe to
// the channel and claim again on every message, on (re)subscription and
// when the holder's claim runs out; they give up at their own deadline.
// Nothing is busy-polled.
//
// A lease's claim is short (`claim`, renewed every claim / 3 while its call
// runs). MarkSent records in Redis that the request is about to leave; the
// caller sends only once that is stored. If the holder vanishes (kill -9),
// its claim runs out: before MarkSent the next claim takes the lease and
// sends (nothing was sent); after it, every retry is answered ABORTED
// REQUEST_OUTCOME_UNKNOWN (the create may have happened) rather than risk a
// second create. When Redis cannot be reached, Begin answers UNAVAILABLE
// IDEMPOTENCY_STORE_UNAVAILABLE: nothing is sent.
//
// Nothing secret is written: request content only as its fingerprint (a
// hash), and the stored answer (which may quote the prompt). Redis must run
// `noeviction` (deploy/redis does): an evicted request_id would be
// forgotten early. `redis` and `scheduler` must outlive the store, and the
// store its leases and waiting calls.
#ifndef MEDIAGEN_SERVICE_IDEMPOTENCY_REDIS_STORE_H_
#define MEDIAGEN_SERVICE_IDEMPOTENCY_REDIS_STORE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "service/common/scheduler.h"
#include "service/idempotency/idempotency_store.h"
#include "service/redis/client.h"

namespace mediagen::idempotency {

class RedisIdempotencyStore : public IdempotencyStore {
 public:
  struct Options {
    // Start of every key and channel.
    std::string key_prefix = "mediagen:";
    // How long a finished outcome answers duplicates.
    absl::Duration ttl = absl::Hours(24);
    // A lease's claim lasts this long after its last renewal; a holder that
    // vanished is noticed this long after its last renewal.
    absl::Duration claim = absl::Seconds(5);
    // Live request_ids one tenant may hold.
    size_t max_entries_per_tenant = 10000;
  };

  RedisIdempotencyStore(Options options, redis::Client* redis,
                        Scheduler* scheduler);
  ~RedisIdempotencyStore() override;

  void Begin(const Key& key, absl::string_view method,
             absl::string_view fingerprint, absl::Time deadline,
             BeginCallback done) override;

 private:
  class LeaseImpl;
  class Attempt;
  friend class Attempt;

  struct Names {
    std::string key;      // PREFIX{TENANT}:rid:ID
    std::string tenant;   // PREFIX{TENANT}:rids
    std::string channel;  // PREFIX{TENANT}:rid:ID:done
    std::string request_id;
  };
  Names NamesOf(const Key& key) const;

  const Options options_;
  redis::Client* const redis_;
  Scheduler* const scheduler_;
};

}  // namespace mediagen::idempotency

#endif  // MEDIAGEN_SERVICE_IDEMPOTENCY_REDIS_STORE_H_
