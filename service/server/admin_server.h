// AdminServer: the plain-HTTP side port. It receives Vimmerse webhooks and
// answers health checks for load balancers that do not speak gRPC.
//
//   POST /webhooks/vimmerse/{tenant}/{token}   a job of `tenant` changed
//   GET  /healthz                              200 while the process runs
//   GET  /readyz                               200 while serving, 503 after
//   GET  /metrics                              Prometheus text format
//
// A webhook is only a hint: it makes the job registry re-read the job from
// upstream now (if anybody watches it). Its body is never trusted (upstream
// does not sign webhooks), so a forged one costs at most one read. A wrong
// tenant or token answers 404, the same as an unknown path.
#ifndef MEDIAGEN_SERVICE_SERVER_ADMIN_SERVER_H_
#define MEDIAGEN_SERVICE_SERVER_ADMIN_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "service/auth/tenant_directory.h"
#include "service/jobs/job_registry.h"
#include "service/telemetry/metrics.h"

namespace httplib {
class Server;
}

namespace mediagen::server {

class AdminServer {
 public:
  // Webhook bodies above this are refused (413): the documented body is
  // three short fields.
  static constexpr size_t kMaxWebhookBytes = 64 << 10;

  // `metrics` (may be null) is served at /metrics and gets the webhook
  // counters.
  AdminServer(const auth::TenantDirectory* tenants,
              jobs::JobRegistry* registry,
              telemetry::MetricsRegistry* metrics = nullptr);
  ~AdminServer();

  // Binds `host:port` (port 0: a free one) and serves on its own threads.
  absl::StatusOr<int> Start(const std::string& address);
  void Stop();
  // /readyz answers 503 from now on (drain).
  void SetReady(bool ready) { ready_ = ready; }

  uint64_t webhooks_received() const { return received_->value(); }
  uint64_t webhooks_accepted() const { return accepted_->value(); }

 private:
  const auth::TenantDirectory* const tenants_;
  jobs::JobRegistry* const registry_;
  telemetry::MetricsRegistry* const metrics_;
  // Counters of `metrics_`, or of own_metrics_ when there is none.
  std::unique_ptr<telemetry::MetricsRegistry> own_metrics_;
  telemetry::Counter* received_;
  telemetry::Counter* accepted_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::atomic<bool> ready_{true};
};

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_ADMIN_SERVER_H_
