#include "service/jobs/job_registry.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "service/common/mutex.h"
#include "service/jobs/job_entry.h"
#include "service/jobs/job_registry_impl.h"
#include "service/jobs/job_version.h"

namespace mediagen::jobs {

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

namespace {

// Errors that polling again will not cure: the watch ends with them.
bool IsPermanent(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kUnimplemented:
      return true;
    default:
      return false;
  }
}

std::string MapKey(const std::string& tenant, const std::string& name) {
  return absl::StrCat(tenant.size(), ":", tenant, name);
}

}  // namespace

namespace {

class Handle : public JobRegistry::WatchHandle {
 public:
  Handle(std::weak_ptr<JobRegistry::Impl> impl, std::string key, uint64_t id)
      : impl_(std::move(impl)), key_(std::move(key)), id_(id) {}
  ~Handle() override {
    if (auto impl = impl_.lock()) impl->Unwatch(key_, id_);
  }

 private:
  std::weak_ptr<JobRegistry::Impl> impl_;
  std::string key_;
  uint64_t id_;
};

class NoHandle : public JobRegistry::WatchHandle {};

}  // namespace

std::shared_ptr<Entry> JobRegistry::Impl::GetOrCreateLocked(
    const std::string& tenant, const std::string& name, ReadFn read) {
  const std::string key = MapKey(tenant, name);
  auto& slot = entries_[key];
  if (slot == nullptr) {
    slot = std::make_shared<Entry>();
    slot->key = key;
    slot->tenant = tenant;
    slot->name = name;
    slot->read = std::move(read);
    slot->interval = options_.min_poll_interval;
  }
  Cancel(slot->expiry_task);
  return slot;
}

bool JobRegistry::Impl::FreshLocked(const Entry& e, absl::Time now) const {
  if (e.snapshot == nullptr || e.stale) return false;
  return IsTerminal(e.snapshot->state()) ||
         now - e.read_at < options_.fresh_for;
}

std::unique_ptr<JobRegistry::WatchHandle> JobRegistry::Impl::Watch(
    const std::string& tenant, const std::string& name, int64_t resume,
    ReadFn read, std::shared_ptr<Watcher> watcher) {
  Actions actions;
  std::unique_ptr<WatchHandle> handle;
  {
    MutexLock lock(&mu_);
    if (shutdown_.has_value()) {
      absl::Status status = *shutdown_;
      actions.push_back([watcher, status] { watcher->OnEnd(status); });
      handle = std::make_unique<NoHandle>();
    } else {
      std::shared_ptr<Entry> e =
          GetOrCreateLocked(tenant, name, std::move(read));
      const uint64_t id = next_watcher_id_++;
      WatcherSlot& slot = e->watchers[id];
      slot.watcher = std::move(watcher);
      slot.resume_from = resume;
      handle = std::make_unique<Handle>(weak_from_this(), e->key, id);
      FollowLocked(e);
      if (FreshLocked(*e, scheduler_->clock().Now())) {
        PrimeLocked(*e, slot, actions);
        if (IsTerminal(e->snapshot->state())) {
          auto w = slot.watcher;
          actions.push_back([w] { w->OnEnd(absl::OkStatus()); });
          e->watchers.erase(id);
          MaybeIdleLocked(e, actions);
        } else if (PollsLocked(*e) && !e->reading && e->poll_task == 0) {
          SchedulePollLocked(e, e->read_at + e->interval);
        }
      } else if (e->role == Role::kFollower) {
        // Another replica may poll it already: its state, not a read.
        LookUpLocked(e, actions);
      } else if (!e->reading) {
        StartReadLocked(e, actions);
      }
      if (!e->watchers.empty()) EnsureHeartbeatLocked(e);
    }
  }
  RunAll(actions);
  return handle;
}

void JobRegistry::Impl::Get(const std::string& tenant, const std::string& name,
                            ReadFn read, ReadDone done) {
  Actions actions;
  {
    MutexLock lock(&mu_);
    if (shutdown_.has_value()) {
      actions.push_back([done = std::move(done), s = *shutdown_]() mutable {
        std::move(done)(s);
      });
    } else {
      std::shared_ptr<Entry> e =
          GetOrCreateLocked(tenant, name, std::move(read));
      if (FreshLocked(*e, scheduler_->clock().Now())) {
        v1::Job job = *e->snapshot;
        actions.push_back([done = std::move(done), job]() mutable {
          std::move(done)(std::move(job));
        });
        MaybeIdleLocked(e, actions);
      } else {
        e->getters.push_back(std::move(done));
        if (Shared() && e->role != Role::kOwner) {
          LookUpLocked(e, actions);
        } else if (!e->reading) {
          StartReadLocked(e, actions);
        }
      }
    }
  }
  RunAll(actions);
}

bool JobRegistry::Impl::Poke(const std::string& tenant,
                             const std::string& name) {
  Actions actions;
  bool watched = false;
  {
    MutexLock lock(&mu_);
    if (Shared()) {
      // Whoever polls the job, here or elsewhere, hears of it through the
      // coordinator (this replica too, if it is the poller).
      JobCoordinator* coordinator = coordinator_;
      actions.push_back(
          [coordinator, tenant, name] { coordinator->Poke(tenant, name); });
    }
    auto it = entries_.find(MapKey(tenant, name));
    if (it != entries_.end()) {
      std::shared_ptr<Entry> e = it->second;
      // Whatever the hint says, a cached answer may now be out of date.
      e->read_at = absl::InfinitePast();
      watched = !e->watchers.empty();
      if (watched && !Shared()) PokeLocked(e, actions);
    }
  }
  RunAll(actions);
  return watched;
}

void JobRegistry::Impl::PokeLocked(const std::shared_ptr<Entry>& e,
                                   Actions& actions) {
  e->read_at = absl::InfinitePast();
  if (!PollsLocked(*e)) return;
  const absl::Time now = scheduler_->clock().Now();
  if (e->reading) {
    e->dirty = true;
  } else if (now - e->last_poke_read < options_.min_poke_gap) {
    SchedulePollLocked(e, e->last_poke_read + options_.min_poke_gap,
                       /*for_poke=*/true);
  } else {
    e->poke_scheduled = true;
    StartReadLocked(e, actions);
  }
}

void JobRegistry::Impl::Invalidate(const std::string& tenant,
                                   const std::string& name) {
  Actions actions;
  {
    MutexLock lock(&mu_);
    if (Shared()) {
      JobCoordinator* coordinator = coordinator_;
      actions.push_back(
          [coordinator, tenant, name] { coordinator->Poke(tenant, name); });
    }
    auto it = entries_.find(MapKey(tenant, name));
    if (it != entries_.end()) {
      std::shared_ptr<Entry> e = it->second;
      e->stale = true;
      // A read already under way may predate the change: its answer is
      // dropped and read again (see OnRead).
      ++e->generation;
      if (PollsLocked(*e) && !e->reading) StartReadLocked(e, actions);
    }
  }
  RunAll(actions);
}

void JobRegistry::Impl::Shutdown(const absl::Status& status) {
  Actions actions;
  {
    MutexLock lock(&mu_);
    shutdown_ = status;
    for (auto& [key, e] : entries_) {
      EndAllLocked(*e, status, actions);
      Cancel(e->expiry_task);
      for (auto& getter : e->getters) {
        actions.push_back([g = std::move(getter), status]() mutable {
          std::move(g)(status);
        });
      }
      e->getters.clear();
      // Leases go at once, so another replica takes over the polling
      // without waiting for them to run out.
      actions.push_back([m = std::shared_ptr<JobCoordinator::Membership>(
                             std::move(e->membership))] {});
    }
    entries_.clear();
  }
  RunAll(actions);
}

void JobRegistry::Impl::Unwatch(const std::string& key, uint64_t id) {
  Actions actions;
  {
    MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    std::shared_ptr<Entry> e = it->second;
    if (e->watchers.erase(id) == 0) return;
    MaybeIdleLocked(e, actions);
  }
  RunAll(actions);
}

void JobRegistry::Impl::StartReadLocked(const std::shared_ptr<Entry>& e,
                                        Actions& actions) {
  e->reading = true;
  e->dirty = false;
  e->last_read_start = scheduler_->clock().Now();
  if (e->poke_scheduled) {
    e->last_poke_read = e->last_read_start;
    e->poke_scheduled = false;
  }
  Cancel(e->poll_task);
  const uint64_t generation = e->generation;
  std::weak_ptr<Impl> weak = weak_from_this();
  // `read` is set once when the entry is made, so it is safe to use after
  // the lock is released.
  actions.push_back([weak, e, generation] {
    e->read([weak, e, generation](absl::StatusOr<v1::Job> result) {
      if (auto self = weak.lock()) {
        self->OnRead(e, generation, std::move(result));
      }
    });
  });
}

void JobRegistry::Impl::OnRead(const std::shared_ptr<Entry>& e,
                               uint64_t generation,
                               absl::StatusOr<v1::Job> result) {
  Actions actions;
  {
    MutexLock lock(&mu_);
    if (!Live(e)) {
      e->reading = false;
      // Shut down or expired while reading: only getters still wait.
      for (auto& getter : e->getters) {
        actions.push_back([g = std::move(getter), result]() mutable {
          std::move(g)(result);
        });
      }
      e->getters.clear();
    } else if (generation != e->generation) {
      e->reading = false;
      StartReadLocked(e, actions);
    } else if (!result.ok()) {
      e->reading = false;
      ApplyErrorLocked(e, result.status(), actions);
    } else if (Shared()) {
      // Still `reading` until the coordinator gives the state its shared
      // version (and tells every other replica).
      const bool differs = e->snapshot == nullptr || e->stale ||
                           !SameState(*e->snapshot, *result);
      const int64_t floor = differs ? e->version + 1 : 0;
      const int64_t before = e->version;
      std::weak_ptr<Impl> weak = weak_from_this();
      JobCoordinator* coordinator = coordinator_;
      actions.push_back([weak, e, generation, coordinator, floor, before,
                         job = *std::move(result)]() mutable {
        v1::Job copy = job;
        coordinator->Publish(
            e->tenant, e->name, copy, floor,
            [weak, e, generation, before,
             job = std::move(job)](absl::StatusOr<v1::Job> p) mutable {
              if (auto self = weak.lock()) {
                self->OnPublished(e, generation, before, std::move(job),
                                  std::move(p));
              }
            });
      });
    } else {
      e->reading = false;
      const bool changed = e->snapshot == nullptr || e->stale ||
                           !SameState(*e->snapshot, *result);
      const int64_t version =
          changed ? NextVersion(e->version, *result) : e->version;
      ApplyReadLocked(e, *std::move(result), version, changed, actions);
    }
  }
  RunAll(actions);
}

void JobRegistry::Impl::ApplyErrorLocked(const std::shared_ptr<Entry>& e,
                                         const absl::Status& status,
                                         Actions& actions) {
  const absl::Time now = scheduler_->clock().Now();
  for (auto& getter : e->getters) {
    actions.push_back(
        [g = std::move(getter), status]() mutable { std::move(g)(status); });
  }
  e->getters.clear();
  if (e->snapshot == nullptr || IsPermanent(status.code())) {
    EndAllLocked(*e, status, actions);
    e->snapshot = nullptr;
    MaybeIdleLocked(e, actions);
  } else {
    // Transient (the engine already retried): keep watching, slower.
    e->interval = std::min(options_.max_poll_interval,
                           e->interval * options_.poll_multiplier);
    if (PollsLocked(*e)) SchedulePollLocked(e, now + e->interval);
  }
}

void JobRegistry::Impl::ApplyReadLocked(const std::shared_ptr<Entry>& e,
                                        v1::Job job, int64_t version,
                                        bool changed, Actions& actions) {
  const absl::Time now = scheduler_->clock().Now();
  if (version > e->version) {
    job.set_version(version);
    ApplyStateLocked(*e, std::move(job), actions);
  } else {
    // Nothing new, or it arrived already (published by another replica).
    PrimeAllLocked(*e, actions);
  }
  e->interval = changed ? options_.min_poll_interval
                        : std::min(options_.max_poll_interval,
                                   e->interval * options_.poll_multiplier);
  e->stale = false;
  e->read_at = now;
  std::vector<ReadDone> getters = std::move(e->getters);
  e->getters.clear();
  for (auto& getter : getters) {
    actions.push_back([g = std::move(getter), s = e->snapshot]() mutable {
      std::move(g)(*s);
    });
  }
  if (IsTerminal(e->snapshot->state())) {
    EndAllLocked(*e, absl::OkStatus(), actions);
    MaybeIdleLocked(e, actions);
  } else if (!e->watchers.empty()) {
    ScheduleNextLocked(e, now, actions);
  } else {
    MaybeIdleLocked(e, actions);
  }
}

void JobRegistry::Impl::ScheduleNextLocked(const std::shared_ptr<Entry>& e,
                                           absl::Time now, Actions& actions) {
  if (!PollsLocked(*e)) return;
  if (e->dirty) {
    // Poked while reading (the read may predate the change): read again,
    // but not sooner than min_poke_gap after the last read a poke asked
    // for, so a storm of (replayed or forged) webhooks costs one upstream
    // read per gap rather than one per webhook.
    const absl::Time next = e->last_poke_read + options_.min_poke_gap;
    if (next <= now) {
      e->poke_scheduled = true;
      StartReadLocked(e, actions);
    } else {
      SchedulePollLocked(e, next, /*for_poke=*/true);
    }
  } else {
    SchedulePollLocked(e, now + e->interval);
  }
}

void JobRegistry::Impl::EnsurePollingLocked(const std::shared_ptr<Entry>& e,
                                            Actions& actions) {
  if (!PollsLocked(*e) || e->reading || e->looking_up || e->poll_task != 0) {
    return;
  }
  // Taking over (from a poller that left or died, or from a store that went
  // away): the last read may be a whole interval old, so poll now unless
  // this replica read recently.
  const absl::Time now = scheduler_->clock().Now();
  if (e->snapshot != nullptr && now - e->read_at < e->interval) {
    SchedulePollLocked(e, e->read_at + e->interval);
  } else {
    StartReadLocked(e, actions);
  }
}

void JobRegistry::Impl::SchedulePollLocked(const std::shared_ptr<Entry>& e,
                                           absl::Time when, bool for_poke) {
  Cancel(e->poll_task);
  e->poke_scheduled = for_poke;
  std::weak_ptr<Impl> weak = weak_from_this();
  e->poll_task = scheduler_->RunAt(when, [weak, e] {
    auto self = weak.lock();
    if (!self) return;
    Actions actions;
    {
      MutexLock lock(&self->mu_);
      e->poll_task = 0;
      if (!e->reading && self->PollsLocked(*e)) {
        self->StartReadLocked(e, actions);
      }
    }
    RunAll(actions);
  });
}

void JobRegistry::Impl::EnsureHeartbeatLocked(const std::shared_ptr<Entry>& e) {
  if (e->heartbeat_task != 0) return;
  std::weak_ptr<Impl> weak = weak_from_this();
  e->heartbeat_task =
      scheduler_->RunAfter(options_.heartbeat_interval, [weak, e] {
        if (auto self = weak.lock()) self->Heartbeat(e);
      });
}

void JobRegistry::Impl::Heartbeat(const std::shared_ptr<Entry>& e) {
  Actions actions;
  {
    MutexLock lock(&mu_);
    e->heartbeat_task = 0;
    if (e->watchers.empty()) return;
    HeartbeatAllLocked(*e, actions);
    EnsureHeartbeatLocked(e);
  }
  RunAll(actions);
}

void JobRegistry::Impl::StopPollingLocked(Entry& e) {
  Cancel(e.poll_task);
  Cancel(e.heartbeat_task);
}

void JobRegistry::Impl::MaybeIdleLocked(const std::shared_ptr<Entry>& e,
                                        Actions& actions) {
  if (!e->watchers.empty()) return;
  StopPollingLocked(*e);
  if (e->membership != nullptr) {
    // The last local watcher left: give up the lease (another replica with
    // watchers takes over at once) and the subscription. Outside the lock.
    actions.push_back([m = std::shared_ptr<JobCoordinator::Membership>(
                           std::move(e->membership))] {});
    e->role = Role::kLocal;
  }
  if (e->reading || e->looking_up || !e->getters.empty()) return;
  if (e->expiry_task != 0) return;
  std::weak_ptr<Impl> weak = weak_from_this();
  e->expiry_task = scheduler_->RunAfter(options_.idle_ttl, [weak, e] {
    auto self = weak.lock();
    if (!self) return;
    MutexLock lock(&self->mu_);
    e->expiry_task = 0;
    auto it = self->entries_.find(e->key);
    if (it != self->entries_.end() && it->second == e && e->watchers.empty() &&
        !e->reading && !e->looking_up && e->getters.empty()) {
      self->entries_.erase(it);
    }
  });
}

void JobRegistry::Impl::EndAllLocked(Entry& e, const absl::Status& status,
                                     Actions& actions) {
  for (auto& [id, slot] : e.watchers) {
    auto w = slot.watcher;
    actions.push_back([w, status] { w->OnEnd(status); });
  }
  e.watchers.clear();
  StopPollingLocked(e);
}

size_t JobRegistry::Impl::ActivePollers() const {
  MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [key, e] : entries_) n += PollsLocked(*e) ? 1 : 0;
  return n;
}

size_t JobRegistry::Impl::WatcherCount() const {
  MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [key, e] : entries_) n += e->watchers.size();
  return n;
}

JobRegistry::JobRegistry(Options options, Scheduler* scheduler,
                         JobCoordinator* coordinator)
    : impl_(std::make_shared<Impl>(options, scheduler, coordinator)) {
  impl_->Init();
}

JobRegistry::~JobRegistry() {
  impl_->Shutdown(
      absl::UnavailableError("server shutting down; resume the watch"));
}

std::unique_ptr<JobRegistry::WatchHandle> JobRegistry::Watch(
    const std::string& tenant, const std::string& name,
    int64_t resume_from_version, ReadFn read,
    std::shared_ptr<Watcher> watcher) {
  return impl_->Watch(tenant, name, resume_from_version, std::move(read),
                      std::move(watcher));
}

namespace {

// A getter's completion that runs at most once: with the read's answer, or
// with DEADLINE_EXCEEDED at the caller's deadline, whichever comes first.
class OnceDone {
 public:
  explicit OnceDone(ReadDone done) : done_(std::move(done)) {}

  void Run(absl::StatusOr<v1::Job> result) {
    std::optional<ReadDone> done;
    {
      MutexLock lock(&mu_);
      done.swap(done_);
    }
    if (done.has_value()) std::move (*done)(std::move(result));
  }

 private:
  Mutex mu_;
  std::optional<ReadDone> done_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

void JobRegistry::Get(const std::string& tenant, const std::string& name,
                      ReadFn read, ReadDone done, absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) {
    impl_->Get(tenant, name, std::move(read), std::move(done));
    return;
  }
  auto once = std::make_shared<OnceDone>(std::move(done));
  Scheduler* scheduler = impl_->scheduler();
  const Scheduler::TaskId timer = scheduler->RunAt(deadline, [once] {
    once->Run(absl::DeadlineExceededError(
        "the job was not read before the call's deadline"));
  });
  // The timer is cancelled as soon as the answer comes, so a caller with a
  // distant deadline leaves no task behind. The scheduler outlives the
  // registry, whose getters are all answered before it goes.
  impl_->Get(tenant, name, std::move(read),
             [once, scheduler, timer](absl::StatusOr<v1::Job> job) {
               scheduler->Cancel(timer);
               once->Run(std::move(job));
             });
}

bool JobRegistry::Poke(const std::string& tenant, const std::string& name) {
  return impl_->Poke(tenant, name);
}

void JobRegistry::Invalidate(const std::string& tenant,
                             const std::string& name) {
  impl_->Invalidate(tenant, name);
}

void JobRegistry::Shutdown(const absl::Status& status) {
  impl_->Shutdown(status);
}

size_t JobRegistry::active_pollers() const { return impl_->ActivePollers(); }
size_t JobRegistry::watcher_count() const { return impl_->WatcherCount(); }

}  // namespace mediagen::jobs
