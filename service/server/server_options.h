// ServerOptions: every setting of the mediagen server in one struct, with
// its default (the only place a default is written). Filled in main() only,
// from flags and an optional JSON config file, both read through the rows
// of option_table.h; components get their own Options from it.
#ifndef MEDIAGEN_SERVICE_SERVER_SERVER_OPTIONS_H_
#define MEDIAGEN_SERVICE_SERVER_SERVER_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "service/auth/tenant_directory.h"
#include "service/http/curl_transport.h"
#include "service/idempotency/in_memory_store.h"
#include "service/jobs/job_registry.h"
#include "service/quota/price_table.h"
#include "service/server/admin_server.h"
#include "service/telemetry/log.h"
#include "service/upstream/providers/endpoints.h"

namespace mediagen::server {

// The gRPC health service name that stays SERVING while the server drains
// (everything else goes NOT_SERVING): for liveness probes, which must not
// restart a draining server.
inline constexpr char kLivenessHealthService[] = "liveness";

struct ServerOptions {
  // gRPC listen address. Port 0 picks a free port (see Server::grpc_port).
  std::string listen_address = "127.0.0.1:50051";
  // Admin HTTP (webhooks, health): host:port, port 0 for a free one.
  std::string admin_address = "127.0.0.1:8081";
  // Its bounds: connections, per-request deadlines, keep-alive.
  AdminServer::Options admin;
  // Externally reachable base URL of the admin port, e.g.
  // `https://mediagen.example.com`. When set, creates that accept a
  // webhook_url use this server's receiver, so watchers see changes at
  // once. Empty: polling only.
  std::string public_base_url;

  // Upstream base URLs (point them at the emulator for tests and the demo).
  upstream::Endpoints endpoints;

  // Tenants: bearer token hash -> upstream keys.
  std::vector<auth::TenantSpec> tenants;
  // What creates without a provider estimate route cost (the config's
  // `prices`), for the tenants' budgets; re-read on SIGHUP like `tenants`.
  quota::PriceTable prices;
  // Development mode: no tokens, one tenant `dev` with `dev_credentials`.
  // Refused on a non-loopback listen address unless
  // `allow_dev_mode_on_any_address`.
  bool dev_mode = false;
  upstream::Credentials dev_credentials;
  // Where development mode finds those keys: secret references (env:NAME
  // or file:PATH), resolved into dev_credentials only when dev_mode is on
  // (ResolveDevCredentials in command_line.h). A missing key only means the
  // dev tenant cannot call that provider.
  struct DevKeys {
    std::string vimmerse = "env:VIMMERSE_API_KEY";
    std::string elevenlabs = "env:ELEVENLABS_API_KEY";
    std::string aimlapi = "env:AIMLAPI_API_KEY";
  };
  DevKeys dev_keys;
  bool allow_dev_mode_on_any_address = false;
  // Derives the per-tenant webhook tokens; replicas behind one URL must
  // share it. Empty: random per process.
  std::string webhook_secret;

  // A job holding a place among its tenant's jobs in flight (limits
  // `concurrent_jobs`) that nobody has read for this long is read from
  // upstream, so that a job nobody watches cannot hold it forever.
  absl::Duration quota_job_check_interval = absl::Minutes(1);

  // Polling, heartbeats, caching of job states.
  jobs::JobRegistry::Options jobs;
  // Deadline of one upstream read made for polling.
  absl::Duration poll_timeout = absl::Seconds(30);
  // request_id memory.
  absl::Duration idempotency_ttl = absl::Hours(24);
  size_t idempotency_max_entries = 100000;
  size_t idempotency_max_entries_per_tenant = 10000;
  // Shared state for several replicas (request_id outcomes, job polling,
  // webhooks). No URL: one replica, everything in memory.
  struct RedisOptions {
    // redis://HOST[:PORT][/DB]
    std::string url;
    // AUTH password (resolved from env:/file:); empty: none.
    std::string password;
    // Every key and channel starts with it.
    std::string key_prefix = "mediagen:";
    absl::Duration connect_timeout = absl::Seconds(1);
    // A reply later than this counts as Redis being unreachable.
    absl::Duration command_timeout = absl::Seconds(1);
    // A replica's claim on polling a job; renewed every quarter of it.
    absl::Duration job_lease = absl::Seconds(2);
  };
  RedisOptions redis;
  // The libcurl event loops.
  http::CurlTransport::Options transport;
  // Long transfers (uploads, streamed audio), which run in a connection
  // pool of their own.
  struct TransferOptions {
    // In flight at once per tenant on this replica; more are refused with
    // RESOURCE_EXHAUSTED (TENANT_TRANSFERS_EXCEEDED).
    int max_per_tenant = 8;
    // An upload whose caller sends nothing for this long is cancelled.
    absl::Duration upload_idle_timeout = absl::Seconds(30);
  };
  TransferOptions transfers;
  // gRPC transport settings for meshes and load balancers (see GrpcOptions).
  struct GrpcOptions {
    // Largest message accepted or sent (upload chunks, audio chunks).
    int max_message_bytes = 8 << 20;
    // The server pings a connection idle this long, and drops it when no
    // answer comes within keepalive_timeout: dead peers (a NAT or proxy
    // that forgot the flow) free their streams instead of holding them.
    absl::Duration keepalive_time = absl::Seconds(30);
    absl::Duration keepalive_timeout = absl::Seconds(10);
    // Client pings closer together than this (without data) count as
    // abuse and end the connection (gRPC's "too_many_pings"): clients
    // must keep their keepalive time at or above it.
    absl::Duration min_client_ping_interval = absl::Seconds(10);
    // Connections are told to go away (GOAWAY) after this long (gRPC adds
    // +-10% jitter), so long-lived channels reconnect and spread over new
    // replicas behind an L4 load balancer. Calls in flight then get
    // max_connection_age_grace; a watch still open after that is cut, and
    // its client resumes from the last version it holds.
    absl::Duration max_connection_age = absl::Minutes(5);
    absl::Duration max_connection_age_grace = absl::Minutes(10);
    // Streams one connection may carry at once (HTTP/2
    // SETTINGS_MAX_CONCURRENT_STREAMS). Each WatchJob is one stream.
    int max_concurrent_streams = 2000;
    // Memory gRPC may use for its buffers (a grpc::ResourceQuota); over it
    // gRPC slows reads and refuses new work instead of growing. 0: none.
    int64_t resource_quota_bytes = int64_t{512} << 20;
    // HTTP/2 flow-control window of each stream (what a caller may send
    // before the server reads): a fixed 4 MiB is plenty inside a mesh and
    // bounds what one upload holds. 0: gRPC's adaptive window (BDP
    // probing), which grew to ~60 MiB per 1 GiB upload (bench/RESULTS.md).
    int64_t stream_window_bytes = int64_t{4} << 20;
    // Metadata one call may carry (as HTTP/2 counts it): over it the call
    // fails alone with RESOURCE_EXHAUSTED. Above what the mesh forwards
    // (Envoy: 60 KiB); gRPC's transport takes twice this, past which gRPC
    // 1.51 ends the whole connection.
    int64_t max_metadata_bytes = int64_t{72} << 10;
  };
  GrpcOptions grpc;

  // Graceful drain on SIGTERM/SIGINT. Health goes NOT_SERVING at once, but
  // calls are still accepted for `drain_delay`, so load balancers and
  // Kubernetes endpoints stop sending new ones first. Then new calls are
  // refused, open watches end with UNAVAILABLE carrying `last_version` (to
  // resume elsewhere), and calls in flight (unary, uploads, audio streams)
  // get `shutdown_grace` to finish. What is still running after that is
  // cancelled, and the process exits at the latest `shutdown_timeout`
  // later. Kubernetes' terminationGracePeriodSeconds must cover the sum
  // (deploy/ uses 5 + 20 + 5 = 30 s, checked by //deploy:manifests_test).
  absl::Duration drain_delay = absl::Seconds(5);
  absl::Duration shutdown_grace = absl::Seconds(20);
  absl::Duration shutdown_timeout = absl::Seconds(5);

  // Least severe log line written (stderr, one JSON object per line).
  telemetry::LogLevel log_level = telemetry::LogLevel::kInfo;
};

// The longest a drain can take, from the signal to exit.
absl::Duration MaxDrainDuration(const ServerOptions& options);

// True for 127.0.0.0/8, ::1 and localhost listen addresses.
bool IsLoopbackAddress(absl::string_view host_port);

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_SERVER_OPTIONS_H_
