// Observability: the server's metrics and RPC logs in one place.
//
//   Observability obs(&logger);
//   builder.experimental().SetInterceptorCreators(obs.InterceptorFactories());
//   engine_options.observer = obs.upstream_observer();
//   api.calls = &obs.calls();
//   admin.Start(...);  // serves obs.metrics().Render() at /metrics
//
// A gRPC server interceptor sees every call: it takes `traceparent` and
// `x-request-id` from the metadata (or starts a trace and makes an id),
// registers the call's CallRecord for its handler, and when the status goes
// out it records the latency histogram and writes the call's log line:
//
//   {"time":"...","level":"info","msg":"rpc",
//    "method":"mediagen.v1.MediaService/CreateMedia","tenant":"acme",
//    "job":"media/m1","request_id":"...","trace_id":"...","span_id":"...",
//    "code":"OK","duration_ms":84.2,"upstream_status":200,...}
//
// Health checks and reflection log at debug level (probes would drown the
// rest). Metric names and their labels are listed in README.md
// ("Operating"); no label ever holds an id, a key, a token or a prompt.
#ifndef MEDIAGEN_SERVICE_SERVER_OBSERVABILITY_H_
#define MEDIAGEN_SERVICE_SERVER_OBSERVABILITY_H_

#include <atomic>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "grpcpp/support/server_interceptor.h"
#include "service/api/call_record.h"
#include "service/common/mutex.h"
#include "service/jobs/job_registry.h"
#include "service/quota/quota_store.h"
#include "service/telemetry/log.h"
#include "service/telemetry/metrics.h"
#include "service/upstream/engine/engine.h"

namespace mediagen::server {

class Observability {
 public:
  // `log` must outlive this object.
  explicit Observability(const telemetry::Logger* log);
  ~Observability();
  Observability(const Observability&) = delete;
  Observability& operator=(const Observability&) = delete;

  telemetry::MetricsRegistry& metrics() { return metrics_; }
  const telemetry::Logger& log() const { return *log_; }
  api::CallTable& calls() { return calls_; }

  // For ServerBuilder::experimental().SetInterceptorCreators.
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
  InterceptorFactories();

  // Upstream request metrics, for Engine::Options::observer.
  std::shared_ptr<upstream::AttemptObserver> upstream_observer() const {
    return upstream_observer_;
  }

  // Job poller and watcher gauges read `registry` from now on; null stops
  // (before the registry goes).
  void ObserveRegistry(const jobs::JobRegistry* registry) {
    registry_.store(registry);
  }
  // The methods the server serves ("mediagen.v1.MediaService/CreateMedia",
  // health, reflection), before it starts. Metrics, logs and per-method
  // state key only on these; a call to any other method counts under the
  // one label `unknown` and logs a warning at most once a second (the
  // method's name, which the caller chose, is never kept or written).
  void RegisterMethods(const std::vector<std::string>& methods);
  // For the interceptor: whether this unknown-method call may log now; if
  // so, `*suppressed` is how many were not logged since the last line.
  bool TakeUnknownMethodLogTurn(int64_t* suppressed);

  // A repeated request_id answered without going upstream.
  void IdempotencyHit(absl::string_view method);
  // A tenant's own limit (`requests_per_second`, `concurrent_jobs`,
  // `budgets`) refused a call before anything went upstream.
  void QuotaRefused(absl::string_view tenant, absl::string_view limit);
  // A create of `tenant` cost `cost` (settled).
  void Spent(absl::string_view tenant, const quota::Cost& cost);
  void SetDraining(bool draining);
  // Redis (when configured) became reachable or not: the
  // `mediagen_redis_up` gauge, and a warning when it goes away.
  void SetRedisUp(bool up, const absl::Status& cause);

  // Called by the interceptor.
  struct RpcMetrics;
  RpcMetrics& rpc_metrics() { return *rpc_; }

 private:
  const telemetry::Logger* const log_;
  telemetry::MetricsRegistry metrics_;
  api::CallTable calls_;
  std::unique_ptr<RpcMetrics> rpc_;
  std::shared_ptr<upstream::AttemptObserver> upstream_observer_;
  telemetry::Family<telemetry::Counter>* idempotency_hits_;
  telemetry::Family<telemetry::Counter>* quota_refusals_;
  telemetry::Family<telemetry::Counter>* spent_;
  telemetry::Gauge* draining_;
  telemetry::Gauge* redis_up_ ABSL_GUARDED_BY(redis_mu_) =
      nullptr;  // made when first set
  Mutex redis_mu_;
  std::atomic<const jobs::JobRegistry*> registry_{nullptr};
  std::atomic<int64_t> unknown_log_next_ns_{0};
  std::atomic<int64_t> unknown_log_suppressed_{0};
};

// Sends gRPC's own log messages (gpr_log) through `log`, so stderr stays
// one JSON object per line. Process-wide; `log` must live until exit.
void RouteGrpcLogsTo(const telemetry::Logger* log);

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_OBSERVABILITY_H_
