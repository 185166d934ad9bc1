#include "service/idempotency/in_memory_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "service/common/mutex.h"

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

std::unique_ptr<Lease> InMemoryIdempotencyStore::Begin(
    const Key& key, absl::string_view method, absl::string_view fingerprint,
    OutcomeCallback on_outcome) {
  std::string map_key = MapKey(key);
  Outcome answer;
  {
    MutexLock lock(&mu_);
    EvictLocked(options_.clock->Now());
    auto it = entries_.find(map_key);
    if (it == entries_.end()) {
      Entry& entry = entries_[map_key];
      entry.method = std::string(method);
      entry.fingerprint = std::string(fingerprint);
      return std::make_unique<LeaseImpl>(this, std::move(map_key));
    }
    Entry& entry = it->second;
    if (entry.method != method || entry.fingerprint != fingerprint) {
      answer.status = absl::FailedPreconditionError(
          "request_id was already used for a different request; use a new "
          "request_id for new content");
    } else if (entry.done) {
      answer = entry.outcome;
    } else {
      entry.waiters.push_back(std::move(on_outcome));
      return nullptr;
    }
  }
  std::move(on_outcome)(std::move(answer));
  return nullptr;
}

void InMemoryIdempotencyStore::Finish(const std::string& map_key,
                                      Outcome outcome, bool remember) {
  std::vector<OutcomeCallback> waiters;
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
      ++finished_count_;
      EvictLocked(now);
    } else {
      entries_.erase(it);
    }
  }
  // Outside the lock: a waiter may start another call on this store.
  for (auto& waiter : waiters) std::move(waiter)(outcome);
}

void InMemoryIdempotencyStore::EvictLocked(absl::Time now) {
  while (!finished_.empty()) {
    const auto& [expires, map_key] = finished_.front();
    const bool expired = expires <= now;
    if (!expired && finished_count_ <= options_.max_entries) break;
    auto it = entries_.find(map_key);
    // The entry may have expired and been reused since this record was
    // queued; only the record matching its current expiry removes it.
    if (it != entries_.end() && it->second.done &&
        it->second.expires == expires) {
      entries_.erase(it);
      --finished_count_;
      if (!expired) ++evicted_early_;
    }
    finished_.pop_front();
  }
}

size_t InMemoryIdempotencyStore::size() const {
  MutexLock lock(&mu_);
  return entries_.size();
}

uint64_t InMemoryIdempotencyStore::evicted_early() const {
  MutexLock lock(&mu_);
  return evicted_early_;
}

}  // namespace mediagen::idempotency
