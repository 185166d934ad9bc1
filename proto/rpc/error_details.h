// The google.rpc error details mediagen attaches to a status (ErrorInfo,
// RetryInfo, BadRequest, QuotaFailure), stored as absl::Status payloads under
// their type URLs, which is the form grpc_status.h turns into
// `grpc-status-details-bin` and back. Shared by the server and the client
// library: it is part of the API's wire contract (which details a status
// carries, and how), so it sits beside the protos and depends on nothing of
// either side.
//
//   std::optional<google::rpc::ErrorInfo> info = rpc::GetErrorInfo(status);
//   if (info && info->reason() == "INSUFFICIENT_CREDIT") ...
#ifndef MEDIAGEN_PROTO_RPC_ERROR_DETAILS_H_
#define MEDIAGEN_PROTO_RPC_ERROR_DETAILS_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"

namespace mediagen::rpc {

inline constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com/";

// Setters do nothing on an OK status (payloads need an error).
void SetErrorInfo(absl::Status* status, const google::rpc::ErrorInfo& info);
void SetRetryInfo(absl::Status* status, absl::Duration delay);
void SetBadRequest(absl::Status* status, const google::rpc::BadRequest& br);
// A tenant's own limit refused the call (RESOURCE_EXHAUSTED before any
// upstream call): which subject and limit.
void SetQuotaFailure(absl::Status* status,
                     const google::rpc::QuotaFailure& failure);
std::optional<google::rpc::ErrorInfo> GetErrorInfo(const absl::Status& status);
std::optional<google::rpc::RetryInfo> GetRetryInfo(const absl::Status& status);
std::optional<google::rpc::BadRequest> GetBadRequest(
    const absl::Status& status);
std::optional<google::rpc::QuotaFailure> GetQuotaFailure(
    const absl::Status& status);
// RetryInfo's delay, if any.
std::optional<absl::Duration> RetryDelay(const absl::Status& status);

}  // namespace mediagen::rpc

#endif  // MEDIAGEN_PROTO_RPC_ERROR_DETAILS_H_
