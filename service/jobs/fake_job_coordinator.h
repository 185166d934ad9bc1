// FakeJobCoordinator: the shared store of several JobRegistry "replicas" in
// one process, for tests of the registry's shared mode without Redis. It
// keeps what RedisJobCoordinator keeps (each job's state and version, its
// polling lease, its followers) with the same rules, and delivers every
// callback later through the scheduler (never inside the call), as the real
// one does from its own thread.
//
//   FakeScheduler sched;
//   FakeJobStore store(&sched);
//   auto a = store.Replica("a"), b = store.Replica("b");
//   JobRegistry ra(opts, &sched, a.get()), rb(opts, &sched, b.get());
//   store.SetAvailable(false);        // Redis went away
//   a->Crash();                       // replica a died: no lease released
#ifndef MEDIAGEN_SERVICE_JOBS_FAKE_JOB_COORDINATOR_H_
#define MEDIAGEN_SERVICE_JOBS_FAKE_JOB_COORDINATOR_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "service/common/mutex.h"
#include "service/common/scheduler.h"
#include "service/jobs/job_coordinator.h"

namespace mediagen::jobs {

class FakeJobCoordinator;

class FakeJobStore {
 public:
  // `lease` is how long a job's polling lease lasts unless renewed; owners
  // renew and followers retry every lease / 4.
  explicit FakeJobStore(Scheduler* scheduler,
                        absl::Duration lease = absl::Seconds(2));
  ~FakeJobStore();

  std::unique_ptr<FakeJobCoordinator> Replica(const std::string& id);

  // Makes the store (un)reachable for every replica.
  void SetAvailable(bool available);

  // Test views.
  std::string LeaseHolder(const std::string& tenant, const std::string& name);
  int64_t StoredVersion(const std::string& tenant, const std::string& name);
  int publishes() const;

 private:
  friend class FakeJobCoordinator;
  struct Job {
    std::string content;  // serialized, version cleared
    int64_t version = 0;
    int64_t state_version = 0;
    v1::Job job;
    absl::Time read_at = absl::InfinitePast();
    std::string lease_holder;
    absl::Time lease_until = absl::InfinitePast();
  };
  struct Follower {
    FakeJobCoordinator* replica;
    std::shared_ptr<JobCoordinator::Listener> listener;
  };

  void Post(std::function<void()> task);
  std::string Key(const std::string& tenant, const std::string& name) const;
  // Lease rules (the Redis scripts'): take when free or expired.
  bool TryAcquireLocked(Job& job, const std::string& replica)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::shared_ptr<JobCoordinator::Listener>> ListenersLocked(
      const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Scheduler* const scheduler_;
  const absl::Duration lease_;
  mutable Mutex mu_;
  bool available_ ABSL_GUARDED_BY(mu_) = true;
  std::map<std::string, Job> jobs_ ABSL_GUARDED_BY(mu_);
  // key -> membership id -> follower
  std::map<std::string, std::map<uint64_t, Follower>> followers_
      ABSL_GUARDED_BY(mu_);
  std::set<FakeJobCoordinator*> replicas_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  int publishes_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class FakeJobCoordinator : public JobCoordinator {
 public:
  FakeJobCoordinator(FakeJobStore* store, std::string id);
  ~FakeJobCoordinator() override;

  // The replica died: its memberships vanish without releasing their
  // leases (they run out), and it hears nothing more.
  void Crash();

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

 private:
  friend class FakeJobStore;
  class FakeMembership;
  void Tick(const std::string& key, uint64_t id);
  void Leave(const std::string& key, uint64_t id);

  FakeJobStore* const store_;
  const std::string id_;
  bool crashed_ = false;  // guarded by store_->mu_
  std::function<void(bool)> observer_;
};

}  // namespace mediagen::jobs

#endif  // MEDIAGEN_SERVICE_JOBS_FAKE_JOB_COORDINATOR_H_
