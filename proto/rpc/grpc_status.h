// The one conversion between absl::Status (what business logic returns) and
// grpc::Status (what handlers send). Every payload whose key is a type URL
// (`type.googleapis.com/google.rpc.ErrorInfo`, ...) becomes a detail of the
// google.rpc.Status sent in `grpc-status-details-bin`; other payloads
// (internal markers) stay behind.
//
//   grpc::Status s = rpc::ToGrpcStatus(engine_result.status());  // handler
//   absl::Status back = rpc::FromGrpcStatus(s);                   // client
//   std::optional<google::rpc::ErrorInfo> info = rpc::GetErrorInfo(back);
#ifndef MEDIAGEN_PROTO_RPC_GRPC_STATUS_H_
#define MEDIAGEN_PROTO_RPC_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"

namespace mediagen::rpc {

// absl -> google.rpc.Status: code, message, and the type-URL payloads as
// Any details.
google::rpc::Status ToRpcStatus(const absl::Status& status);

// absl -> grpc: OK stays OK; otherwise the same code and message, with the
// serialized google.rpc.Status as error details when there are details.
grpc::Status ToGrpcStatus(const absl::Status& status);

// grpc -> absl: code, message, and each Any detail back as a payload under
// its type URL (so GetErrorInfo and friends work on the client side).
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace mediagen::rpc

#endif  // MEDIAGEN_PROTO_RPC_GRPC_STATUS_H_
