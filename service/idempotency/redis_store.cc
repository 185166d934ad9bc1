#include "service/idempotency/redis_store.h"

#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"
#include "proto/rpc/grpc_status.h"
#include "service/common/mutex.h"
#include "service/idempotency/errors.h"

namespace mediagen::idempotency {
namespace {

// Every script reads the time from Redis (TIME), so replicas' clocks never
// disagree about a claim's expiry.
#define MG_NOW                     \
  "local t = redis.call('TIME')\n" \
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

// Redis 7 script flags. A claim is refused whole when Redis is over
// maxmemory (noeviction): without the flag, Redis checks memory only at the
// first write that adds data, and lets a script that already wrote (the
// reclaim below) go on past the limit. The scripts that settle a claim may
// run then: they keep the promise of a claim already given.
#define MG_DENY_OOM "#!lua\n"
#define MG_ALLOW_OOM "#!lua flags=allow-oom\n"

// KEYS: rid key, tenant set. ARGV: method, fingerprint, owner, claim ms,
// ttl ms, per-tenant limit, request_id, channel.
const redis::Script kClaim(MG_DENY_OOM MG_NOW R"lua(
local v = redis.call('HMGET', KEYS[1], 'm', 'f', 's', 'x', 'st', 'r')
if v[1] then
  if v[1] ~= ARGV[1] or v[2] ~= ARGV[2] then return {'reused'} end
  if v[3] == 'done' then return {'done', v[5], v[6]} end
  if v[3] == 'unknown' then return {'unknown'} end
  local x = tonumber(v[4]) or 0
  if x > now then return {'wait', tostring(x - now)} end
  if v[3] == 'sent' then
    redis.call('HSET', KEYS[1], 's', 'unknown')
    redis.call('PUBLISH', ARGV[8], 'unknown')
    return {'unknown'}
  end
  redis.call('HSET', KEYS[1], 'o', ARGV[3], 'x', now + tonumber(ARGV[4]))
  return {'lease'}
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) then return {'full'} end
redis.call('HSET', KEYS[1], 'm', ARGV[1], 'f', ARGV[2], 's', 'claimed',
           'o', ARGV[3], 'x', now + tonumber(ARGV[4]))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return {'lease'})lua");

// KEYS: rid key. ARGV: owner, claim ms, "1" to mark it sent.
const redis::Script kRenew(MG_ALLOW_OOM MG_NOW R"lua(
local v = redis.call('HMGET', KEYS[1], 'o', 's', 'x')
if v[1] ~= ARGV[1] then return 0 end
if ARGV[3] == '1' then
  if v[2] ~= 'claimed' or (tonumber(v[3]) or 0) <= now then return 0 end
  redis.call('HSET', KEYS[1], 's', 'sent')
elseif v[2] ~= 'claimed' and v[2] ~= 'sent' then
  return 0
end
redis.call('HSET', KEYS[1], 'x', now + tonumber(ARGV[2]))
return 1)lua");

// KEYS: rid key, tenant set. ARGV: owner, status, response, ttl ms,
// request_id, channel.
const redis::Script kCommit(MG_ALLOW_OOM MG_NOW R"lua(
local v = redis.call('HMGET', KEYS[1], 'o', 's')
if v[1] ~= ARGV[1] or v[2] == 'done' then return 0 end
redis.call('HSET', KEYS[1], 's', 'done', 'st', ARGV[2], 'r', ARGV[3])
redis.call('HDEL', KEYS[1], 'x')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[5])
redis.call('PUBLISH', ARGV[6], 'done')
return 1)lua");

// KEYS: rid key, tenant set. ARGV: owner, request_id, channel.
const redis::Script kRelease(MG_ALLOW_OOM R"lua(
local v = redis.call('HMGET', KEYS[1], 'o', 's')
if v[1] ~= ARGV[1] or v[2] == 'done' then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[3], 'released')
return 1)lua");

#undef MG_NOW
#undef MG_DENY_OOM
#undef MG_ALLOW_OOM

std::string NewOwnerId() {
  static absl::Mutex* const mu = new absl::Mutex;
  static absl::BitGen* const gen = new absl::BitGen;
  absl::MutexLock lock(mu);
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(*gen),
                         absl::Uniform<uint64_t>(*gen));
}

std::string Millis(absl::Duration d) {
  return absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

// The outcome's status with its details (ErrorInfo, RetryInfo), as stored.
std::string EncodeStatus(const absl::Status& status) {
  return rpc::ToRpcStatus(status).SerializeAsString();
}

absl::Status DecodeStatus(const std::string& bytes) {
  google::rpc::Status proto;
  if (!proto.ParseFromString(bytes)) {
    return absl::InternalError("stored outcome for this request_id is corrupt");
  }
  if (proto.code() == 0) return absl::OkStatus();
  return rpc::FromGrpcStatus(grpc::Status(
      static_cast<grpc::StatusCode>(proto.code()), proto.message(), bytes));
}

// A script's reply as UNAVAILABLE IDEMPOTENCY_STORE_UNAVAILABLE when Redis
// did not run it.
absl::Status ScriptFailed(const absl::StatusOr<redis::Reply>& reply) {
  if (!reply.ok()) return StoreUnavailable(reply.status().message());
  if (reply->is_error()) return StoreUnavailable(reply->str());
  return absl::OkStatus();
}

}  // namespace

RedisIdempotencyStore::Names RedisIdempotencyStore::NamesOf(
    const Key& key) const {
  Names n;
  const std::string tag =
      absl::StrCat(options_.key_prefix, "{", key.tenant, "}");
  n.key = absl::StrCat(tag, ":rid:", key.request_id);
  n.tenant = absl::StrCat(tag, ":rids");
  n.channel = absl::StrCat(n.key, ":done");
  n.request_id = key.request_id;
  return n;
}

// The lease of the one call that goes upstream: renews its claim until it
// is committed or released.
class RedisIdempotencyStore::LeaseImpl : public Lease {
 public:
  LeaseImpl(RedisIdempotencyStore* store, Names names, std::string owner)
      : store_(store),
        state_(std::make_shared<Shared>()),
        names_(std::move(names)),
        owner_(std::move(owner)) {
    ScheduleRenewal(store_, state_, names_.key, owner_);
  }

  ~LeaseImpl() override {
    Release(absl::AbortedError(
        "the first call with this request_id ended without an outcome; "
        "retry"));
  }

  void MarkSent(SentCallback done) override {
    store_->redis_->Eval(
        kRenew, {names_.key}, {owner_, Millis(store_->options_.claim), "1"},
        [done = std::move(done)](absl::StatusOr<redis::Reply> r) mutable {
          if (absl::Status failed = ScriptFailed(r); !failed.ok()) {
            std::move(done)(failed);
          } else if (r->integer() != 1) {
            // The claim ran out before the request left, and another call
            // may hold it now: this one must not send.
            std::move(done)(absl::AbortedError(
                "this call's claim on the request_id ran out before the "
                "request was sent; nothing was sent, retry"));
          } else {
            std::move(done)(absl::OkStatus());
          }
        });
  }

  void Commit(Outcome outcome) override {
    if (!Finish()) return;
    store_->redis_->Eval(
        kCommit, {names_.key, names_.tenant},
        {owner_, EncodeStatus(outcome.status), outcome.response,
         Millis(store_->options_.ttl), names_.request_id, names_.channel},
        // Unstored (Redis down): the claim runs out and retries answer
        // REQUEST_OUTCOME_UNKNOWN, never a second create.
        [](absl::StatusOr<redis::Reply>) {});
  }

  void Release(absl::Status status) override {
    if (!Finish()) return;
    store_->redis_->Eval(kRelease, {names_.key, names_.tenant},
                         {owner_, names_.request_id, names_.channel},
                         [](absl::StatusOr<redis::Reply>) {});
  }

 private:
  struct Shared {
    Mutex mu;
    bool finished ABSL_GUARDED_BY(mu) = false;
    Scheduler::TaskId renewal ABSL_GUARDED_BY(mu) = 0;
  };

  // Renews every claim / 3 while the lease lives (the task holds only a
  // weak reference: a finished lease stops it).
  static void ScheduleRenewal(RedisIdempotencyStore* store,
                              const std::shared_ptr<Shared>& state,
                              std::string key, std::string owner) {
    MutexLock lock(&state->mu);
    if (state->finished) return;
    std::weak_ptr<Shared> weak = state;
    state->renewal = store->scheduler_->RunAfter(
        store->options_.claim / 3,
        [store, weak, key = std::move(key), owner = std::move(owner)] {
          std::shared_ptr<Shared> s = weak.lock();
          if (s == nullptr) return;
          store->redis_->Eval(kRenew, {key},
                              {owner, Millis(store->options_.claim), "0"},
                              [](absl::StatusOr<redis::Reply>) {});
          ScheduleRenewal(store, s, key, owner);
        });
  }

  // True for the first Commit or Release.
  bool Finish() {
    MutexLock lock(&state_->mu);
    if (state_->finished) return false;
    state_->finished = true;
    store_->scheduler_->Cancel(state_->renewal);
    return true;
  }

  RedisIdempotencyStore* const store_;
  const std::shared_ptr<Shared> state_;
  const Names names_;
  const std::string owner_;
};

// One Begin: claims, and while another call holds the request_id, waits
// (subscribed to its channel) and claims again when told, when the
// holder's claim runs out, or gives up at the deadline.
class RedisIdempotencyStore::Attempt
    : public std::enable_shared_from_this<Attempt> {
 public:
  Attempt(RedisIdempotencyStore* store, const Key& key,
          absl::string_view method, absl::string_view fingerprint,
          absl::Time deadline, BeginCallback done)
      : store_(store),
        names_(store->NamesOf(key)),
        method_(method),
        fingerprint_(fingerprint),
        deadline_(deadline),
        owner_(NewOwnerId()),
        done_(std::move(done)) {}

  void Claim() {
    store_->redis_->Eval(
        kClaim, {names_.key, names_.tenant},
        {method_, fingerprint_, owner_, Millis(store_->options_.claim),
         Millis(store_->options_.ttl),
         absl::StrCat(store_->options_.max_entries_per_tenant),
         names_.request_id, names_.channel},
        [self = shared_from_this()](absl::StatusOr<redis::Reply> r) {
          self->OnClaimed(r);
        });
  }

 private:
  void OnClaimed(const absl::StatusOr<redis::Reply>& r) {
    if (absl::Status failed = ScriptFailed(r); !failed.ok()) {
      return Answer(failed);
    }
    const std::vector<redis::Reply>& v = r->elements();
    const std::string verdict = v.empty() ? "" : v[0].str();
    if (verdict == "lease") {
      return Done(std::make_unique<LeaseImpl>(store_, names_, owner_), {});
    }
    if (verdict == "done" && v.size() == 3) {
      return Answer(DecodeStatus(v[1].str()), v[2].str());
    }
    if (verdict == "reused") return Answer(RequestIdReused());
    if (verdict == "unknown") return Answer(OutcomeUnknown());
    if (verdict == "full") {
      return Answer(
          RequestIdLimitReached(store_->options_.max_entries_per_tenant));
    }
    if (verdict == "wait" && v.size() == 2) {
      int64_t ms = 0;
      if (!absl::SimpleAtoi(v[1].str(), &ms)) ms = 0;
      return Wait(absl::Milliseconds(ms));
    }
    Answer(StoreUnavailable("unexpected reply to the request_id claim"));
  }

  // Another call holds the request_id for `left` more: listen for its
  // outcome, and claim again then or when its claim runs out.
  void Wait(absl::Duration left) {
    const absl::Time now = store_->scheduler_->clock().Now();
    if (now >= deadline_) {
      return Answer(absl::DeadlineExceededError(
          "the first call with this request_id had not finished by this "
          "call's deadline"));
    }
    std::weak_ptr<Attempt> weak = weak_from_this();
    bool subscribe = false;
    {
      MutexLock lock(&mu_);
      if (finished_) return;
      if (timer_ != 0) store_->scheduler_->Cancel(timer_);
      const absl::Time at =
          std::min(now + left + absl::Milliseconds(20), deadline_);
      // The timer owns the waiting attempt (subscriptions only see it):
      // one is always armed while it waits, and Done cancels it.
      timer_ = store_->scheduler_->RunAt(
          at, [self = shared_from_this()] { self->Recheck(); });
      subscribe = sub_ == nullptr;
    }
    if (!subscribe) return;
    redis::SubscribeCallbacks callbacks;
    auto recheck = [weak] {
      if (auto self = weak.lock()) self->Recheck();
    };
    // Claim again once subscribed: an outcome published between the claim
    // and the subscription would otherwise be missed.
    callbacks.on_subscribed = recheck;
    callbacks.on_resubscribed = recheck;
    callbacks.on_message = [recheck](absl::string_view, absl::string_view) {
      recheck();
    };
    std::unique_ptr<redis::Subscription> sub =
        store_->redis_->Subscribe(names_.channel, std::move(callbacks));
    MutexLock lock(&mu_);
    if (finished_) {
      Drop(std::move(sub));
    } else {
      sub_ = std::move(sub);
    }
  }

  void Recheck() {
    {
      MutexLock lock(&mu_);
      if (finished_) return;
    }
    if (store_->scheduler_->clock().Now() >= deadline_) {
      return Answer(absl::DeadlineExceededError(
          "the first call with this request_id had not finished by this "
          "call's deadline"));
    }
    Claim();
  }

  void Answer(absl::Status status, std::string response = "") {
    Done(nullptr, Outcome{std::move(status), std::move(response)});
  }

  void Done(std::unique_ptr<Lease> lease, Outcome outcome) {
    BeginCallback done;
    {
      MutexLock lock(&mu_);
      if (finished_) return;  // a lease, if any, is released by its dtor
      finished_ = true;
      done = std::move(done_);
      if (timer_ != 0) store_->scheduler_->Cancel(timer_);
      Drop(std::move(sub_));
    }
    std::move(done)(std::move(lease), std::move(outcome));
  }

  // Unsubscribes off this thread: this may be the subscription's own
  // callback, which must not destroy its handle.
  void Drop(std::unique_ptr<redis::Subscription> sub) {
    if (sub == nullptr) return;
    store_->scheduler_->RunAfter(
        absl::ZeroDuration(),
        [sub = std::move(sub)]() mutable { sub.reset(); });
  }

  RedisIdempotencyStore* const store_;
  const Names names_;
  const std::string method_;
  const std::string fingerprint_;
  const absl::Time deadline_;
  const std::string owner_;

  Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  BeginCallback done_ ABSL_GUARDED_BY(mu_);
  Scheduler::TaskId timer_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<redis::Subscription> sub_ ABSL_GUARDED_BY(mu_);
};

RedisIdempotencyStore::RedisIdempotencyStore(Options options,
                                             redis::Client* redis,
                                             Scheduler* scheduler)
    : options_(std::move(options)), redis_(redis), scheduler_(scheduler) {}

RedisIdempotencyStore::~RedisIdempotencyStore() = default;

void RedisIdempotencyStore::Begin(const Key& key, absl::string_view method,
                                  absl::string_view fingerprint,
                                  absl::Time deadline, BeginCallback done) {
  // Fail fast, on this thread, while Redis is away: a create with a
  // request_id is never sent without the shared claim.
  if (!redis_->up()) {
    std::move(done)(nullptr,
                    Outcome{StoreUnavailable(redis_->status().message()), ""});
    return;
  }
  std::make_shared<Attempt>(this, key, method, fingerprint, deadline,
                            std::move(done))
      ->Claim();
}

}  // namespace mediagen::idempotency
