#include "service/api/unary_call.h"

#include "service/common/mutex.h"
#include "service/upstream/providers/errors.h"

namespace mediagen::api {

grpc::ServerUnaryReactor* UnaryState::Claim() {
  MutexLock lock(&mu_);
  if (finished_) return nullptr;
  finished_ = true;
  handle_.reset();
  return reactor_;
}

void UnaryState::Finish(const absl::Status& status,
                        const google::protobuf::Message* response) {
  grpc::ServerUnaryReactor* reactor = Claim();
  if (reactor == nullptr) return;
  // Only this thread got past Claim, and gRPC keeps the response alive
  // until Finish, so writing it here is safe.
  if (status.ok() && response != nullptr) response_->CopyFrom(*response);
  reactor->Finish(rpc::ToGrpcStatus(status));
}

void UnaryState::FinishSerialized(const absl::Status& status,
                                  const std::string& bytes) {
  grpc::ServerUnaryReactor* reactor = Claim();
  if (reactor == nullptr) return;
  if (status.ok() && !response_->ParseFromString(bytes)) {
    reactor->Finish(rpc::ToGrpcStatus(
        absl::InternalError("stored response for this request_id is corrupt")));
    return;
  }
  reactor->Finish(rpc::ToGrpcStatus(status));
}

bool UnaryState::finished() {
  MutexLock lock(&mu_);
  return finished_;
}

void UnaryState::SetHandle(upstream::Engine::Handle handle) {
  bool cancel_now = false;
  {
    MutexLock lock(&mu_);
    if (finished_) return;  // completed already (e.g. on this thread)
    cancel_now = cancelled_;
    handle_ = handle;
  }
  if (cancel_now && handle) handle->Cancel();
}

void UnaryState::Cancel() {
  upstream::Engine::Handle handle;
  {
    MutexLock lock(&mu_);
    cancelled_ = true;
    handle = handle_;
  }
  // Aborts the upstream transfer; its completion finishes the RPC (the
  // status is not seen by a client that has gone anyway).
  if (handle) {
    handle->Cancel();
  } else {
    Finish(absl::CancelledError("cancelled by the client"), nullptr);
  }
}

void Settle(idempotency::Lease* lease, const absl::Status& status,
            const google::protobuf::Message* response) {
  if (lease == nullptr) return;
  if (status.ok()) {
    lease->Commit({status, response->SerializeAsString()});
  } else if (http::RequestNotSent(status) ||
             upstream::UpstreamRefused(status)) {
    // Nothing was created: upstream never saw it, or refused it with a 4xx
    // (a 429 asks for exactly this retry). Replaying the refusal for 24 h
    // would make a request_id unusable for no benefit.
    lease->Release(status);
  } else {
    // It may have reached upstream (even a timeout or a cancel can come
    // after upstream accepted the create): answering retries with this
    // outcome is what keeps credits from being spent twice.
    lease->Commit({status, ""});
  }
}

}  // namespace mediagen::api
