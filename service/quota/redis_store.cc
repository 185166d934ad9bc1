#include "service/quota/redis_store.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "service/quota/redis_scripts.h"
#include "service/quota/refusals.h"

namespace mediagen::quota {
namespace {

// Every provider mediagen knows: GetUsage reads them all, so spend at a
// provider without a budget still shows.
constexpr const char* kProviders[] = {"aimlapi", "elevenlabs", "vimmerse"};

std::string RandomId() {
  static Mutex* const mu = new Mutex;
  static absl::BitGen* const gen = new absl::BitGen;
  MutexLock lock(mu);
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(*gen),
                         absl::Uniform<uint64_t>(*gen));
}

std::string Ms(absl::Time t) { return absl::StrCat(absl::ToUnixMillis(t)); }

// Exact enough to round-trip a double through Lua and HINCRBYFLOAT.
std::string Amount(double v) { return absl::StrFormat("%.17g", v); }

double ToDouble(const redis::Reply& r) {
  if (r.is_integer()) return static_cast<double>(r.integer());
  double v = 0;
  if (!absl::SimpleAtod(r.str(), &v)) return 0;
  return std::max(0.0, v);
}

// A script's reply as UNAVAILABLE QUOTA_STORE_UNAVAILABLE when Redis did
// not run it.
absl::Status ScriptFailed(const absl::StatusOr<redis::Reply>& reply) {
  if (!reply.ok()) return StoreUnavailable(reply.status().message());
  if (reply->is_error()) return StoreUnavailable(reply->str());
  return absl::OkStatus();
}

}  // namespace

class RedisQuotaStore::Core : public std::enable_shared_from_this<Core> {
 public:
  Core(Options options, redis::Client* redis, Scheduler* scheduler,
       const Clock* clock)
      : options(std::move(options)),
        redis(redis),
        scheduler(scheduler),
        clock(clock),
        replica_id(RandomId()) {}

  // PREFIX{TENANT}:q: — one hash tag per tenant, so each script stays on
  // one shard of a Redis Cluster.
  std::string Tag(const std::string& tenant) const {
    return absl::StrCat(options.key_prefix, "{", tenant, "}:q:");
  }
  std::string TenantsKey() const {
    return absl::StrCat(options.key_prefix, "q:tenants");
  }
  std::string ReplicasKey() const {
    return absl::StrCat(options.key_prefix, "q:replicas");
  }

  // For fire-and-forget writes: a failure is reported, never waited on.
  redis::Client::Callback Logged(const char* what) {
    return [self = shared_from_this(), what](absl::StatusOr<redis::Reply> r) {
      absl::Status failed = ScriptFailed(r);
      if (failed.ok() || !self->options.on_write_failed) return;
      self->options.on_write_failed(absl::Status(
          failed.code(), absl::StrCat("quota ", what, ": ", failed.message())));
    };
  }

  void Heartbeat() {
    const absl::Time now = clock->Now();
    std::weak_ptr<Core> weak = weak_from_this();
    redis->Eval(
        scripts::kHeartbeat, {ReplicasKey()},
        {Ms(now), replica_id, Ms(now - 3 * options.heartbeat),
         absl::StrCat(absl::ToInt64Milliseconds(10 * options.heartbeat))},
        [weak](absl::StatusOr<redis::Reply> r) {
          std::shared_ptr<Core> self = weak.lock();
          if (self == nullptr) return;
          // Unreachable: fail open to the whole rate locally.
          int64_t n = 1;
          if (r.ok() && r->is_integer()) {
            n = std::max<int64_t>(1, r->integer());
          }
          self->replicas.store(n);
        });
    RenewDue(now);
    MutexLock lock(&mu);
    if (stopped) return;
    heartbeat_task = scheduler->RunAfter(options.heartbeat, [weak] {
      if (std::shared_ptr<Core> self = weak.lock()) self->Heartbeat();
    });
  }

  // A reservation of this replica that is still in Redis: the heartbeat
  // pushes its deadline back every third of reservation_ttl, so a create
  // that runs longer than the ttl (a long upload) keeps its place and
  // estimate while this replica lives; a dead replica's reservations lapse
  // after the ttl. Bounded by the creates this replica has on their way.
  void AddLive(const std::string& id, std::string resx) {
    MutexLock lock(&mu);
    live.emplace(id, Live{std::move(resx), clock->Now()});
  }
  void RemoveLive(const std::string& id) {
    MutexLock lock(&mu);
    live.erase(id);
  }

  void RenewDue(absl::Time now) {
    // Unreachable: the renewals would only fail. `renewed` stays as it
    // was, so the first heartbeat after Redis is back sends them.
    if (!redis->up()) return;
    std::vector<std::pair<std::string, std::string>> due;  // resx, id
    {
      MutexLock lock(&mu);
      for (auto& [id, l] : live) {
        if (now - l.renewed < options.reservation_ttl / 3) continue;
        l.renewed = now;
        due.emplace_back(l.resx, id);
      }
    }
    // XX: never brings back a reservation that was settled, released or
    // already swept.
    const std::string deadline = Ms(now + options.reservation_ttl);
    for (auto& [resx, id] : due) {
      redis->Command({"ZADD", std::move(resx), "XX", deadline, std::move(id)},
                     Logged("renew"));
    }
  }

  void Stop() {
    {
      MutexLock lock(&mu);
      stopped = true;
      scheduler->Cancel(heartbeat_task);
    }
    // Leave the replica set, so the others take a bigger share at their
    // next heartbeat rather than after three missed ones.
    redis->Command({"ZREM", ReplicasKey(), replica_id},
                   [](absl::StatusOr<redis::Reply>) {});
  }

  const Options options;
  redis::Client* const redis;
  Scheduler* const scheduler;
  const Clock* const clock;
  const std::string replica_id;
  std::atomic<int64_t> replicas{1};

  Mutex mu;
  bool stopped ABSL_GUARDED_BY(mu) = false;
  Scheduler::TaskId heartbeat_task ABSL_GUARDED_BY(mu) = 0;
  struct Live {
    std::string resx;  // the tenant's expiry index
    absl::Time renewed;
  };
  absl::flat_hash_map<std::string, Live> live ABSL_GUARDED_BY(mu);
};

namespace {

class RedisReservation : public Reservation {
 public:
  RedisReservation(std::shared_ptr<RedisQuotaStore::Core> core,
                   std::string tenant, std::string id, bool stored,
                   bool has_place, std::optional<Cost> cost)
      : core_(std::move(core)),
        tenant_(std::move(tenant)),
        tag_(core_->Tag(tenant_)),
        id_(std::move(id)),
        stored_(stored),
        has_place_(has_place),
        cost_(std::move(cost)) {
    if (stored_) core_->AddLive(id_, tag_ + "resx");
  }

  ~RedisReservation() override {
    if (stored_) core_->RemoveLive(id_);
    if (!stored_ || (!has_place_ && !cost_.has_value())) return;
    core_->redis->Eval(scripts::kRelease, Keys(), {id_, tag_},
                       core_->Logged("release"));
  }

  void Settle(std::optional<double> actual) override {
    if (!cost_.has_value()) return;
    const Cost cost = *std::move(cost_);
    cost_.reset();
    const double spent = std::max(0.0, actual.value_or(cost.amount));
    // Nothing stored and nothing to correct: no round trip.
    if (!stored_ && spent == cost.amount) return;
    const absl::Time now = core_->clock->Now();
    core_->redis->Eval(
        scripts::kSettle, Keys(),
        {Ms(now), id_, cost.provider, Amount(cost.amount), Amount(spent), tag_,
         PeriodKey(Period::kDay, now), PeriodKey(Period::kMonth, now)},
        core_->Logged("settle"));
  }

  void Hold(const std::string& name, Recorded recorded) override {
    if (!has_place_) {
      std::move(recorded)();
      return;
    }
    has_place_ = false;
    // Recorded once both commands are answered (a script may be re-sent
    // after the other when Redis lost its script cache, so replies alone
    // do not order them). The SADD puts the tenant among those whose jobs
    // the replicas sweep.
    struct Join {
      std::atomic<int> left{2};
      Recorded recorded;
    };
    auto join = std::make_shared<Join>();
    join->recorded = std::move(recorded);
    auto answered = [join, core = core_](absl::StatusOr<redis::Reply> r) {
      core->Logged("hold")(std::move(r));
      if (--join->left == 0) std::move(join->recorded)();
    };
    std::vector<std::string> keys = Keys();
    keys.push_back(tag_ + "jobs");
    core_->redis->Eval(scripts::kHold, std::move(keys),
                       {Ms(core_->clock->Now()), id_, name}, answered);
    core_->redis->Command({"SADD", core_->TenantsKey(), tenant_},
                          std::move(answered));
  }

 private:
  std::vector<std::string> Keys() const {
    return {tag_ + "res", tag_ + "resx", tag_ + "agg"};
  }

  const std::shared_ptr<RedisQuotaStore::Core> core_;
  const std::string tenant_;
  const std::string tag_;
  const std::string id_;
  const bool stored_;         // an entry in Redis (a place or a cost)
  bool has_place_;            // reserved, not yet held
  std::optional<Cost> cost_;  // reserved, not yet settled
};

// A reservation with nothing in Redis: no place, and a cost that is only
// accounted for (its Settle records the spend).
std::unique_ptr<Reservation> Unstored(
    std::shared_ptr<RedisQuotaStore::Core> core, QuotaStore::Request request,
    const std::string& id) {
  return std::make_unique<RedisReservation>(
      std::move(core), std::move(request.tenant), id,
      /*stored=*/false, /*has_place=*/false, std::move(request.cost));
}

// What one Reserve script answered, as the caller's result.
absl::StatusOr<std::unique_ptr<Reservation>> ReserveAnswer(
    const std::shared_ptr<RedisQuotaStore::Core>& core,
    const QuotaStore::Request& request, const std::string& id, bool place,
    absl::Time now, const absl::StatusOr<redis::Reply>& r) {
  if (absl::Status failed = ScriptFailed(r); !failed.ok()) return failed;
  const std::vector<redis::Reply>& v = r->elements();
  const std::string verdict = v.empty() ? "" : v[0].str();
  if (verdict == "ok") {
    return std::unique_ptr<Reservation>(std::make_unique<RedisReservation>(
        core, request.tenant, id, /*stored=*/true, place, request.cost));
  }
  if (verdict == "jobs" && v.size() == 2) {
    return ConcurrentJobsExceeded(request.tenant, request.limits,
                                  v[1].integer());
  }
  if (verdict == "budget" && v.size() == 3 && request.cost.has_value()) {
    const Period period = v[1].str() == "day" ? Period::kDay : Period::kMonth;
    for (const Budget& b : request.limits.budgets) {
      if (b.provider != request.cost->provider || b.period != period) continue;
      return BudgetExceeded(request.tenant, b, ToDouble(v[2]),
                            request.cost->amount, PeriodEnd(period, now) - now);
    }
  }
  return StoreUnavailable("unexpected reply to the quota reservation");
}

}  // namespace

RedisQuotaStore::RedisQuotaStore(Options options, redis::Client* redis,
                                 Scheduler* scheduler, const Clock* clock)
    : core_(
          std::make_shared<Core>(std::move(options), redis, scheduler, clock)) {
  // Loaded up front, so that EVALSHA finds them: a fire-and-forget Settle
  // answered NOSCRIPT would be resent after a read that followed it.
  int n = 0;
  const redis::Script* const* all = scripts::All(&n);
  for (int i = 0; i < n; ++i) {
    redis->Command({"SCRIPT", "LOAD", all[i]->source()},
                   [](absl::StatusOr<redis::Reply>) {});
  }
  core_->Heartbeat();
}

RedisQuotaStore::~RedisQuotaStore() { core_->Stop(); }

int64_t RedisQuotaStore::replicas() const { return core_->replicas.load(); }

absl::Status RedisQuotaStore::AdmitCall(const std::string& tenant,
                                        const Limits& limits) {
  if (!limits.requests_per_second.has_value()) return absl::OkStatus();
  // This replica's share: the tenant's calls are assumed spread over the
  // live replicas (see the header for how exact that stays).
  const double n = static_cast<double>(core_->replicas.load());
  const double rate = *limits.requests_per_second / n;
  const double burst =
      std::max(1.0, static_cast<double>(EffectiveBurst(limits)) / n);
  absl::Duration wait;
  {
    MutexLock lock(&mu_);
    const absl::Time now = core_->clock->Now();
    auto it = buckets_.find(tenant);
    if (it == buckets_.end()) {
      it = buckets_.emplace(tenant, TokenBucket(rate, burst, now)).first;
    } else if (it->second.rate() != rate || it->second.burst() != burst) {
      it->second.Reconfigure(rate, burst, now);  // reload, or N changed
    }
    if (it->second.TryTake(now, &wait)) return absl::OkStatus();
  }
  return RateLimited(tenant, limits, wait);
}

void RedisQuotaStore::Reserve(Request request, ReserveDone done) {
  const bool place = request.job && request.limits.concurrent_jobs.has_value();
  const bool budgeted = request.cost.has_value() &&
                        HasBudgetAt(request.limits, request.cost->provider);
  // A limit to check across replicas: without Redis the create is refused.
  const bool must_check = place || budgeted;
  // Only accounting (GetUsage's reserved, an estimate that stands if this
  // replica dies): without Redis the create goes on, and its Settle tries
  // to record the spend.
  const bool worth_storing =
      must_check || (request.cost.has_value() && request.cost->amount > 0);
  const std::string id = RandomId();
  if (!worth_storing || (!must_check && !core_->redis->up())) {
    std::move(done)(Unstored(core_, std::move(request), id));
    return;
  }
  // Fail fast, on this thread, while Redis is away: nothing is sent.
  if (!core_->redis->up()) {
    std::move(done)(StoreUnavailable(core_->redis->status().message()));
    return;
  }
  const absl::Time now = core_->clock->Now();
  const std::string tag = core_->Tag(request.tenant);
  const std::string day = PeriodKey(Period::kDay, now);
  const std::string month = PeriodKey(Period::kMonth, now);
  std::string day_budget, month_budget, provider = "-", amount = "0";
  if (request.cost.has_value()) {
    provider = request.cost->provider;
    amount = Amount(std::max(0.0, request.cost->amount));
    for (const Budget& b : request.limits.budgets) {
      if (b.provider != provider) continue;
      (b.period == Period::kDay ? day_budget : month_budget) = Amount(b.amount);
    }
  }
  std::vector<std::string> keys = {tag + "res",        tag + "resx",
                                   tag + "agg",        tag + "jobs",
                                   tag + "day:" + day, tag + "month:" + month};
  std::vector<std::string> args = {
      Ms(now),
      id,
      Ms(now + core_->options.reservation_ttl),
      place ? "1" : "0",
      absl::StrCat(request.limits.concurrent_jobs.value_or(0)),
      provider,
      amount,
      day_budget,
      month_budget,
      tag,
      day,
      month};
  core_->redis->Eval(
      scripts::kReserve, std::move(keys), std::move(args),
      [core = core_, request = std::move(request), id, place, must_check, now,
       done = std::move(done)](absl::StatusOr<redis::Reply> r) mutable {
        if (!must_check && !ScriptFailed(r).ok()) {
          return std::move(done)(Unstored(core, std::move(request), id));
        }
        std::move(done)(ReserveAnswer(core, request, id, place, now, r));
      });
}

void RedisQuotaStore::JobEnded(const std::string& tenant,
                               const std::string& name) {
  core_->redis->Command({"ZREM", core_->Tag(tenant) + "jobs", name},
                        core_->Logged("job ended"));
}

void RedisQuotaStore::JobsToCheck(absl::Duration quiet, JobsDone done) {
  struct Gather {
    Mutex mu;
    size_t pending ABSL_GUARDED_BY(mu) = 0;
    std::vector<JobRef> jobs ABSL_GUARDED_BY(mu);
    JobsDone done ABSL_GUARDED_BY(mu);
  };
  auto gather = std::make_shared<Gather>();
  {
    MutexLock lock(&gather->mu);
    gather->done = std::move(done);
  }
  // One tenant answered (or failed: its jobs wait for the next round).
  auto finish_one = [](const std::shared_ptr<Gather>& g) {
    JobsDone to_call;
    std::vector<JobRef> jobs;
    {
      MutexLock lock(&g->mu);
      if (--g->pending > 0) return;
      to_call = std::move(g->done);
      jobs = std::move(g->jobs);
    }
    std::move(to_call)(std::move(jobs));
  };
  std::shared_ptr<Core> core = core_;
  core->redis->Command(
      {"SMEMBERS", core->TenantsKey()},
      [core, gather, quiet, finish_one](absl::StatusOr<redis::Reply> r) {
        std::vector<std::string> tenants;
        if (r.ok() && r->is_array()) {
          for (const redis::Reply& t : r->elements()) {
            tenants.push_back(t.str());
          }
        }
        {
          MutexLock lock(&gather->mu);
          gather->pending = tenants.size() + 1;
        }
        const absl::Time now = core->clock->Now();
        for (const std::string& tenant : tenants) {
          core->redis->Eval(
              scripts::kJobsToCheck, {core->Tag(tenant) + "jobs"},
              {Ms(now), Ms(now - quiet),
               absl::StrCat(core->options.max_checks_per_tenant)},
              [gather, tenant, finish_one](absl::StatusOr<redis::Reply> jr) {
                if (jr.ok() && jr->is_array()) {
                  MutexLock lock(&gather->mu);
                  for (const redis::Reply& n : jr->elements()) {
                    gather->jobs.push_back({tenant, n.str()});
                  }
                }
                finish_one(gather);
              });
        }
        finish_one(gather);  // the +1: also when there are no tenants
      });
}

void RedisQuotaStore::GetUsage(const std::string& tenant, const Limits& limits,
                               UsageDone done) {
  if (!core_->redis->up()) {
    std::move(done)(StoreUnavailable(core_->redis->status().message()));
    return;
  }
  const absl::Time now = core_->clock->Now();
  const std::string tag = core_->Tag(tenant);
  std::vector<std::string> keys = {
      tag + "res",
      tag + "resx",
      tag + "agg",
      tag + "jobs",
      tag + "day:" + PeriodKey(Period::kDay, now),
      tag + "month:" + PeriodKey(Period::kMonth, now)};
  std::vector<std::string> args = {Ms(now), tag};
  for (const char* p : kProviders) args.push_back(p);
  core_->redis->Eval(
      scripts::kUsage, std::move(keys), std::move(args),
      [limits, done = std::move(done)](absl::StatusOr<redis::Reply> r) mutable {
        if (absl::Status failed = ScriptFailed(r); !failed.ok()) {
          return std::move(done)(failed);
        }
        const std::vector<redis::Reply>& v = r->elements();
        constexpr size_t kN = sizeof(kProviders) / sizeof(kProviders[0]);
        if (v.size() != 2 + 3 * kN) {
          return std::move(done)(
              StoreUnavailable("unexpected reply to the usage query"));
        }
        Usage usage;
        usage.jobs_in_flight =
            static_cast<int64_t>(ToDouble(v[0])) + v[1].integer();
        for (size_t i = 0; i < kN; ++i) {
          Spend s{kProviders[i], std::string(ProviderUnit(kProviders[i])),
                  ToDouble(v[2 + 3 * i]), ToDouble(v[3 + 3 * i]),
                  ToDouble(v[4 + 3 * i])};
          if (!HasBudgetAt(limits, s.provider) && s.spent_month == 0 &&
              s.reserved == 0) {
            continue;
          }
          usage.spend.push_back(std::move(s));
        }
        std::move(done)(std::move(usage));
      });
}

}  // namespace mediagen::quota
