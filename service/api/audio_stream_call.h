// AudioStreamReactor: forwards an upstream audio body to a server-streaming
// RPC chunk by chunk. One gRPC write is in flight at a time; chunks that
// arrive meanwhile queue up to kAudioQueueBytes, past which the upstream
// transfer is paused (AudioSink::OnChunk returns false) until the caller
// has read enough. A slow reader therefore slows the download instead of
// growing memory.
//
//   return new AudioStreamReactor<v1::SynthesizeSpeechRequest,
//                                 v1::SynthesizeSpeechResponse>(api_, ctx,
//                                                               *req);
//
// The upstream call is the request type's row of the route table
// (upstream/providers/route_table.h), run by Engine::Stream.
#ifndef MEDIAGEN_SERVICE_API_AUDIO_STREAM_CALL_H_
#define MEDIAGEN_SERVICE_API_AUDIO_STREAM_CALL_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "proto/rpc/grpc_status.h"
#include "service/api/api_context.h"
#include "service/api/cost_estimate.h"
#include "service/api/job_slots.h"
#include "service/api/transfer_slots.h"
#include "service/common/mutex.h"
#include "service/upstream/engine/engine.h"

namespace mediagen::api {

// Bytes queued for the caller before the upstream transfer pauses.
inline constexpr size_t kAudioQueueBytes = 256 << 10;

template <typename Req, typename Resp>
class AudioStreamReactor : public grpc::ServerWriteReactor<Resp> {
 public:
  AudioStreamReactor(const ApiContext& api, grpc::CallbackServerContext* ctx,
                     const Req& req)
      : state_(std::make_shared<State>(this)) {
    absl::StatusOr<ResolvedCall> call = ResolveCall(api, ctx);
    if (!call.ok()) {
      state_->OnDone(call.status());
      return;
    }
    state_->SetRecord(call->record);
    if (api.transfers != nullptr) {
      absl::StatusOr<TransferSlots::Slot> slot =
          api.transfers->Acquire(call->tenant->name);
      if (!slot.ok()) {
        state_->OnDone(slot.status());
        return;
      }
      state_->SetSlot(*std::move(slot));
    }
    // A stream also holds one of the tenant's places in flight
    // (concurrent_jobs) until upstream's answer has ended: it is what fills
    // the provider's own concurrency limit.
    // Its cost: characters of the text (or the price table), settled from
    // upstream's `character-cost` when it reports one.
    EstimateAndReserve(api, *call, PlanCostOf(api, req),
                       [state = state_, &api, context = call->upstream,
                        req](absl::StatusOr<std::unique_ptr<quota::Reservation>>
                                 reserved) mutable {
                         if (!reserved.ok()) {
                           state->OnDone(reserved.status());
                           return;
                         }
                         state->SetJobPlace(*std::move(reserved));
                         upstream::Engine::Handle handle =
                             api.engine->Stream(context, req, state);
                         state->SetHandle(std::move(handle));
                       });
  }

  void OnWriteDone(bool ok) override { state_->WriteDone(ok); }
  void OnCancel() override { state_->Cancel(); }
  void OnDone() override {
    state_->Detach();
    delete this;
  }

 private:
  // The sink the engine holds; it may outlive the reactor.
  class State : public upstream::AudioSink {
   public:
    explicit State(AudioStreamReactor* reactor) : reactor_(reactor) {}

    void OnInfo(const v1::AudioStreamInfo& info) override {
      Resp msg;
      *msg.mutable_info() = info;
      MutexLock lock(&mu_);
      if (info.has_character_cost()) {
        character_cost_ = static_cast<double>(info.character_cost());
      }
      queue_.push_back(std::move(msg));
      PumpLocked();
    }

    bool OnChunk(absl::string_view chunk) override {
      if (record_ != nullptr) {
        record_->AddStreamBytes(CallRecord::kDown, chunk.size());
      }
      Resp msg;
      msg.set_audio_chunk(std::string(chunk));
      MutexLock lock(&mu_);
      queued_bytes_ += chunk.size();
      queue_.push_back(std::move(msg));
      PumpLocked();
      if (queued_bytes_ >= kAudioQueueBytes) paused_ = true;
      return !paused_;
    }

    void OnDone(absl::Status status) override {
      TransferSlots::Slot slot;
      std::unique_ptr<quota::Reservation> place;
      MutexLock lock(&mu_);
      slot = std::move(slot_);        // the upstream transfer is over
      place = std::move(job_place_);  // and so is the tenant's job
      // Spent: the `character-cost` upstream reported, else the estimate;
      // nothing when upstream refused the request.
      if (place != nullptr && status.ok()) {
        place->Settle(character_cost_);
      } else {
        SettleFailedCreate(std::move(place), status);
      }
      if (!end_.has_value()) end_ = std::move(status);
      PumpLocked();
    }

    // Before the engine starts; given back when the transfer ends.
    void SetSlot(TransferSlots::Slot slot) {
      MutexLock lock(&mu_);
      slot_ = std::move(slot);
    }

    // Before the engine starts; freed when the transfer ends.
    void SetJobPlace(std::unique_ptr<quota::Reservation> place) {
      MutexLock lock(&mu_);
      job_place_ = std::move(place);
    }

    // Before the engine starts (so chunks never race it).
    void SetRecord(std::shared_ptr<CallRecord> record) {
      record_ = std::move(record);
    }

    void SetHandle(upstream::Engine::Handle handle) {
      bool cancel = false;
      bool resume = false;
      {
        MutexLock lock(&mu_);
        handle_ = handle;
        cancel = cancelled_;
        resume = std::exchange(resume_owed_, false);
      }
      if (!handle) return;
      if (cancel) {
        handle->Cancel();
      } else if (resume) {
        handle->ResumeReceive();
      }
    }

    void WriteDone(bool ok) {
      if (!ok) {
        // The stream broke (the caller is gone): stop the download too.
        {
          MutexLock lock(&mu_);
          writing_ = false;
        }
        Cancel();
        return;
      }
      upstream::Engine::Handle resume;
      {
        MutexLock lock(&mu_);
        writing_ = false;
        if (current_.has_audio_chunk()) {
          queued_bytes_ -= current_.audio_chunk().size();
        }
        if (paused_ && queued_bytes_ < kAudioQueueBytes / 2) {
          paused_ = false;
          resume = handle_;
          // Chunks may arrive, pause and drain before Engine::Stream has
          // returned the handle: SetHandle resumes then.
          if (!resume) resume_owed_ = true;
        }
        PumpLocked();
      }
      if (resume) resume->ResumeReceive();
    }

    void Cancel() {
      upstream::Engine::Handle handle;
      {
        MutexLock lock(&mu_);
        cancelled_ = true;
        handle = handle_;
        queue_.clear();
        if (!end_.has_value()) end_ = absl::CancelledError("cancelled");
        PumpLocked();
      }
      if (handle) handle->Cancel();
    }

    void Detach() {
      MutexLock lock(&mu_);
      reactor_ = nullptr;
      handle_.reset();
    }

   private:
    // Starts the next write, or finishes once everything queued went out.
    void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (reactor_ == nullptr || writing_ || finished_) return;
      if (!queue_.empty()) {
        current_ = std::move(queue_.front());
        queue_.pop_front();
        writing_ = true;
        reactor_->StartWrite(&current_);
        return;
      }
      if (end_.has_value()) {
        finished_ = true;
        reactor_->Finish(rpc::ToGrpcStatus(*end_));
      }
    }

    std::shared_ptr<CallRecord> record_;
    Mutex mu_;
    AudioStreamReactor* reactor_;
    std::deque<Resp> queue_ ABSL_GUARDED_BY(mu_);
    Resp current_;  // the message of the write in flight
    size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
    bool writing_ ABSL_GUARDED_BY(mu_) = false;
    bool paused_ ABSL_GUARDED_BY(mu_) = false;
    bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
    bool resume_owed_ ABSL_GUARDED_BY(mu_) = false;
    bool finished_ ABSL_GUARDED_BY(mu_) = false;
    std::optional<absl::Status> end_ ABSL_GUARDED_BY(mu_);
    upstream::Engine::Handle handle_ ABSL_GUARDED_BY(mu_);
    TransferSlots::Slot slot_ ABSL_GUARDED_BY(mu_);
    std::unique_ptr<quota::Reservation> job_place_ ABSL_GUARDED_BY(mu_);
    std::optional<double> character_cost_ ABSL_GUARDED_BY(mu_);
  };

  std::shared_ptr<State> state_;
};

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_AUDIO_STREAM_CALL_H_
