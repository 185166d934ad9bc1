#include "service/quota/in_memory_store.h"

#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "service/common/mutex.h"
#include "service/quota/refusals.h"
#include "service/quota/token_bucket.h"

namespace mediagen::quota {

class InMemoryQuotaStore::State {
 public:
  explicit State(const Clock* clock) : clock_(clock) {}

  absl::Status AdmitCall(const std::string& tenant, const Limits& limits) {
    if (!limits.requests_per_second.has_value()) return absl::OkStatus();
    const double rate = *limits.requests_per_second;
    const double burst = static_cast<double>(EffectiveBurst(limits));
    absl::Duration wait;
    {
      MutexLock lock(&mu_);
      const absl::Time now = clock_->Now();
      Tenant& t = tenants_[tenant];
      if (!t.bucket.has_value()) {
        t.bucket.emplace(rate, burst, now);
      } else if (t.bucket->rate() != rate || t.bucket->burst() != burst) {
        t.bucket->Reconfigure(rate, burst, now);  // the config was reloaded
      }
      if (t.bucket->TryTake(now, &wait)) return absl::OkStatus();
    }
    return RateLimited(tenant, limits, wait);
  }

  // True when a place was reserved; otherwise `*in_flight` says how many
  // jobs hold the places.
  bool Reserve(const std::string& tenant, int64_t limit, int64_t* in_flight) {
    MutexLock lock(&mu_);
    Tenant& t = tenants_[tenant];
    *in_flight = t.reserved + static_cast<int64_t>(t.jobs.size());
    if (*in_flight >= limit) return false;
    ++t.reserved;
    return true;
  }

  void Unreserve(const std::string& tenant) {
    MutexLock lock(&mu_);
    --tenants_[tenant].reserved;
  }

  void Hold(const std::string& tenant, const std::string& name) {
    MutexLock lock(&mu_);
    Tenant& t = tenants_[tenant];
    --t.reserved;
    // The same job again (an UpdateMedia that regenerates) keeps one place.
    t.jobs.insert_or_assign(name, clock_->Now());
  }

  void JobEnded(const std::string& tenant, const std::string& name) {
    MutexLock lock(&mu_);
    auto it = tenants_.find(tenant);
    if (it != tenants_.end()) it->second.jobs.erase(name);
  }

  std::vector<JobRef> JobsToCheck(absl::Duration quiet) {
    std::vector<JobRef> out;
    MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    for (auto& [tenant, t] : tenants_) {
      for (auto& [name, since] : t.jobs) {
        if (now - since < quiet) continue;
        since = now;  // asked again at the earliest after another `quiet`
        out.push_back({tenant, name});
      }
    }
    return out;
  }

  int64_t JobsInFlight(const std::string& tenant) {
    MutexLock lock(&mu_);
    auto it = tenants_.find(tenant);
    if (it == tenants_.end()) return 0;
    return it->second.reserved + static_cast<int64_t>(it->second.jobs.size());
  }

 private:
  struct Tenant {
    std::optional<TokenBucket> bucket;
    // Creates on their way upstream.
    int64_t reserved = 0;
    // Held jobs -> when last heard of (held, or returned by JobsToCheck).
    absl::flat_hash_map<std::string, absl::Time> jobs;
  };

  const Clock* const clock_;
  Mutex mu_;
  absl::flat_hash_map<std::string, Tenant> tenants_ ABSL_GUARDED_BY(mu_);
};

namespace {

class InMemoryJobSlot : public JobSlot {
 public:
  InMemoryJobSlot(std::shared_ptr<InMemoryQuotaStore::State> state,
                  std::string tenant)
      : state_(std::move(state)), tenant_(std::move(tenant)) {}
  ~InMemoryJobSlot() override {
    if (!held_) state_->Unreserve(tenant_);
  }
  void Hold(const std::string& name) override {
    if (held_) return;
    held_ = true;
    state_->Hold(tenant_, name);
  }

 private:
  const std::shared_ptr<InMemoryQuotaStore::State> state_;
  const std::string tenant_;
  bool held_ = false;
};

}  // namespace

InMemoryQuotaStore::InMemoryQuotaStore(const Clock* clock)
    : state_(std::make_shared<State>(clock)) {}

InMemoryQuotaStore::~InMemoryQuotaStore() = default;

absl::Status InMemoryQuotaStore::AdmitCall(const std::string& tenant,
                                           const Limits& limits) {
  return state_->AdmitCall(tenant, limits);
}

absl::StatusOr<std::unique_ptr<JobSlot>> InMemoryQuotaStore::ReserveJob(
    const std::string& tenant, const Limits& limits) {
  if (!limits.concurrent_jobs.has_value()) {
    return std::unique_ptr<JobSlot>();
  }
  int64_t in_flight = 0;
  if (!state_->Reserve(tenant, *limits.concurrent_jobs, &in_flight)) {
    return ConcurrentJobsExceeded(tenant, limits, in_flight);
  }
  return std::unique_ptr<JobSlot>(
      std::make_unique<InMemoryJobSlot>(state_, tenant));
}

void InMemoryQuotaStore::JobEnded(const std::string& tenant,
                                  const std::string& name) {
  state_->JobEnded(tenant, name);
}

std::vector<JobRef> InMemoryQuotaStore::JobsToCheck(absl::Duration quiet) {
  return state_->JobsToCheck(quiet);
}

int64_t InMemoryQuotaStore::JobsInFlight(const std::string& tenant) {
  return state_->JobsInFlight(tenant);
}

}  // namespace mediagen::quota
