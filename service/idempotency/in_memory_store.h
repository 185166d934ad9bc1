// InMemoryIdempotencyStore: the IdempotencyStore of a single replica (no
// Redis), per process.
//
//   InMemoryIdempotencyStore store({.ttl = absl::Hours(24),
//                                   .max_entries = 100000,
//                                   .max_entries_per_tenant = 10000});
//
// A live request_id (in flight, or finished and within its TTL) is never
// forgotten early: forgetting one lets its retry create (and charge) a
// second time. Memory is bounded instead by refusing new request_ids: a
// tenant holding `max_entries_per_tenant` live ones, or a store holding
// `max_entries`, answers RESOURCE_EXHAUSTED (REQUEST_ID_LIMIT_REACHED) and
// nothing is sent; expired entries are reclaimed first. So one tenant
// filling its share never touches another tenant's request_ids. Leases must
// not outlive the store.
#ifndef MEDIAGEN_SERVICE_IDEMPOTENCY_IN_MEMORY_STORE_H_
#define MEDIAGEN_SERVICE_IDEMPOTENCY_IN_MEMORY_STORE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "service/common/clock.h"
#include "service/common/mutex.h"
#include "service/idempotency/idempotency_store.h"

namespace mediagen::idempotency {

class InMemoryIdempotencyStore : public IdempotencyStore {
 public:
  struct Options {
    // How long a finished outcome answers duplicates.
    absl::Duration ttl = absl::Hours(24);
    // Live entries kept at most, all tenants together (about 1-2 KiB each).
    size_t max_entries = 100000;
    // Live entries one tenant may hold; keep tenants x this <= max_entries
    // so that no tenant can fill the whole store.
    size_t max_entries_per_tenant = 10000;
    const Clock* clock = &SystemClock();
  };

  explicit InMemoryIdempotencyStore(Options options);
  ~InMemoryIdempotencyStore() override;

  // Answers on this thread, except a duplicate of a call in flight, which
  // is answered on the thread that commits or releases it. `deadline` is
  // not needed here: a waiting call's RPC ends at its own deadline.
  void Begin(const Key& key, absl::string_view method,
             absl::string_view fingerprint, absl::Time deadline,
             BeginCallback done) override;

  size_t size() const;
  // Live entries of `tenant`.
  size_t tenant_size(const std::string& tenant) const;

 private:
  class LeaseImpl;
  struct Entry {
    std::string tenant;
    std::string method;
    std::string fingerprint;
    bool done = false;
    Outcome outcome;
    absl::Time expires;
    std::vector<BeginCallback> waiters;
  };

  // Length-prefixed tenant + request_id: no two (tenant, id) pairs alias.
  static std::string MapKey(const Key& key);
  void Finish(const std::string& map_key, Outcome outcome, bool remember);
  // Drops expired entries (never a live one).
  void ReclaimExpiredLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(absl::flat_hash_map<std::string, Entry>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Live entries (pending or finished) per tenant.
  absl::flat_hash_map<std::string, size_t> per_tenant_ ABSL_GUARDED_BY(mu_);
  // Finished keys in completion order; with one TTL that is expiry order.
  std::deque<std::pair<absl::Time, std::string>> finished_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagen::idempotency

#endif  // MEDIAGEN_SERVICE_IDEMPOTENCY_IN_MEMORY_STORE_H_
