#include "service/idempotency/observed_store.h"

#include <utility>

#include "proto/rpc/error_details.h"
#include "service/idempotency/errors.h"

namespace mediagen::idempotency {
namespace {

// The answer came from an earlier call with the same request_id.
bool IsRepeat(const Outcome& answer) {
  const auto info = rpc::GetErrorInfo(answer.status);
  if (!info || info->domain() != "mediagen") return true;
  return info->reason() != kRequestIdLimitReached &&
         info->reason() != kStoreUnavailable;
}

}  // namespace

void ObservedIdempotencyStore::Begin(const Key& key, absl::string_view method,
                                     absl::string_view fingerprint,
                                     absl::Time deadline, BeginCallback done) {
  inner_->Begin(key, method, fingerprint, deadline,
                [this, method = std::string(method), done = std::move(done)](
                    std::unique_ptr<Lease> lease, Outcome answer) mutable {
                  if (lease == nullptr && on_hit_ && IsRepeat(answer))
                    on_hit_(method);
                  std::move(done)(std::move(lease), std::move(answer));
                });
}

}  // namespace mediagen::idempotency
