// Server: the whole mediagen process minus flag parsing. Builds every
// component from ServerOptions, serves gRPC (callback API, health,
// reflection) and the admin HTTP port (webhooks, health, /metrics), logs
// every call (observability.h), and drains and shuts down in order.
//
//   absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(options);
//   std::cout << "listening on " << (*server)->grpc_port() << "\n";
//   (*server)->Drain();                      // on SIGTERM (another thread)
//   (*server)->Wait();                       // until drained and stopped
//
// gRPC health: "" (the server) and each mediagen.v1 service are SERVING
// until a drain starts. The service name "liveness" stays SERVING until the
// process stops, so a liveness probe does not kill a draining server.
#ifndef MEDIAGEN_SERVICE_SERVER_SERVER_H_
#define MEDIAGEN_SERVICE_SERVER_SERVER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "service/api/api_context.h"
#include "service/api/job_slot_sweeper.h"
#include "service/common/mutex.h"
#include "service/common/scheduler.h"
#include "service/common/secret_set.h"
#include "service/idempotency/idempotency_store.h"
#include "service/jobs/job_coordinator.h"
#include "service/quota/price_table.h"
#include "service/quota/quota_store.h"
#include "service/redis/client.h"
#include "service/server/admin_server.h"
#include "service/server/observability.h"
#include "service/server/server_options.h"
#include "service/telemetry/log.h"

namespace mediagen::server {

class Server {
 public:
  // Fails (without serving) on bad options: an unusable tenant list, dev
  // mode on a public address, or an address that cannot be bound. Logs to
  // `log` (which must outlive the server), or when null to stderr at
  // options.log_level.
  static absl::StatusOr<std::unique_ptr<Server>> Start(
      ServerOptions options, const telemetry::Logger* log = nullptr);
  ~Server();

  int grpc_port() const { return grpc_port_; }
  int admin_port() const { return admin_port_; }
  bool dev_mode() const;

  // Blocks until Drain or Shutdown has completed (on any thread).
  void Wait();
  // The SIGTERM sequence, blocking until the server has stopped: health
  // NOT_SERVING (and /readyz 503) at once; calls still accepted for
  // options.drain_delay; then watches end with UNAVAILABLE and their
  // `last_version` (clients resume elsewhere), new calls are refused, and
  // calls in flight get options.shutdown_grace before being cancelled.
  // Idempotent: a second call returns once the first is done.
  void Drain();
  // A config reload (SIGHUP): the tenants, their tokens and limits, and the
  // price table (`prices`) from `fresh` (options read again from the
  // command line and the config file) replace the running ones; calls in
  // flight and open watches keep going. Other options need a restart. On
  // error (an invalid tenant list) the running tenants and prices stay and
  // the error says why.
  absl::Status ReloadTenants(const ServerOptions& fresh);

  // Drain without the delay, giving calls in flight `grace`.
  void Shutdown(absl::Duration grace = absl::Seconds(10));

  jobs::JobRegistry& registry() { return *registry_; }
  const telemetry::Logger& log() const { return *log_; }
  Observability& observability() { return *observability_; }

 private:
  Server() = default;
  void DrainWith(absl::Duration delay, absl::Duration grace);
  // The Redis client and the job coordinator over it (options_.redis).
  absl::Status StartRedis();
  void SetServing(bool serving);

  // What upstream text is scrubbed of: the tenants' keys, the webhook
  // secret.
  std::vector<std::string> HeldSecrets() const;

  ServerOptions options_;
  // Declared first: calls still finishing while the members below go log
  // through these.
  std::unique_ptr<telemetry::Logger> own_log_;
  const telemetry::Logger* log_ = nullptr;
  std::unique_ptr<Observability> observability_;
  std::unique_ptr<ThreadScheduler> scheduler_;
  std::unique_ptr<http::HttpTransport> transport_;
  std::unique_ptr<http::HttpTransport> long_transport_;  // uploads, audio
  std::unique_ptr<api::TransferSlots> transfers_;
  // Every tenant's keys and the webhook secret, scrubbed from upstream
  // text; the engine reads it, ReloadTenants replaces it.
  std::shared_ptr<SecretSet> secrets_;
  std::unique_ptr<upstream::Engine> engine_;
  // With redis.url: what the replicas share. Null otherwise.
  std::unique_ptr<redis::Client> redis_;
  std::unique_ptr<jobs::JobCoordinator> job_coordinator_;
  std::unique_ptr<jobs::JobRegistry> registry_;
  std::unique_ptr<idempotency::IdempotencyStore> idempotency_store_;
  std::unique_ptr<idempotency::IdempotencyStore> idempotency_;
  std::unique_ptr<auth::TenantDirectory> tenants_;
  std::unique_ptr<quota::QuotaStore> quota_store_;
  std::unique_ptr<quota::QuotaStore> quota_;  // quota_store_, observed
  // The config's `prices`, replaced on reload.
  quota::PriceBook prices_;
  // After what it reads through (registry, tenants, quota): it goes first.
  std::unique_ptr<api::JobSlotSweeper> job_slot_sweeper_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> grpc_;
  std::unique_ptr<AdminServer> admin_;
  int grpc_port_ = 0;
  int admin_port_ = 0;

  Mutex shutdown_mu_;
  CondVar shutdown_cv_;
  bool shutting_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_SERVER_H_
