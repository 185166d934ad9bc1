// The JobRegistry's implementation class, shared by its two source files:
// job_registry.cc (watchers, reads, polling, heartbeats) and
// job_registry_shared.cc (what changes when a JobCoordinator shares the
// work with other replicas). Internal to service/jobs.
#ifndef MEDIAGEN_SERVICE_JOBS_JOB_REGISTRY_IMPL_H_
#define MEDIAGEN_SERVICE_JOBS_JOB_REGISTRY_IMPL_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "service/common/mutex.h"
#include "service/jobs/job_coordinator.h"
#include "service/jobs/job_entry.h"
#include "service/jobs/job_registry.h"

namespace mediagen::jobs {

class JobRegistry::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(Options options, Scheduler* scheduler, JobCoordinator* coordinator)
      : options_(options), scheduler_(scheduler), coordinator_(coordinator) {}

  void Init() {
    if (coordinator_ == nullptr) return;
    std::weak_ptr<Impl> weak = weak_from_this();
    coordinator_->SetAvailabilityObserver([weak](bool available) {
      if (auto self = weak.lock()) self->OnAvailability(available);
    });
  }

  std::unique_ptr<WatchHandle> Watch(const std::string& tenant,
                                     const std::string& name, int64_t resume,
                                     ReadFn read,
                                     std::shared_ptr<Watcher> watcher);
  void Get(const std::string& tenant, const std::string& name, ReadFn read,
           ReadDone done);
  bool Poke(const std::string& tenant, const std::string& name);
  void Invalidate(const std::string& tenant, const std::string& name);
  void Shutdown(const absl::Status& status);
  void Unwatch(const std::string& key, uint64_t id);
  size_t ActivePollers() const;
  Scheduler* scheduler() const { return scheduler_; }
  size_t WatcherCount() const;

  // From the coordinator, for one followed entry.
  void OnSharedState(const std::shared_ptr<Entry>& e, const v1::Job& job);
  void OnSharedPoke(const std::shared_ptr<Entry>& e);
  void OnOwnership(const std::shared_ptr<Entry>& e, bool owner);
  void OnResync(const std::shared_ptr<Entry>& e);

 private:
  class Listener;

  bool Shared() const {
    return coordinator_ != nullptr && coordinator_->available();
  }
  // Whether this replica polls `e` upstream now.
  bool PollsLocked(const Entry& e) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !e.watchers.empty() && e.role != Role::kFollower;
  }
  bool Live(const std::shared_ptr<Entry>& e) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = entries_.find(e->key);
    return it != entries_.end() && it->second == e;
  }
  std::shared_ptr<Entry> GetOrCreateLocked(const std::string& tenant,
                                           const std::string& name, ReadFn read)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool FreshLocked(const Entry& e, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FollowLocked(const std::shared_ptr<Entry>& e)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LookUpLocked(const std::shared_ptr<Entry>& e, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnLookup(const std::shared_ptr<Entry>& e,
                absl::StatusOr<std::optional<SharedState>> result);
  void StartReadLocked(const std::shared_ptr<Entry>& e, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnRead(const std::shared_ptr<Entry>& e, uint64_t generation,
              absl::StatusOr<v1::Job> result);
  // `current`: the shared state after the coordinator took `job`.
  // `before`: the entry's version when the read began.
  void OnPublished(const std::shared_ptr<Entry>& e, uint64_t generation,
                   int64_t before, v1::Job job,
                   absl::StatusOr<v1::Job> current);
  // A read of upstream ended with `job` at `version`; `changed` when it
  // differs from what the entry held.
  void ApplyReadLocked(const std::shared_ptr<Entry>& e, v1::Job job,
                       int64_t version, bool changed, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyErrorLocked(const std::shared_ptr<Entry>& e,
                        const absl::Status& status, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a read: the next poll, or an early one for a poke that came in.
  void ScheduleNextLocked(const std::shared_ptr<Entry>& e, absl::Time now,
                          Actions& actions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PokeLocked(const std::shared_ptr<Entry>& e, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes sure an entry this replica polls has a read under way or due.
  void EnsurePollingLocked(const std::shared_ptr<Entry>& e, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `for_poke`: the poll stands for a poke held back by min_poke_gap.
  void SchedulePollLocked(const std::shared_ptr<Entry>& e, absl::Time when,
                          bool for_poke = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EnsureHeartbeatLocked(const std::shared_ptr<Entry>& e)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Heartbeat(const std::shared_ptr<Entry>& e);
  void StopPollingLocked(Entry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // No watchers left: stop polling, leave the coordinator, expire later.
  void MaybeIdleLocked(const std::shared_ptr<Entry>& e, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndAllLocked(Entry& e, const absl::Status& status, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnAvailability(bool available);
  void Cancel(Scheduler::TaskId& id) {
    if (id != 0) scheduler_->Cancel(id);
    id = 0;
  }

  const Options options_;
  Scheduler* const scheduler_;
  JobCoordinator* const coordinator_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Entry>> entries_
      ABSL_GUARDED_BY(mu_);
  uint64_t next_watcher_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::optional<absl::Status> shutdown_ ABSL_GUARDED_BY(mu_);
};

// Forwards one followed entry's coordinator events to the registry.
class JobRegistry::Impl::Listener : public JobCoordinator::Listener {
 public:
  Listener(std::weak_ptr<Impl> impl, std::weak_ptr<Entry> entry)
      : impl_(std::move(impl)), entry_(std::move(entry)) {}
  void OnState(const v1::Job& job) override {
    With([&](Impl& impl, const auto& e) { impl.OnSharedState(e, job); });
  }
  void OnPoke() override {
    With([](Impl& impl, const auto& e) { impl.OnSharedPoke(e); });
  }
  void OnOwnership(bool owner) override {
    With([&](Impl& impl, const auto& e) { impl.OnOwnership(e, owner); });
  }
  void OnResync() override {
    With([](Impl& impl, const auto& e) { impl.OnResync(e); });
  }

 private:
  template <typename F>
  void With(F f) {
    auto impl = impl_.lock();
    auto e = entry_.lock();
    if (impl && e) f(*impl, e);
  }
  std::weak_ptr<Impl> impl_;
  std::weak_ptr<Entry> entry_;
};

}  // namespace mediagen::jobs

#endif  // MEDIAGEN_SERVICE_JOBS_JOB_REGISTRY_IMPL_H_
