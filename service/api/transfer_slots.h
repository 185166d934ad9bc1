// TransferSlots: how many long upstream transfers (uploads, streamed audio)
// each tenant may have in flight at once. Long transfers hold an upstream
// connection for as long as the caller keeps them going, so without a cap
// one tenant could take every connection of the long-transfer pool (40
// uploads that send metadata and then nothing held 32). Beyond its share a
// tenant gets RESOURCE_EXHAUSTED (ErrorInfo TENANT_TRANSFERS_EXCEEDED) and
// nothing is sent upstream; other tenants' shares are untouched.
//
//   TransferSlots slots(/*per_tenant=*/8);
//   absl::StatusOr<TransferSlots::Slot> slot = slots.Acquire("acme");
//   if (!slot.ok()) return Finish(slot.status());
//   engine.Upload(..., [slot = *std::move(slot)](...) { ... });
//   // the slot is given back when the completion (and its capture) goes
//
// Per replica: a tenant's transfers are spread over the replicas by the
// load balancer, and each holds connections of its own replica's pool,
// which is what the cap protects.
#ifndef MEDIAGEN_SERVICE_API_TRANSFER_SLOTS_H_
#define MEDIAGEN_SERVICE_API_TRANSFER_SLOTS_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/common/mutex.h"

namespace mediagen::api {

class TransferSlots {
 public:
  // `per_tenant` >= 1.
  explicit TransferSlots(int per_tenant);
  TransferSlots(const TransferSlots&) = delete;
  TransferSlots& operator=(const TransferSlots&) = delete;

  // Held while a transfer runs; gives its slot back when destroyed. May
  // outlive the TransferSlots it came from only if that is never destroyed
  // first (the server owns both).
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    ~Slot();

   private:
    friend class TransferSlots;
    Slot(TransferSlots* owner, std::string tenant)
        : owner_(owner), tenant_(std::move(tenant)) {}
    void Release();
    TransferSlots* owner_ = nullptr;
    std::string tenant_;
  };

  // A slot of `tenant`'s share, or RESOURCE_EXHAUSTED when all are taken.
  absl::StatusOr<Slot> Acquire(absl::string_view tenant);

  int per_tenant() const { return per_tenant_; }
  int in_use(absl::string_view tenant) const;

 private:
  void Give(const std::string& tenant);

  const int per_tenant_;
  mutable Mutex mu_;
  // Only tenants with a transfer in flight: entries go when they reach 0,
  // so the map is bounded by the configured tenants.
  absl::flat_hash_map<std::string, int> in_use_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_TRANSFER_SLOTS_H_
