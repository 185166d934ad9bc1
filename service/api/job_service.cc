#include "service/api/job_service.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/timestamp.pb.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "service/api/job_slots.h"
#include "service/api/unary_call.h"
#include "service/common/mutex.h"
#include "service/upstream/providers/errors.h"
#include "service/upstream/providers/validation.h"

namespace mediagen::api {
namespace {

// One WatchJob stream. The registry may call it from several threads at
// once; only the newest job is kept while a write is in flight, so a slow
// caller costs one pending message, never a queue.
class WatchState : public jobs::Watcher {
 public:
  explicit WatchState(grpc::ServerWriteReactor<v1::WatchJobResponse>* reactor)
      : reactor_(reactor) {}

  void OnJob(const v1::Job& job) override {
    MutexLock lock(&mu_);
    if (end_.has_value() || job.version() <= newest_version_) return;
    newest_version_ = job.version();
    pending_job_ = job;
    pending_heartbeat_.reset();  // the job says more than a heartbeat would
    PumpLocked();
  }

  // The caller holds `version` already (a resumed watch): nothing at or
  // below it is sent, and an interrupted stream reports at least it.
  void ResumeFrom(int64_t version) {
    MutexLock lock(&mu_);
    newest_version_ = std::max(newest_version_, version);
  }

  void OnHeartbeat(int64_t version) override {
    MutexLock lock(&mu_);
    if (end_.has_value() || pending_job_.has_value()) return;
    pending_heartbeat_ = version;
    PumpLocked();
  }

  void OnEnd(const absl::Status& status) override {
    MutexLock lock(&mu_);
    if (end_.has_value()) return;
    end_ = status;
    if (!status.ok()) {
      // Tells a resuming client where it was (UNAVAILABLE on a drain): the
      // ErrorInfo metadata `last_version` is what to pass as
      // resume_from_version on the next WatchJob.
      google::rpc::ErrorInfo info;
      if (auto existing = rpc::GetErrorInfo(status)) {
        info = *existing;
      } else {
        info.set_reason(status.code() == absl::StatusCode::kUnavailable
                            ? "WATCH_INTERRUPTED"
                            : "WATCH_ENDED");
        info.set_domain("mediagen");
      }
      (*info.mutable_metadata())["last_version"] =
          absl::StrCat(newest_version_);
      rpc::SetErrorInfo(&*end_, info);
    }
    PumpLocked();
  }

  void WriteDone(bool ok) {
    MutexLock lock(&mu_);
    writing_ = false;
    if (!ok && !end_.has_value()) end_ = absl::CancelledError("stream broken");
    PumpLocked();
  }

  void Cancel() {
    std::unique_ptr<jobs::JobRegistry::WatchHandle> handle;
    {
      MutexLock lock(&mu_);
      handle = std::move(handle_);
      if (!end_.has_value()) end_ = absl::CancelledError("cancelled");
      pending_job_.reset();
      pending_heartbeat_.reset();
      PumpLocked();
    }
    // Dropped outside the lock: the registry may call back into us.
  }

  void SetHandle(std::unique_ptr<jobs::JobRegistry::WatchHandle> handle) {
    MutexLock lock(&mu_);
    if (end_.has_value()) return;  // ended already; drop it (below)
    handle_ = std::move(handle);
  }

  void Detach() {
    std::unique_ptr<jobs::JobRegistry::WatchHandle> handle;
    {
      MutexLock lock(&mu_);
      reactor_ = nullptr;
      handle = std::move(handle_);
    }
  }

 private:
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reactor_ == nullptr || writing_ || finished_) return;
    if (pending_job_.has_value()) {
      current_.Clear();
      *current_.mutable_job() = std::move(*pending_job_);
      pending_job_.reset();
    } else if (pending_heartbeat_.has_value()) {
      current_.Clear();
      v1::Heartbeat* hb = current_.mutable_heartbeat();
      hb->set_version(*pending_heartbeat_);
      const absl::Time now = absl::Now();
      hb->mutable_send_time()->set_seconds(absl::ToUnixSeconds(now));
      hb->mutable_send_time()->set_nanos(
          static_cast<int32_t>(absl::ToInt64Nanoseconds(
              now - absl::FromUnixSeconds(absl::ToUnixSeconds(now)))));
      pending_heartbeat_.reset();
    } else if (end_.has_value()) {
      finished_ = true;
      reactor_->Finish(rpc::ToGrpcStatus(*end_));
      return;
    } else {
      return;
    }
    writing_ = true;
    reactor_->StartWrite(&current_);
  }

  Mutex mu_;
  grpc::ServerWriteReactor<v1::WatchJobResponse>* reactor_;
  std::unique_ptr<jobs::JobRegistry::WatchHandle> handle_ ABSL_GUARDED_BY(mu_);
  v1::WatchJobResponse current_;
  std::optional<v1::Job> pending_job_ ABSL_GUARDED_BY(mu_);
  std::optional<int64_t> pending_heartbeat_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> end_ ABSL_GUARDED_BY(mu_);
  int64_t newest_version_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

class WatchReactor : public grpc::ServerWriteReactor<v1::WatchJobResponse> {
 public:
  WatchReactor(const ApiContext& api, grpc::CallbackServerContext* ctx,
               const v1::WatchJobRequest& req)
      : state_(std::make_shared<WatchState>(this)) {
    absl::StatusOr<ResolvedCall> call = ResolveCall(api, ctx);
    absl::Status valid = call.ok() ? upstream::Validate(req) : call.status();
    if (!valid.ok()) {
      state_->OnEnd(valid);
      return;
    }
    call->record->SetJob(req.name());
    if (req.resume_from_version() < 0) {
      state_->OnEnd(absl::InvalidArgumentError(
          "resume_from_version must be 0 or a version the server sent"));
      return;
    }
    state_->ResumeFrom(req.resume_from_version());
    state_->SetHandle(api.registry->Watch(
        call->tenant->name, req.name(), req.resume_from_version(),
        JobReader(api, call->tenant->name, call->tenant->credentials,
                  req.name()),
        state_));
  }

  void OnWriteDone(bool ok) override { state_->WriteDone(ok); }
  void OnCancel() override { state_->Cancel(); }
  void OnDone() override {
    state_->Detach();
    delete this;
  }

 private:
  std::shared_ptr<WatchState> state_;
};

}  // namespace

jobs::ReadFn JobReader(const ApiContext& api, std::string tenant,
                       upstream::Credentials credentials, std::string name,
                       absl::Time first_deadline) {
  upstream::Engine* engine = api.engine;
  const absl::Duration timeout = api.poll_timeout;
  const telemetry::Logger* log = api.log;
  quota::QuotaStore* quota = api.quota;
  auto first = std::make_shared<std::atomic<bool>>(true);
  return [engine, timeout, log, quota, first, first_deadline,
          tenant = std::move(tenant), credentials = std::move(credentials),
          name = std::move(name)](jobs::ReadDone done) {
    // A poll serves every watcher of the job, so it belongs to no caller's
    // trace: each read starts one, which its attempt lines carry.
    auto record = std::make_shared<CallRecord>(
        "job poll", telemetry::TraceContext::Start(), "",
        CallRecord::Sinks{log, nullptr});
    record->SetTenant(tenant);
    record->SetJob(name);
    upstream::CallContext ctx;
    ctx.credentials = credentials;
    ctx.deadline = absl::Now() + timeout;
    if (first->exchange(false)) {
      ctx.deadline = std::min(ctx.deadline, first_deadline);
    }
    ctx.extra_headers = TraceHeaders(record->trace());
    ctx.observer = std::move(record);
    if (quota == nullptr) {
      engine->GetJob(ctx, name, std::move(done));
      return;
    }
    // Every upstream read of a job comes here (polls for watches, webhook
    // re-reads, GetJob): the one place that sees a job end, and frees its
    // place among the tenant's jobs in flight.
    engine->GetJob(ctx, name,
                   [quota, tenant, name, done = std::move(done)](
                       absl::StatusOr<v1::Job> job) mutable {
                     NoteJobRead(quota, tenant, name, job);
                     std::move(done)(std::move(job));
                   });
  };
}

grpc::ServerUnaryReactor* JobServiceImpl::GetJob(
    grpc::CallbackServerContext* ctx, const v1::GetJobRequest* req,
    v1::GetJobResponse* resp) {
  auto* reactor = new UnaryReactor(resp);
  std::shared_ptr<UnaryState> state = reactor->state();
  absl::StatusOr<ResolvedCall> call = ResolveCall(api_, ctx);
  absl::Status valid = call.ok() ? upstream::Validate(*req) : call.status();
  if (call.ok()) call->record->SetJob(req->name());
  if (!valid.ok()) {
    state->Finish(valid, nullptr);
    return reactor;
  }
  // Like every call, answered a little before the caller's deadline
  // (UpstreamDeadline), with the ErrorInfo of a read that ran out of time;
  // the read itself (its own, or one it shares) never holds it longer.
  const absl::Time deadline = call->upstream.deadline;
  upstream::Engine* engine = api_.engine;
  api_.registry->Get(
      call->tenant->name, req->name(),
      JobReader(api_, call->tenant->name, call->tenant->credentials,
                req->name(), deadline),
      [state, engine, name = req->name()](absl::StatusOr<v1::Job> job) {
        absl::Status status = job.status();
        if (status.code() == absl::StatusCode::kDeadlineExceeded &&
            !rpc::GetErrorInfo(status).has_value()) {
          status = engine->JobReadDeadlineExceeded(name);
        }
        v1::GetJobResponse out;
        if (job.ok()) *out.mutable_job() = *std::move(job);
        state->Finish(status, &out);
      },
      deadline);
  return reactor;
}

grpc::ServerWriteReactor<v1::WatchJobResponse>* JobServiceImpl::WatchJob(
    grpc::CallbackServerContext* ctx, const v1::WatchJobRequest* req) {
  return new WatchReactor(api_, ctx, *req);
}

}  // namespace mediagen::api
