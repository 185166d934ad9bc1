// The statuses the request_id machinery answers with itself (not upstream's):
// each carries a google.rpc.ErrorInfo (domain "mediagen") whose reason a
// client can act on, as the README's error table documents.
//
//   if (full) return RequestIdLimitReached(tenant_limit);
//   ...
//   if (rpc::GetErrorInfo(s)->reason() == kRequestIdReused) ...
#ifndef MEDIAGEN_SERVICE_IDEMPOTENCY_ERRORS_H_
#define MEDIAGEN_SERVICE_IDEMPOTENCY_ERRORS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mediagen::idempotency {

inline constexpr absl::string_view kRequestIdReused = "REQUEST_ID_REUSED";
inline constexpr absl::string_view kRequestIdLimitReached =
    "REQUEST_ID_LIMIT_REACHED";
inline constexpr absl::string_view kStoreUnavailable =
    "IDEMPOTENCY_STORE_UNAVAILABLE";
inline constexpr absl::string_view kOutcomeUnknown = "REQUEST_OUTCOME_UNKNOWN";

// FAILED_PRECONDITION: the request_id was used for another method or
// other content.
absl::Status RequestIdReused();

// RESOURCE_EXHAUSTED: the tenant (or, with `whole_store`, the store) already
// holds `limit` live request_ids; nothing was sent, and live ones are never
// dropped to make room.
absl::Status RequestIdLimitReached(size_t limit, bool whole_store = false);

// UNAVAILABLE: the shared store cannot be reached, so a create with a
// request_id is not sent (it could not be deduplicated across replicas).
absl::Status StoreUnavailable(absl::string_view detail);

// ABORTED: the call holding this request_id had already sent the request
// upstream when it vanished: the create may have happened.
absl::Status OutcomeUnknown();

}  // namespace mediagen::idempotency

#endif  // MEDIAGEN_SERVICE_IDEMPOTENCY_ERRORS_H_
