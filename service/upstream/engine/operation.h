// One upstream call, from its first attempt to its single completion: the
// attempts, the retry waits between them (on a Scheduler: no thread
// sleeps), the deadline, cancellation and the report of every attempt. The
// Engine (engine.h) validates and translates a request, then hands the
// translated call to an operation; nothing here knows an RPC.
//
//   auto op = std::make_shared<UnaryOperation>(
//       engine_options, transport, scheduler, call_context, up.route,
//       [request = up.http]() -> absl::StatusOr<http::HttpRequest> {
//         return request;  // the next attempt's request
//       },
//       [](const http::HttpResponse& r) { return ReadInto(r, &answer); },
//       [](absl::Status s) { /* once: OK after ReadAnswer, or the error */ });
//   op->Start();
//   op->Cancel();  // from any thread; completes with CANCELLED
//
// Also the vocabulary of a call that the Engine's callers use: CallContext
// (who, until when), CallHandle (cancel, resume), AttemptObserver (told of
// each attempt) and AudioSink (a streamed answer).
//
// Lifetime: an operation is held by the caller's handle, by the transport's
// completion while an attempt is in flight, and by the scheduler while a
// retry waits. One dropped without completing (its retry timer discarded by
// a stopping scheduler) completes with UNAVAILABLE when the last reference
// goes. Thread-safe.
#ifndef MEDIAGEN_SERVICE_UPSTREAM_ENGINE_OPERATION_H_
#define MEDIAGEN_SERVICE_UPSTREAM_ENGINE_OPERATION_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mediagen/v1/elevenlabs.pb.h"
#include "service/common/mutex.h"
#include "service/common/scheduler.h"
#include "service/common/secret_set.h"
#include "service/http/transport.h"
#include "service/upstream/engine/retry_policy.h"
#include "service/upstream/providers/endpoints.h"
#include "service/upstream/providers/errors.h"
#include "service/upstream/providers/route.h"

namespace mediagen::upstream {

// One upstream attempt, as an AttemptObserver is told of it.
struct AttemptReport {
  // Provider, method and documented path ("/v2/media/{id}"): no ids.
  const Route* route = nullptr;
  int attempt = 1;  // 1 for the first
  // The HTTP status, or 0 when no answer came (then see `transport_code`).
  int http_status = 0;
  absl::StatusCode transport_code = absl::StatusCode::kOk;
  absl::Duration latency;
  // Another attempt follows (after a backoff).
  bool will_retry = false;
  // The provider's `request-id` / `x-request-id` header, when it sent one.
  std::string upstream_request_id;
};

// Told of every attempt the engine makes (metrics, logs). Called on a
// transport thread after the attempt and before the call completes or
// retries; must be thread-safe and quick.
class AttemptObserver {
 public:
  virtual ~AttemptObserver() = default;
  virtual void OnAttempt(const AttemptReport& report) = 0;
};

// Who is calling and until when.
struct CallContext {
  // The tenant's upstream keys. An empty key for the route's provider fails
  // the call with FAILED_PRECONDITION (reason PROVIDER_NOT_CONFIGURED).
  Credentials credentials;
  // Absolute deadline (from the gRPC deadline). Every attempt and every
  // retry wait ends before it.
  absl::Time deadline = absl::InfiniteFuture();
  // Forwarded as they are (e.g. `traceparent`, `tracestate`), except names
  // the engine sets itself (auth, Content-Type, Accept, Host,
  // Content-Length, Transfer-Encoding, Connection) and anything holding CR,
  // LF or NUL, which are dropped.
  http::Headers extra_headers;
  // Told of this call's attempts (besides OperationOptions::observer).
  std::shared_ptr<AttemptObserver> observer;
};

// A started call.
class CallHandle {
 public:
  virtual ~CallHandle() = default;
  // Aborts the upstream transfer and any pending retry; the completion (or
  // AudioSink::OnDone) then runs with CANCELLED unless it has run already.
  virtual void Cancel() = 0;
  // Continues an audio stream paused by AudioSink::OnChunk returning false.
  virtual void ResumeReceive() = 0;
};

// Receives a streamed audio answer. Called on a transport thread.
class AudioSink {
 public:
  virtual ~AudioSink() = default;
  // Once, before any chunk, on a 2xx answer.
  virtual void OnInfo(const v1::AudioStreamInfo& info) = 0;
  // The next bytes. Return false to pause the transfer (this chunk is
  // kept); call CallHandle::ResumeReceive() when ready for more.
  virtual bool OnChunk(absl::string_view chunk) = 0;
  // Exactly once, last: OK after the whole audio, or the mapped error.
  virtual void OnDone(absl::Status status) = 0;
};

// What every operation of an engine shares (the Engine's Options add where
// the providers are).
struct OperationOptions {
  // Prototypes, cloned for each call. Reads stop after 4 attempts or 30 s
  // (and always at the call's deadline); creates are bounded the same way
  // but only repeated when the request provably never left.
  std::shared_ptr<const RetryPolicy> retry_policy =
      std::make_shared<LimitedAttemptsRetryPolicy>(4, absl::Seconds(30));
  std::shared_ptr<const BackoffPolicy> backoff_policy =
      std::make_shared<ExponentialBackoffPolicy>(
          absl::Milliseconds(250), absl::Seconds(8), /*scaling=*/2.0);
  // Largest JSON answer buffered (audio streams are not buffered).
  size_t max_response_bytes = 16 << 20;
  // Every secret the server holds besides the caller's own keys (the
  // other tenants' keys, webhook tokens): scrubbed from upstream text in
  // errors too, so a confused or compromised upstream cannot hand one
  // tenant another's key. Replaced when tenants are reloaded. May be null.
  std::shared_ptr<const SecretSet> secrets;
  // Told of every attempt of every call (e.g. metrics); may be null.
  std::shared_ptr<AttemptObserver> observer;
};

// A handle whose call has already completed (or never started).
std::shared_ptr<CallHandle> CompletedHandle();

// One call: attempts, retry waits, cancellation and the single completion.
// Subclasses say what an attempt sends and what a 2xx answer means.
class Operation : public CallHandle,
                  public std::enable_shared_from_this<Operation> {
 public:
  // `options`, `transport` and `scheduler` must outlive the operation.
  Operation(const OperationOptions& options, http::HttpTransport* transport,
            Scheduler* scheduler, const CallContext& ctx, const Route& route);

  // Sends the first attempt. Call once, on a shared_ptr.
  void Start();

  void Cancel() override;
  void ResumeReceive() override;

 protected:
  // The request of the next attempt (auth and body included).
  virtual absl::StatusOr<http::HttpRequest> MakeAttempt() = 0;
  // A 2xx answer. OK completes the call; an error (already mapped) is this
  // attempt's failure.
  virtual absl::Status OnSuccess(http::HttpResponse response) = 0;
  // Runs exactly once.
  virtual void Complete(absl::Status status) = 0;
  // False when a request that never left still cannot be sent again.
  virtual bool CanResend() const { return true; }

  const ErrorContext& errctx() const { return errctx_; }

  // For an operation destroyed without having completed: a scheduler that
  // stops drops its pending retry timers (and with them the last reference
  // to the operation), yet the caller is owed its one completion.
  absl::Status AbandonedStatus() const;

 private:
  absl::Status CancelledStatus() const;
  void StartAttempt();
  void OnAttemptDone(int attempt, absl::StatusOr<http::HttpResponse> result);
  void Report(const AttemptReport& report);
  void OnTimer();
  void Finish(absl::Status status);

  const OperationOptions& options_;
  http::HttpTransport* const transport_;
  Scheduler* const scheduler_;
  const absl::Time deadline_;
  const Route route_;
  const ErrorContext errctx_;
  const std::shared_ptr<AttemptObserver> call_observer_;
  http::Headers extra_headers_;
  // Written by the thread starting an attempt, read by its completion.
  absl::Time attempt_started_;
  // Used only by the thread running the current step (steps never overlap).
  std::unique_ptr<RetryPolicy> retry_;
  std::unique_ptr<BackoffPolicy> backoff_;

  Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  // ResumeReceive came while the attempt's call was not yet known.
  bool resume_owed_ ABSL_GUARDED_BY(mu_) = false;
  int attempt_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<http::HttpCall> call_ ABSL_GUARDED_BY(mu_);
  std::optional<Scheduler::TaskId> timer_ ABSL_GUARDED_BY(mu_);
};

// A call answered by one buffered HTTP response.
class UnaryOperation final : public Operation {
 public:
  // The request of each attempt (a fresh one for uploads, whose body is
  // built around the same file).
  using MakeRequest = absl::AnyInvocable<absl::StatusOr<http::HttpRequest>()>;
  // Reads a 2xx answer into the caller's response; an error is our reason
  // why the answer is unusable (never upstream text).
  using ReadAnswer =
      absl::AnyInvocable<absl::Status(const http::HttpResponse&)>;
  // The single completion: OK after ReadAnswer succeeded, or the error.
  using Completion = absl::AnyInvocable<void(absl::Status) &&>;

  UnaryOperation(const OperationOptions& options,
                 http::HttpTransport* transport, Scheduler* scheduler,
                 const CallContext& ctx, const Route& route, MakeRequest make,
                 ReadAnswer read, Completion done,
                 absl::AnyInvocable<bool() const> can_resend = nullptr);
  ~UnaryOperation() override;

 protected:
  absl::StatusOr<http::HttpRequest> MakeAttempt() override;
  absl::Status OnSuccess(http::HttpResponse response) override;
  void Complete(absl::Status status) override;
  bool CanResend() const override;

 private:
  MakeRequest make_;
  ReadAnswer read_;
  Completion done_;
  absl::AnyInvocable<bool() const> can_resend_;
};

// A call whose 2xx answer is audio, streamed to an AudioSink as it arrives
// (ElevenLabs). Anything but audio is buffered and judged: an error body is
// parsed, never streamed. Never sent again once audio has been handed on.
class AudioOperation final : public Operation {
 public:
  // `output_format` is the one requested (for AudioStreamInfo).
  AudioOperation(const OperationOptions& options,
                 http::HttpTransport* transport, Scheduler* scheduler,
                 const CallContext& ctx, UpstreamRequest request,
                 std::string output_format, std::shared_ptr<AudioSink> sink);
  ~AudioOperation() override;

 protected:
  absl::StatusOr<http::HttpRequest> MakeAttempt() override;
  absl::Status OnSuccess(http::HttpResponse response) override;
  void Complete(absl::Status status) override;
  bool CanResend() const override;

 private:
  v1::AudioStreamInfo ScrubbedInfo(const http::Headers& headers) const;

  const http::HttpRequest request_;
  const std::string output_format_;
  const std::shared_ptr<AudioSink> sink_;
  std::atomic<bool> streaming_{false};
  std::atomic<bool> completed_{false};
};

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_ENGINE_OPERATION_H_
