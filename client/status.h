// Errors as the client library returns them: absl::Status with the server's
// google.rpc details (ErrorInfo, RetryInfo, BadRequest, QuotaFailure) kept
// as payloads, so
// callers can branch on the reason instead of parsing messages.
//
//   absl::StatusOr<v1::CreateMediaResponse> media = client.CreateMedia(req);
//   if (auto info = GetErrorInfo(media.status());
//       info && info->reason() == "INSUFFICIENT_CREDIT") { ... }
//   std::cerr << DescribeError(media.status()) << "\n";   // one line
#ifndef MEDIAGEN_CLIENT_STATUS_H_
#define MEDIAGEN_CLIENT_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"

namespace mediagen::client {

using ::mediagen::rpc::GetBadRequest;
using ::mediagen::rpc::GetErrorInfo;
using ::mediagen::rpc::GetQuotaFailure;
using ::mediagen::rpc::GetRetryInfo;
using ::mediagen::rpc::RetryDelay;

// gRPC -> absl, keeping every detail the server sent.
absl::Status FromGrpcStatus(const grpc::Status& status);

// One line for humans: code, ErrorInfo reason, where it came from, message,
// the first field violations and quota violations, and when to retry, e.g.
//   FAILED_PRECONDITION INSUFFICIENT_CREDIT (vimmerse, HTTP 402,
//   upstream request r-1): not enough credits
//   RESOURCE_EXHAUSTED TENANT_RATE_LIMITED: ... [tenants/acme: at most 50
//   requests per second (burst 100)] (retry in 20ms)
// Control characters are replaced, so it is always one line.
std::string DescribeError(const absl::Status& status);

}  // namespace mediagen::client

#endif  // MEDIAGEN_CLIENT_STATUS_H_
