// RedisJobCoordinator: the JobCoordinator shared by every replica through
// Redis (service/redis/client.h). Per job, three things live in Redis, all
// under one hash tag (the tenant and job name) so that a Redis Cluster
// keeps them on one shard:
//
//   PREFIX{TENANT/NAME}:state   hash: j (the Job, serialized, version 0),
//                               v (its shared version), f (StateVersion),
//                               at (when upstream was read, ms); expires
//                               `state_ttl` after the last read
//   PREFIX{TENANT/NAME}:lease   the id of the replica that polls the job;
//                               expires `lease` after its last renewal
//   PREFIX{TENANT/NAME}:events  pub/sub channel: "S<version>:<job>" a new
//                               state, "P" a poke, "R" the lease released
//
// Every change is one Lua script, so two replicas never both take a lease
// or give two states the same version. Nothing secret is written: job
// states hold what upstream says of a job (result URLs, error text).
//
//   RedisJobCoordinator coordinator(RedisJobCoordinator::Options{}, &redis,
//                                   &scheduler);
//   JobRegistry registry(registry_options, &scheduler, &coordinator);
//
// Leases: the poller renews its lease every lease / 4; a replica that
// follows the job without polling it tries to take the lease at the same
// pace and at once when told it was released. So a poller that dies is
// replaced within `lease` + lease / 4 (2.5 s by default), one that leaves
// at once.
#ifndef MEDIAGEN_SERVICE_JOBS_REDIS_JOB_COORDINATOR_H_
#define MEDIAGEN_SERVICE_JOBS_REDIS_JOB_COORDINATOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/time/time.h"
#include "service/common/scheduler.h"
#include "service/jobs/job_coordinator.h"
#include "service/redis/client.h"

namespace mediagen::jobs {

class RedisJobCoordinator : public JobCoordinator {
 public:
  struct Options {
    // Every key and channel starts with it (several deployments may share
    // one Redis).
    std::string key_prefix = "mediagen:";
    // How long a job's polling lease lasts without renewal.
    absl::Duration lease = absl::Seconds(2);
    // How long a job's shared state is kept after its last read. Versions
    // stay comparable while it is kept (after that a state is versioned
    // from scratch, by StateVersion alone).
    absl::Duration state_ttl = absl::Hours(1);
    // This replica's name in leases; a random one when empty.
    std::string replica_id;
  };

  // `redis` and `scheduler` must outlive the coordinator.
  RedisJobCoordinator(Options options, redis::Client* redis,
                      Scheduler* scheduler);
  // Releases the leases this replica holds. Memberships must be gone.
  ~RedisJobCoordinator() override;
  RedisJobCoordinator(const RedisJobCoordinator&) = delete;
  RedisJobCoordinator& operator=(const RedisJobCoordinator&) = delete;

  const std::string& replica_id() const { return options_.replica_id; }

  bool available() const override;
  std::unique_ptr<Membership> Follow(
      const std::string& tenant, const std::string& name,
      std::shared_ptr<Listener> listener) override;
  void Publish(
      const std::string& tenant, const std::string& name, const v1::Job& job,
      int64_t floor,
      absl::AnyInvocable<void(absl::StatusOr<v1::Job>) &&> done) override;
  void Lookup(
      const std::string& tenant, const std::string& name,
      absl::AnyInvocable<void(absl::StatusOr<std::optional<SharedState>>) &&>
          done) override;
  void Poke(const std::string& tenant, const std::string& name) override;
  void SetAvailabilityObserver(std::function<void(bool)> observer) override;

  // Keys of (tenant, name), for tests and operators.
  std::string StateKey(const std::string& tenant,
                       const std::string& name) const;
  std::string LeaseKey(const std::string& tenant,
                       const std::string& name) const;
  std::string Channel(const std::string& tenant, const std::string& name) const;

 private:
  struct Followed;
  class RedisMembership;
  struct Shared;

  void Unfollow(uint64_t id);

  Options options_;
  redis::Client* const redis_;
  Scheduler* const scheduler_;
  // What callbacks may still reach after the destructor began.
  std::shared_ptr<Shared> shared_;
  redis::Client::ObserverId observer_id_ = 0;
};

}  // namespace mediagen::jobs

#endif  // MEDIAGEN_SERVICE_JOBS_REDIS_JOB_COORDINATOR_H_
