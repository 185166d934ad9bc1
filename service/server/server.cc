#include "service/server/server.h"

#include <algorithm>
#include <chrono>
#include <climits>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "service/api/audio_service.h"
#include "service/api/call_record.h"
#include "service/api/elevenlabs_service.h"
#include "service/api/job_service.h"
#include "service/api/media_service.h"
#include "service/api/stable_audio_service.h"
#include "service/api/usage_service.h"
#include "service/api/video_service.h"
#include "service/common/mutex.h"
#include "service/common/scheduler.h"
#include "service/http/curl_transport.h"
#include "service/idempotency/in_memory_store.h"
#include "service/idempotency/observed_store.h"
#include "service/idempotency/redis_store.h"
#include "service/jobs/redis_job_coordinator.h"
#include "service/quota/in_memory_store.h"
#include "service/quota/observed_store.h"
#include "service/quota/redis_store.h"
#include "service/redis/client.h"
#include "service/server/fd_limit.h"

namespace mediagen::server {
namespace {

// "" is the whole server; the rest are the API's services. All go
// NOT_SERVING when a drain starts.
constexpr const char* kServiceNames[] = {
    "",
    "mediagen.v1.MediaService",
    "mediagen.v1.VideoService",
    "mediagen.v1.AudioService",
    "mediagen.v1.ElevenLabsService",
    "mediagen.v1.StableAudioService",
    "mediagen.v1.JobService",
    "mediagen.v1.UsageService",
};

// Every method this server serves, as "package.Service/Method": the API's
// (from the generated descriptors of kServiceNames), gRPC health and
// reflection. Metrics and logs key on these only (issue 16.1).
std::vector<std::string> ServedMethods() {
  std::vector<std::string> out = {
      "grpc.health.v1.Health/Check",
      "grpc.health.v1.Health/Watch",
      "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
  };
  for (const char* name : kServiceNames) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name);
    if (service == nullptr) continue;  // "" (the server as a whole)
    for (int i = 0; i < service->method_count(); ++i) {
      out.push_back(
          absl::StrCat(service->full_name(), "/", service->method(i)->name()));
    }
  }
  return out;
}

// gRPC channel arguments are int milliseconds.
int Millis(absl::Duration d) {
  if (d >= absl::Milliseconds(INT_MAX)) return INT_MAX;
  return static_cast<int>(absl::ToInt64Milliseconds(d));
}

// `max_metadata_bytes` is the per-call limit the handlers enforce
// (api::ApiContext).
void ApplyGrpcOptions(const ServerOptions::GrpcOptions& g,
                      size_t max_metadata_bytes, grpc::ServerBuilder& builder) {
  builder.SetMaxReceiveMessageSize(g.max_message_bytes);
  builder.SetMaxSendMessageSize(g.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             Millis(g.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             Millis(g.keepalive_timeout));
  // Idle client channels may keep their connection alive with pings.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      Millis(g.min_client_ping_interval));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             Millis(g.max_connection_age));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                             Millis(g.max_connection_age_grace));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             g.max_concurrent_streams);
  // gRPC 1.51 cannot refuse one stream's oversized header block: its HPACK
  // parser stops mid-block, and the whole connection ends with
  // RESOURCE_EXHAUSTED on every stream, other callers' watches included
  // (its default of 8 KiB did that to a 9 KiB header behind a mesh proxy).
  // So the transport takes twice what a call may carry, and each handler
  // refuses a call over the per-call limit on its own (ResolveCall).
  builder.AddChannelArgument(
      GRPC_ARG_MAX_METADATA_SIZE,
      static_cast<int>(std::min<size_t>(2 * max_metadata_bytes, INT_MAX)));
  if (g.stream_window_bytes > 0) {
    // A fixed window: BDP probing grows it far past what a stream needs
    // while a caller sends faster than upstream takes (an upload), and gRPC
    // buffers everything the window lets in.
    builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES,
                               static_cast<int>(g.stream_window_bytes));
  }
  if (g.resource_quota_bytes > 0) {
    grpc::ResourceQuota quota("mediagen");
    quota.Resize(static_cast<size_t>(g.resource_quota_bytes));
    builder.SetResourceQuota(quota);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    ServerOptions options, const telemetry::Logger* log) {
  std::unique_ptr<Server> s(new Server);
  s->options_ = std::move(options);
  const ServerOptions& o = s->options_;
  if (log == nullptr) {
    s->own_log_ = std::make_unique<telemetry::Logger>(
        o.log_level, telemetry::Logger::StderrSink());
    log = s->own_log_.get();
  }
  s->log_ = log;
  // Every socket takes a descriptor: raise the soft limit to the hard one
  // first, and give the admin port at most a quarter of it, so clients of
  // that outward-facing port can never leave gRPC without descriptors.
  AdminServer::Options admin_options = s->options_.admin;
  if (absl::StatusOr<FdLimits> fds = RaiseFdLimit(); fds.ok()) {
    admin_options.max_connections =
        AdminConnectionCap(fds->soft, admin_options.max_connections);
    log->Log(telemetry::LogLevel::kInfo, "open files limit",
             {{"soft_before", static_cast<int64_t>(fds->soft_before)},
              {"soft", static_cast<int64_t>(fds->soft)},
              {"hard", static_cast<int64_t>(fds->hard)},
              {"admin_max_connections",
               static_cast<int64_t>(admin_options.max_connections)}});
  } else {
    log->Log(telemetry::LogLevel::kWarning, "open files limit not raised",
             {{"error", std::string(fds.status().message())}});
  }
  s->observability_ = std::make_unique<Observability>(log);
  Observability& obs = *s->observability_;

  if (o.dev_mode) {
    if (!o.allow_dev_mode_on_any_address &&
        !(IsLoopbackAddress(o.listen_address) &&
          IsLoopbackAddress(o.admin_address))) {
      return absl::FailedPreconditionError(absl::StrCat(
          "development mode (no authentication) is refused on a non-loopback "
          "address (",
          o.listen_address, ", ", o.admin_address,
          "); configure tenants, or force it with "
          "--allow_dev_mode_on_any_address"));
    }
    // A config file's tenant named `dev` lends the dev tenant its limits.
    quota::Limits dev_limits;
    for (const auth::TenantSpec& spec : o.tenants) {
      if (spec.name == auth::TenantDirectory::kDevTenant) {
        dev_limits = spec.limits;
      }
    }
    s->tenants_ = auth::TenantDirectory::DevMode(o.dev_credentials,
                                                 o.webhook_secret, dev_limits);
  } else {
    if (o.tenants.empty()) {
      return absl::FailedPreconditionError(
          "no tenants configured: give a --config file with `tenants`, or "
          "run with --dev on loopback");
    }
    auto dir = auth::TenantDirectory::Create(o.tenants, o.webhook_secret);
    if (!dir.ok()) return dir.status();
    s->tenants_ = *std::move(dir);
  }

  s->scheduler_ = std::make_unique<ThreadScheduler>();
  s->transport_ = std::make_unique<http::CurlTransport>(o.transport);
  // Uploads and streamed audio get a pool (and loop) of their own: however
  // many a caller keeps open, creates, reads and polls still find
  // connections (hardening finding 6).
  s->long_transport_ = std::make_unique<http::CurlTransport>(o.transport);
  s->transfers_ =
      std::make_unique<api::TransferSlots>(o.transfers.max_per_tenant);
  upstream::Engine::Options engine_options;
  engine_options.endpoints = o.endpoints;
  // Upstream text in errors is scrubbed of every secret held here, not
  // only of the calling tenant's keys.
  s->secrets_ = std::make_shared<SecretSet>(s->HeldSecrets());
  engine_options.secrets = s->secrets_;
  engine_options.observer = obs.upstream_observer();
  s->engine_ = std::make_unique<upstream::Engine>(
      engine_options, s->transport_.get(), s->scheduler_.get(),
      s->long_transport_.get());
  if (!o.redis.url.empty()) {
    absl::Status started = s->StartRedis();
    if (!started.ok()) return started;
  }
  s->registry_ = std::make_unique<jobs::JobRegistry>(
      o.jobs, s->scheduler_.get(), s->job_coordinator_.get());
  obs.ObserveRegistry(s->registry_.get());
  if (s->redis_ != nullptr) {
    // Shared by the replicas: a request_id creates once wherever it lands.
    idempotency::RedisIdempotencyStore::Options store_options;
    store_options.key_prefix = o.redis.key_prefix;
    store_options.ttl = o.idempotency_ttl;
    store_options.max_entries_per_tenant = o.idempotency_max_entries_per_tenant;
    s->idempotency_store_ =
        std::make_unique<idempotency::RedisIdempotencyStore>(
            store_options, s->redis_.get(), s->scheduler_.get());
  } else {
    s->idempotency_store_ =
        std::make_unique<idempotency::InMemoryIdempotencyStore>(
            idempotency::InMemoryIdempotencyStore::Options{
                o.idempotency_ttl, o.idempotency_max_entries,
                o.idempotency_max_entries_per_tenant, &SystemClock()});
  }
  s->idempotency_ = std::make_unique<idempotency::ObservedIdempotencyStore>(
      s->idempotency_store_.get(),
      [obs = &obs](absl::string_view method) { obs->IdempotencyHit(method); });

  if (s->redis_ != nullptr) {
    // Shared by the replicas: a tenant's places and budgets are counted
    // once, whichever replicas its creates reach.
    quota::RedisQuotaStore::Options quota_options;
    quota_options.key_prefix = o.redis.key_prefix;
    quota_options.on_write_failed = [log](const absl::Status& failed) {
      log->Log(telemetry::LogLevel::kWarning, "quota write failed",
               {{"error", std::string(failed.message())}});
    };
    s->quota_store_ = std::make_unique<quota::RedisQuotaStore>(
        std::move(quota_options), s->redis_.get(), s->scheduler_.get(),
        &SystemClock());
  } else {
    s->quota_store_ =
        std::make_unique<quota::InMemoryQuotaStore>(&SystemClock());
  }
  s->quota_ = std::make_unique<quota::ObservedQuotaStore>(
      s->quota_store_.get(),
      quota::ObservedQuotaStore::Observers{
          [obs = &obs](absl::string_view tenant, absl::string_view limit) {
            obs->QuotaRefused(tenant, limit);
          },
          [obs = &obs](absl::string_view tenant, const quota::Cost& spent) {
            obs->Spent(tenant, spent);
          }});

  api::ApiContext api;
  api.quota = s->quota_.get();
  s->prices_.Replace(o.prices);
  api.prices = &s->prices_;
  api.engine = s->engine_.get();
  api.registry = s->registry_.get();
  api.idempotency = s->idempotency_.get();
  api.tenants = s->tenants_.get();
  api.webhook_base_url = o.public_base_url;
  api.poll_timeout = o.poll_timeout;
  api.max_metadata_bytes = static_cast<size_t>(o.grpc.max_metadata_bytes);
  api.calls = &obs.calls();
  api.log = log;
  api.transfers = s->transfers_.get();
  api.upload_idle_timeout = o.transfers.upload_idle_timeout;
  api.scheduler = s->scheduler_.get();
  s->services_.push_back(std::make_unique<api::MediaServiceImpl>(api));
  s->services_.push_back(std::make_unique<api::VideoServiceImpl>(api));
  s->services_.push_back(std::make_unique<api::AudioServiceImpl>(api));
  s->services_.push_back(std::make_unique<api::ElevenLabsServiceImpl>(api));
  s->services_.push_back(std::make_unique<api::StableAudioServiceImpl>(api));
  s->services_.push_back(std::make_unique<api::JobServiceImpl>(api));
  // The same clock as the quota store's, so that both agree on the period.
  s->services_.push_back(
      std::make_unique<api::UsageServiceImpl>(api, &SystemClock()));
  s->job_slot_sweeper_ = std::make_unique<api::JobSlotSweeper>(
      api, s->scheduler_.get(), o.quota_job_check_interval);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // TLS is the mesh sidecar's job (mTLS between pods); the process itself
  // listens in plaintext, on loopback by default.
  builder.AddListeningPort(o.listen_address, grpc::InsecureServerCredentials(),
                           &s->grpc_port_);
  ApplyGrpcOptions(o.grpc, api.max_metadata_bytes, builder);
  obs.RegisterMethods(ServedMethods());
  builder.experimental().SetInterceptorCreators(obs.InterceptorFactories());
  for (auto& service : s->services_) builder.RegisterService(service.get());
  s->grpc_ = builder.BuildAndStart();
  if (s->grpc_ == nullptr || s->grpc_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", o.listen_address));
  }
  if (auto* health = s->grpc_->GetHealthCheckService()) {
    for (const char* name : kServiceNames) health->SetServingStatus(name, true);
    health->SetServingStatus(kLivenessHealthService, true);
  }

  s->admin_ = std::make_unique<AdminServer>(
      s->tenants_.get(), s->registry_.get(), &obs.metrics(), admin_options);
  absl::StatusOr<int> admin_port = s->admin_->Start(o.admin_address);
  if (!admin_port.ok()) return admin_port.status();
  s->admin_port_ = *admin_port;
  return s;
}

absl::Status Server::StartRedis() {
  const ServerOptions::RedisOptions& r = options_.redis;
  absl::StatusOr<redis::RedisEndpoint> endpoint = redis::ParseRedisUrl(r.url);
  if (!endpoint.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis.url: ", endpoint.status().message()));
  }
  redis::Client::Options client_options;
  client_options.endpoint = *std::move(endpoint);
  if (!r.password.empty()) client_options.endpoint.password = r.password;
  client_options.connect_timeout = r.connect_timeout;
  client_options.command_timeout = r.command_timeout;
  redis_ = std::make_unique<redis::Client>(std::move(client_options));
  Observability* obs = observability_.get();
  redis_->AddStateObserver([obs](bool up, const absl::Status& cause) {
    obs->SetRedisUp(up, cause);
  });
  if (absl::Status s = redis_->Start(); !s.ok()) return s;
  // A replica that cannot reach Redis still serves (reads, watches, creates
  // without a request_id); give it a moment so the first calls find it up.
  if (!redis_->WaitUntilUp(r.connect_timeout)) {
    observability_->SetRedisUp(false, redis_->status());
  }
  jobs::RedisJobCoordinator::Options coordinator_options;
  coordinator_options.key_prefix = r.key_prefix;
  coordinator_options.lease = r.job_lease;
  job_coordinator_ = std::make_unique<jobs::RedisJobCoordinator>(
      coordinator_options, redis_.get(), scheduler_.get());
  return absl::OkStatus();
}

Server::~Server() { Shutdown(absl::Seconds(1)); }

bool Server::dev_mode() const { return tenants_->dev_mode(); }

absl::Status Server::ReloadTenants(const ServerOptions& fresh) {
  if (fresh.dev_mode != tenants_->dev_mode()) {
    return absl::FailedPreconditionError(
        "--dev cannot be turned on or off by a reload; restart instead");
  }
  if (absl::Status s = tenants_->Replace(fresh.tenants); !s.ok()) return s;
  // The keys of tenants added here are scrubbed from every other caller's
  // errors from now on, as the first tenants' keys are.
  secrets_->Replace(HeldSecrets());
  // The prices go with the tenants' budgets: both or neither.
  prices_.Replace(fresh.prices);
  return absl::OkStatus();
}

std::vector<std::string> Server::HeldSecrets() const {
  std::vector<std::string> secrets = tenants_->AllSecrets();
  if (!options_.webhook_secret.empty()) {
    secrets.push_back(options_.webhook_secret);
  }
  return secrets;
}

void Server::Wait() {
  MutexLock lock(&shutdown_mu_);
  while (!shut_down_) shutdown_cv_.Wait(&shutdown_mu_);
}

void Server::Drain() {
  DrainWith(options_.drain_delay, options_.shutdown_grace);
}

void Server::Shutdown(absl::Duration grace) {
  DrainWith(absl::ZeroDuration(), grace);
}

void Server::SetServing(bool serving) {
  if (grpc_) {
    if (auto* health = grpc_->GetHealthCheckService()) {
      for (const char* name : kServiceNames) {
        health->SetServingStatus(name, serving);
      }
    }
  }
  if (admin_) admin_->SetReady(serving);
}

void Server::DrainWith(absl::Duration delay, absl::Duration grace) {
  {
    MutexLock lock(&shutdown_mu_);
    if (shutting_down_) {
      // Somebody else drains: return when they are done.
      while (!shut_down_) shutdown_cv_.Wait(&shutdown_mu_);
      return;
    }
    shutting_down_ = true;
  }
  const absl::Time start = absl::Now();
  // 1. Tell load balancers and probes, but keep serving: endpoints take a
  //    moment to stop sending, and calls they still send must not fail.
  SetServing(false);
  if (observability_) observability_->SetDraining(true);
  if (log_ != nullptr) {
    log_->Log(telemetry::LogLevel::kInfo, "drain started",
              {{"drain_delay_ms", absl::ToDoubleMilliseconds(delay)},
               {"shutdown_grace_ms", absl::ToDoubleMilliseconds(grace)}});
  }
  if (delay > absl::ZeroDuration()) absl::SleepFor(delay);

  // 2. Watches end first, with UNAVAILABLE and their last version, so their
  //    clients resume on another replica; a watch arriving meanwhile is
  //    refused the same way. Then new calls are refused and calls in
  //    flight get `grace`.
  if (log_ != nullptr && observability_) {
    log_->Log(telemetry::LogLevel::kInfo, "refusing new calls",
              {{"calls_in_flight", observability_->calls().size()}});
  }
  if (registry_) {
    registry_->Shutdown(
        absl::UnavailableError("server shutting down; resume the watch"));
  }
  if (grpc_) {
    grpc_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(grace));
  }
  if (admin_) admin_->Stop();
  if (observability_) observability_->ObserveRegistry(nullptr);
  if (job_slot_sweeper_) job_slot_sweeper_->Stop();
  // Order matters: timers stop first (no retry may start a transfer), the
  // transport then cancels what is in flight (completions still reach the
  // engine), and only then do the engine and the scheduler go.
  if (scheduler_) scheduler_->Stop();
  transport_.reset();
  long_transport_.reset();
  grpc_.reset();
  registry_.reset();
  // After the registry (which leaves every job it followed) and before the
  // client: the leases still held are released, so the other replicas take
  // over the polling at once.
  job_coordinator_.reset();
  // Before the client and the scheduler it heartbeats on: it leaves the
  // replica set, so the others take its share of the rates at once.
  quota_.reset();
  quota_store_.reset();
  if (redis_) redis_->Stop();
  engine_.reset();
  scheduler_.reset();
  redis_.reset();
  if (log_ != nullptr) {
    log_->Log(telemetry::LogLevel::kInfo, "stopped",
              {{"drain_ms", api::RoundedMillis(absl::Now() - start)}});
  }
  {
    MutexLock lock(&shutdown_mu_);
    shut_down_ = true;
  }
  shutdown_cv_.SignalAll();
}

}  // namespace mediagen::server
