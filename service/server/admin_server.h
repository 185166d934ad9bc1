// AdminServer: the plain-HTTP side port. It receives Vimmerse webhooks and
// answers health checks for load balancers that do not speak gRPC.
//
//   POST /webhooks/vimmerse/{tenant}/{token}   a job of `tenant` changed
//   GET  /healthz                              200 while the process runs
//   GET  /readyz                               200 while serving, 503 after
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

namespace httplib {
class Server;
}

namespace mediagen::server {

class AdminServer {
 public:
  // Webhook bodies above this are refused (413): the documented body is
  // three short fields.
  static constexpr size_t kMaxWebhookBytes = 64 << 10;

  AdminServer(const auth::TenantDirectory* tenants,
              jobs::JobRegistry* registry);
  ~AdminServer();

  // Binds `host:port` (port 0: a free one) and serves on its own threads.
  absl::StatusOr<int> Start(const std::string& address);
  void Stop();
  // /readyz answers 503 from now on (drain).
  void SetReady(bool ready) { ready_ = ready; }

  uint64_t webhooks_received() const { return received_; }
  uint64_t webhooks_accepted() const { return accepted_; }

 private:
  const auth::TenantDirectory* const tenants_;
  jobs::JobRegistry* const registry_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::atomic<bool> ready_{true};
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> accepted_{0};
};

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_ADMIN_SERVER_H_
