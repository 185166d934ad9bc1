// RedisQuotaStore: the QuotaStore shared by every replica through Redis
// (service/redis/client.h), so a tenant's places, reserved costs and spend
// are counted once however many replicas serve it.
//
//   RedisQuotaStore store(RedisQuotaStore::Options{}, &redis, &scheduler,
//                         &SystemClock());
//   store.Reserve({tenant, limits, /*job=*/true, cost},
//                 [](absl::StatusOr<std::unique_ptr<Reservation>> r) {...});
//
// Places and budgets are exact across replicas: Reserve is ONE Lua script
// (redis_scripts.h) that sweeps expired reservations, counts the tenant's
// reserved places plus held jobs against concurrent_jobs and spent plus
// reserved against every budget of the provider, and takes both or
// nothing. Settle, Hold, release (a Reservation destroyed unsettled) and
// JobEnded are fire-and-forget scripts: a failure is logged, never waited
// on. A reservation lives in Redis for `reservation_ttl` after its
// replica last renewed it (the heartbeat renews each live one every third
// of the ttl, so a create may run longer than the ttl): if its replica
// dies before settling, the next script that touches the tenant after the
// ttl frees its place and counts its estimate as spent (the create may
// have reached upstream; overcounting is the safe side of a budget).
//
// The request rate (AdmitCall) never waits on Redis: each replica keeps a
// local token bucket per tenant at rate/N and burst/N (at least 1 token),
// N being the live replicas in a heartbeat set in Redis (every `heartbeat`,
// a replica is gone after 3 missed ones). How exact that is: the replicas
// together never admit more than the tenant's rate and burst while N is
// stable (a burst below N still gives each replica one token); after N
// changes, for up to one heartbeat (a replica joining) or
// three (a replica vanishing without leaving), the sum may be up to one
// replica's share over or under; and a tenant whose calls all reach one
// replica (one long-lived gRPC channel) gets only that replica's share,
// rate/N, never more. While Redis is down (or before the first heartbeat
// answers) a replica counts N = 1: the rate fails open to a local bucket
// of the whole rate per replica.
//
// Redis down: a Reserve with a limit to check (a concurrent_jobs place,
// or a cost at a provider the tenant has a budget for) fails at once with
// UNAVAILABLE QUOTA_STORE_UNAVAILABLE, nothing sent. Any other create
// passes (its cost, if any, is only accounted for: its Settle tries to
// record the spend, and a failure is logged). GetUsage answers
// UNAVAILABLE; JobsToCheck answers nothing.
//
// Bounded per tenant: places <= concurrent_jobs (plus creates already on
// their way), held jobs <= concurrent_jobs (none are kept without that
// limit), one spend field per provider in each day and month hash (keys
// expire 2 days and 62 days after their last write), reservations live at
// most reservation_ttl past their replica's last renewal. Tenants come
// from the config. `redis`, `scheduler` and `clock` must outlive the store
// and its reservations.
#ifndef MEDIAGEN_SERVICE_QUOTA_REDIS_STORE_H_
#define MEDIAGEN_SERVICE_QUOTA_REDIS_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "service/common/clock.h"
#include "service/common/mutex.h"
#include "service/common/scheduler.h"
#include "service/quota/quota_store.h"
#include "service/quota/token_bucket.h"
#include "service/redis/client.h"

namespace mediagen::quota {

class RedisQuotaStore : public QuotaStore {
 public:
  struct Options {
    // Start of every key (shared with the other Redis stores).
    std::string key_prefix = "mediagen:";
    // A reservation not settled, held or released by this long after its
    // replica last renewed it is taken as spent (its replica died).
    absl::Duration reservation_ttl = absl::Minutes(15);
    // How often this replica says it is alive (and learns N).
    absl::Duration heartbeat = absl::Seconds(2);
    // Jobs one JobsToCheck returns per tenant, at most.
    int64_t max_checks_per_tenant = 100;
    // Told of failed fire-and-forget writes (never containing secrets).
    std::function<void(const absl::Status&)> on_write_failed;
  };

  // Starts heartbeating at once.
  RedisQuotaStore(Options options, redis::Client* redis, Scheduler* scheduler,
                  const Clock* clock);
  // Stops heartbeating and leaves the replica set.
  ~RedisQuotaStore() override;

  absl::Status AdmitCall(const std::string& tenant,
                         const Limits& limits) override;
  void Reserve(Request request, ReserveDone done) override;
  void JobEnded(const std::string& tenant, const std::string& name) override;
  void JobsToCheck(absl::Duration quiet, JobsDone done) override;
  void GetUsage(const std::string& tenant, const Limits& limits,
                UsageDone done) override;

  // Live replicas as last heard from Redis (1 before the first answer and
  // while Redis is down).
  int64_t replicas() const;

  class Core;

 private:
  // Shared with the reservations and the heartbeat, which may outlive the
  // store (a completion arriving during shutdown).
  const std::shared_ptr<Core> core_;

  Mutex mu_;
  // Per tenant, this replica's share of the rate.
  absl::flat_hash_map<std::string, TokenBucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagen::quota

#endif  // MEDIAGEN_SERVICE_QUOTA_REDIS_STORE_H_
