#include "service/jobs/fake_job_coordinator.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/common/mutex.h"
#include "service/jobs/job_version.h"

namespace mediagen::jobs {
namespace {

std::string Content(const v1::Job& job) {
  v1::Job copy = job;
  copy.clear_version();
  std::string out;
  copy.SerializeToString(&out);
  return out;
}

}  // namespace

class FakeJobCoordinator::FakeMembership : public Membership {
 public:
  FakeMembership(FakeJobCoordinator* owner, std::string key, uint64_t id,
                 std::shared_ptr<bool> store_alive)
      : owner_(owner),
        key_(std::move(key)),
        id_(id),
        store_alive_(std::move(store_alive)) {}
  ~FakeMembership() override {
    if (*store_alive_) owner_->Leave(key_, id_);
  }

 private:
  FakeJobCoordinator* owner_;
  std::string key_;
  uint64_t id_;
  std::shared_ptr<bool> store_alive_;
};

FakeJobStore::FakeJobStore(Scheduler* scheduler, absl::Duration lease)
    : scheduler_(scheduler), lease_(lease) {}

FakeJobStore::~FakeJobStore() { *alive_ = false; }

std::unique_ptr<FakeJobCoordinator> FakeJobStore::Replica(
    const std::string& id) {
  auto replica = std::make_unique<FakeJobCoordinator>(this, id);
  MutexLock lock(&mu_);
  replicas_.insert(replica.get());
  return replica;
}

void FakeJobStore::Post(std::function<void()> task) {
  std::weak_ptr<bool> alive = alive_;
  scheduler_->RunAfter(absl::ZeroDuration(), [alive, task = std::move(task)] {
    if (auto a = alive.lock(); a && *a) task();
  });
}

std::string FakeJobStore::Key(const std::string& tenant,
                              const std::string& name) const {
  return absl::StrCat(tenant, "|", name);
}

bool FakeJobStore::TryAcquireLocked(Job& job, const std::string& replica) {
  const absl::Time now = scheduler_->clock().Now();
  if (job.lease_holder.empty() || job.lease_until <= now ||
      job.lease_holder == replica) {
    job.lease_holder = replica;
    job.lease_until = now + lease_;
    return true;
  }
  return false;
}

std::vector<std::shared_ptr<JobCoordinator::Listener>>
FakeJobStore::ListenersLocked(const std::string& key) {
  std::vector<std::shared_ptr<JobCoordinator::Listener>> out;
  auto it = followers_.find(key);
  if (it == followers_.end()) return out;
  for (auto& [id, f] : it->second) out.push_back(f.listener);
  return out;
}

void FakeJobStore::SetAvailable(bool available) {
  std::vector<std::pair<std::string, uint64_t>> memberships;
  std::vector<FakeJobCoordinator*> replicas;
  {
    MutexLock lock(&mu_);
    if (available_ == available) return;
    available_ = available;
    replicas.assign(replicas_.begin(), replicas_.end());
    for (auto& [key, fs] : followers_) {
      for (auto& [id, f] : fs) memberships.emplace_back(key, id);
    }
  }
  for (FakeJobCoordinator* r : replicas) {
    Post([r, available] {
      if (r->observer_) r->observer_(available);
    });
  }
  if (!available) return;
  // Back: every membership re-reads the shared state and learns (again)
  // whether it holds the lease.
  for (auto& [key, id] : memberships) {
    Post([this, key = key, id = id] {
      std::shared_ptr<JobCoordinator::Listener> listener;
      FakeJobCoordinator* replica = nullptr;
      bool owner = false;
      {
        MutexLock lock(&mu_);
        auto fit = followers_.find(key);
        if (fit == followers_.end() || !fit->second.count(id)) return;
        listener = fit->second[id].listener;
        replica = fit->second[id].replica;
        owner = TryAcquireLocked(jobs_[key], replica->id_);
      }
      listener->OnResync();
      listener->OnOwnership(owner);
    });
  }
}

std::string FakeJobStore::LeaseHolder(const std::string& tenant,
                                      const std::string& name) {
  MutexLock lock(&mu_);
  auto it = jobs_.find(Key(tenant, name));
  if (it == jobs_.end() ||
      it->second.lease_until <= scheduler_->clock().Now()) {
    return "";
  }
  return it->second.lease_holder;
}

int64_t FakeJobStore::StoredVersion(const std::string& tenant,
                                    const std::string& name) {
  MutexLock lock(&mu_);
  auto it = jobs_.find(Key(tenant, name));
  return it == jobs_.end() ? 0 : it->second.version;
}

int FakeJobStore::publishes() const {
  MutexLock lock(&mu_);
  return publishes_;
}

FakeJobCoordinator::FakeJobCoordinator(FakeJobStore* store, std::string id)
    : store_(store), id_(std::move(id)) {}

FakeJobCoordinator::~FakeJobCoordinator() {
  MutexLock lock(&store_->mu_);
  store_->replicas_.erase(this);
}

void FakeJobCoordinator::Crash() {
  MutexLock lock(&store_->mu_);
  crashed_ = true;
  store_->replicas_.erase(this);
  for (auto& [key, fs] : store_->followers_) {
    for (auto it = fs.begin(); it != fs.end();) {
      it = it->second.replica == this ? fs.erase(it) : std::next(it);
    }
  }
}

bool FakeJobCoordinator::available() const {
  MutexLock lock(&store_->mu_);
  return store_->available_ && !crashed_;
}

std::unique_ptr<JobCoordinator::Membership> FakeJobCoordinator::Follow(
    const std::string& tenant, const std::string& name,
    std::shared_ptr<Listener> listener) {
  MutexLock lock(&store_->mu_);
  const std::string key = store_->Key(tenant, name);
  const uint64_t id = store_->next_id_++;
  store_->followers_[key][id] = {this, std::move(listener)};
  store_->Post([this, key, id] { Tick(key, id); });
  return std::make_unique<FakeMembership>(this, key, id, store_->alive_);
}

// One round of the lease loop for a membership: renew or try to take the
// lease, tell the listener when that changes, and come back in lease / 4.
void FakeJobCoordinator::Tick(const std::string& key, uint64_t id) {
  std::shared_ptr<Listener> listener;
  bool owner = false;
  bool report = false;
  {
    MutexLock lock(&store_->mu_);
    auto fit = store_->followers_.find(key);
    if (crashed_ || fit == store_->followers_.end() || !fit->second.count(id)) {
      return;
    }
    FakeJobStore::Follower& f = fit->second[id];
    if (store_->available_) {
      FakeJobStore::Job& job = store_->jobs_[key];
      const bool was_owner =
          job.lease_holder == id_ &&
          job.lease_until > store_->scheduler_->clock().Now();
      owner = store_->TryAcquireLocked(job, id_);
      report = owner != was_owner || owner;
      listener = f.listener;
    }
    std::weak_ptr<bool> alive = store_->alive_;
    store_->scheduler_->RunAfter(store_->lease_ / 4, [this, key, id, alive] {
      if (auto a = alive.lock(); a && *a) Tick(key, id);
    });
  }
  // Reported on every won round too: harmless for the registry (no change),
  // and it is how a replica that lost the lease while it was away hears.
  if (listener && report) listener->OnOwnership(owner);
}

void FakeJobCoordinator::Leave(const std::string& key, uint64_t id) {
  std::vector<std::pair<FakeJobCoordinator*, uint64_t>> others;
  {
    MutexLock lock(&store_->mu_);
    auto fit = store_->followers_.find(key);
    if (fit == store_->followers_.end()) return;
    fit->second.erase(id);
    if (crashed_ || !store_->available_) return;
    auto jit = store_->jobs_.find(key);
    if (jit == store_->jobs_.end() || jit->second.lease_holder != id_) return;
    for (auto& [other_id, f] : fit->second) {
      if (f.replica == this) return;  // still followed here
    }
    jit->second.lease_holder.clear();
    // "Released": the others try at once rather than at their next round.
    for (auto& [other_id, f] : fit->second) {
      others.emplace_back(f.replica, other_id);
    }
  }
  for (const auto& other : others) {
    FakeJobCoordinator* replica = other.first;
    const uint64_t id = other.second;
    store_->Post([replica, key, id] { replica->Tick(key, id); });
  }
}

void FakeJobCoordinator::Publish(
    const std::string& tenant, const std::string& name, const v1::Job& job,
    int64_t floor, absl::AnyInvocable<void(absl::StatusOr<v1::Job>) &&> done) {
  auto shared_done = std::make_shared<decltype(done)>(std::move(done));
  MutexLock lock(&store_->mu_);
  if (!store_->available_ || crashed_) {
    store_->Post([shared_done] {
      std::move (*shared_done)(absl::UnavailableError("store unreachable"));
    });
    return;
  }
  const std::string key = store_->Key(tenant, name);
  FakeJobStore::Job& stored = store_->jobs_[key];
  const std::string content = Content(job);
  const int64_t state_version = StateVersion(job);
  v1::Job current;
  if (stored.version != 0 && content == stored.content) {
    stored.read_at = store_->scheduler_->clock().Now();
    current = stored.job;
  } else if (stored.version != 0 && state_version < stored.state_version) {
    current = stored.job;  // an older read: the stored state stands
  } else {
    stored.version = std::max({stored.version + 1, state_version, floor});
    stored.state_version = state_version;
    stored.content = content;
    stored.job = job;
    stored.job.set_version(stored.version);
    stored.read_at = store_->scheduler_->clock().Now();
    current = stored.job;
    ++store_->publishes_;
    for (auto& listener : store_->ListenersLocked(key)) {
      store_->Post([listener, current] { listener->OnState(current); });
    }
  }
  store_->Post([shared_done, current] { std::move (*shared_done)(current); });
}

void FakeJobCoordinator::Lookup(
    const std::string& tenant, const std::string& name,
    absl::AnyInvocable<void(absl::StatusOr<std::optional<SharedState>>) &&>
        done) {
  auto shared_done = std::make_shared<decltype(done)>(std::move(done));
  MutexLock lock(&store_->mu_);
  absl::StatusOr<std::optional<SharedState>> result = std::nullopt;
  if (!store_->available_ || crashed_) {
    result = absl::UnavailableError("store unreachable");
  } else {
    auto it = store_->jobs_.find(store_->Key(tenant, name));
    if (it != store_->jobs_.end() && it->second.version != 0) {
      SharedState state;
      state.job = it->second.job;
      state.read_at = it->second.read_at;
      state.polled = !it->second.lease_holder.empty() &&
                     it->second.lease_until > store_->scheduler_->clock().Now();
      result = std::optional<SharedState>(std::move(state));
    }
  }
  store_->Post([shared_done, result] { std::move (*shared_done)(result); });
}

void FakeJobCoordinator::Poke(const std::string& tenant,
                              const std::string& name) {
  MutexLock lock(&store_->mu_);
  if (!store_->available_ || crashed_) return;
  const std::string key = store_->Key(tenant, name);
  auto it = store_->jobs_.find(key);
  if (it != store_->jobs_.end()) it->second.read_at = absl::InfinitePast();
  for (auto& listener : store_->ListenersLocked(key)) {
    store_->Post([listener] { listener->OnPoke(); });
  }
}

void FakeJobCoordinator::SetAvailabilityObserver(
    std::function<void(bool)> observer) {
  MutexLock lock(&store_->mu_);
  observer_ = std::move(observer);
}

}  // namespace mediagen::jobs
