// JobCoordinator: what replicas share about the jobs they watch, so that
// several replicas behave as one service: one poller per job across all of
// them (a lease), each new state published to every replica that watches
// the job, the latest state kept for GetJob and new watchers anywhere, and
// webhook pokes reaching the poller wherever it runs.
//
// The JobRegistry drives it; handlers never see it. Without one (no Redis
// configured) the registry polls every job it watches itself, as a single
// replica. RedisJobCoordinator (redis_job_coordinator.h) is the shared one.
//
//   auto membership = coordinator.Follow(tenant, name, listener);
//   // listener->OnOwnership(true): this replica polls the job; each state
//   // it reads goes through Publish, which gives it its shared version:
//   coordinator.Publish(tenant, name, job, floor, [](auto r) {...});
//   // every replica following the job gets listener->OnState(job).
//   membership.reset();          // the last local watcher left
//
// Threading: every method is thread-safe and returns without waiting for
// the store. Callbacks (listener methods, `done`) never run inside the call
// that caused them: they run later on the coordinator's own thread, must be
// quick, and may call back into the coordinator.
#ifndef MEDIAGEN_SERVICE_JOBS_JOB_COORDINATOR_H_
#define MEDIAGEN_SERVICE_JOBS_JOB_COORDINATOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mediagen/v1/jobs.pb.h"

namespace mediagen::jobs {

// The latest state of a job as the replicas share it.
struct SharedState {
  v1::Job job;                                // with its shared version
  absl::Time read_at = absl::InfinitePast();  // when upstream was last read
  bool polled = false;  // some replica holds the job's polling lease
};

class JobCoordinator {
 public:
  // Told of one followed job's events. Held by the coordinator as long as
  // the membership lives.
  class Listener {
   public:
    virtual ~Listener() = default;
    // A state some replica published (this one included).
    virtual void OnState(const v1::Job& job) = 0;
    // A webhook (or an Invalidate) on some replica says the job changed.
    virtual void OnPoke() = 0;
    // This replica now polls the job (true), or no longer does (false: the
    // lease went to another replica, or the store became unreachable and
    // the registry should poll locally until it is back).
    virtual void OnOwnership(bool owner) = 0;
    // The connection to the store came back: states published meanwhile
    // were not heard; read the shared state again.
    virtual void OnResync() = 0;
  };

  // Ends following when destroyed: the lease is released when held, so
  // another replica that still has watchers takes over at once.
  class Membership {
   public:
    virtual ~Membership() = default;
  };

  virtual ~JobCoordinator() = default;

  // Whether shared state is reachable now. While false the registry polls
  // every watched job itself and versions are computed locally (they are a
  // function of upstream's state, so they still agree with other replicas'
  // for the same state).
  virtual bool available() const = 0;

  // Follows (tenant, name): subscribes to its events and competes for its
  // polling lease (OnOwnership(true) when won; retried while followed, so a
  // dead poller's lease passes to a replica that still has watchers).
  virtual std::unique_ptr<Membership> Follow(
      const std::string& tenant, const std::string& name,
      std::shared_ptr<Listener> listener) = 0;

  // Offers `job` (a state this replica just read; its version field is
  // ignored) as the job's latest state. `done` gets the shared state after
  // that: `job` with the stored version when it is the state already
  // stored; `job` with a new version (the highest of the stored one + 1,
  // StateVersion(job) and `floor`) when it is a later state, which is then
  // published to every follower; or the stored state, unchanged, when
  // `job` orders before it (an older read that lost a race with another
  // replica's).
  virtual void Publish(
      const std::string& tenant, const std::string& name, const v1::Job& job,
      int64_t floor,
      absl::AnyInvocable<void(absl::StatusOr<v1::Job>) &&> done) = 0;

  // The job's shared state, if any replica stored one (nullopt: none).
  virtual void Lookup(
      const std::string& tenant, const std::string& name,
      absl::AnyInvocable<void(absl::StatusOr<std::optional<SharedState>>) &&>
          done) = 0;

  // The job changed (a webhook): the stored state stops counting as fresh,
  // and the poller, wherever it runs, reads now.
  virtual void Poke(const std::string& tenant, const std::string& name) = 0;

  // Observes `available()` changes; called on the coordinator's thread.
  virtual void SetAvailabilityObserver(std::function<void(bool)> observer) = 0;
};

}  // namespace mediagen::jobs

#endif  // MEDIAGEN_SERVICE_JOBS_JOB_COORDINATOR_H_
