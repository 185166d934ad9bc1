#include "service/server/option_table.h"

#include <cstdint>

namespace mediagen::server {
namespace {

using O = ServerOptions;
using G = ServerOptions::GrpcOptions;
using Jobs = jobs::JobRegistry::Options;
using R = ServerOptions::RedisOptions;
using A = AdminServer::Options;
using T = ServerOptions::TransferOptions;

// Groups, in the order the README's table has always listed them.
constexpr char kServing[] = "Serving";
constexpr char kUpstreams[] = "Upstream providers";
constexpr char kTenants[] = "Tenants and secrets";
constexpr char kDrain[] = "Drain (SIGTERM/SIGINT)";
constexpr char kGrpc[] = "gRPC transport";
constexpr char kPolling[] = "Job polling and watches";
constexpr char kIdempotency[] = "Idempotency (request_id)";
constexpr char kRedis[] = "Redis (several replicas)";
constexpr char kQuota[] = "Tenant quotas";

constexpr int64_t kInt32Max = INT32_MAX;
const absl::Duration kMs = absl::Milliseconds(1);
const absl::Duration kNone = absl::ZeroDuration();

std::vector<OptionRow> Rows() {
  return {
      // flag, config key, group, member and kind, meaning.
      {"listen", "listen_address", kServing,
       Text(Member(&O::listen_address), "ADDRESS"),
       "gRPC listen address host:port (port 0 picks a free one)"},
      {"admin_listen", "admin_address", kServing,
       Text(Member(&O::admin_address), "ADDRESS"),
       "admin HTTP listen address (webhooks, /healthz, /readyz, /metrics)"},
      {"public_base_url", "public_base_url", kServing,
       Text(Member(&O::public_base_url), "URL"),
       "externally reachable base URL of the admin port; creates then get "
       "this server's webhook receiver URL, so watchers see changes at once "
       "(none: polling only)"},
      {"log_level", "log_level", kServing, Level(Member(&O::log_level)),
       "least severe log line written: debug, info, warning or error"},
      {"admin_max_connections", "admin.max_connections", kServing,
       Int(Member(&O::admin, &A::max_connections), 1),
       "admin connections open at once (at most a quarter of the open-files "
       "limit); a newcomer over it displaces the oldest that has not sent a "
       "request yet"},
      {"admin_head_timeout", "admin.head_timeout_ms", kServing,
       Duration(Member(&O::admin, &A::head_timeout), kMs),
       "an admin request's head must arrive within this of the connection's "
       "start (or its previous answer)"},
      {"admin_body_timeout", "admin.body_timeout_ms", kServing,
       Duration(Member(&O::admin, &A::body_timeout), kMs),
       "an admin request's body must arrive within this of its head"},
      {"admin_write_timeout", "admin.write_timeout_ms", kServing,
       Duration(Member(&O::admin, &A::write_timeout), kMs),
       "an admin answer must be taken within this"},
      {"admin_max_requests_per_connection", "admin.max_requests_per_connection",
       kServing, Int(Member(&O::admin, &A::max_requests_per_connection), 1),
       "requests one keep-alive admin connection may carry"},

      {"vimmerse_url", "upstreams.vimmerse", kUpstreams,
       Text(Member(&O::endpoints, &upstream::Endpoints::vimmerse), "URL"),
       "Vimmerse base URL"},
      {"elevenlabs_url", "upstreams.elevenlabs", kUpstreams,
       Text(Member(&O::endpoints, &upstream::Endpoints::elevenlabs), "URL"),
       "ElevenLabs base URL"},
      {"aimlapi_url", "upstreams.aimlapi", kUpstreams,
       Text(Member(&O::endpoints, &upstream::Endpoints::aimlapi), "URL"),
       "AIMLAPI base URL"},
      {"asset_path_template", "upstreams.asset_path_template", kUpstreams,
       Text(Member(&O::endpoints, &upstream::Endpoints::asset_path_template),
            "PATH"),
       "path of the Vimmerse asset poll route"},
      {"http_threads", "", kUpstreams,
       Int(Member(&O::transport, &http::CurlTransport::Options::threads), 1),
       "libcurl event-loop threads for upstream calls (per pool: short "
       "calls, and uploads/audio)"},
      {"max_transfers_per_tenant", "transfers.max_per_tenant", kUpstreams,
       Int(Member(&O::transfers, &T::max_per_tenant), 1),
       "uploads and audio streams one tenant may have in flight on a "
       "replica; more are refused with RESOURCE_EXHAUSTED "
       "(TENANT_TRANSFERS_EXCEEDED), so no tenant takes the whole upload "
       "pool"},
      {"upload_idle_timeout", "transfers.upload_idle_timeout_ms", kUpstreams,
       Duration(Member(&O::transfers, &T::upload_idle_timeout), kNone),
       "an upload whose caller sends no message for this long is cancelled "
       "upstream (DEADLINE_EXCEEDED, UPLOAD_IDLE); 0: never"},

      {"dev", "", kTenants, Bool(Member(&O::dev_mode)),
       "development mode: no authentication, one tenant `dev` with the "
       "--dev_*_key keys (loopback only unless "
       "--allow_dev_mode_on_any_address)"},
      {"allow_dev_mode_on_any_address", "", kTenants,
       Bool(Member(&O::allow_dev_mode_on_any_address)),
       "let --dev listen on a non-loopback address (never in production)"},
      {"dev_vimmerse_key", "", kTenants,
       SecretRef(Member(&O::dev_keys, &O::DevKeys::vimmerse)),
       "the --dev tenant's Vimmerse key: env:NAME or file:PATH"},
      {"dev_elevenlabs_key", "", kTenants,
       SecretRef(Member(&O::dev_keys, &O::DevKeys::elevenlabs)),
       "the --dev tenant's ElevenLabs key: env:NAME or file:PATH"},
      {"dev_aimlapi_key", "", kTenants,
       SecretRef(Member(&O::dev_keys, &O::DevKeys::aimlapi)),
       "the --dev tenant's AIMLAPI key: env:NAME or file:PATH"},
      {"webhook_secret", "webhook_secret", kTenants,
       Secret(Member(&O::webhook_secret)),
       "secret deriving the webhook tokens: env:NAME or file:PATH (in the "
       "file {\"env\": NAME} or {\"file\": PATH}); replicas behind one URL "
       "must share it (none: random per process)"},

      {"drain_delay", "drain.delay_ms", kDrain,
       Duration(Member(&O::drain_delay), kNone),
       "health goes NOT_SERVING at once, but calls are still accepted this "
       "long, so load balancers stop sending first"},
      {"shutdown_grace", "drain.grace_ms", kDrain,
       Duration(Member(&O::shutdown_grace), kNone),
       "after the delay, how long calls in flight may take to finish"},
      {"shutdown_timeout", "drain.timeout_ms", kDrain,
       Duration(Member(&O::shutdown_timeout), kNone),
       "after the grace, how long the rest of the shutdown may take before "
       "the process exits anyway"},

      {"max_message_bytes", "grpc.max_message_bytes", kGrpc,
       Int(Member(&O::grpc, &G::max_message_bytes), 1024),
       "largest gRPC message accepted or sent"},
      {"keepalive_time", "grpc.keepalive_time_ms", kGrpc,
       Duration(Member(&O::grpc, &G::keepalive_time), kMs),
       "ping a gRPC connection idle this long"},
      {"keepalive_timeout", "grpc.keepalive_timeout_ms", kGrpc,
       Duration(Member(&O::grpc, &G::keepalive_timeout), kMs),
       "drop a connection whose ping goes unanswered this long"},
      {"min_client_ping_interval", "grpc.min_client_ping_interval_ms", kGrpc,
       Duration(Member(&O::grpc, &G::min_client_ping_interval), kMs),
       "client pings closer together than this close the connection"},
      {"max_connection_age", "grpc.max_connection_age_ms", kGrpc,
       Duration(Member(&O::grpc, &G::max_connection_age), kMs),
       "send GOAWAY to connections this old (+-10%), so channels rebalance "
       "across replicas"},
      {"max_connection_age_grace", "grpc.max_connection_age_grace_ms", kGrpc,
       Duration(Member(&O::grpc, &G::max_connection_age_grace), kMs),
       "calls (watches) on a connection past max_connection_age get this "
       "long; a watch still open then is cut and resumes"},
      {"max_concurrent_streams", "grpc.max_concurrent_streams", kGrpc,
       Int(Member(&O::grpc, &G::max_concurrent_streams), 1),
       "streams one gRPC connection may carry at once"},
      {"resource_quota_bytes", "grpc.resource_quota_bytes", kGrpc,
       Int(Member(&O::grpc, &G::resource_quota_bytes), 0),
       "memory gRPC may use for its buffers (0: no limit)"},
      {"stream_window_bytes", "grpc.stream_window_bytes", kGrpc,
       Int(Member(&O::grpc, &G::stream_window_bytes), 0, kInt32Max),
       "HTTP/2 flow-control window per stream, fixed (0: gRPC's adaptive "
       "BDP window, which let one 1 GiB upload hold ~60 MiB)"},
      {"max_metadata_bytes", "grpc.max_metadata_bytes", kGrpc,
       Int(Member(&O::grpc, &G::max_metadata_bytes), 8 << 10, INT32_MAX / 2),
       "metadata one call may carry (names + values + 32 per entry); over it "
       "the call fails alone, and the transport takes twice this"},

      {"poll_min_interval", "polling.min_interval_ms", kPolling,
       Duration(Member(&O::jobs, &Jobs::min_poll_interval), kMs),
       "job poll interval right after a change"},
      {"poll_max_interval", "polling.max_interval_ms", kPolling,
       Duration(Member(&O::jobs, &Jobs::max_poll_interval), kMs),
       "job poll interval cap while nothing changes"},
      {"heartbeat_interval", "polling.heartbeat_interval_ms", kPolling,
       Duration(Member(&O::jobs, &Jobs::heartbeat_interval), kMs),
       "WatchJob heartbeat interval (keep below proxy idle timeouts)"},
      {"poll_timeout", "polling.timeout_ms", kPolling,
       Duration(Member(&O::poll_timeout), kMs),
       "deadline of one upstream read made for GetJob/WatchJob polling"},

      {"idempotency_ttl", "idempotency.ttl_seconds", kIdempotency,
       Duration(Member(&O::idempotency_ttl), absl::Seconds(1)),
       "how long a request_id's outcome is remembered"},
      {"", "idempotency.max_entries", kIdempotency,
       Int(Member(&O::idempotency_max_entries), 1),
       "live request_ids (in flight or remembered) per replica without "
       "Redis, all tenants; past it new ones get RESOURCE_EXHAUSTED"},
      {"idempotency_max_entries_per_tenant",
       "idempotency.max_entries_per_tenant", kIdempotency,
       Int(Member(&O::idempotency_max_entries_per_tenant), 1),
       "live request_ids one tenant may hold (in Redis too); past it its new "
       "ones get RESOURCE_EXHAUSTED REQUEST_ID_LIMIT_REACHED, nothing sent, "
       "and no live one is ever dropped"},

      {"redis_url", "redis.url", kRedis,
       Text(Member(&O::redis, &R::url), "URL"),
       "Redis shared by the replicas, redis://HOST[:PORT][/DB]: request_id "
       "outcomes, one poller per job, webhooks, tenant quota counters (none: "
       "one replica, state in memory)"},
      {"redis_password", "redis.password", kRedis,
       Secret(Member(&O::redis, &R::password)),
       "that Redis's AUTH password: env:NAME or file:PATH (in the file "
       "{\"env\": NAME} or {\"file\": PATH}; none: no AUTH)"},
      {"redis_key_prefix", "redis.key_prefix", kRedis,
       Text(Member(&O::redis, &R::key_prefix), "PREFIX"),
       "start of every key and channel, so deployments can share one Redis"},
      {"redis_connect_timeout", "redis.connect_timeout_ms", kRedis,
       Duration(Member(&O::redis, &R::connect_timeout), kMs),
       "connecting to Redis (and AUTH) must take less than this"},
      {"redis_command_timeout", "redis.command_timeout_ms", kRedis,
       Duration(Member(&O::redis, &R::command_timeout), kMs),
       "a Redis reply later than this counts as Redis unreachable"},
      {"job_lease", "redis.job_lease_ms", kRedis,
       Duration(Member(&O::redis, &R::job_lease), absl::Milliseconds(100)),
       "how long a replica's claim on polling a job lasts unless renewed; "
       "when its replica dies, another one that has watchers takes over "
       "within it"},

      {"quota_job_check_interval", "quota.job_check_interval_ms", kQuota,
       Duration(Member(&O::quota_job_check_interval), absl::Milliseconds(10)),
       "a job holding one of its tenant's `concurrent_jobs` places that "
       "nobody has read for this long is read from upstream, so an "
       "unwatched job frees its place soon after it ends"},
  };
}

}  // namespace

const std::vector<OptionRow>& OptionTable() {
  static const auto* const rows = new std::vector<OptionRow>(Rows());
  return *rows;
}

const OptionRow* FindFlag(absl::string_view flag) {
  if (flag.empty()) return nullptr;
  for (const OptionRow& row : OptionTable()) {
    if (row.flag == flag) return &row;
  }
  return nullptr;
}

const OptionRow* FindConfigKey(absl::string_view key) {
  if (key.empty()) return nullptr;
  for (const OptionRow& row : OptionTable()) {
    if (row.config_key == key) return &row;
  }
  return nullptr;
}

}  // namespace mediagen::server
