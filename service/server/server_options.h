// ServerOptions: every setting of the mediagen server in one struct, with
// its default. Filled in main() only, from flags and an optional JSON
// config file (config_file.h); components get their own Options from it.
#ifndef MEDIAGEN_SERVICE_SERVER_SERVER_OPTIONS_H_
#define MEDIAGEN_SERVICE_SERVER_SERVER_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "service/auth/tenant_directory.h"
#include "service/http/curl_transport.h"
#include "service/idempotency/in_memory_store.h"
#include "service/jobs/job_registry.h"
#include "service/upstream/config.h"

namespace mediagen::server {

struct ServerOptions {
  // gRPC listen address. Port 0 picks a free port (see Server::grpc_port).
  std::string listen_address = "127.0.0.1:50051";
  // Admin HTTP (webhooks, health): host:port, port 0 for a free one.
  std::string admin_address = "127.0.0.1:8081";
  // Externally reachable base URL of the admin port, e.g.
  // `https://mediagen.example.com`. When set, creates that accept a
  // webhook_url use this server's receiver, so watchers see changes at
  // once. Empty: polling only.
  std::string public_base_url;

  // Upstream base URLs (point them at the emulator for tests and the demo).
  upstream::Endpoints endpoints;

  // Tenants: bearer token hash -> upstream keys.
  std::vector<auth::TenantSpec> tenants;
  // Development mode: no tokens, one tenant `dev` with `dev_credentials`.
  // Refused on a non-loopback listen address unless
  // `allow_dev_mode_on_any_address`.
  bool dev_mode = false;
  upstream::Credentials dev_credentials;
  bool allow_dev_mode_on_any_address = false;
  // Derives the per-tenant webhook tokens; replicas behind one URL must
  // share it. Empty: random per process.
  std::string webhook_secret;

  // Polling, heartbeats, caching of job states.
  jobs::JobRegistry::Options jobs;
  // Deadline of one upstream read made for polling.
  absl::Duration poll_timeout = absl::Seconds(30);
  // request_id memory.
  absl::Duration idempotency_ttl = absl::Hours(24);
  size_t idempotency_max_entries = 100000;
  // The libcurl event loops.
  http::CurlTransport::Options transport;
  // Largest gRPC message accepted or sent (upload chunks, audio chunks).
  int max_message_bytes = 8 << 20;
};

// True for 127.0.0.0/8, ::1 and localhost listen addresses.
bool IsLoopbackAddress(absl::string_view host_port);

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_SERVER_OPTIONS_H_
