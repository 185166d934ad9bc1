#include "service/server/observability.h"

#include <array>
#include <atomic>
#include <cmath>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "grpc/support/log.h"
#include "grpcpp/server_context.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "service/common/mutex.h"
#include "service/telemetry/trace_context.h"
#include "service/upstream/providers/endpoints.h"
#include "service/upstream/providers/errors.h"

namespace mediagen::server {

using telemetry::Counter;
using telemetry::Family;
using telemetry::Gauge;
using telemetry::Histogram;
using telemetry::LogFields;
using telemetry::LogLevel;

constexpr absl::string_view kWatchMethod = "mediagen.v1.JobService/WatchJob";
// The one label of every method the server does not serve.
constexpr absl::string_view kUnknownMethod = "unknown";
// Calls to unknown methods log one line per this interval at most.
constexpr absl::Duration kUnknownMethodLogInterval = absl::Seconds(1);

namespace {
std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}
}  // namespace

struct Observability::RpcMetrics {
  explicit RpcMetrics(telemetry::MetricsRegistry& m)
      : duration(m.AddHistogram(
            "mediagen_rpc_duration_seconds",
            "gRPC calls handled, by full method name and status code, and "
            "how long they took (streams: their whole life).",
            {"method", "code"}, telemetry::LatencyBuckets())),
        in_flight(m.AddGauge("mediagen_rpcs_in_flight",
                             "gRPC calls started and not finished yet.",
                             {"method"})),
        watch_streams(m.AddGauge("mediagen_watch_streams_open",
                                 "Open JobService.WatchJob streams.")
                          ->With({})),
        bytes(m.AddCounter("mediagen_stream_bytes_total",
                           "Media bytes streamed: `up` from callers to "
                           "upstream (uploads), `down` from upstream to "
                           "callers (audio).",
                           {"method", "direction"})) {}

  // The series one method's calls update, looked up once per method rather
  // than by label values on every call.
  struct MethodSeries {
    Gauge* in_flight = nullptr;
    // By grpc::StatusCode; filled on first use.
    std::array<std::atomic<Histogram*>, 17> duration{};
  };
  // Called before the server starts, for every method it serves (and for
  // kUnknownMethod): the only series keys there will ever be.
  void Register(const std::string& method) {
    MutexLock lock(&mu);
    std::unique_ptr<MethodSeries>& s = by_method[method];
    if (s == nullptr) {
      s = std::make_unique<MethodSeries>();
      s->in_flight = in_flight->With({method});
    }
  }
  // The label of a call's method: its own name when registered, else
  // kUnknownMethod, so no caller-chosen text becomes a label, a log field
  // or an entry here.
  std::string Label(absl::string_view method) {
    MutexLock lock(&mu);
    auto it = by_method.find(method);
    return it != by_method.end() ? it->first : std::string(kUnknownMethod);
  }
  MethodSeries* Series(const std::string& label) {
    MutexLock lock(&mu);
    auto it = by_method.find(label);
    if (it == by_method.end()) it = by_method.find(kUnknownMethod);
    return it->second.get();
  }
  Histogram* Duration(MethodSeries* s, const std::string& method,
                      grpc::StatusCode code) {
    const size_t i = static_cast<size_t>(code);
    if (i >= s->duration.size()) {
      return duration->With({method, CodeName(code)});
    }
    Histogram* h = s->duration[i].load(std::memory_order_acquire);
    if (h == nullptr) {
      // Two threads may both look it up: With() returns the same series.
      h = duration->With({method, CodeName(code)});
      s->duration[i].store(h, std::memory_order_release);
    }
    return h;
  }

  Family<Histogram>* const duration;
  Family<Gauge>* const in_flight;
  Gauge* const watch_streams;
  Family<Counter>* const bytes;
  Mutex mu;
  // The registered methods and kUnknownMethod: one entry each, never more.
  absl::flat_hash_map<std::string, std::unique_ptr<MethodSeries>> by_method
      ABSL_GUARDED_BY(mu);
};

namespace {

std::optional<absl::string_view> Find(
    const std::multimap<grpc::string_ref, grpc::string_ref>& md,
    absl::string_view key) {
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return std::nullopt;
  return absl::string_view(it->second.data(), it->second.size());
}

// Ids from the mesh (Envoy sets x-request-id) are kept when they look like
// ids; anything else gets a fresh one rather than logging caller input.
std::string RequestId(std::optional<absl::string_view> given) {
  if (given.has_value() && !given->empty() && given->size() <= 128) {
    bool plain = true;
    for (char c : *given) {
      if (!(absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.')) {
        plain = false;
        break;
      }
    }
    if (plain) return std::string(*given);
  }
  return telemetry::RandomHexId(16);
}

LogLevel LevelFor(absl::string_view method, grpc::StatusCode code) {
  if (absl::StartsWith(method, "grpc.")) return LogLevel::kDebug;
  switch (code) {
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNAVAILABLE:
      return LogLevel::kWarning;
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::DATA_LOSS:
      return LogLevel::kError;
    default:
      return LogLevel::kInfo;
  }
}

class RpcInterceptor : public grpc::experimental::Interceptor {
 public:
  RpcInterceptor(Observability* obs, grpc::experimental::ServerRpcInfo* info)
      : obs_(obs),
        ctx_(info->server_context()),
        method_(
            obs->rpc_metrics().Label(absl::StripPrefix(info->method(), "/"))),
        start_(absl::Now()) {}

  ~RpcInterceptor() override {
    // A call torn down without a status (the server shutting down).
    if (record_ != nullptr && !finished_) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "no status sent"));
    }
    // The call is over and its status has gone out: the log line is
    // written here, off the caller's path, rather than before the status
    // is sent.
    if (finished_) WriteLogLine();
    obs_->calls().Remove(ctx_);
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      Begin(*methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finish(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  void Begin(const std::multimap<grpc::string_ref, grpc::string_ref>& md) {
    Observability::RpcMetrics& m = obs_->rpc_metrics();
    api::CallRecord::Sinks sinks;
    sinks.log = &obs_->log();
    sinks.bytes = m.bytes;
    record_ = std::make_shared<api::CallRecord>(
        method_,
        telemetry::TraceContext::ContinueOrStart(Find(md, "traceparent"),
                                                 Find(md, "tracestate")),
        RequestId(Find(md, "x-request-id")), sinks);
    obs_->calls().Add(ctx_, record_);
    series_ = m.Series(method_);
    series_->in_flight->Add(1);
    if (method_ == kWatchMethod) m.watch_streams->Add(1);
  }

  // The status is about to be sent: metrics now, the log line when the
  // call is destroyed.
  void Finish(const grpc::Status& status) {
    if (record_ == nullptr || finished_) return;
    finished_ = true;
    took_ = absl::Now() - start_;
    Observability::RpcMetrics& m = obs_->rpc_metrics();
    series_->in_flight->Add(-1);
    if (method_ == kWatchMethod) m.watch_streams->Add(-1);
    m.Duration(series_, method_, status.error_code())
        ->Observe(absl::ToDoubleSeconds(took_));
    level_ = LevelFor(method_, status.error_code());
    if (method_ == kUnknownMethod) {
      // Anybody can call any name: a warning, at most one a second, which
      // counts the calls it stands for.
      level_ = LogLevel::kWarning;
      log_ = obs_->log().Enabled(level_) &&
             obs_->TakeUnknownMethodLogTurn(&suppressed_);
    } else {
      log_ = obs_->log().Enabled(level_);
    }
    if (log_) status_ = status;
  }

  void WriteLogLine() {
    if (!log_) return;
    LogFields f = record_->ContextFields();
    f["code"] = CodeName(status_.error_code());
    f["duration_ms"] = api::RoundedMillis(took_);
    const api::CallRecord::Snapshot s = record_->Take();
    if (s.upstream_status != 0) f["upstream_status"] = s.upstream_status;
    if (!s.upstream_error.empty()) f["upstream_error"] = s.upstream_error;
    if (s.attempts > 1) f["upstream_attempts"] = s.attempts;
    if (!s.upstream_request_id.empty()) {
      f["upstream_request_id"] = s.upstream_request_id;
    }
    if (s.bytes_up != 0) f["bytes_up"] = s.bytes_up;
    if (s.bytes_down != 0) f["bytes_down"] = s.bytes_down;
    if (suppressed_ > 0) f["unknown_calls_not_logged"] = suppressed_;
    if (!status_.ok()) {
      // The reason, upstream code and the names of bad fields, never the
      // message or a field's description: upstream text may quote the
      // request (a prompt) back.
      const absl::Status details = rpc::FromGrpcStatus(status_);
      if (auto info = rpc::GetErrorInfo(details)) {
        f["reason"] = info->reason();
        for (const char* key : {"upstream_code", "last_version"}) {
          auto it = info->metadata().find(key);
          if (it != info->metadata().end()) f[key] = it->second;
        }
      }
      if (auto bad = rpc::GetBadRequest(details)) {
        LogFields fields = LogFields::array();
        for (const auto& v : bad->field_violations())
          fields.push_back(v.field());
        if (!fields.empty()) f["fields"] = fields;
      }
    }
    obs_->log().Log(level_, "rpc", f);
  }

  Observability* const obs_;
  const grpc::ServerContextBase* const ctx_;
  const std::string method_;
  const absl::Time start_;
  std::shared_ptr<api::CallRecord> record_;
  Observability::RpcMetrics::MethodSeries* series_ = nullptr;
  bool finished_ = false;
  absl::Duration took_;
  LogLevel level_ = LogLevel::kDebug;
  bool log_ = false;        // decided when the status went out
  int64_t suppressed_ = 0;  // unknown-method calls not logged before this
  grpc::Status status_;
};

class InterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit InterceptorFactory(Observability* obs) : obs_(obs) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcInterceptor(obs_, info);
  }

 private:
  Observability* const obs_;
};

class UpstreamMetrics : public upstream::AttemptObserver {
 public:
  explicit UpstreamMetrics(telemetry::MetricsRegistry& m)
      : duration_(m.AddHistogram(
            "mediagen_upstream_request_duration_seconds",
            "Upstream HTTP requests (each attempt), by provider, documented "
            "route and HTTP status (or the transport error, e.g. "
            "`unavailable`, when no answer came).",
            {"provider", "route", "status"}, telemetry::LatencyBuckets())),
        retries_(
            m.AddCounter("mediagen_upstream_retries_total",
                         "Upstream attempts that failed and were tried again.",
                         {"provider", "route"})) {}

  void OnAttempt(const upstream::AttemptReport& r) override {
    const std::string provider(upstream::ProviderId(r.route->provider));
    const std::string route = r.route->Label();
    const std::string status = r.http_status != 0
                                   ? absl::StrCat(r.http_status)
                                   : api::StatusCodeLabel(r.transport_code);
    duration_->With({provider, route, status})
        ->Observe(absl::ToDoubleSeconds(r.latency));
    if (r.will_retry) retries_->With({provider, route})->Increment();
  }

 private:
  Family<Histogram>* const duration_;
  Family<Counter>* const retries_;
};

const telemetry::Logger* grpc_log = nullptr;

void GrpcLog(gpr_log_func_args* args) {
  const telemetry::Logger* log = grpc_log;
  if (log == nullptr) return;
  LogLevel level = LogLevel::kDebug;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) {
    level = LogLevel::kError;
  } else if (args->severity == GPR_LOG_SEVERITY_INFO) {
    level = LogLevel::kInfo;
  }
  log->Log(level, args->message != nullptr ? args->message : "",
           {{"component", "grpc"},
            {"source", absl::StrCat(args->file != nullptr ? args->file : "",
                                    ":", args->line)}});
}

}  // namespace

Observability::Observability(const telemetry::Logger* log)
    : log_(log),
      rpc_(std::make_unique<RpcMetrics>(metrics_)),
      upstream_observer_(std::make_shared<UpstreamMetrics>(metrics_)) {
  metrics_.AddCallback("mediagen_job_pollers_active",
                       "Jobs being polled upstream (one poller per tenant "
                       "and job, however many watch it).",
                       "gauge", [this] {
                         const jobs::JobRegistry* r = registry_.load();
                         return r ? static_cast<double>(r->active_pollers())
                                  : 0.0;
                       });
  metrics_.AddCallback(
      "mediagen_job_watchers", "Watchers registered with the job registry.",
      "gauge", [this] {
        const jobs::JobRegistry* r = registry_.load();
        return r ? static_cast<double>(r->watcher_count()) : 0.0;
      });
  rpc_->Register(std::string(kUnknownMethod));
  idempotency_hits_ = metrics_.AddCounter(
      "mediagen_idempotency_hits_total",
      "Creates whose request_id was seen before: answered with the first "
      "call's outcome (or refused for other content) without going "
      "upstream.",
      {"method"});
  // Tenants come from the config file, so the label is bounded.
  quota_refusals_ = metrics_.AddCounter(
      "mediagen_quota_refusals_total",
      "Calls a tenant's own limit refused (RESOURCE_EXHAUSTED with "
      "QuotaFailure) before anything went upstream.",
      {"tenant", "limit"});
  spent_ = metrics_.AddCounter(
      "mediagen_spent_total",
      "What creates cost per tenant, provider and unit (credits, "
      "characters), as upstream reported it or as estimated when it did "
      "not; rounded to whole units.",
      {"tenant", "provider", "unit"});
  draining_ = metrics_
                  .AddGauge("mediagen_draining",
                            "1 from SIGTERM/SIGINT until exit: health says "
                            "NOT_SERVING and the server is draining.")
                  ->With({});
}

Observability::~Observability() = default;

std::vector<
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
Observability::InterceptorFactories() {
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      out;
  out.push_back(std::make_unique<InterceptorFactory>(this));
  return out;
}

void Observability::RegisterMethods(const std::vector<std::string>& methods) {
  for (const std::string& m : methods) rpc_->Register(m);
}

bool Observability::TakeUnknownMethodLogTurn(int64_t* suppressed) {
  const int64_t now = absl::ToUnixNanos(absl::Now());
  int64_t next = unknown_log_next_ns_.load(std::memory_order_relaxed);
  if (now < next ||
      !unknown_log_next_ns_.compare_exchange_strong(
          next, now + absl::ToInt64Nanoseconds(kUnknownMethodLogInterval))) {
    unknown_log_suppressed_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  *suppressed = unknown_log_suppressed_.exchange(0, std::memory_order_relaxed);
  return true;
}

void Observability::IdempotencyHit(absl::string_view method) {
  idempotency_hits_->With({std::string(method)})->Increment();
}

void Observability::QuotaRefused(absl::string_view tenant,
                                 absl::string_view limit) {
  quota_refusals_->With({std::string(tenant), std::string(limit)})->Increment();
}

void Observability::Spent(absl::string_view tenant, const quota::Cost& cost) {
  const double whole = std::round(cost.amount);
  if (!(whole >= 1)) return;
  spent_->With({std::string(tenant), cost.provider, cost.unit})
      ->Increment(static_cast<uint64_t>(whole));
}

void Observability::SetDraining(bool draining) {
  draining_->Set(draining ? 1 : 0);
}

void Observability::SetRedisUp(bool up, const absl::Status& cause) {
  {
    MutexLock lock(&redis_mu_);
    if (redis_up_ == nullptr) {
      // Only a server with Redis configured has the series.
      redis_up_ = metrics_
                      .AddGauge("mediagen_redis_up",
                                "1 while the Redis shared by the replicas "
                                "answers, 0 while it does not (request_id "
                                "creates are then refused, watches poll "
                                "locally).")
                      ->With({});
    }
    redis_up_->Set(up ? 1 : 0);
  }
  if (up) {
    log_->Log(telemetry::LogLevel::kInfo, "redis reachable", {});
  } else {
    // The client's causes never hold the password.
    log_->Log(telemetry::LogLevel::kWarning,
              "redis unreachable: creates with a request_id are refused and "
              "watches poll locally until it is back",
              {{"why", std::string(cause.message())}});
  }
}

void RouteGrpcLogsTo(const telemetry::Logger* log) {
  grpc_log = log;
  gpr_set_log_function(&GrpcLog);
}

}  // namespace mediagen::server
