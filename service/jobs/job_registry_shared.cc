// JobRegistry with a JobCoordinator: following a job's shared state,
// publishing what this replica reads, taking over or handing over the
// polling, and carrying on alone while the coordinator is unreachable.
#include <algorithm>
#include <utility>

#include "service/common/mutex.h"
#include "service/jobs/job_registry_impl.h"
#include "service/jobs/job_version.h"

namespace mediagen::jobs {

void JobRegistry::Impl::FollowLocked(const std::shared_ptr<Entry>& e) {
  if (coordinator_ == nullptr || e->membership != nullptr) return;
  // A follower until the coordinator says this replica won the lease; while
  // the coordinator is unreachable, every replica polls for itself.
  e->role = coordinator_->available() ? Role::kFollower : Role::kLocal;
  e->membership = coordinator_->Follow(
      e->tenant, e->name,
      std::make_shared<Listener>(weak_from_this(), std::weak_ptr<Entry>(e)));
}

void JobRegistry::Impl::LookUpLocked(const std::shared_ptr<Entry>& e,
                                     Actions& actions) {
  if (e->looking_up || e->reading) return;  // an answer is on its way
  e->looking_up = true;
  std::weak_ptr<Impl> weak = weak_from_this();
  JobCoordinator* coordinator = coordinator_;
  actions.push_back([weak, e, coordinator] {
    coordinator->Lookup(
        e->tenant, e->name,
        [weak, e](absl::StatusOr<std::optional<SharedState>> result) {
          if (auto self = weak.lock()) self->OnLookup(e, std::move(result));
        });
  });
}

void JobRegistry::Impl::OnLookup(
    const std::shared_ptr<Entry>& e,
    absl::StatusOr<std::optional<SharedState>> result) {
  Actions actions;
  {
    MutexLock lock(&mu_);
    e->looking_up = false;
    if (!Live(e)) return;
    const absl::Time now = scheduler_->clock().Now();
    bool for_watchers = false;
    bool for_getters = false;
    if (result.ok() && result->has_value()) {
      const SharedState& shared = **result;
      const bool terminal = IsTerminal(shared.job.state());
      // Watchers take what the poller publishes; GetJob wants it fresh.
      for_watchers = terminal || shared.polled ||
                     now - shared.read_at < options_.fresh_for;
      for_getters = terminal || now - shared.read_at < options_.fresh_for;
      if (for_watchers && shared.job.version() > e->version) {
        ApplyStateLocked(*e, shared.job, actions);
        e->read_at = std::min(now, shared.read_at);
        e->stale = false;
      }
    }
    if (for_getters && e->snapshot != nullptr) {
      for (auto& getter : e->getters) {
        actions.push_back([g = std::move(getter), s = e->snapshot]() mutable {
          std::move(g)(*s);
        });
      }
      e->getters.clear();
    }
    const bool unprimed =
        std::any_of(e->watchers.begin(), e->watchers.end(),
                    [](const auto& w) { return !w.second.primed; });
    if (e->snapshot != nullptr && IsTerminal(e->snapshot->state())) {
      EndAllLocked(*e, absl::OkStatus(), actions);
      MaybeIdleLocked(e, actions);
    } else if ((!e->getters.empty() || unprimed) && !e->reading) {
      // Nobody polls it, or the shared state is stale: read it once here
      // (the answer is published, so every replica gets the same version).
      StartReadLocked(e, actions);
    } else {
      // Ownership may have come while the lookup was out.
      EnsurePollingLocked(e, actions);
    }
  }
  RunAll(actions);
}

void JobRegistry::Impl::OnPublished(const std::shared_ptr<Entry>& e,
                                    uint64_t generation, int64_t before,
                                    v1::Job job,
                                    absl::StatusOr<v1::Job> current) {
  Actions actions;
  {
    MutexLock lock(&mu_);
    e->reading = false;
    if (!Live(e)) {
      for (auto& getter : e->getters) {
        actions.push_back(
            [g = std::move(getter), job]() mutable { std::move(g)(job); });
      }
      e->getters.clear();
    } else if (generation != e->generation) {
      StartReadLocked(e, actions);
    } else if (!current.ok()) {
      // The store went away between the read and its publication: this
      // replica carries on alone (as while the coordinator is unavailable).
      const bool changed =
          e->snapshot == nullptr || e->stale || !SameState(*e->snapshot, job);
      const int64_t version =
          changed ? NextVersion(e->version, job) : e->version;
      ApplyReadLocked(e, std::move(job), version, changed, actions);
    } else {
      // The shared state after this read: the read itself, or a newer
      // state another replica published first (this read was older). It
      // may have arrived already (OnSharedState): then it is applied, and
      // only the poll interval is this function's business.
      const int64_t version = current->version();
      ApplyReadLocked(e, *std::move(current), version, version > before,
                      actions);
    }
  }
  RunAll(actions);
}

void JobRegistry::Impl::OnSharedState(const std::shared_ptr<Entry>& e,
                                      const v1::Job& job) {
  Actions actions;
  {
    MutexLock lock(&mu_);
    if (!Live(e) || job.version() <= e->version) return;
    ApplyStateLocked(*e, job, actions);
    e->read_at = scheduler_->clock().Now();
    e->stale = false;
    e->interval = options_.min_poll_interval;
    for (auto& getter : e->getters) {
      actions.push_back([g = std::move(getter), s = e->snapshot]() mutable {
        std::move(g)(*s);
      });
    }
    e->getters.clear();
    if (IsTerminal(job.state())) {
      EndAllLocked(*e, absl::OkStatus(), actions);
      MaybeIdleLocked(e, actions);
    }
  }
  RunAll(actions);
}

void JobRegistry::Impl::OnSharedPoke(const std::shared_ptr<Entry>& e) {
  Actions actions;
  {
    MutexLock lock(&mu_);
    if (Live(e)) PokeLocked(e, actions);
  }
  RunAll(actions);
}

void JobRegistry::Impl::OnOwnership(const std::shared_ptr<Entry>& e,
                                    bool owner) {
  Actions actions;
  {
    MutexLock lock(&mu_);
    if (!Live(e) || e->watchers.empty()) return;
    const Role role =
        owner ? Role::kOwner : (Shared() ? Role::kFollower : Role::kLocal);
    if (role == e->role) return;
    e->role = role;
    if (role == Role::kFollower) {
      Cancel(e->poll_task);  // the new owner polls; a read in flight ends
      return;
    }
    EnsurePollingLocked(e, actions);
  }
  RunAll(actions);
}

void JobRegistry::Impl::OnResync(const std::shared_ptr<Entry>& e) {
  Actions actions;
  {
    MutexLock lock(&mu_);
    if (Live(e) && !e->watchers.empty()) LookUpLocked(e, actions);
  }
  RunAll(actions);
}

void JobRegistry::Impl::OnAvailability(bool available) {
  Actions actions;
  {
    MutexLock lock(&mu_);
    if (available) return;  // each membership hears OnOwnership / OnResync
    // Nobody else's publications can be heard now: every replica polls
    // what it watches itself until the store is back. Watches go on.
    for (auto& [key, e] : entries_) {
      if (e->role != Role::kFollower) continue;
      e->role = Role::kLocal;
      EnsurePollingLocked(e, actions);
    }
  }
  RunAll(actions);
}

}  // namespace mediagen::jobs
