#include "service/jobs/job_registry.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
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

bool SameState(const v1::Job& a, const v1::Job& b) {
  google::protobuf::util::MessageDifferencer diff;
  diff.IgnoreField(v1::Job::descriptor()->FindFieldByName("version"));
  return diff.Compare(a, b);
}

std::string MapKey(const std::string& tenant, const std::string& name) {
  return absl::StrCat(tenant.size(), ":", tenant, name);
}

using Action = absl::AnyInvocable<void() &&>;
using Actions = std::vector<Action>;

void RunAll(Actions& actions) {
  for (auto& action : actions) std::move(action)();
  actions.clear();
}

struct WatcherSlot {
  std::shared_ptr<Watcher> watcher;
  int64_t resume_from = 0;
  bool primed = false;  // got its first message (snapshot or heartbeat)
};

struct Entry {
  std::string key;
  ReadFn read;
  std::shared_ptr<const v1::Job> snapshot;
  int64_t version = 0;
  absl::Time read_at = absl::InfinitePast();
  absl::Time last_read_start = absl::InfinitePast();
  // When the last read that a poke asked for began: pokes are spaced from
  // that, not from polls, so a webhook right after a poll is not held back.
  absl::Time last_poke_read = absl::InfinitePast();
  bool poke_scheduled = false;  // the pending poll_task is a spaced poke
  bool stale = false;    // Invalidate()d: the cache must not answer
  bool reading = false;
  bool dirty = false;    // poked during a read: read again right after
  uint64_t generation = 0;
  absl::Duration interval;
  std::map<uint64_t, WatcherSlot> watchers;
  std::vector<ReadDone> getters;
  Scheduler::TaskId poll_task = 0;
  Scheduler::TaskId heartbeat_task = 0;
  Scheduler::TaskId expiry_task = 0;
};

}  // namespace

class JobRegistry::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(Options options, Scheduler* scheduler)
      : options_(options), scheduler_(scheduler) {}

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
  size_t WatcherCount() const;

 private:
  std::shared_ptr<Entry> GetOrCreateLocked(const std::string& key, ReadFn read);
  bool FreshLocked(const Entry& e, absl::Time now) const;
  void StartReadLocked(const std::shared_ptr<Entry>& e, Actions& actions);
  void OnRead(const std::shared_ptr<Entry>& e, uint64_t generation,
              absl::StatusOr<v1::Job> result);
  void PrimeLocked(Entry& e, WatcherSlot& slot, Actions& actions);
  // `for_poke`: the poll stands for a poke held back by min_poke_gap.
  void SchedulePollLocked(const std::shared_ptr<Entry>& e, absl::Time when,
                          bool for_poke = false);
  void EnsureHeartbeatLocked(const std::shared_ptr<Entry>& e);
  void Heartbeat(const std::shared_ptr<Entry>& e);
  void StopPollingLocked(Entry& e);
  void MaybeIdleLocked(const std::shared_ptr<Entry>& e);
  void EndAllLocked(Entry& e, const absl::Status& status, Actions& actions);
  void Cancel(Scheduler::TaskId& id) {
    if (id != 0) scheduler_->Cancel(id);
    id = 0;
  }

  const Options options_;
  Scheduler* const scheduler_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Entry>> entries_;
  uint64_t next_watcher_id_ = 1;
  std::optional<absl::Status> shutdown_;
};

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
    const std::string& key, ReadFn read) {
  auto& slot = entries_[key];
  if (slot == nullptr) {
    slot = std::make_shared<Entry>();
    slot->key = key;
    slot->read = std::move(read);
    slot->interval = options_.min_poll_interval;
  }
  Cancel(slot->expiry_task);
  return slot;
}

bool JobRegistry::Impl::FreshLocked(const Entry& e, absl::Time now) const {
  if (e.snapshot == nullptr || e.stale) return false;
  return IsTerminal(e.snapshot->state()) || now - e.read_at < options_.fresh_for;
}

std::unique_ptr<JobRegistry::WatchHandle> JobRegistry::Impl::Watch(
    const std::string& tenant, const std::string& name, int64_t resume,
    ReadFn read, std::shared_ptr<Watcher> watcher) {
  Actions actions;
  std::unique_ptr<WatchHandle> handle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_.has_value()) {
      absl::Status status = *shutdown_;
      actions.push_back([watcher, status] { watcher->OnEnd(status); });
      handle = std::make_unique<NoHandle>();
    } else {
      const std::string key = MapKey(tenant, name);
      std::shared_ptr<Entry> e = GetOrCreateLocked(key, std::move(read));
      const uint64_t id = next_watcher_id_++;
      WatcherSlot& slot = e->watchers[id];
      slot.watcher = std::move(watcher);
      slot.resume_from = resume;
      handle = std::make_unique<Handle>(weak_from_this(), key, id);
      if (FreshLocked(*e, scheduler_->clock().Now())) {
        PrimeLocked(*e, slot, actions);
        if (IsTerminal(e->snapshot->state())) {
          auto w = slot.watcher;
          actions.push_back([w] { w->OnEnd(absl::OkStatus()); });
          e->watchers.erase(id);
          MaybeIdleLocked(e);
        } else if (!e->reading && e->poll_task == 0) {
          SchedulePollLocked(e, e->read_at + e->interval);
        }
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
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_.has_value()) {
      actions.push_back([done = std::move(done), s = *shutdown_]() mutable {
        std::move(done)(s);
      });
    } else {
      std::shared_ptr<Entry> e =
          GetOrCreateLocked(MapKey(tenant, name), std::move(read));
      if (FreshLocked(*e, scheduler_->clock().Now())) {
        v1::Job job = *e->snapshot;
        actions.push_back([done = std::move(done), job]() mutable {
          std::move(done)(std::move(job));
        });
        MaybeIdleLocked(e);
      } else {
        e->getters.push_back(std::move(done));
        if (!e->reading) StartReadLocked(e, actions);
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
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(MapKey(tenant, name));
    if (it == entries_.end()) return false;
    std::shared_ptr<Entry> e = it->second;
    // Whatever the hint says, a cached answer may now be out of date.
    e->read_at = absl::InfinitePast();
    watched = !e->watchers.empty();
    if (watched) {
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
  }
  RunAll(actions);
  return watched;
}

void JobRegistry::Impl::Invalidate(const std::string& tenant,
                                   const std::string& name) {
  Actions actions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(MapKey(tenant, name));
    if (it == entries_.end()) return;
    std::shared_ptr<Entry> e = it->second;
    e->stale = true;
    // A read already under way may predate the change: its answer is
    // dropped and read again (see OnRead).
    ++e->generation;
    if (!e->watchers.empty() && !e->reading) StartReadLocked(e, actions);
  }
  RunAll(actions);
}

void JobRegistry::Impl::Shutdown(const absl::Status& status) {
  Actions actions;
  {
    std::lock_guard<std::mutex> lock(mu_);
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
    }
    entries_.clear();
  }
  RunAll(actions);
}

void JobRegistry::Impl::Unwatch(const std::string& key, uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  std::shared_ptr<Entry> e = it->second;
  if (e->watchers.erase(id) == 0) return;
  if (e->watchers.empty()) {
    StopPollingLocked(*e);
    MaybeIdleLocked(e);
  }
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
    std::lock_guard<std::mutex> lock(mu_);
    e->reading = false;
    auto it = entries_.find(e->key);
    if (it == entries_.end() || it->second != e) {
      // Shut down or expired while reading: only getters still wait.
      for (auto& getter : e->getters) {
        actions.push_back([g = std::move(getter), result]() mutable {
          std::move(g)(result);
        });
      }
      e->getters.clear();
    } else if (generation != e->generation) {
      StartReadLocked(e, actions);
    } else {
      const absl::Time now = scheduler_->clock().Now();
      std::vector<ReadDone> getters = std::move(e->getters);
      e->getters.clear();
      if (!result.ok()) {
        const absl::Status status = result.status();
        for (auto& getter : getters) {
          actions.push_back([g = std::move(getter), status]() mutable {
            std::move(g)(status);
          });
        }
        if (e->snapshot == nullptr || IsPermanent(status.code())) {
          EndAllLocked(*e, status, actions);
          e->snapshot = nullptr;
          MaybeIdleLocked(e);
        } else {
          // Transient (the engine already retried): keep watching, slower.
          e->interval = std::min(options_.max_poll_interval,
                                 e->interval * options_.poll_multiplier);
          if (!e->watchers.empty()) SchedulePollLocked(e, now + e->interval);
        }
      } else {
        v1::Job job = *std::move(result);
        const bool changed = e->snapshot == nullptr || e->stale ||
                             !SameState(*e->snapshot, job);
        if (changed) {
          e->version = NextVersion(e->version, job);
          job.set_version(e->version);
          e->snapshot = std::make_shared<const v1::Job>(std::move(job));
          e->interval = options_.min_poll_interval;
        } else {
          e->interval = std::min(options_.max_poll_interval,
                                 e->interval * options_.poll_multiplier);
        }
        e->stale = false;
        e->read_at = now;
        const bool terminal = IsTerminal(e->snapshot->state());
        for (auto& [id, slot] : e->watchers) {
          if (!slot.primed) {
            PrimeLocked(*e, slot, actions);
          } else if (changed && e->version > slot.resume_from) {
            auto w = slot.watcher;
            auto job_ptr = e->snapshot;
            actions.push_back([w, job_ptr] { w->OnJob(*job_ptr); });
          }
        }
        for (auto& getter : getters) {
          actions.push_back([g = std::move(getter), s = e->snapshot]() mutable {
            std::move(g)(*s);
          });
        }
        if (terminal) {
          EndAllLocked(*e, absl::OkStatus(), actions);
          MaybeIdleLocked(e);
        } else if (!e->watchers.empty()) {
          if (e->dirty) {
            // Poked while reading (the read may predate the change): read
            // again, but not sooner than min_poke_gap after the last read a
            // poke asked for, so a storm of (replayed or forged) webhooks
            // costs one upstream read per gap rather than one per webhook.
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
        } else {
          MaybeIdleLocked(e);
        }
      }
    }
  }
  RunAll(actions);
}

void JobRegistry::Impl::PrimeLocked(Entry& e, WatcherSlot& slot,
                                    Actions& actions) {
  slot.primed = true;
  auto w = slot.watcher;
  if (slot.resume_from != 0 && slot.resume_from >= e.snapshot->version()) {
    // The caller has this state, or a later one (its replica read upstream
    // more recently than this one): a lower version would take it back.
    // The heartbeat says the stream is live; the next change that orders
    // after what it holds follows.
    const int64_t version = std::max(e.version, slot.resume_from);
    actions.push_back([w, version] { w->OnHeartbeat(version); });
  } else {
    auto job = e.snapshot;
    actions.push_back([w, job] { w->OnJob(*job); });
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
      std::lock_guard<std::mutex> lock(self->mu_);
      e->poll_task = 0;
      if (!e->reading && !e->watchers.empty()) {
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
    std::lock_guard<std::mutex> lock(mu_);
    e->heartbeat_task = 0;
    if (e->watchers.empty()) return;
    for (auto& [id, slot] : e->watchers) {
      // The snapshot comes first: nothing goes to a watcher before it.
      if (!slot.primed) continue;
      auto w = slot.watcher;
      const int64_t version = std::max(e->version, slot.resume_from);
      actions.push_back([w, version] { w->OnHeartbeat(version); });
    }
    EnsureHeartbeatLocked(e);
  }
  RunAll(actions);
}

void JobRegistry::Impl::StopPollingLocked(Entry& e) {
  Cancel(e.poll_task);
  Cancel(e.heartbeat_task);
}

void JobRegistry::Impl::MaybeIdleLocked(const std::shared_ptr<Entry>& e) {
  if (!e->watchers.empty() || e->reading || !e->getters.empty()) return;
  StopPollingLocked(*e);
  if (e->expiry_task != 0) return;
  std::weak_ptr<Impl> weak = weak_from_this();
  e->expiry_task = scheduler_->RunAfter(options_.idle_ttl, [weak, e] {
    auto self = weak.lock();
    if (!self) return;
    std::lock_guard<std::mutex> lock(self->mu_);
    e->expiry_task = 0;
    auto it = self->entries_.find(e->key);
    if (it != self->entries_.end() && it->second == e && e->watchers.empty() &&
        !e->reading && e->getters.empty()) {
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
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [key, e] : entries_) n += e->watchers.empty() ? 0 : 1;
  return n;
}

size_t JobRegistry::Impl::WatcherCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [key, e] : entries_) n += e->watchers.size();
  return n;
}

JobRegistry::JobRegistry(Options options, Scheduler* scheduler)
    : impl_(std::make_shared<Impl>(options, scheduler)) {}

JobRegistry::~JobRegistry() {
  impl_->Shutdown(absl::UnavailableError("server shutting down; resume the watch"));
}

std::unique_ptr<JobRegistry::WatchHandle> JobRegistry::Watch(
    const std::string& tenant, const std::string& name,
    int64_t resume_from_version, ReadFn read,
    std::shared_ptr<Watcher> watcher) {
  return impl_->Watch(tenant, name, resume_from_version, std::move(read),
                      std::move(watcher));
}

void JobRegistry::Get(const std::string& tenant, const std::string& name,
                      ReadFn read, ReadDone done) {
  impl_->Get(tenant, name, std::move(read), std::move(done));
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
