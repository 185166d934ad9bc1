// QuotaStore: the counters behind each tenant's limits (limits.h), checked
// before anything is sent upstream. An interface so that counters shared by
// every replica (Redis) can replace the in-memory ones (InMemoryQuotaStore)
// without touching the handlers. The calls a create waits on are
// asynchronous (a shared store answers over the network); the in-memory
// store answers before returning.
//
//   // Every RPC, once (a stream when it opens), after authentication:
//   if (absl::Status s = store.AdmitCall(tenant, limits); !s.ok()) return s;
//
//   // A create, after request_id deduplication and before upstream: its
//   // place among the tenant's jobs in flight and its estimated cost.
//   store.Reserve({tenant, limits, /*job=*/true,
//                  quota::Cost{"vimmerse", "credits", 20}},
//       [](absl::StatusOr<std::unique_ptr<Reservation>> r) {
//         if (!r.ok()) { lease->Release(r.status()); return Finish(r.status());
//         }
//         ... upstream answers asset a1, 18 credits, still running ...
//         (*r)->Settle(18);          // spent: 18 (the estimate without a
//         report)
//         (*r)->Hold("assets/a1",    // its place, until JobEnded
//                    [] { /* recorded: answer the caller */ });
//       });
//   // A reservation destroyed unsettled releases its cost (the create was
//   // never sent, or upstream refused it with a 4xx); one destroyed without
//   // Hold frees its place (the create failed, or its job had ended).
//
// Refusals are RESOURCE_EXHAUSTED with QuotaFailure, ErrorInfo and (when
// waiting helps) RetryInfo: see refusals.h.
#ifndef MEDIAGEN_SERVICE_QUOTA_QUOTA_STORE_H_
#define MEDIAGEN_SERVICE_QUOTA_QUOTA_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/quota/limits.h"

namespace mediagen::quota {

// What one create is expected to cost at one provider, in its unit.
struct Cost {
  std::string provider;  // "vimmerse", "elevenlabs", "aimlapi"
  std::string unit;      // ProviderUnit(provider)
  double amount = 0;
};

// One create's place among its tenant's jobs in flight and its reserved
// cost. Not thread-safe: one create owns it.
class Reservation {
 public:
  // Releases what was not settled (the cost) or held (the place).
  virtual ~Reservation() = default;
  // The create reached upstream and may have spent: the reserved cost
  // becomes spent, as `actual` (what upstream reported, in the cost's unit)
  // when given, else as the estimate. At most once; later calls are ignored.
  virtual void Settle(std::optional<double> actual) = 0;
  // The create made job `name` (a resource name), which has not ended: the
  // place is held until the store hears that it has (JobEnded). Ignored
  // without a place (no concurrent_jobs limit, or Request::job false).
  // `recorded` runs once the store has the place as the job's (or has
  // failed to record it: then the reservation's ttl frees it later), at
  // once when there is nothing to record; on this thread or the store's.
  // A create answers its caller only then: a replica that dies right after
  // answering must not take the only record of the job's place with it,
  // since the surviving replicas free a place only for a job they know of.
  using Recorded = absl::AnyInvocable<void() &&>;
  virtual void Hold(const std::string& name, Recorded recorded) = 0;
  void Hold(const std::string& name) {
    Hold(name, [] {});
  }
};

struct JobRef {
  std::string tenant;
  std::string name;
};

// Spend of one provider and unit in the current periods.
struct Spend {
  std::string provider;
  std::string unit;
  double spent_day = 0;    // this UTC day
  double spent_month = 0;  // this UTC month
  // Held by creates on their way upstream (counted against every budget
  // of the provider until settled or released).
  double reserved = 0;
};

// A tenant's counters, as GetUsage shows them.
struct Usage {
  int64_t jobs_in_flight = 0;
  // One per provider that has a budget or has been spent on this month.
  std::vector<Spend> spend;
};

class QuotaStore {
 public:
  struct Request {
    std::string tenant;
    Limits limits;
    // Takes a place among the tenant's jobs in flight (when it has a
    // concurrent_jobs limit).
    bool job = true;
    // The create's estimated cost, when it has one: checked against every
    // budget of the tenant for that provider (day and month) and reserved.
    // A cost of 0 reserves nothing but lets Settle record what upstream
    // reports.
    std::optional<Cost> cost;
  };
  using ReserveDone =
      absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<Reservation>>) &&>;
  using JobsDone = absl::AnyInvocable<void(std::vector<JobRef>) &&>;
  using UsageDone = absl::AnyInvocable<void(absl::StatusOr<Usage>) &&>;

  virtual ~QuotaStore() = default;

  // Takes one token of the tenant's request rate. RESOURCE_EXHAUSTED
  // (TENANT_RATE_LIMITED, RetryInfo: when the next token is due) when there
  // is none. OK at once without a rate limit. Synchronous: a shared store
  // answers from a local share of the tokens.
  virtual absl::Status AdmitCall(const std::string& tenant,
                                 const Limits& limits) = 0;

  // Reserves a create's place and cost, all or nothing. `done` gets a
  // Reservation (never null), or RESOURCE_EXHAUSTED:
  // TENANT_CONCURRENT_JOBS_EXCEEDED when the tenant's jobs are at the limit,
  // TENANT_BUDGET_EXCEEDED (RetryInfo: when the period resets) when a cost
  // would take a budget's spent plus reserved over its amount; or
  // UNAVAILABLE when a shared store cannot be reached (nothing reserved).
  // `done` may run before Reserve returns, or on another thread.
  virtual void Reserve(Request request, ReserveDone done) = 0;

  // Job `name` of `tenant` reached a terminal state (or is gone): its place
  // is free. Unknown jobs are ignored.
  virtual void JobEnded(const std::string& tenant, const std::string& name) = 0;

  // Held jobs nobody has reported on for `quiet` (since held, or since
  // last returned here): to read from upstream so that a job nobody
  // watches cannot hold its place forever. Each is returned at most once
  // per `quiet` (across replicas, for a shared store).
  virtual void JobsToCheck(absl::Duration quiet, JobsDone done) = 0;

  // The tenant's counters now. `limits` says which budgets to report.
  virtual void GetUsage(const std::string& tenant, const Limits& limits,
                        UsageDone done) = 0;
};

}  // namespace mediagen::quota

#endif  // MEDIAGEN_SERVICE_QUOTA_QUOTA_STORE_H_
