// AdminServer: the plain-HTTP side port. It receives Vimmerse webhooks and
// answers health checks for load balancers that do not speak gRPC.
//
//   POST /webhooks/vimmerse/{tenant}/{token}   a job of `tenant` changed
//   GET  /healthz                              200 while the process runs
//   GET  /readyz                               200 while serving, 503 after
//   GET  /metrics                              Prometheus text format
//
//   AdminServer admin(&tenants, &registry, &metrics);
//   absl::StatusOr<int> port = admin.Start("0.0.0.0:8081");
//   admin.SetReady(false);                     // drain: /readyz 503
//   admin.Stop();                              // returns at once
//
// A webhook is only a hint: it makes the job registry re-read the job from
// upstream now (if anybody watches it). Its body is never trusted (upstream
// does not sign webhooks), so a forged one costs at most one read. A wrong
// tenant or token answers 404, the same as an unknown path.
//
// The port faces the outside (providers' webhooks), so it runs on
// HttpServer (http_server.h): one thread, a deadline for each whole request,
// a cap on connections, bodies over 64 KiB refused (413) whether sent with
// a Content-Length or chunked, and a Stop() that no client can hold up.
#ifndef MEDIAGEN_SERVICE_SERVER_ADMIN_SERVER_H_
#define MEDIAGEN_SERVICE_SERVER_ADMIN_SERVER_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/auth/tenant_directory.h"
#include "service/jobs/job_registry.h"
#include "service/server/http_server.h"
#include "service/telemetry/metrics.h"

namespace mediagen::server {

class AdminServer {
 public:
  // Webhook bodies above this are refused (413): the documented body is
  // three short fields.
  static constexpr size_t kMaxWebhookBytes = 64 << 10;

  struct Options {
    // Open connections at most; a new one over the cap closes the oldest
    // still waiting for its request (or itself, when all are busy).
    // Server::Start lowers it to a quarter of the open-files limit.
    size_t max_connections = 256;
    // Deadlines of one whole request: its head (from the connection's
    // start, or its previous response), its body, writing the response.
    absl::Duration head_timeout = absl::Seconds(10);
    absl::Duration body_timeout = absl::Seconds(10);
    absl::Duration write_timeout = absl::Seconds(10);
    // Requests one keep-alive connection may carry.
    int max_requests_per_connection = 100;
  };

  // `metrics` (may be null) is served at /metrics and gets the webhook
  // and connection counters.
  AdminServer(const auth::TenantDirectory* tenants,
              jobs::JobRegistry* registry,
              telemetry::MetricsRegistry* metrics = nullptr);
  AdminServer(const auth::TenantDirectory* tenants, jobs::JobRegistry* registry,
              telemetry::MetricsRegistry* metrics, Options options);
  ~AdminServer();

  // Binds `host:port` (port 0: a free one) and serves on its own thread.
  absl::StatusOr<int> Start(const std::string& address);
  // Closes every connection; returns within milliseconds whatever clients
  // do. Idempotent.
  void Stop();
  // /readyz answers 503 from now on (drain).
  void SetReady(bool ready) { ready_ = ready; }

  uint64_t webhooks_received() const { return received_->value(); }
  uint64_t webhooks_accepted() const { return accepted_->value(); }
  size_t open_connections() const { return http_->open_connections(); }

 private:
  HttpServer::Response Handle(const HttpRequest& request);
  void Count(HttpServer::Event event);

  const auth::TenantDirectory* const tenants_;
  jobs::JobRegistry* const registry_;
  telemetry::MetricsRegistry* const metrics_;
  // Counters of `metrics_`, or of own_metrics_ when there is none.
  std::unique_ptr<telemetry::MetricsRegistry> own_metrics_;
  telemetry::Counter* received_;
  telemetry::Counter* accepted_;
  telemetry::Gauge* open_;
  // By HttpServer::Event; null for events that are not counted.
  telemetry::Counter* dropped_[8] = {};
  std::unique_ptr<HttpServer> http_;
  std::atomic<bool> ready_{true};
};

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_ADMIN_SERVER_H_
