#include "service/upstream/engine.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/rpc/error_details.h"
#include "service/http/multipart_body.h"
#include "service/upstream/aimlapi.h"
#include "service/upstream/elevenlabs.h"
#include "service/upstream/errors.h"
#include "service/upstream/jobs.h"
#include "service/upstream/resource_name.h"
#include "service/upstream/validation.h"
#include "service/upstream/vimmerse.h"

namespace mediagen::upstream {
namespace {

using aimlapi::BuildRequest;
using elevenlabs::BuildRequest;
using vimmerse::BuildRequest;

class NoopHandle : public CallHandle {
 public:
  void Cancel() override {}
  void ResumeReceive() override {}
};

std::shared_ptr<CallHandle> Noop() { return std::make_shared<NoopHandle>(); }

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

// FAILED_PRECONDITION unless the tenant holds a usable key for `provider`.
absl::Status CheckKey(const Credentials& credentials, v1::Provider provider) {
  const std::string& key = credentials.KeyFor(provider);
  if (key.empty()) return MissingKeyError(provider);
  for (char c : key) {
    if (c <= ' ' || c > '~') {
      // The key itself never appears: only that it cannot be sent.
      absl::Status s = absl::FailedPreconditionError(absl::StrCat(
          "this tenant's ", ProviderDisplayName(provider),
          " API key holds characters that cannot go in an HTTP header"));
      google::rpc::ErrorInfo info;
      info.set_domain(std::string(ProviderDomain(provider)));
      info.set_reason("PROVIDER_KEY_MALFORMED");
      (*info.mutable_metadata())["provider"] =
          std::string(ProviderId(provider));
      rpc::SetErrorInfo(&s, info);
      return s;
    }
  }
  return absl::OkStatus();
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

// Records whether the transport ever read the caller's file, because a
// stream that has been read from cannot be sent again.
class TrackingSource : public http::BodySource {
 public:
  explicit TrackingSource(std::shared_ptr<http::BodySource> inner)
      : inner_(std::move(inner)) {}
  void SetResumeCallback(std::function<void()> resume) override {
    inner_->SetResumeCallback(std::move(resume));
  }
  ReadResult Read(char* buf, size_t max, size_t* n) override {
    touched_.store(true);
    return inner_->Read(buf, max, n);
  }
  absl::Status error() const override { return inner_->error(); }
  std::optional<int64_t> size() const override { return inner_->size(); }
  bool touched() const { return touched_.load(); }

 private:
  const std::shared_ptr<http::BodySource> inner_;
  std::atomic<bool> touched_{false};
};

// One call: attempts, retry waits, cancellation and the single completion.
// Lifetime: held by the caller's handle, by the transport's completion
// while an attempt is in flight, and by the scheduler while a retry waits.
class Operation : public CallHandle,
                  public std::enable_shared_from_this<Operation> {
 public:
  Operation(const Engine::Options& options, http::HttpTransport* transport,
            Scheduler* scheduler, const CallContext& ctx, const Route& route)
      : options_(options),
        transport_(transport),
        scheduler_(scheduler),
        deadline_(ctx.deadline),
        route_(route),
        errctx_(ErrorContext::For(route, ctx.credentials.AllKeys(),
                                  options.secrets)),
        call_observer_(ctx.observer) {
    for (const auto& h : ctx.extra_headers) {
      if (Forwardable(h)) extra_headers_.push_back(h);
    }
  }

  void Start() {
    retry_ = options_.retry_policy->clone();
    backoff_ = options_.backoff_policy->clone();
    retry_->Start(scheduler_->clock().Now());
    StartAttempt();
  }

  void Cancel() override {
    std::shared_ptr<http::HttpCall> call;
    std::optional<Scheduler::TaskId> timer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_ || cancelled_) return;
      cancelled_ = true;
      call = call_;
      timer = timer_;
    }
    if (timer.has_value() && scheduler_->Cancel(*timer)) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        timer_.reset();
      }
      Finish(CancelledStatus());
    }
    // The transport completes the attempt with CANCELLED, which finishes.
    if (call) call->Cancel();
    // Otherwise the call is between steps; each step checks cancelled_.
  }

  void ResumeReceive() override {
    std::shared_ptr<http::HttpCall> call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      call = call_;
    }
    if (call) call->ResumeReceive();
  }

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
  absl::Status AbandonedStatus() const {
    return MapTransportError(
        absl::UnavailableError("the call was dropped before it completed "
                               "(server shutting down)"),
        errctx_);
  }

 private:
  absl::Status CancelledStatus() const {
    return MapTransportError(absl::CancelledError("cancelled by the caller"),
                             errctx_);
  }

  void StartAttempt() {
    int attempt;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cancelled_) {
        // Finish below, outside the lock.
        attempt = -1;
      } else {
        attempt = ++attempt_;
        in_flight_ = true;
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
    {
      std::lock_guard<std::mutex> lock(mu_);
      // A transport that answered inline has finished this attempt already.
      if (in_flight_ && attempt_ == attempt) {
        call_ = call;
        cancel_now = cancelled_;
      }
    }
    if (cancel_now && call) call->Cancel();
  }

  void OnAttemptDone(int attempt, absl::StatusOr<http::HttpResponse> result) {
    {
      std::lock_guard<std::mutex> lock(mu_);
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
      std::lock_guard<std::mutex> lock(mu_);
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

  void Report(const AttemptReport& report) {
    if (options_.observer) options_.observer->OnAttempt(report);
    if (call_observer_) call_observer_->OnAttempt(report);
  }

  void OnTimer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      timer_.reset();
    }
    StartAttempt();
  }

  void Finish(absl::Status status) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) return;
      finished_ = true;
      in_flight_ = false;
      call_.reset();
    }
    Complete(std::move(status));
  }

  const Engine::Options& options_;
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

  std::mutex mu_;
  bool finished_ = false;
  bool cancelled_ = false;
  bool in_flight_ = false;
  int attempt_ = 0;
  std::shared_ptr<http::HttpCall> call_;
  std::optional<Scheduler::TaskId> timer_;
};

template <typename Resp>
class UnaryOperation final : public Operation {
 public:
  using Parse =
      absl::AnyInvocable<absl::StatusOr<Resp>(const http::HttpResponse&)>;
  using MakeRequest = absl::AnyInvocable<absl::StatusOr<http::HttpRequest>()>;

  UnaryOperation(const Engine::Options& options, http::HttpTransport* transport,
                 Scheduler* scheduler, const CallContext& ctx,
                 const Route& route, MakeRequest make, Parse parse,
                 Engine::Done<Resp> done,
                 absl::AnyInvocable<bool() const> can_resend = nullptr)
      : Operation(options, transport, scheduler, ctx, route),
        make_(std::move(make)),
        parse_(std::move(parse)),
        done_(std::move(done)),
        can_resend_(std::move(can_resend)) {}

  ~UnaryOperation() override {
    if (done_) std::move(done_)(AbandonedStatus());
  }

 protected:
  absl::StatusOr<http::HttpRequest> MakeAttempt() override { return make_(); }

  absl::Status OnSuccess(http::HttpResponse response) override {
    absl::StatusOr<Resp> parsed = parse_(response);
    if (!parsed.ok()) {
      return BadResponseError(errctx(), response.status, response.headers,
                              parsed.status().message());
    }
    result_ = *std::move(parsed);
    return absl::OkStatus();
  }

  void Complete(absl::Status status) override {
    Engine::Done<Resp> done = std::move(done_);
    done_ = nullptr;
    if (status.ok()) {
      std::move(done)(*std::move(result_));
    } else {
      std::move(done)(std::move(status));
    }
  }

  bool CanResend() const override { return !can_resend_ || can_resend_(); }

 private:
  MakeRequest make_;
  Parse parse_;
  Engine::Done<Resp> done_;
  absl::AnyInvocable<bool() const> can_resend_;
  std::optional<Resp> result_;
};

class AudioOperation final : public Operation {
 public:
  AudioOperation(const Engine::Options& options, http::HttpTransport* transport,
                 Scheduler* scheduler, const CallContext& ctx,
                 UpstreamRequest request, std::string output_format,
                 std::shared_ptr<AudioSink> sink)
      : Operation(options, transport, scheduler, ctx, request.route),
        request_(std::move(request.http)),
        output_format_(std::move(output_format)),
        sink_(std::move(sink)) {}

  ~AudioOperation() override {
    if (!completed_.load()) sink_->OnDone(AbandonedStatus());
  }

 protected:
  absl::StatusOr<http::HttpRequest> MakeAttempt() override {
    http::HttpRequest request = request_;
    auto stream = std::make_shared<http::ResponseStream>();
    std::weak_ptr<Operation> weak = weak_from_this();
    // A 2xx streams to the sink; any other status is buffered and parsed.
    stream->on_headers = [this, weak](int status,
                                      const http::Headers& headers) {
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

  absl::Status OnSuccess(http::HttpResponse response) override {
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

  void Complete(absl::Status status) override {
    completed_.store(true);
    sink_->OnDone(std::move(status));
  }

  // Once audio has been handed on, nothing may be sent again.
  bool CanResend() const override { return !streaming_.load(); }

 private:
  // The header texts in the info are upstream's: no secret of the server
  // may reach the caller through them (a key echoed in `request-id`).
  v1::AudioStreamInfo ScrubbedInfo(const http::Headers& headers) const {
    v1::AudioStreamInfo info =
        elevenlabs::StreamInfoFromHeaders(headers, output_format_);
    info.set_content_type(ScrubUpstreamText(info.content_type(), errctx()));
    info.set_upstream_request_id(
        ScrubUpstreamText(info.upstream_request_id(), errctx()));
    return info;
  }

  const http::HttpRequest request_;
  const std::string output_format_;
  const std::shared_ptr<AudioSink> sink_;
  std::atomic<bool> streaming_{false};
  std::atomic<bool> completed_{false};
};

template <typename T>
std::shared_ptr<CallHandle> FailNow(Engine::Done<T> done, absl::Status status) {
  // Nothing was sent: callers (idempotency) may let a retry go upstream.
  std::move(done)(http::MarkNotSent(std::move(status)));
  return Noop();
}

template <typename Resp>
absl::StatusOr<Resp> AssetAnswer(const http::HttpResponse& r) {
  absl::StatusOr<v1::Asset> asset = vimmerse::ParseAsset(r.body);
  if (!asset.ok()) return asset.status();
  Resp out;
  *out.mutable_asset() = *std::move(asset);
  return out;
}

template <typename Resp>
absl::StatusOr<Resp> EstimateAnswer(const http::HttpResponse& r) {
  Resp out;
  if (absl::Status s = vimmerse::ParseEstimate(r.body, &out); !s.ok()) return s;
  return out;
}

template <typename Resp>
auto MediaAnswer(std::string known_id = "") {
  return [known_id = std::move(known_id)](
             const http::HttpResponse& r) -> absl::StatusOr<Resp> {
    absl::StatusOr<v1::Media> media = vimmerse::ParseMedia(r.body, known_id);
    if (!media.ok()) return media.status();
    Resp out;
    *out.mutable_media() = *std::move(media);
    return out;
  };
}

template <typename Resp>
auto GenerationAnswer(std::string known_id, bool from_create) {
  return [known_id = std::move(known_id),
          from_create](const http::HttpResponse& r) -> absl::StatusOr<Resp> {
    absl::StatusOr<v1::Generation> g =
        aimlapi::ParseGeneration(r.body, known_id, from_create);
    if (!g.ok()) return g.status();
    Resp out;
    *out.mutable_generation() = *std::move(g);
    return out;
  };
}

// The id in a request's `name`, or "" when it has none (validated already).
template <typename Req>
std::string KnownId(const Req& /*request*/) {
  return "";
}
std::string KnownId(const v1::GetMediaRequest& r) {
  auto id = ParseResourceId(r.name(), ResourceKind::kMedia);
  return id.ok() ? *id : "";
}
std::string KnownId(const v1::UpdateMediaRequest& r) {
  auto id = ParseResourceId(r.name(), ResourceKind::kMedia);
  return id.ok() ? *id : "";
}
std::string KnownId(const v1::GetGenerationRequest& r) {
  auto id = ParseResourceId(r.name(), ResourceKind::kGeneration);
  return id.ok() ? *id : "";
}

// Starts a unary call whose translated request is `up`.
template <typename Resp, typename Parse>
std::shared_ptr<CallHandle> StartUnary(const Engine::Options& options,
                                       http::HttpTransport* transport,
                                       Scheduler* scheduler,
                                       const CallContext& ctx,
                                       UpstreamRequest up, Parse parse,
                                       Engine::Done<Resp> done) {
  http::HttpRequest request = std::move(up.http);
  auto op = std::make_shared<UnaryOperation<Resp>>(
      options, transport, scheduler, ctx, up.route,
      [request = std::move(request)]() -> absl::StatusOr<http::HttpRequest> {
        return request;
      },
      std::move(parse), std::move(done));
  op->Start();
  return op;
}

}  // namespace

Engine::Engine(Options options, http::HttpTransport* transport,
               Scheduler* scheduler)
    : options_(std::move(options)),
      transport_(transport),
      scheduler_(scheduler) {}

template <typename Req, typename Resp, typename Parse>
Engine::Handle Engine::Unary(const CallContext& ctx, const Req& request,
                             v1::Provider provider, Parse parse,
                             Done<Resp> done) {
  if (absl::Status s = Validate(request); !s.ok()) {
    return FailNow(std::move(done), std::move(s));
  }
  if (absl::Status s = CheckKey(ctx.credentials, provider); !s.ok()) {
    return FailNow(std::move(done), std::move(s));
  }
  absl::StatusOr<UpstreamRequest> up = BuildRequest(
      options_.endpoints, ctx.credentials.KeyFor(provider), request);
  if (!up.ok()) return FailNow(std::move(done), up.status());
  return StartUnary<Resp>(options_, transport_, scheduler_, ctx, *std::move(up),
                          std::move(parse), std::move(done));
}

template <typename Meta, typename Resp>
Engine::Handle Engine::Upload(const CallContext& ctx, const Meta& metadata,
                              std::shared_ptr<http::BodySource> file,
                              absl::string_view field, Done<Resp> done) {
  if (absl::Status s = Validate(metadata); !s.ok()) {
    return FailNow(std::move(done), std::move(s));
  }
  if (file == nullptr) {
    return FailNow(std::move(done),
                   absl::InvalidArgumentError("upload without a file source"));
  }
  if (absl::Status s = CheckKey(ctx.credentials, v1::PROVIDER_VIMMERSE);
      !s.ok()) {
    return FailNow(std::move(done), std::move(s));
  }
  auto tracked = std::make_shared<TrackingSource>(std::move(file));
  const Endpoints& endpoints = options_.endpoints;
  const std::string key = ctx.credentials.vimmerse_api_key;
  // Each attempt gets a fresh multipart body around the same file; a second
  // attempt only happens when the first never read from it.
  auto make = [&endpoints, key, metadata, tracked,
               field =
                   std::string(field)]() -> absl::StatusOr<http::HttpRequest> {
    absl::StatusOr<std::shared_ptr<http::MultipartBody>> body =
        http::MultipartBody::Create({}, field, metadata.file_name(),
                                    metadata.content_type(), tracked);
    if (!body.ok()) return body.status();
    const std::string content_type = (*body)->content_type();
    return vimmerse::BuildUpload(endpoints, key, metadata, *std::move(body),
                                 content_type)
        .http;
  };
  const Route route = std::is_same_v<Meta, v1::UploadVideoMetadata>
                          ? vimmerse::UploadVideoRoute()
                          : vimmerse::UploadAudioRoute();
  auto op = std::make_shared<UnaryOperation<Resp>>(
      options_, transport_, scheduler_, ctx, route, std::move(make),
      &AssetAnswer<Resp>, std::move(done),
      [tracked] { return !tracked->touched(); });
  op->Start();
  return op;
}

template <typename Req>
Engine::Handle Engine::Audio(const CallContext& ctx, const Req& request,
                             std::shared_ptr<AudioSink> sink) {
  if (absl::Status s = Validate(request); !s.ok()) {
    sink->OnDone(http::MarkNotSent(std::move(s)));
    return Noop();
  }
  if (absl::Status s = CheckKey(ctx.credentials, v1::PROVIDER_ELEVENLABS);
      !s.ok()) {
    sink->OnDone(http::MarkNotSent(std::move(s)));
    return Noop();
  }
  absl::StatusOr<UpstreamRequest> up = BuildRequest(
      options_.endpoints, ctx.credentials.elevenlabs_api_key, request);
  if (!up.ok()) {
    sink->OnDone(http::MarkNotSent(up.status()));
    return Noop();
  }
  auto op = std::make_shared<AudioOperation>(
      options_, transport_, scheduler_, ctx, *std::move(up),
      elevenlabs::OutputFormatOf(request), std::move(sink));
  op->Start();
  return op;
}

// ---- MediaService ----

Engine::Handle Engine::CreateMedia(const CallContext& ctx,
                                   const v1::CreateMediaRequest& r,
                                   Done<v1::CreateMediaResponse> done) {
  return Unary(ctx, r, v1::PROVIDER_VIMMERSE,
               MediaAnswer<v1::CreateMediaResponse>(), std::move(done));
}

Engine::Handle Engine::GetMedia(const CallContext& ctx,
                                const v1::GetMediaRequest& r,
                                Done<v1::GetMediaResponse> done) {
  return Unary(ctx, r, v1::PROVIDER_VIMMERSE,
               MediaAnswer<v1::GetMediaResponse>(KnownId(r)), std::move(done));
}

Engine::Handle Engine::UpdateMedia(const CallContext& ctx,
                                   const v1::UpdateMediaRequest& r,
                                   Done<v1::UpdateMediaResponse> done) {
  return Unary(ctx, r, v1::PROVIDER_VIMMERSE,
               MediaAnswer<v1::UpdateMediaResponse>(KnownId(r)),
               std::move(done));
}

// ---- VideoService ----

Engine::Handle Engine::StartVideoUpload(const CallContext& ctx,
                                        const v1::UploadVideoMetadata& metadata,
                                        std::shared_ptr<http::BodySource> file,
                                        Done<v1::UploadVideoResponse> done) {
  return Upload(ctx, metadata, std::move(file), vimmerse::kVideoFileField,
                std::move(done));
}

Engine::Handle Engine::EstimateVideoCredits(
    const CallContext& ctx, const v1::EstimateVideoCreditsRequest& r,
    Done<v1::EstimateVideoCreditsResponse> done) {
  return Unary(ctx, r, v1::PROVIDER_VIMMERSE,
               &EstimateAnswer<v1::EstimateVideoCreditsResponse>,
               std::move(done));
}

#define MEDIAGEN_ASSET_ROUTE(Rpc)                                   \
  Engine::Handle Engine::Rpc(const CallContext& ctx,                \
                             const v1::Rpc##Request& r,             \
                             Done<v1::Rpc##Response> done) {        \
    return Unary(ctx, r, v1::PROVIDER_VIMMERSE,                     \
                 &AssetAnswer<v1::Rpc##Response>, std::move(done)); \
  }

MEDIAGEN_ASSET_ROUTE(CropToAspectRatio)
MEDIAGEN_ASSET_ROUTE(ReframeVideo)
MEDIAGEN_ASSET_ROUTE(EnhanceVideo)
MEDIAGEN_ASSET_ROUTE(AddSoundEffect)
MEDIAGEN_ASSET_ROUTE(AvatarLipSync)
MEDIAGEN_ASSET_ROUTE(LipSync)
MEDIAGEN_ASSET_ROUTE(GenerateVideoEffect)
MEDIAGEN_ASSET_ROUTE(ReplaceBackground)
MEDIAGEN_ASSET_ROUTE(ReferenceToVideo)
MEDIAGEN_ASSET_ROUTE(VideoToVideo)
MEDIAGEN_ASSET_ROUTE(AttachAudio)
MEDIAGEN_ASSET_ROUTE(TextToSpeech)
MEDIAGEN_ASSET_ROUTE(TextToSoundEffect)
MEDIAGEN_ASSET_ROUTE(TextToMusic)

#undef MEDIAGEN_ASSET_ROUTE

// ---- AudioService ----

Engine::Handle Engine::StartAudioUpload(const CallContext& ctx,
                                        const v1::UploadAudioMetadata& metadata,
                                        std::shared_ptr<http::BodySource> file,
                                        Done<v1::UploadAudioResponse> done) {
  return Upload(ctx, metadata, std::move(file), vimmerse::kAudioFileField,
                std::move(done));
}

Engine::Handle Engine::EstimateAudioCredits(
    const CallContext& ctx, const v1::EstimateAudioCreditsRequest& r,
    Done<v1::EstimateAudioCreditsResponse> done) {
  return Unary(ctx, r, v1::PROVIDER_VIMMERSE,
               &EstimateAnswer<v1::EstimateAudioCreditsResponse>,
               std::move(done));
}

// ---- ElevenLabsService ----

Engine::Handle Engine::SynthesizeSpeech(const CallContext& ctx,
                                        const v1::SynthesizeSpeechRequest& r,
                                        std::shared_ptr<AudioSink> sink) {
  return Audio(ctx, r, std::move(sink));
}

Engine::Handle Engine::GenerateSoundEffect(
    const CallContext& ctx, const v1::GenerateSoundEffectRequest& r,
    std::shared_ptr<AudioSink> sink) {
  return Audio(ctx, r, std::move(sink));
}

// ---- StableAudioService ----

Engine::Handle Engine::GenerateAudio(const CallContext& ctx,
                                     const v1::GenerateAudioRequest& r,
                                     Done<v1::GenerateAudioResponse> done) {
  return Unary(ctx, r, v1::PROVIDER_AIMLAPI,
               GenerationAnswer<v1::GenerateAudioResponse>("", true),
               std::move(done));
}

Engine::Handle Engine::GetGeneration(const CallContext& ctx,
                                     const v1::GetGenerationRequest& r,
                                     Done<v1::GetGenerationResponse> done) {
  return Unary(ctx, r, v1::PROVIDER_AIMLAPI,
               GenerationAnswer<v1::GetGenerationResponse>(KnownId(r), false),
               std::move(done));
}

// ---- JobService ----

Engine::Handle Engine::GetJob(const CallContext& ctx, absl::string_view name,
                              Done<v1::Job> done) {
  absl::StatusOr<ResourceName> parsed = ParseResourceName(name);
  if (!parsed.ok()) return FailNow(std::move(done), parsed.status());
  const std::string id = parsed->id;
  v1::Provider provider = parsed->kind == ResourceKind::kGeneration
                              ? v1::PROVIDER_AIMLAPI
                              : v1::PROVIDER_VIMMERSE;
  if (absl::Status s = CheckKey(ctx.credentials, provider); !s.ok()) {
    return FailNow(std::move(done), std::move(s));
  }
  const std::string& key = ctx.credentials.KeyFor(provider);
  switch (parsed->kind) {
    case ResourceKind::kMedia: {
      v1::GetMediaRequest request;
      request.set_name(std::string(name));
      absl::StatusOr<UpstreamRequest> up =
          BuildRequest(options_.endpoints, key, request);
      if (!up.ok()) return FailNow(std::move(done), up.status());
      return StartUnary<v1::Job>(
          options_, transport_, scheduler_, ctx, *std::move(up),
          [id](const http::HttpResponse& r) -> absl::StatusOr<v1::Job> {
            absl::StatusOr<v1::Media> m = vimmerse::ParseMedia(r.body, id);
            if (!m.ok()) return m.status();
            return JobFromMedia(*m);
          },
          std::move(done));
    }
    case ResourceKind::kAsset:
      return StartUnary<v1::Job>(
          options_, transport_, scheduler_, ctx,
          vimmerse::BuildGetAsset(options_.endpoints, key, id),
          [id](const http::HttpResponse& r) -> absl::StatusOr<v1::Job> {
            absl::StatusOr<v1::Asset> a = vimmerse::ParseAsset(r.body, id);
            if (!a.ok()) return a.status();
            return JobFromAsset(*a);
          },
          std::move(done));
    case ResourceKind::kGeneration:
      return StartUnary<v1::Job>(
          options_, transport_, scheduler_, ctx,
          aimlapi::BuildGetGeneration(options_.endpoints, key, id),
          [id](const http::HttpResponse& r) -> absl::StatusOr<v1::Job> {
            absl::StatusOr<v1::Generation> g =
                aimlapi::ParseGeneration(r.body, id, /*from_create=*/false);
            if (!g.ok()) return g.status();
            return JobFromGeneration(*g);
          },
          std::move(done));
  }
  return FailNow(std::move(done), absl::InternalError("unknown resource kind"));
}

}  // namespace mediagen::upstream
