#include "service/api/transfer_slots.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "proto/rpc/error_details.h"

namespace mediagen::api {

TransferSlots::TransferSlots(int per_tenant)
    : per_tenant_(std::max(1, per_tenant)) {}

TransferSlots::Slot::Slot(Slot&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)),
      tenant_(std::move(other.tenant_)) {}

TransferSlots::Slot& TransferSlots::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = std::exchange(other.owner_, nullptr);
    tenant_ = std::move(other.tenant_);
  }
  return *this;
}

TransferSlots::Slot::~Slot() { Release(); }

void TransferSlots::Slot::Release() {
  if (owner_ != nullptr) std::exchange(owner_, nullptr)->Give(tenant_);
}

absl::StatusOr<TransferSlots::Slot> TransferSlots::Acquire(
    absl::string_view tenant) {
  {
    MutexLock lock(&mu_);
    int& n = in_use_[tenant];
    if (n < per_tenant_) {
      ++n;
      return Slot(this, std::string(tenant));
    }
  }
  absl::Status status = absl::ResourceExhaustedError(absl::StrCat(
      "this tenant already has ", per_tenant_,
      " uploads and audio streams in flight on this server (the most one "
      "tenant may hold); retry when one has finished"));
  google::rpc::ErrorInfo info;
  info.set_reason("TENANT_TRANSFERS_EXCEEDED");
  info.set_domain("mediagen");
  (*info.mutable_metadata())["limit"] = absl::StrCat(per_tenant_);
  rpc::SetErrorInfo(&status, info);
  return status;
}

int TransferSlots::in_use(absl::string_view tenant) const {
  MutexLock lock(&mu_);
  auto it = in_use_.find(tenant);
  return it == in_use_.end() ? 0 : it->second;
}

void TransferSlots::Give(const std::string& tenant) {
  MutexLock lock(&mu_);
  auto it = in_use_.find(tenant);
  if (it == in_use_.end()) return;
  if (--it->second <= 0) in_use_.erase(it);
}

}  // namespace mediagen::api
