// The Lua scripts behind RedisQuotaStore (redis_store.h): each check-and-take
// is one script, so two replicas can never both take the last place or the
// last credits. Kept apart from the store so the key layout and the
// arithmetic can be read in one place.
//
//   redis.Eval(scripts::kReserve, ReserveKeys(...), ReserveArgs(...), done);
//
// Time is never read from Redis (no TIME): the caller passes `now` in
// milliseconds from its Clock, so tests drive every expiry with a FakeClock
// and replicas agree as far as their clocks do (NTP; expiries are minutes).
//
// Key layout (T = PREFIX{TENANT}:q:, one hash tag per tenant):
//   T res             hash: reservation id -> "PLACE PROVIDER AMOUNT DAY MONTH"
//                     (PLACE 1/0; PROVIDER "-" when no cost; DAY/MONTH the
//                     period keys it was reserved in)
//   T resx            sorted set: reservation id by expiry (ms)
//   T agg             hash: pl (reserved places), r:PROVIDER (reserved cost)
//   T jobs            sorted set: held job name by last heard of (ms)
//   T day:2026-12-04  hash: PROVIDER -> spent; expires after 2 days
//   T month:2026-12   hash: PROVIDER -> spent; expires after 62 days
// and, not per tenant:
//   PREFIX q:tenants  set of tenants with held jobs (for JobsToCheck)
//   PREFIX q:replicas sorted set of live replicas by last heartbeat (ms)
//
// An expired reservation (its replica died between Reserve and Settle) is
// swept by the next script that touches the tenant: its place is freed and
// its estimated cost counts as SPENT in the period it was reserved in,
// since the create may have reached upstream. A late Settle then only
// corrects the difference to what upstream reported.
#ifndef MEDIAGEN_SERVICE_QUOTA_REDIS_SCRIPTS_H_
#define MEDIAGEN_SERVICE_QUOTA_REDIS_SCRIPTS_H_

#include "service/redis/script.h"

namespace mediagen::quota::scripts {

// KEYS: res, resx, agg, jobs, day, month.
// ARGV: now, id, expiry, place (1/0), concurrent_jobs limit, provider ("-"
// for none), amount, day budget ("" for none), month budget, T, day key,
// month key.
// -> {"ok"} | {"jobs", in_flight} | {"budget", "day"|"month", committed}.
extern const redis::Script kReserve;

// KEYS: res, resx, agg. ARGV: now, id, provider, estimate, actual, T, day
// key, month key (the current ones, for a reservation already swept).
extern const redis::Script kSettle;

// KEYS: res, resx, agg. ARGV: id, T.
extern const redis::Script kRelease;

// KEYS: res, resx, agg, jobs. ARGV: now, id, job name.
extern const redis::Script kHold;

// KEYS: jobs. ARGV: now, cutoff (now - quiet), max.
// -> names quiet since cutoff, now marked heard of at `now`.
extern const redis::Script kJobsToCheck;

// KEYS: res, resx, agg, jobs, day, month. ARGV: now, T, providers...
// -> {places, jobs, then per provider: day, month, reserved (strings)}.
extern const redis::Script kUsage;

// KEYS: replicas. ARGV: now, replica id, stale cutoff, key ttl ms.
// -> live replicas.
extern const redis::Script kHeartbeat;

// Every script above, for SCRIPT LOAD when a store starts: a fire-and-forget
// Settle followed by a read on the same connection then stays in order
// (an EVALSHA answered NOSCRIPT is resent after whatever followed it).
const redis::Script* const* All(int* count);

}  // namespace mediagen::quota::scripts

#endif  // MEDIAGEN_SERVICE_QUOTA_REDIS_SCRIPTS_H_
