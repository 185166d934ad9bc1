#include "service/jobs/redis_job_coordinator.h"

#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "service/common/mutex.h"
#include "service/jobs/job_version.h"

namespace mediagen::jobs {
namespace {

// Takes the lease when it is free or already ours (a renewal).
const redis::Script kAcquire(R"lua(
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
)lua");

// Gives the lease up if ours, and tells the followers at once.
const redis::Script kRelease(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], 'R')
  return 1
end
return 0
)lua");

// Offers a state read from upstream. ARGV: channel, content (the Job with
// version 0), its StateVersion, floor, now (ms), state ttl (ms). Returns
// {version, content} of the state stored afterwards. Versions stay below
// 2^53, so Lua's doubles hold them exactly.
const redis::Script kPublish(R"lua(
local cur = redis.call('HMGET', KEYS[1], 'j', 'v', 'f')
local v = tonumber(cur[2]) or 0
if cur[1] and cur[1] == ARGV[2] then
  redis.call('HSET', KEYS[1], 'at', ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  return {v, cur[1]}
end
if cur[1] and tonumber(ARGV[3]) < (tonumber(cur[3]) or 0) then
  return {v, cur[1]}
end
local nv = math.max(v + 1, tonumber(ARGV[3]), tonumber(ARGV[4]))
local text = string.format('%.0f', nv)
redis.call('HSET', KEYS[1], 'j', ARGV[2], 'v', text, 'f', ARGV[3],
           'at', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PUBLISH', ARGV[1], 'S' .. text .. ':' .. ARGV[2])
return {nv, ARGV[2]}
)lua");

// {content, version, read at (ms), lease held (0/1)}.
const redis::Script kLookup(R"lua(
local s = redis.call('HMGET', KEYS[1], 'j', 'v', 'at')
return {s[1], s[2], s[3], redis.call('EXISTS', KEYS[2])}
)lua");

// The stored state stops counting as fresh; the poller reads now.
const redis::Script kPoke(R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'at', '0')
end
return redis.call('PUBLISH', ARGV[1], 'P')
)lua");

std::string Content(const v1::Job& job) {
  v1::Job copy = job;
  copy.clear_version();
  return copy.SerializeAsString();
}

std::string Millis(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Milliseconds(d));
}

std::string RandomReplicaId() {
  absl::BitGen gen;
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(gen),
                         absl::Uniform<uint64_t>(gen));
}

absl::Status Unavailable(absl::string_view what) {
  return absl::UnavailableError(
      absl::StrCat("shared job state unreachable (", what, ")"));
}

// A reply that is not what the scripts return: Redis is not the one we
// expect (or a script was changed without its parser).
absl::Status Malformed(const redis::Reply& reply) {
  return absl::InternalError(
      absl::StrCat("unexpected reply from Redis: ", reply.DebugString()));
}

}  // namespace

struct RedisJobCoordinator::Followed {
  uint64_t id = 0;
  std::string state_key;
  std::string lease_key;
  std::string channel;
  std::shared_ptr<Listener> listener;
  std::unique_ptr<redis::Subscription> subscription;
  // Guarded by Shared::mu.
  bool owner = false;
  bool gone = false;
};

// Everything a Redis or scheduler callback may reach; it outlives the
// coordinator while callbacks are pending, and `stopped` turns them off.
struct RedisJobCoordinator::Shared {
  Options options;
  redis::Client* redis = nullptr;
  Scheduler* scheduler = nullptr;
  Mutex mu;
  bool stopped ABSL_GUARDED_BY(mu) = false;
  uint64_t next_id ABSL_GUARDED_BY(mu) = 1;
  std::map<uint64_t, std::shared_ptr<Followed>> followed ABSL_GUARDED_BY(mu);
  std::function<void(bool)> observer ABSL_GUARDED_BY(mu);
  Scheduler::TaskId tick ABSL_GUARDED_BY(mu) = 0;
  std::atomic<bool> up{false};

  std::vector<std::shared_ptr<Followed>> All() {
    MutexLock lock(&mu);
    std::vector<std::shared_ptr<Followed>> out;
    for (auto& [id, f] : followed) out.push_back(f);
    return out;
  }

  void Release(const Followed& f) {
    redis->Eval(kRelease, {f.lease_key}, {options.replica_id, f.channel},
                [](absl::StatusOr<redis::Reply>) {});
  }

  static void Tick(const std::shared_ptr<Shared>& self);

  // One lease round: renew or try to take; the listener hears of a change,
  // or in any case with `report`.
  static void TryLease(const std::shared_ptr<Shared>& self,
                       const std::shared_ptr<Followed>& f, bool report) {
    std::weak_ptr<Shared> weak = self;
    self->redis->Eval(kAcquire, {f->lease_key},
                      {self->options.replica_id, Millis(self->options.lease)},
                      [weak, f, report](absl::StatusOr<redis::Reply> reply) {
                        auto self = weak.lock();
                        if (!self || !reply.ok() || !reply->is_integer())
                          return;
                        const bool owner = reply->integer() == 1;
                        bool changed;
                        {
                          MutexLock lock(&self->mu);
                          if (f->gone || self->stopped) {
                            // Taken after the last watcher left: give it back.
                            if (owner) self->Release(*f);
                            return;
                          }
                          changed = f->owner != owner;
                          f->owner = owner;
                        }
                        if (changed || report) f->listener->OnOwnership(owner);
                      });
  }
};

// Every lease / 4: each followed job's lease renewed, or tried for.
void RedisJobCoordinator::Shared::Tick(const std::shared_ptr<Shared>& self) {
  for (auto& f : self->All()) TryLease(self, f, /*report=*/false);
  MutexLock lock(&self->mu);
  if (self->stopped) return;
  std::weak_ptr<Shared> weak = self;
  self->tick = self->scheduler->RunAfter(self->options.lease / 4, [weak] {
    auto self = weak.lock();
    if (!self) return;
    {
      MutexLock lock(&self->mu);
      if (self->stopped) return;
      self->tick = 0;
    }
    Tick(self);
  });
}

class RedisJobCoordinator::RedisMembership : public Membership {
 public:
  RedisMembership(RedisJobCoordinator* coordinator, uint64_t id)
      : coordinator_(coordinator), id_(id) {}
  ~RedisMembership() override { coordinator_->Unfollow(id_); }

 private:
  RedisJobCoordinator* const coordinator_;
  const uint64_t id_;
};

RedisJobCoordinator::RedisJobCoordinator(Options options, redis::Client* redis,
                                         Scheduler* scheduler)
    : options_(std::move(options)),
      redis_(redis),
      scheduler_(scheduler),
      shared_(std::make_shared<Shared>()) {
  if (options_.replica_id.empty()) options_.replica_id = RandomReplicaId();
  shared_->options = options_;
  shared_->redis = redis;
  shared_->scheduler = scheduler;
  std::weak_ptr<Shared> weak = shared_;
  observer_id_ = redis_->AddStateObserver([weak](bool up, const absl::Status&) {
    auto self = weak.lock();
    if (!self) return;
    self->up = up;
    std::function<void(bool)> observer;
    {
      MutexLock lock(&self->mu);
      if (self->stopped) return;
      observer = self->observer;
    }
    if (observer) observer(up);
    if (!up) {
      // Leases cannot be renewed now; they run out, and the next
      // round after the outage says who holds them.
      MutexLock lock(&self->mu);
      for (auto& [id, f] : self->followed) f->owner = false;
      return;
    }
    for (auto& f : self->All()) {
      f->listener->OnResync();
      Shared::TryLease(self, f, /*report=*/true);
    }
  });
  shared_->up = redis_->up();
  Shared::Tick(shared_);
}

RedisJobCoordinator::~RedisJobCoordinator() {
  redis_->RemoveStateObserver(observer_id_);
  std::map<uint64_t, std::shared_ptr<Followed>> followed;
  {
    MutexLock lock(&shared_->mu);
    shared_->stopped = true;
    if (shared_->tick != 0) scheduler_->Cancel(shared_->tick);
    followed.swap(shared_->followed);
    for (auto& [id, f] : followed) f->gone = true;
  }
  for (auto& [id, f] : followed) {
    if (f->owner) shared_->Release(*f);
  }
}

bool RedisJobCoordinator::available() const {
  return shared_->up.load() && redis_->up();
}

std::string RedisJobCoordinator::StateKey(const std::string& tenant,
                                          const std::string& name) const {
  return absl::StrCat(options_.key_prefix, "{", tenant, "/", name, "}:state");
}

std::string RedisJobCoordinator::LeaseKey(const std::string& tenant,
                                          const std::string& name) const {
  return absl::StrCat(options_.key_prefix, "{", tenant, "/", name, "}:lease");
}

std::string RedisJobCoordinator::Channel(const std::string& tenant,
                                         const std::string& name) const {
  return absl::StrCat(options_.key_prefix, "{", tenant, "/", name, "}:events");
}

std::unique_ptr<JobCoordinator::Membership> RedisJobCoordinator::Follow(
    const std::string& tenant, const std::string& name,
    std::shared_ptr<Listener> listener) {
  auto f = std::make_shared<Followed>();
  f->state_key = StateKey(tenant, name);
  f->lease_key = LeaseKey(tenant, name);
  f->channel = Channel(tenant, name);
  f->listener = std::move(listener);
  std::weak_ptr<Shared> weak = shared_;
  std::weak_ptr<Followed> weak_f = f;
  redis::SubscribeCallbacks callbacks;
  callbacks.on_message = [weak_f](absl::string_view,
                                  absl::string_view payload) {
    auto f = weak_f.lock();
    if (!f || payload.empty()) return;
    if (payload[0] == 'S') {
      const size_t colon = payload.find(':');
      int64_t version = 0;
      v1::Job job;
      if (colon == absl::string_view::npos ||
          !absl::SimpleAtoi(payload.substr(1, colon - 1), &version) ||
          !job.ParseFromArray(payload.data() + colon + 1,
                              static_cast<int>(payload.size() - colon - 1))) {
        return;  // not ours: another writer on the channel
      }
      job.set_version(version);
      f->listener->OnState(job);
    } else if (payload[0] == 'P') {
      f->listener->OnPoke();
    }
  };
  // 'R' and (re)subscriptions: try for the lease now rather than at the
  // next round, and re-read the state in case a publication was missed
  // between the registry's first look and the subscription.
  auto resync = [weak, weak_f] {
    auto self = weak.lock();
    auto f = weak_f.lock();
    if (!self || !f) return;
    f->listener->OnResync();
    Shared::TryLease(self, f, /*report=*/true);
  };
  auto on_message = std::move(callbacks.on_message);
  callbacks.on_message = [on_message, weak, weak_f](absl::string_view channel,
                                                    absl::string_view payload) {
    if (payload == "R") {
      auto self = weak.lock();
      auto f = weak_f.lock();
      if (self && f) Shared::TryLease(self, f, /*report=*/false);
      return;
    }
    on_message(channel, payload);
  };
  callbacks.on_subscribed = resync;
  callbacks.on_resubscribed = resync;
  f->subscription = redis_->Subscribe(f->channel, std::move(callbacks));
  uint64_t id;
  {
    MutexLock lock(&shared_->mu);
    id = shared_->next_id++;
    f->id = id;
    shared_->followed[id] = f;
  }
  return std::make_unique<RedisMembership>(this, id);
}

void RedisJobCoordinator::Unfollow(uint64_t id) {
  std::shared_ptr<Followed> f;
  {
    MutexLock lock(&shared_->mu);
    auto it = shared_->followed.find(id);
    if (it == shared_->followed.end()) return;
    f = std::move(it->second);
    shared_->followed.erase(it);
    f->gone = true;
    // Released even while not known as owner: a renewal may be in flight.
  }
  shared_->Release(*f);
  // Unsubscribes (safe from any thread, the Redis loop's included).
  f->subscription.reset();
}

void RedisJobCoordinator::Publish(
    const std::string& tenant, const std::string& name, const v1::Job& job,
    int64_t floor, absl::AnyInvocable<void(absl::StatusOr<v1::Job>) &&> done) {
  const absl::Time now = scheduler_->clock().Now();
  redis_->Eval(
      kPublish, {StateKey(tenant, name)},
      {Channel(tenant, name), Content(job), absl::StrCat(StateVersion(job)),
       absl::StrCat(floor), absl::StrCat(absl::ToUnixMillis(now)),
       Millis(options_.state_ttl)},
      [done = std::move(done)](absl::StatusOr<redis::Reply> reply) mutable {
        if (!reply.ok()) {
          std::move(done)(Unavailable(reply.status().message()));
          return;
        }
        const auto& e = reply->elements();
        v1::Job current;
        if (!reply->is_array() || e.size() != 2 || !e[0].is_integer() ||
            !e[1].is_string() || !current.ParseFromString(e[1].str())) {
          std::move(done)(Malformed(*reply));
          return;
        }
        current.set_version(e[0].integer());
        std::move(done)(std::move(current));
      });
}

void RedisJobCoordinator::Lookup(
    const std::string& tenant, const std::string& name,
    absl::AnyInvocable<void(absl::StatusOr<std::optional<SharedState>>) &&>
        done) {
  redis_->Eval(
      kLookup, {StateKey(tenant, name), LeaseKey(tenant, name)}, {},
      [done = std::move(done)](absl::StatusOr<redis::Reply> reply) mutable {
        if (!reply.ok()) {
          std::move(done)(Unavailable(reply.status().message()));
          return;
        }
        const auto& e = reply->elements();
        if (!reply->is_array() || e.size() != 4 || !e[3].is_integer()) {
          std::move(done)(Malformed(*reply));
          return;
        }
        if (e[0].is_nil() || e[1].is_nil()) {
          std::move(done)(std::optional<SharedState>());
          return;
        }
        SharedState state;
        int64_t version = 0;
        int64_t at = 0;
        if (!state.job.ParseFromString(e[0].str()) ||
            !absl::SimpleAtoi(e[1].str(), &version) ||
            !absl::SimpleAtoi(e[2].str(), &at)) {
          std::move(done)(Malformed(*reply));
          return;
        }
        state.job.set_version(version);
        state.read_at =
            at == 0 ? absl::InfinitePast() : absl::FromUnixMillis(at);
        state.polled = e[3].integer() == 1;
        std::move(done)(std::optional<SharedState>(std::move(state)));
      });
}

void RedisJobCoordinator::Poke(const std::string& tenant,
                               const std::string& name) {
  redis_->Eval(kPoke, {StateKey(tenant, name)}, {Channel(tenant, name)},
               [](absl::StatusOr<redis::Reply>) {});
}

void RedisJobCoordinator::SetAvailabilityObserver(
    std::function<void(bool)> observer) {
  MutexLock lock(&shared_->mu);
  shared_->observer = std::move(observer);
}

}  // namespace mediagen::jobs
