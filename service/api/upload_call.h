// UploadReactor: a client-streaming upload (UploadVideo / UploadAudio) on
// the callback API. The first message's metadata starts the upstream
// multipart request; every chunk goes into a bounded BodyPipe the transport
// pulls from. When the pipe is full the reactor stops reading from the
// client until the transport has drained it, so memory stays flat whatever
// the file size (gRPC's flow control then slows the client down).
//
//   grpc::ServerReadReactor<v1::UploadVideoRequest>* UploadVideo(
//       grpc::CallbackServerContext* ctx, v1::UploadVideoResponse* resp) {
//     return UploadReactor<v1::UploadVideoRequest, v1::UploadVideoMetadata,
//                          v1::UploadVideoResponse>::Create(api_, ctx, resp);
//   }
//
// The RPC's name and upstream call come from the metadata type's row of the
// route table (upstream/providers/route_table.h).
#ifndef MEDIAGEN_SERVICE_API_UPLOAD_CALL_H_
#define MEDIAGEN_SERVICE_API_UPLOAD_CALL_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "service/api/api_context.h"
#include "service/api/job_slots.h"
#include "service/api/transfer_slots.h"
#include "service/api/unary_call.h"
#include "service/common/mutex.h"
#include "service/http/body_pipe.h"
#include "service/idempotency/fingerprint.h"
#include "service/upstream/engine/engine.h"
#include "service/upstream/providers/validation.h"

namespace mediagen::api {

// Chunks buffered between the client and upstream, at most (plus one).
inline constexpr size_t kUploadBufferBytes = 1 << 20;

// Owned by itself (`self_`) until gRPC's OnDone, and by any completion
// running at that moment, so callbacks from the transport or the
// idempotency store never touch a deleted reactor.
template <typename Req, typename Meta, typename Resp>
class UploadReactor
    : public grpc::ServerReadReactor<Req>,
      public std::enable_shared_from_this<UploadReactor<Req, Meta, Resp>> {
 public:
  static UploadReactor* Create(const ApiContext& api,
                               grpc::CallbackServerContext* ctx, Resp* resp) {
    auto reactor =
        std::shared_ptr<UploadReactor>(new UploadReactor(api, ctx, resp));
    reactor->self_ = reactor;
    reactor->Begin();
    return reactor.get();
  }

  void OnReadDone(bool ok) override {
    mu_.Lock();
    reading_ = false;
    if (ok) ++messages_;
    if (finished_) {
      mu_.Unlock();
      return;
    }
    if (!ok) {
      // The client half-closed (or went away: OnCancel handles that).
      if (pipe_ == nullptr) {
        mu_.Unlock();
        FinishOnce(absl::InvalidArgumentError(
                       "the upload ended before its first message (metadata)"),
                   nullptr);
        return;
      }
      pipe_->Finish();  // the engine's completion finishes the RPC
      mu_.Unlock();
      return;
    }
    if (pipe_ == nullptr) {
      mu_.Unlock();
      StartUpload();
      return;
    }
    if (msg_.data_case() != Req::kChunk) {
      mu_.Unlock();
      Fail(absl::InvalidArgumentError(
          "only the first upload message may carry metadata; later ones carry "
          "`chunk`"));
      return;
    }
    call_.record->AddStreamBytes(CallRecord::kUp, msg_.chunk().size());
    if (pipe_->Write(std::move(*msg_.mutable_chunk()))) {
      StartReadLocked();
    } else {
      waiting_for_space_ = true;  // OnSpace reads on
    }
    mu_.Unlock();
  }

  void OnCancel() override {
    Fail(absl::CancelledError("upload cancelled by the client"));
  }

  void OnDone() override {
    std::shared_ptr<UploadReactor> self;
    {
      MutexLock lock(&mu_);
      done_ = true;
      self = std::move(self_);
    }
    // `self` may be the last owner: the reactor goes when this returns.
  }

 private:
  UploadReactor(const ApiContext& api, grpc::CallbackServerContext* ctx,
                Resp* resp)
      : api_(api), ctx_(ctx), resp_(resp) {}

  void Begin() {
    absl::StatusOr<ResolvedCall> call = ResolveCall(api_, ctx_);
    if (!call.ok()) {
      FinishOnce(call.status(), nullptr);
      return;
    }
    call_ = *std::move(call);
    ReadNext();
  }

  // Read on, unless finished.
  void ReadNext() {
    MutexLock lock(&mu_);
    StartReadLocked();
  }
  void StartReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || reading_) return;
    reading_ = true;
    this->StartRead(&msg_);
  }

  void StartUpload() {
    if (msg_.data_case() != Req::kMetadata) {
      FinishOnce(absl::InvalidArgumentError(
                     "the first upload message must carry `metadata`"),
                 nullptr);
      return;
    }
    const Meta meta = msg_.metadata();
    if (absl::Status valid = upstream::Validate(meta); !valid.ok()) {
      FinishOnce(valid, nullptr);
      return;
    }
    // Before the request_id claim: a refusal here sent nothing and must
    // leave the request_id free for a retry.
    if (api_.transfers != nullptr) {
      absl::StatusOr<TransferSlots::Slot> acquired =
          api_.transfers->Acquire(call_.tenant->name);
      if (!acquired.ok()) {
        FinishOnce(acquired.status(), nullptr);
        return;
      }
      MutexLock lock(&mu_);
      slot_ = *std::move(acquired);
    }
    if (!meta.request_id().empty()) {
      std::weak_ptr<UploadReactor> weak = this->weak_from_this();
      const absl::string_view rpc = upstream::RouteFor<Meta>().rpc;
      // Nothing is read from the stream until this is decided.
      api_.idempotency->Begin(
          {call_.tenant->name, meta.request_id()}, rpc,
          idempotency::Fingerprint(meta), call_.upstream.deadline,
          [weak, meta](std::unique_ptr<idempotency::Lease> lease,
                       idempotency::Outcome answer) mutable {
            auto self = weak.lock();
            if (self == nullptr) return;  // gone: a lease releases itself
            if (lease == nullptr) {
              // The first upload's answer; the rest of this stream is not
              // needed (Finish may come before the client is done sending).
              self->FinishStored(answer);
              return;
            }
            // After deduplication (a duplicate takes no place) and before
            // the point of no return (a refusal leaves the request_id
            // free): see RunUnary.
            self->ReserveJobPlace([weak, meta, lease = std::move(lease)](
                                      absl::Status reserved) mutable {
              auto self = weak.lock();
              if (self == nullptr) return;
              if (!reserved.ok()) {
                lease->Release(reserved);
                self->FinishOnce(reserved, nullptr);
                return;
              }
              // Recorded as sent before it leaves: see Lease::MarkSent.
              idempotency::Lease* held = lease.get();
              held->MarkSent([weak, meta, lease = std::move(lease)](
                                 absl::Status sent) mutable {
                auto self = weak.lock();
                if (self == nullptr) return;
                if (!sent.ok()) {
                  lease->Release(sent);
                  self->FinishOnce(sent, nullptr);
                  return;
                }
                self->SendUpload(meta, std::move(lease));
              });
            });
          });
      return;
    }
    std::weak_ptr<UploadReactor> weak = this->weak_from_this();
    ReserveJobPlace([weak, meta](absl::Status reserved) {
      auto self = weak.lock();
      if (self == nullptr) return;
      if (!reserved.ok()) {
        self->FinishOnce(reserved, nullptr);
        return;
      }
      self->SendUpload(meta, nullptr);
    });
  }

  // An upload is a create: it takes a place among the tenant's jobs in
  // flight (concurrent_jobs) while it runs, kept in job_place_ until
  // SendUpload hands it to the completion. It costs nothing (uploads are 0
  // credits), so no budget is involved. `then` hears whether the place was
  // given; it is dropped if the call is gone by then.
  void ReserveJobPlace(absl::AnyInvocable<void(absl::Status) &&> then) {
    std::weak_ptr<UploadReactor> weak = this->weak_from_this();
    ReserveForCreate(api_, call_, std::nullopt, /*takes_place=*/true,
                     [weak, then = std::move(then)](
                         absl::StatusOr<std::unique_ptr<quota::Reservation>>
                             reserved) mutable {
                       auto self = weak.lock();
                       if (self == nullptr)
                         return;  // the reservation frees itself
                       if (!reserved.ok()) {
                         std::move(then)(reserved.status());
                         return;
                       }
                       {
                         MutexLock lock(&self->mu_);
                         self->job_place_ = *std::move(reserved);
                       }
                       std::move(then)(absl::OkStatus());
                     });
  }

  // Streams the upload upstream under `lease` (null without a request_id).
  void SendUpload(const Meta& meta, std::unique_ptr<idempotency::Lease> lease) {
    std::optional<int64_t> size;
    if (meta.has_size_bytes()) size = meta.size_bytes();
    auto pipe = std::make_shared<http::BodyPipe>(kUploadBufferBytes, size);
    std::weak_ptr<UploadReactor> weak = this->weak_from_this();
    pipe->SetSpaceCallback([weak] {
      if (auto self = weak.lock()) self->OnSpace();
    });
    TransferSlots::Slot slot;
    std::unique_ptr<quota::Reservation> job_place;
    {
      MutexLock lock(&mu_);
      pipe_ = pipe;
      slot = std::move(slot_);
      job_place = std::move(job_place_);
    }
    upstream::Engine::Handle handle = api_.engine->Upload(
        call_.upstream, meta, pipe,
        // The slot is given back with this completion: the upstream
        // connection is free again.
        [weak, lease = std::move(lease), record = call_.record,
         slot = std::move(slot), job_place = std::move(job_place)](
            absl::StatusOr<Resp> result) mutable {
          if (result.ok()) record->NoteResource(*result);
          SettleAndAnswer(std::move(result), std::move(job_place),
                          std::move(lease),
                          [weak](const absl::Status& s, const Resp* r) {
                            if (auto self = weak.lock()) self->FinishOnce(s, r);
                          });
        });
    bool cancel_now = false;
    {
      MutexLock lock(&mu_);
      handle_ = handle;
      cancel_now = finished_;
    }
    if (cancel_now && handle) handle->Cancel();
    ArmIdleTimer();
    ReadNext();
  }

  // Every upload_idle_timeout: when the caller sent no message since the
  // last check while we waited for one, the upload is cancelled upstream
  // (a stalled caller must not hold an upstream connection for ever).
  // Time spent waiting for upstream to take data (waiting_for_space_) is
  // ours, not the caller's, and does not count.
  void ArmIdleTimer() {
    if (api_.scheduler == nullptr ||
        api_.upload_idle_timeout <= absl::ZeroDuration()) {
      return;
    }
    uint64_t seen = 0;
    {
      MutexLock lock(&mu_);
      if (finished_ || done_) return;
      seen = messages_;
    }
    std::weak_ptr<UploadReactor> weak = this->weak_from_this();
    api_.scheduler->RunAfter(api_.upload_idle_timeout, [weak, seen] {
      if (auto self = weak.lock()) self->CheckIdle(seen);
    });
  }

  void CheckIdle(uint64_t seen) {
    bool idle = false;
    {
      MutexLock lock(&mu_);
      if (finished_ || done_) return;
      idle = messages_ == seen && reading_ && !waiting_for_space_;
    }
    if (!idle) {
      ArmIdleTimer();
      return;
    }
    absl::Status status = absl::DeadlineExceededError(
        absl::StrCat("the upload sent no message for ",
                     absl::FormatDuration(api_.upload_idle_timeout),
                     "; it was cancelled upstream"));
    google::rpc::ErrorInfo info;
    info.set_reason("UPLOAD_IDLE");
    info.set_domain("mediagen");
    (*info.mutable_metadata())["idle_timeout_ms"] =
        absl::StrCat(absl::ToInt64Milliseconds(api_.upload_idle_timeout));
    rpc::SetErrorInfo(&status, info);
    Fail(status);
  }

  void OnSpace() {
    MutexLock lock(&mu_);
    if (!waiting_for_space_) return;
    waiting_for_space_ = false;
    StartReadLocked();
  }

  // Answers `status` and stops the upstream transfer. The answer comes
  // first: failing the pipe completes the engine's call on its own
  // thread, and that completion must not win the race with its mapped
  // "body source failed" error. Only the copies are used after Finish,
  // which may let gRPC destroy this reactor.
  void Fail(const absl::Status& status) {
    std::shared_ptr<http::BodyPipe> pipe;
    upstream::Engine::Handle handle;
    {
      MutexLock lock(&mu_);
      pipe = pipe_;
      handle = handle_;
    }
    FinishOnce(status, nullptr);
    if (pipe) pipe->Fail(status);
    if (handle) handle->Cancel();
  }

  void FinishStored(const idempotency::Outcome& o) {
    Resp stored;
    if (o.status.ok() && !stored.ParseFromString(o.response)) {
      FinishOnce(absl::InternalError("stored upload response is corrupt"),
                 nullptr);
      return;
    }
    FinishOnce(o.status, o.status.ok() ? &stored : nullptr);
  }

  void FinishOnce(const absl::Status& status, const Resp* response) {
    {
      MutexLock lock(&mu_);
      if (finished_ || done_) return;
      finished_ = true;
      if (status.ok() && response != nullptr) resp_->CopyFrom(*response);
    }
    this->Finish(rpc::ToGrpcStatus(status));
  }

  const ApiContext& api_;
  grpc::CallbackServerContext* const ctx_;
  Resp* const resp_;
  ResolvedCall call_;
  std::shared_ptr<UploadReactor> self_;

  Mutex mu_;
  Req msg_;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool waiting_for_space_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t messages_ ABSL_GUARDED_BY(mu_) = 0;  // received from the caller
  // This upload's share of its tenant's long transfers, from the metadata
  // until the upstream transfer starts (its completion then holds it).
  TransferSlots::Slot slot_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<quota::Reservation> job_place_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<http::BodyPipe> pipe_ ABSL_GUARDED_BY(mu_);
  upstream::Engine::Handle handle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_UPLOAD_CALL_H_
