// Server: the whole mediagen process minus flag parsing. Builds every
// component from ServerOptions, serves gRPC (callback API, health,
// reflection) and the admin HTTP port, and shuts down in order.
//
//   absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(options);
//   std::cout << "listening on " << (*server)->grpc_port() << "\n";
//   (*server)->Wait();                       // until Shutdown()
#ifndef MEDIAGEN_SERVICE_SERVER_SERVER_H_
#define MEDIAGEN_SERVICE_SERVER_SERVER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "service/api/api_context.h"
#include "service/common/scheduler.h"
#include "service/server/admin_server.h"
#include "service/server/server_options.h"

namespace mediagen::server {

class Server {
 public:
  // Fails (without serving) on bad options: an unusable tenant list, dev
  // mode on a public address, or an address that cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options);
  ~Server();

  int grpc_port() const { return grpc_port_; }
  int admin_port() const { return admin_port_; }
  bool dev_mode() const;

  // Blocks until Shutdown has completed (on any thread).
  void Wait();
  // Stops accepting calls, ends watches with UNAVAILABLE (they resume
  // elsewhere) and waits up to `grace` for calls in flight. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(10));

  jobs::JobRegistry& registry() { return *registry_; }

 private:
  Server() = default;

  ServerOptions options_;
  std::unique_ptr<ThreadScheduler> scheduler_;
  std::unique_ptr<http::HttpTransport> transport_;
  std::unique_ptr<upstream::Engine> engine_;
  std::unique_ptr<jobs::JobRegistry> registry_;
  std::unique_ptr<idempotency::IdempotencyStore> idempotency_;
  std::unique_ptr<auth::TenantDirectory> tenants_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> grpc_;
  std::unique_ptr<AdminServer> admin_;
  int grpc_port_ = 0;
  int admin_port_ = 0;

  std::mutex shutdown_mu_;
  std::condition_variable shutdown_cv_;
  bool shutting_down_ = false;
  bool shut_down_ = false;
};

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_SERVER_H_
