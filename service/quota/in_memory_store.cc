#include "service/quota/in_memory_store.h"

#include <algorithm>
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

  // All or nothing: a place (when `takes_place`) and the cost. OK, or the
  // refusal.
  absl::Status Reserve(const Request& r, bool takes_place) {
    MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    Tenant& t = tenants_[r.tenant];
    if (takes_place) {
      const int64_t in_flight =
          t.reserved_places + static_cast<int64_t>(t.jobs.size());
      if (in_flight >= *r.limits.concurrent_jobs) {
        return ConcurrentJobsExceeded(r.tenant, r.limits, in_flight);
      }
    }
    if (r.cost.has_value()) {
      Counters& c = CountersLocked(t, r.cost->provider, now);
      for (const Budget& b : r.limits.budgets) {
        if (b.provider != r.cost->provider) continue;
        const double committed =
            (b.period == Period::kDay ? c.day : c.month) + c.reserved;
        if (committed + r.cost->amount > b.amount) {
          return BudgetExceeded(r.tenant, b, committed, r.cost->amount,
                                PeriodEnd(b.period, now) - now);
        }
      }
      c.reserved += r.cost->amount;
    }
    if (takes_place) ++t.reserved_places;
    return absl::OkStatus();
  }

  void Settle(const std::string& tenant, const Cost& cost,
              std::optional<double> actual) {
    MutexLock lock(&mu_);
    Counters& c =
        CountersLocked(tenants_[tenant], cost.provider, clock_->Now());
    c.reserved = std::max(0.0, c.reserved - cost.amount);
    const double spent = std::max(0.0, actual.value_or(cost.amount));
    c.day += spent;
    c.month += spent;
  }

  void Release(const std::string& tenant, const Cost& cost) {
    MutexLock lock(&mu_);
    Counters& c =
        CountersLocked(tenants_[tenant], cost.provider, clock_->Now());
    c.reserved = std::max(0.0, c.reserved - cost.amount);
  }

  void Unreserve(const std::string& tenant) {
    MutexLock lock(&mu_);
    --tenants_[tenant].reserved_places;
  }

  void Hold(const std::string& tenant, const std::string& name) {
    MutexLock lock(&mu_);
    Tenant& t = tenants_[tenant];
    --t.reserved_places;
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

  Usage GetUsage(const std::string& tenant, const Limits& limits) {
    Usage usage;
    MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    Tenant& t = tenants_[tenant];
    usage.jobs_in_flight =
        t.reserved_places + static_cast<int64_t>(t.jobs.size());
    for (const Budget& b : limits.budgets) CountersLocked(t, b.provider, now);
    for (auto& [provider, c] : t.spend) {
      Roll(c, now);
      if (!HasBudgetAt(limits, provider) && c.month == 0 && c.reserved == 0) {
        continue;
      }
      usage.spend.push_back({provider, std::string(ProviderUnit(provider)),
                             c.day, c.month, c.reserved});
    }
    std::sort(
        usage.spend.begin(), usage.spend.end(),
        [](const Spend& a, const Spend& b) { return a.provider < b.provider; });
    return usage;
  }

 private:
  // One provider's spend: this day's and this month's (by key, so a new
  // period starts from zero), and what creates in flight reserve.
  struct Counters {
    std::string day_key;
    double day = 0;
    std::string month_key;
    double month = 0;
    double reserved = 0;
  };
  struct Tenant {
    std::optional<TokenBucket> bucket;
    // Creates on their way upstream.
    int64_t reserved_places = 0;
    // Held jobs -> when last heard of (held, or returned by JobsToCheck).
    absl::flat_hash_map<std::string, absl::Time> jobs;
    // By provider; only the three providers mediagen knows ever appear.
    absl::flat_hash_map<std::string, Counters> spend;
  };

  static void Roll(Counters& c, absl::Time now) {
    std::string day = PeriodKey(Period::kDay, now);
    if (day != c.day_key) {
      c.day_key = std::move(day);
      c.day = 0;
    }
    std::string month = PeriodKey(Period::kMonth, now);
    if (month != c.month_key) {
      c.month_key = std::move(month);
      c.month = 0;
    }
  }

  Counters& CountersLocked(Tenant& t, const std::string& provider,
                           absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Counters& c = t.spend[provider];
    Roll(c, now);
    return c;
  }

  const Clock* const clock_;
  Mutex mu_;
  absl::flat_hash_map<std::string, Tenant> tenants_ ABSL_GUARDED_BY(mu_);
};

namespace {

class InMemoryReservation : public Reservation {
 public:
  InMemoryReservation(std::shared_ptr<InMemoryQuotaStore::State> state,
                      std::string tenant, bool has_place,
                      std::optional<Cost> cost)
      : state_(std::move(state)),
        tenant_(std::move(tenant)),
        has_place_(has_place),
        cost_(std::move(cost)) {}
  ~InMemoryReservation() override {
    if (has_place_) state_->Unreserve(tenant_);
    if (cost_.has_value()) state_->Release(tenant_, *cost_);
  }
  void Settle(std::optional<double> actual) override {
    if (!cost_.has_value()) return;
    state_->Settle(tenant_, *cost_, actual);
    cost_.reset();
  }
  void Hold(const std::string& name, Recorded recorded) override {
    if (has_place_) {
      has_place_ = false;
      state_->Hold(tenant_, name);
    }
    std::move(recorded)();
  }

 private:
  const std::shared_ptr<InMemoryQuotaStore::State> state_;
  const std::string tenant_;
  bool has_place_;            // reserved, not yet held
  std::optional<Cost> cost_;  // reserved, not yet settled
};

}  // namespace

InMemoryQuotaStore::InMemoryQuotaStore(const Clock* clock)
    : state_(std::make_shared<State>(clock)) {}

InMemoryQuotaStore::~InMemoryQuotaStore() = default;

absl::Status InMemoryQuotaStore::AdmitCall(const std::string& tenant,
                                           const Limits& limits) {
  return state_->AdmitCall(tenant, limits);
}

absl::StatusOr<std::unique_ptr<Reservation>> InMemoryQuotaStore::ReserveNow(
    Request request) {
  const bool takes_place =
      request.job && request.limits.concurrent_jobs.has_value();
  if (absl::Status s = state_->Reserve(request, takes_place); !s.ok()) {
    return s;
  }
  return std::unique_ptr<Reservation>(std::make_unique<InMemoryReservation>(
      state_, std::move(request.tenant), takes_place, std::move(request.cost)));
}

void InMemoryQuotaStore::Reserve(Request request, ReserveDone done) {
  std::move(done)(ReserveNow(std::move(request)));
}

void InMemoryQuotaStore::JobEnded(const std::string& tenant,
                                  const std::string& name) {
  state_->JobEnded(tenant, name);
}

void InMemoryQuotaStore::JobsToCheck(absl::Duration quiet, JobsDone done) {
  std::move(done)(state_->JobsToCheck(quiet));
}

Usage InMemoryQuotaStore::UsageNow(const std::string& tenant,
                                   const Limits& limits) {
  return state_->GetUsage(tenant, limits);
}

void InMemoryQuotaStore::GetUsage(const std::string& tenant,
                                  const Limits& limits, UsageDone done) {
  std::move(done)(UsageNow(tenant, limits));
}

}  // namespace mediagen::quota
