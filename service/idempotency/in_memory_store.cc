#include "service/idempotency/in_memory_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "service/idempotency/errors.h"

namespace mediagen::idempotency {

class InMemoryIdempotencyStore::LeaseImpl : public Lease {
 public:
  LeaseImpl(InMemoryIdempotencyStore* store, std::string map_key)
      : store_(store), map_key_(std::move(map_key)) {}

  ~LeaseImpl() override {
    if (!finished_) {
      Release(absl::AbortedError(
          "the first call with this request_id ended without an outcome; "
          "retry"));
    }
  }

  void Commit(Outcome outcome) override {
    if (finished_) return;
    finished_ = true;
    store_->Finish(map_key_, std::move(outcome), /*remember=*/true);
  }

  void Release(absl::Status status) override {
    if (finished_) return;
    finished_ = true;
    store_->Finish(map_key_, Outcome{std::move(status), ""},
                   /*remember=*/false);
  }

 private:
  InMemoryIdempotencyStore* const store_;
  const std::string map_key_;
  bool finished_ = false;
};

InMemoryIdempotencyStore::InMemoryIdempotencyStore(Options options)
    : options_(options) {}

InMemoryIdempotencyStore::~InMemoryIdempotencyStore() = default;

std::string InMemoryIdempotencyStore::MapKey(const Key& key) {
  return absl::StrCat(key.tenant.size(), ":", key.tenant, key.request_id);
}

void InMemoryIdempotencyStore::Begin(const Key& key, absl::string_view method,
                                     absl::string_view fingerprint,
                                     absl::Time /*deadline*/,
                                     BeginCallback done) {
  std::string map_key = MapKey(key);
  Outcome answer;
  std::unique_ptr<Lease> lease;
  {
    MutexLock lock(&mu_);
    ReclaimExpiredLocked(options_.clock->Now());
    auto it = entries_.find(map_key);
    if (it == entries_.end()) {
      size_t& held = per_tenant_[key.tenant];
      const bool tenant_full = held >= options_.max_entries_per_tenant;
      if (tenant_full || entries_.size() >= options_.max_entries) {
        // Full: refusing the newcomer (nothing is sent) keeps every live
        // request_id's promise; evicting one would not.
        if (held == 0) per_tenant_.erase(key.tenant);
        answer.status =
            tenant_full ? RequestIdLimitReached(options_.max_entries_per_tenant)
                        : RequestIdLimitReached(options_.max_entries,
                                                /*whole_store=*/true);
      } else {
        ++held;
        Entry& entry = entries_[map_key];
        entry.tenant = key.tenant;
        entry.method = std::string(method);
        entry.fingerprint = std::string(fingerprint);
        lease = std::make_unique<LeaseImpl>(this, std::move(map_key));
      }
    } else {
      Entry& entry = it->second;
      if (entry.method != method || entry.fingerprint != fingerprint) {
        answer.status = RequestIdReused();
      } else if (entry.done) {
        answer = entry.outcome;
      } else {
        entry.waiters.push_back(std::move(done));
        return;
      }
    }
  }
  // Outside the lock: the caller may start its call (or another Begin).
  std::move(done)(std::move(lease), std::move(answer));
}

void InMemoryIdempotencyStore::Finish(const std::string& map_key,
                                      Outcome outcome, bool remember) {
  std::vector<BeginCallback> waiters;
  {
    MutexLock lock(&mu_);
    auto it = entries_.find(map_key);
    if (it == entries_.end()) return;
    waiters = std::move(it->second.waiters);
    if (remember) {
      const absl::Time now = options_.clock->Now();
      Entry& entry = it->second;
      entry.done = true;
      entry.outcome = outcome;
      entry.expires = now + options_.ttl;
      finished_.emplace_back(entry.expires, map_key);
    } else {
      EraseLocked(it);
    }
  }
  // Outside the lock: a waiter may start another call on this store.
  for (auto& waiter : waiters) std::move(waiter)(nullptr, outcome);
}

void InMemoryIdempotencyStore::EraseLocked(
    absl::flat_hash_map<std::string, Entry>::iterator it) {
  auto held = per_tenant_.find(it->second.tenant);
  if (held != per_tenant_.end() && --held->second == 0) {
    per_tenant_.erase(held);
  }
  entries_.erase(it);
}

void InMemoryIdempotencyStore::ReclaimExpiredLocked(absl::Time now) {
  while (!finished_.empty() && finished_.front().first <= now) {
    const auto& [expires, map_key] = finished_.front();
    auto it = entries_.find(map_key);
    // The entry may have expired and been reused since this record was
    // queued; only the record matching its current expiry removes it.
    if (it != entries_.end() && it->second.done &&
        it->second.expires == expires) {
      EraseLocked(it);
    }
    finished_.pop_front();
  }
}

size_t InMemoryIdempotencyStore::size() const {
  MutexLock lock(&mu_);
  return entries_.size();
}

size_t InMemoryIdempotencyStore::tenant_size(const std::string& tenant) const {
  MutexLock lock(&mu_);
  auto it = per_tenant_.find(tenant);
  return it == per_tenant_.end() ? 0 : it->second;
}

}  // namespace mediagen::idempotency
