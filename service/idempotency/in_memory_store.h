// InMemoryIdempotencyStore: the default IdempotencyStore, per process.
//
//   InMemoryIdempotencyStore store({.ttl = absl::Hours(24),
//                                   .max_entries = 100000});
//
// Memory is bounded by `max_entries`: past it, the oldest finished entries
// are dropped early (their keys lose protection; `evicted_early()` counts
// them so an operator can raise the bound). Pending entries are never
// dropped. Leases must not outlive the store.
#ifndef MEDIAGEN_SERVICE_IDEMPOTENCY_IN_MEMORY_STORE_H_
#define MEDIAGEN_SERVICE_IDEMPOTENCY_IN_MEMORY_STORE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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
    // Finished entries kept at most (about 1-2 KiB each).
    size_t max_entries = 100000;
    const Clock* clock = &SystemClock();
  };

  explicit InMemoryIdempotencyStore(Options options);
  ~InMemoryIdempotencyStore() override;

  std::unique_ptr<Lease> Begin(const Key& key, absl::string_view method,
                               absl::string_view fingerprint,
                               OutcomeCallback on_outcome) override;

  size_t size() const;
  uint64_t evicted_early() const;

 private:
  class LeaseImpl;
  struct Entry {
    std::string method;
    std::string fingerprint;
    bool done = false;
    Outcome outcome;
    absl::Time expires;
    std::vector<OutcomeCallback> waiters;
  };

  // Length-prefixed tenant + request_id: no two (tenant, id) pairs alias.
  static std::string MapKey(const Key& key);
  void Finish(const std::string& map_key, Outcome outcome, bool remember);
  void EvictLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Finished keys in completion order; with one TTL that is expiry order.
  std::deque<std::pair<absl::Time, std::string>> finished_ ABSL_GUARDED_BY(mu_);
  size_t finished_count_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t evicted_early_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace mediagen::idempotency

#endif  // MEDIAGEN_SERVICE_IDEMPOTENCY_IN_MEMORY_STORE_H_
