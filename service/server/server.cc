#include "service/server/server.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "service/api/audio_service.h"
#include "service/api/elevenlabs_service.h"
#include "service/api/job_service.h"
#include "service/api/media_service.h"
#include "service/api/stable_audio_service.h"
#include "service/api/video_service.h"
#include "service/common/scheduler.h"
#include "service/http/curl_transport.h"
#include "service/idempotency/in_memory_store.h"

namespace mediagen::server {
namespace {

constexpr const char* kServiceNames[] = {
    "mediagen.v1.MediaService",      "mediagen.v1.VideoService",
    "mediagen.v1.AudioService",      "mediagen.v1.ElevenLabsService",
    "mediagen.v1.StableAudioService", "mediagen.v1.JobService",
};

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options) {
  std::unique_ptr<Server> s(new Server);
  s->options_ = std::move(options);
  const ServerOptions& o = s->options_;

  if (o.dev_mode) {
    if (!o.allow_dev_mode_on_any_address &&
        !(IsLoopbackAddress(o.listen_address) &&
          IsLoopbackAddress(o.admin_address))) {
      return absl::FailedPreconditionError(absl::StrCat(
          "development mode (no authentication) is refused on a non-loopback "
          "address (", o.listen_address, ", ", o.admin_address,
          "); configure tenants, or force it with "
          "--allow_dev_mode_on_any_address"));
    }
    s->tenants_ =
        auth::TenantDirectory::DevMode(o.dev_credentials, o.webhook_secret);
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
  upstream::Engine::Options engine_options;
  engine_options.endpoints = o.endpoints;
  // Upstream text in errors is scrubbed of every secret held here, not
  // only of the calling tenant's keys.
  auto secrets = std::make_shared<std::vector<std::string>>(
      s->tenants_->AllSecrets());
  if (!o.webhook_secret.empty()) secrets->push_back(o.webhook_secret);
  engine_options.secrets = std::move(secrets);
  s->engine_ = std::make_unique<upstream::Engine>(
      engine_options, s->transport_.get(), s->scheduler_.get());
  s->registry_ =
      std::make_unique<jobs::JobRegistry>(o.jobs, s->scheduler_.get());
  s->idempotency_ = std::make_unique<idempotency::InMemoryIdempotencyStore>(
      idempotency::InMemoryIdempotencyStore::Options{
          o.idempotency_ttl, o.idempotency_max_entries, &SystemClock()});

  api::ApiContext api;
  api.engine = s->engine_.get();
  api.registry = s->registry_.get();
  api.idempotency = s->idempotency_.get();
  api.tenants = s->tenants_.get();
  api.webhook_base_url = o.public_base_url;
  api.poll_timeout = o.poll_timeout;
  s->services_.push_back(std::make_unique<api::MediaServiceImpl>(api));
  s->services_.push_back(std::make_unique<api::VideoServiceImpl>(api));
  s->services_.push_back(std::make_unique<api::AudioServiceImpl>(api));
  s->services_.push_back(std::make_unique<api::ElevenLabsServiceImpl>(api));
  s->services_.push_back(std::make_unique<api::StableAudioServiceImpl>(api));
  s->services_.push_back(std::make_unique<api::JobServiceImpl>(api));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // TLS is the mesh sidecar's job (mTLS between pods); the process itself
  // listens in plaintext, on loopback by default.
  builder.AddListeningPort(o.listen_address, grpc::InsecureServerCredentials(),
                           &s->grpc_port_);
  builder.SetMaxReceiveMessageSize(o.max_message_bytes);
  builder.SetMaxSendMessageSize(o.max_message_bytes);
  for (auto& service : s->services_) builder.RegisterService(service.get());
  s->grpc_ = builder.BuildAndStart();
  if (s->grpc_ == nullptr || s->grpc_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", o.listen_address));
  }
  if (auto* health = s->grpc_->GetHealthCheckService()) {
    health->SetServingStatus(true);
    for (const char* name : kServiceNames) health->SetServingStatus(name, true);
  }

  s->admin_ = std::make_unique<AdminServer>(s->tenants_.get(),
                                            s->registry_.get());
  absl::StatusOr<int> admin_port = s->admin_->Start(o.admin_address);
  if (!admin_port.ok()) return admin_port.status();
  s->admin_port_ = *admin_port;
  return s;
}

Server::~Server() { Shutdown(absl::Seconds(1)); }

bool Server::dev_mode() const { return tenants_->dev_mode(); }

void Server::Wait() {
  std::unique_lock<std::mutex> lock(shutdown_mu_);
  shutdown_cv_.wait(lock, [this] { return shut_down_; });
}

void Server::Shutdown(absl::Duration grace) {
  {
    std::lock_guard<std::mutex> lock(shutdown_mu_);
    if (shutting_down_) return;
    shutting_down_ = true;
  }
  if (grpc_) {
    if (auto* health = grpc_->GetHealthCheckService()) {
      health->SetServingStatus(false);
    }
  }
  if (admin_) admin_->SetReady(false);
  // Watches end first, with UNAVAILABLE and their last version, so their
  // clients resume on another replica; then unary calls get `grace`.
  if (registry_) {
    registry_->Shutdown(
        absl::UnavailableError("server shutting down; resume the watch"));
  }
  if (grpc_) {
    grpc_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(grace));
  }
  if (admin_) admin_->Stop();
  // Order matters: timers stop first (no retry may start a transfer), the
  // transport then cancels what is in flight (completions still reach the
  // engine), and only then do the engine and the scheduler go.
  if (scheduler_) scheduler_->Stop();
  transport_.reset();
  grpc_.reset();
  registry_.reset();
  engine_.reset();
  scheduler_.reset();
  {
    std::lock_guard<std::mutex> lock(shutdown_mu_);
    shut_down_ = true;
  }
  shutdown_cv_.notify_all();
}

}  // namespace mediagen::server
