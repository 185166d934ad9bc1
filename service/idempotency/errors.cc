#include "service/idempotency/errors.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "proto/rpc/error_details.h"

namespace mediagen::idempotency {
namespace {

absl::Status WithReason(absl::Status status, absl::string_view reason) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain("mediagen");
  rpc::SetErrorInfo(&status, info);
  return status;
}

}  // namespace

absl::Status RequestIdReused() {
  return WithReason(
      absl::FailedPreconditionError(
          "request_id was already used for a different request; use a new "
          "request_id for new content"),
      kRequestIdReused);
}

absl::Status RequestIdLimitReached(size_t limit, bool whole_store) {
  return WithReason(
      absl::ResourceExhaustedError(absl::StrCat(
          whole_store ? "the server" : "this tenant", " already has ", limit,
          " request_ids remembered or in flight; nothing was sent. Retry "
          "when older ones expire (idempotency.ttl_seconds), or raise ",
          whole_store ? "idempotency.max_entries"
                      : "idempotency.max_entries_per_tenant")),
      kRequestIdLimitReached);
}

absl::Status StoreUnavailable(absl::string_view detail) {
  return WithReason(
      absl::UnavailableError(absl::StrCat(
          "the request_id store (Redis) is unreachable, so this create was "
          "not sent (it could not be deduplicated across replicas): ",
          detail)),
      kStoreUnavailable);
}

absl::Status OutcomeUnknown() {
  return WithReason(
      absl::AbortedError(
          "the call holding this request_id had sent the create upstream and "
          "then stopped answering: the create may have happened; check "
          "before creating again with a new request_id"),
      kOutcomeUnknown);
}

}  // namespace mediagen::idempotency
