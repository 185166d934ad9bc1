#include "service/upstream/engine/operation.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "service/common/mutex.h"
#include "service/upstream/providers/elevenlabs.h"

namespace mediagen::upstream {
namespace {

class CompletedCallHandle : public CallHandle {
 public:
  void Cancel() override {}
  void ResumeReceive() override {}
};

// Header names the engine owns; a caller's copy is dropped.
bool Reserved(absl::string_view name) {
  for (absl::string_view r :
       {"authorization", "x-api-key", "xi-api-key", "content-type", "accept",
        "host", "content-length", "transfer-encoding", "connection", "expect",
        "te", "upgrade", "proxy-authorization", "cookie"}) {
    if (absl::EqualsIgnoreCase(name, r)) return true;
  }
  return false;
}

bool Forwardable(const std::pair<std::string, std::string>& header) {
  const auto& [name, value] = header;
  if (name.empty() || Reserved(name)) return false;
  for (char c : name) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return value.find_first_of(std::string("\r\n\0", 3)) == std::string::npos;
}

// Whether a 2xx answer of an audio route may be passed on as audio: an
// audio/* or octet-stream Content-Type, or none at all (upstream did not
// say). A JSON or HTML page with a 2xx (a proxy's portal, an API change)
// must not reach the caller as if it were sound.
bool IsAudioAnswer(const http::Headers& headers) {
  std::optional<std::string> type = http::FindHeader(headers, "content-type");
  if (!type.has_value()) return true;
  absl::string_view t = absl::StripAsciiWhitespace(*type);
  t = absl::StripAsciiWhitespace(t.substr(0, t.find(';')));
  return t.empty() || absl::StartsWithIgnoreCase(t, "audio/") ||
         absl::EqualsIgnoreCase(t, "application/octet-stream");
}

}  // namespace

std::shared_ptr<CallHandle> CompletedHandle() {
  return std::make_shared<CompletedCallHandle>();
}

// ---- Operation ----

Operation::Operation(const OperationOptions& options,
                     http::HttpTransport* transport, Scheduler* scheduler,
                     const CallContext& ctx, const Route& route)
    : options_(options),
      transport_(transport),
      scheduler_(scheduler),
      deadline_(ctx.deadline),
      route_(route),
      errctx_(ErrorContext::For(
          route, ctx.credentials.AllKeys(),
          options.secrets ? options.secrets->Snapshot() : nullptr)),
      call_observer_(ctx.observer) {
  for (const auto& h : ctx.extra_headers) {
    if (Forwardable(h)) extra_headers_.push_back(h);
  }
}

void Operation::Start() {
  retry_ = options_.retry_policy->clone();
  backoff_ = options_.backoff_policy->clone();
  retry_->Start(scheduler_->clock().Now());
  StartAttempt();
}

void Operation::Cancel() {
  std::shared_ptr<http::HttpCall> call;
  std::optional<Scheduler::TaskId> timer;
  {
    MutexLock lock(&mu_);
    if (finished_ || cancelled_) return;
    cancelled_ = true;
    call = call_;
    timer = timer_;
  }
  if (timer.has_value() && scheduler_->Cancel(*timer)) {
    {
      MutexLock lock(&mu_);
      timer_.reset();
    }
    Finish(CancelledStatus());
  }
  // The transport completes the attempt with CANCELLED, which finishes.
  if (call) call->Cancel();
  // Otherwise the call is between steps; each step checks cancelled_.
}

void Operation::ResumeReceive() {
  std::shared_ptr<http::HttpCall> call;
  {
    MutexLock lock(&mu_);
    call = call_;
    // The transport may deliver, and the sink ask to pause and then to
    // resume, before its Start has returned the call: the resume is owed
    // to it then, or the transfer would stay paused until its deadline.
    if (call == nullptr && in_flight_) resume_owed_ = true;
  }
  if (call) call->ResumeReceive();
}

absl::Status Operation::AbandonedStatus() const {
  return MapTransportError(
      absl::UnavailableError("the call was dropped before it completed "
                             "(server shutting down)"),
      errctx_);
}

absl::Status Operation::CancelledStatus() const {
  return MapTransportError(absl::CancelledError("cancelled by the caller"),
                           errctx_);
}

void Operation::StartAttempt() {
  int attempt;
  {
    MutexLock lock(&mu_);
    if (cancelled_) {
      // Finish below, outside the lock.
      attempt = -1;
    } else {
      attempt = ++attempt_;
      in_flight_ = true;
      resume_owed_ = false;  // a new transfer starts unpaused
    }
  }
  if (attempt < 0) return Finish(CancelledStatus());
  if (scheduler_->clock().Now() >= deadline_) {
    return Finish(MapTransportError(
        http::MarkNotSent(absl::DeadlineExceededError(
            "the deadline passed before the request was sent")),
        errctx_));
  }
  absl::StatusOr<http::HttpRequest> request = MakeAttempt();
  if (!request.ok()) return Finish(request.status());
  request->deadline = deadline_;
  request->max_response_bytes = options_.max_response_bytes;
  attempt_started_ = scheduler_->clock().Now();
  for (const auto& h : extra_headers_) request->headers.push_back(h);

  std::shared_ptr<Operation> self = shared_from_this();
  std::shared_ptr<http::HttpCall> call = transport_->Start(
      *std::move(request),
      [self, attempt](absl::StatusOr<http::HttpResponse> result) {
        self->OnAttemptDone(attempt, std::move(result));
      });
  bool cancel_now = false;
  bool resume_now = false;
  {
    MutexLock lock(&mu_);
    // A transport that answered inline has finished this attempt already.
    if (in_flight_ && attempt_ == attempt) {
      call_ = call;
      cancel_now = cancelled_;
      resume_now = std::exchange(resume_owed_, false);
    }
  }
  if (cancel_now && call) call->Cancel();
  if (resume_now && call) call->ResumeReceive();
}

void Operation::OnAttemptDone(int attempt,
                              absl::StatusOr<http::HttpResponse> result) {
  {
    MutexLock lock(&mu_);
    if (attempt != attempt_) return;  // cannot happen; belt and braces
    in_flight_ = false;
    call_.reset();
  }
  const absl::Time now = scheduler_->clock().Now();
  AttemptReport report;
  report.route = &route_;
  report.attempt = attempt;
  report.latency = now - attempt_started_;
  if (result.ok()) {
    report.http_status = result->status;
    // Scrubbed like error text: it goes into logs.
    report.upstream_request_id = UpstreamRequestId(result->headers, errctx_);
  } else {
    report.transport_code = result.status().code();
  }
  absl::Status failure;
  if (!result.ok()) {
    failure = MapTransportError(result.status(), errctx_);
  } else if (result->status >= 200 && result->status < 300) {
    failure = OnSuccess(*std::move(result));
    if (failure.ok()) {
      Report(report);
      return Finish(absl::OkStatus());
    }
  } else {
    failure = MapHttpError(*result, errctx_, now);
  }

  if (http::RequestNotSent(failure) && !CanResend()) {
    Report(report);
    return Finish(std::move(failure));
  }
  const RetryDecision d = DecideRetry(*retry_, *backoff_, route_.idempotency,
                                      failure, now, deadline_);
  report.will_retry = d.retry;
  Report(report);
  if (!d.retry) return Finish(std::move(failure));
  {
    MutexLock lock(&mu_);
    if (!cancelled_) {
      std::shared_ptr<Operation> self = shared_from_this();
      // The scheduler never runs a task inside RunAfter, so holding mu_
      // here cannot deadlock; it keeps Cancel from missing the timer.
      timer_ = scheduler_->RunAfter(d.delay, [self] { self->OnTimer(); });
      return;
    }
  }
  Finish(CancelledStatus());
}

void Operation::Report(const AttemptReport& report) {
  if (options_.observer) options_.observer->OnAttempt(report);
  if (call_observer_) call_observer_->OnAttempt(report);
}

void Operation::OnTimer() {
  {
    MutexLock lock(&mu_);
    timer_.reset();
  }
  StartAttempt();
}

void Operation::Finish(absl::Status status) {
  {
    MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    in_flight_ = false;
    call_.reset();
  }
  Complete(std::move(status));
}

// ---- UnaryOperation ----

UnaryOperation::UnaryOperation(const OperationOptions& options,
                               http::HttpTransport* transport,
                               Scheduler* scheduler, const CallContext& ctx,
                               const Route& route, MakeRequest make,
                               ReadAnswer read, Completion done,
                               absl::AnyInvocable<bool() const> can_resend)
    : Operation(options, transport, scheduler, ctx, route),
      make_(std::move(make)),
      read_(std::move(read)),
      done_(std::move(done)),
      can_resend_(std::move(can_resend)) {}

UnaryOperation::~UnaryOperation() {
  if (done_) std::move(done_)(AbandonedStatus());
}

absl::StatusOr<http::HttpRequest> UnaryOperation::MakeAttempt() {
  return make_();
}

absl::Status UnaryOperation::OnSuccess(http::HttpResponse response) {
  if (absl::Status read = read_(response); !read.ok()) {
    return BadResponseError(errctx(), response.status, response.headers,
                            read.message());
  }
  return absl::OkStatus();
}

void UnaryOperation::Complete(absl::Status status) {
  Completion done = std::move(done_);
  done_ = nullptr;
  std::move(done)(std::move(status));
}

bool UnaryOperation::CanResend() const { return !can_resend_ || can_resend_(); }

// ---- AudioOperation ----

AudioOperation::AudioOperation(const OperationOptions& options,
                               http::HttpTransport* transport,
                               Scheduler* scheduler, const CallContext& ctx,
                               UpstreamRequest request,
                               std::string output_format,
                               std::shared_ptr<AudioSink> sink)
    : Operation(options, transport, scheduler, ctx, request.route),
      request_(std::move(request.http)),
      output_format_(std::move(output_format)),
      sink_(std::move(sink)) {}

AudioOperation::~AudioOperation() {
  if (!completed_.load()) sink_->OnDone(AbandonedStatus());
}

absl::StatusOr<http::HttpRequest> AudioOperation::MakeAttempt() {
  http::HttpRequest request = request_;
  auto stream = std::make_shared<http::ResponseStream>();
  std::weak_ptr<Operation> weak = weak_from_this();
  // A 2xx streams to the sink; any other status is buffered and parsed.
  stream->on_headers = [this, weak](int status, const http::Headers& headers) {
    std::shared_ptr<Operation> alive = weak.lock();
    // Anything but audio is buffered (bounded by max_response_bytes) and
    // judged in OnSuccess or mapped as an error.
    if (!alive || status < 200 || status >= 300 || !IsAudioAnswer(headers)) {
      return false;
    }
    streaming_.store(true);
    sink_->OnInfo(ScrubbedInfo(headers));
    return true;
  };
  stream->on_chunk = [this, weak](absl::string_view chunk) {
    std::shared_ptr<Operation> alive = weak.lock();
    return alive ? sink_->OnChunk(chunk) : false;
  };
  request.response_stream = std::move(stream);
  return request;
}

absl::Status AudioOperation::OnSuccess(http::HttpResponse response) {
  if (!streaming_.load()) {
    if (!IsAudioAnswer(response.headers)) {
      // Billed or not, the caller cannot use it: UNKNOWN (may have
      // happened), never a retry.
      return BadResponseError(errctx(), response.status, response.headers,
                              "the answer's Content-Type is not audio");
    }
    // The transport buffered a 2xx after all: hand it over in one piece.
    streaming_.store(true);
    sink_->OnInfo(ScrubbedInfo(response.headers));
    if (!response.body.empty()) sink_->OnChunk(response.body);
  }
  return absl::OkStatus();
}

void AudioOperation::Complete(absl::Status status) {
  completed_.store(true);
  sink_->OnDone(std::move(status));
}

// Once audio has been handed on, nothing may be sent again.
bool AudioOperation::CanResend() const { return !streaming_.load(); }

// The header texts in the info are upstream's: no secret of the server
// may reach the caller through them (a key echoed in `request-id`).
v1::AudioStreamInfo AudioOperation::ScrubbedInfo(
    const http::Headers& headers) const {
  v1::AudioStreamInfo info =
      elevenlabs::StreamInfoFromHeaders(headers, output_format_);
  info.set_content_type(ScrubUpstreamText(info.content_type(), errctx()));
  info.set_upstream_request_id(
      ScrubUpstreamText(info.upstream_request_id(), errctx()));
  return info;
}

}  // namespace mediagen::upstream
