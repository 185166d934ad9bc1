// mediagen_server: flags (and an optional --config JSON file) -> one
// ServerOptions -> Server. Flags given on the command line win over the
// config file, which wins over the defaults in server_options.h.
//
//   mediagen_server --dev --vimmerse_url=http://127.0.0.1:8090 ...
//   mediagen_server --config=/etc/mediagen/config.json
//
// The first line on stdout is `mediagen listening grpc=<port> admin=<port>`
// so scripts and tests that ask for port 0 learn the ports. Everything else
// goes to stderr as JSON lines (service/telemetry/log.h), gRPC's own
// messages included.
//
// SIGTERM/SIGINT start the drain (Server::Drain); a second signal exits at
// once, and so does the process if the drain overruns its deadline
// (drain_delay + shutdown_grace + shutdown_timeout).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "service/server/config_file.h"
#include "service/server/server.h"

ABSL_FLAG(std::string, config, "",
          "JSON config file (see service/server/config_file.h); flags given "
          "on the command line override it");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "gRPC listen address host:port (port 0 picks a free one)");
ABSL_FLAG(std::string, admin_listen, "127.0.0.1:8081",
          "admin HTTP listen address (webhooks, /healthz, /readyz)");
ABSL_FLAG(std::string, public_base_url, "",
          "externally reachable base URL of the admin port; enables the "
          "webhook receiver URL on creates");
ABSL_FLAG(std::string, vimmerse_url, "https://api.vimmerse.net",
          "Vimmerse base URL");
ABSL_FLAG(std::string, elevenlabs_url, "https://api.elevenlabs.io",
          "ElevenLabs base URL");
ABSL_FLAG(std::string, aimlapi_url, "https://api.aimlapi.com",
          "AIMLAPI base URL");
ABSL_FLAG(std::string, asset_path_template, "/asset/{asset_id}",
          "path of the Vimmerse asset poll route");
ABSL_FLAG(bool, dev, false,
          "development mode: no authentication, one tenant `dev` (loopback "
          "only unless --allow_dev_mode_on_any_address)");
ABSL_FLAG(bool, allow_dev_mode_on_any_address, false,
          "let --dev listen on a non-loopback address (never in production)");
ABSL_FLAG(std::string, dev_vimmerse_key, "env:VIMMERSE_API_KEY",
          "--dev tenant's Vimmerse key: env:NAME or file:PATH");
ABSL_FLAG(std::string, dev_elevenlabs_key, "env:ELEVENLABS_API_KEY",
          "--dev tenant's ElevenLabs key: env:NAME or file:PATH");
ABSL_FLAG(std::string, dev_aimlapi_key, "env:AIMLAPI_API_KEY",
          "--dev tenant's AIMLAPI key: env:NAME or file:PATH");
ABSL_FLAG(std::string, webhook_secret, "",
          "secret deriving webhook tokens (env:NAME or file:PATH); replicas "
          "behind one URL must share it; empty: random per process");
ABSL_FLAG(absl::Duration, poll_min_interval, absl::Seconds(1),
          "job poll interval right after a change");
ABSL_FLAG(absl::Duration, poll_max_interval, absl::Seconds(10),
          "job poll interval cap while nothing changes");
ABSL_FLAG(absl::Duration, poll_timeout, absl::Seconds(30),
          "deadline of one upstream read made for GetJob/WatchJob polling");
ABSL_FLAG(absl::Duration, heartbeat_interval, absl::Seconds(15),
          "WatchJob heartbeat interval (keep below proxy idle timeouts)");
ABSL_FLAG(absl::Duration, idempotency_ttl, absl::Hours(24),
          "how long a request_id's outcome is remembered");
ABSL_FLAG(int, http_threads, 1, "libcurl event-loop threads");
ABSL_FLAG(absl::Duration, drain_delay, absl::Seconds(5),
          "on SIGTERM/SIGINT, how long calls are still accepted after health "
          "goes NOT_SERVING (so load balancers stop sending first)");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(20),
          "after drain_delay, how long calls in flight may take to finish");
ABSL_FLAG(absl::Duration, shutdown_timeout, absl::Seconds(5),
          "after shutdown_grace, how long the rest of the shutdown may take "
          "before the process exits anyway");
ABSL_FLAG(std::string, log_level, "info",
          "least severe log line written: debug, info, warning or error");
ABSL_FLAG(int, max_message_bytes, 8 << 20,
          "largest gRPC message accepted or sent");
ABSL_FLAG(absl::Duration, keepalive_time, absl::Seconds(30),
          "ping a gRPC connection idle this long");
ABSL_FLAG(absl::Duration, keepalive_timeout, absl::Seconds(10),
          "drop a gRPC connection whose ping is unanswered this long");
ABSL_FLAG(absl::Duration, min_client_ping_interval, absl::Seconds(10),
          "client pings closer together than this end the connection");
ABSL_FLAG(absl::Duration, max_connection_age, absl::Minutes(5),
          "send GOAWAY to connections this old (+-10%), so channels "
          "rebalance across replicas");
ABSL_FLAG(absl::Duration, max_connection_age_grace, absl::Minutes(10),
          "calls in flight on a connection past max_connection_age get this "
          "long before it closes");
ABSL_FLAG(int, max_concurrent_streams, 2000,
          "streams one gRPC connection may carry at once");
ABSL_FLAG(int64_t, resource_quota_bytes, int64_t{512} << 20,
          "memory gRPC may use for its buffers; 0 for no limit");
ABSL_FLAG(int64_t, stream_window_bytes, int64_t{4} << 20,
          "HTTP/2 flow-control window per stream; 0 for gRPC's adaptive "
          "(BDP-probing) window");

namespace {

using mediagen::server::ServerOptions;

// Names of the flags given on the command line (this Abseil release keeps
// CommandLineFlag::IsSpecifiedOnCommandLine private).
std::set<std::string>& GivenFlags() {
  static auto* given = new std::set<std::string>;
  return *given;
}

void RecordGivenFlags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) {
      continue;
    }
    arg = arg.substr(0, arg.find('='));
    GivenFlags().insert(std::string(arg));
    if (absl::ConsumePrefix(&arg, "no")) GivenFlags().insert(std::string(arg));
  }
}

bool Given(absl::string_view name) {
  return GivenFlags().count(std::string(name)) > 0;
}

using mediagen::telemetry::LogLevel;
using mediagen::telemetry::Logger;

// Flags apply over the config file only when given, so a config file's
// settings are not silently replaced by flag defaults.
absl::Status ApplyFlags(ServerOptions& o,
                        const mediagen::server::SecretSources& secrets,
                        const Logger& log) {
  if (Given("listen")) o.listen_address = absl::GetFlag(FLAGS_listen);
  if (Given("admin_listen")) o.admin_address = absl::GetFlag(FLAGS_admin_listen);
  if (Given("public_base_url"))
    o.public_base_url = absl::GetFlag(FLAGS_public_base_url);
  if (Given("vimmerse_url")) o.endpoints.vimmerse = absl::GetFlag(FLAGS_vimmerse_url);
  if (Given("elevenlabs_url"))
    o.endpoints.elevenlabs = absl::GetFlag(FLAGS_elevenlabs_url);
  if (Given("aimlapi_url")) o.endpoints.aimlapi = absl::GetFlag(FLAGS_aimlapi_url);
  if (Given("asset_path_template"))
    o.endpoints.asset_path_template = absl::GetFlag(FLAGS_asset_path_template);
  if (Given("poll_min_interval"))
    o.jobs.min_poll_interval = absl::GetFlag(FLAGS_poll_min_interval);
  if (Given("poll_max_interval"))
    o.jobs.max_poll_interval = absl::GetFlag(FLAGS_poll_max_interval);
  if (Given("poll_timeout")) o.poll_timeout = absl::GetFlag(FLAGS_poll_timeout);
  if (Given("heartbeat_interval"))
    o.jobs.heartbeat_interval = absl::GetFlag(FLAGS_heartbeat_interval);
  if (Given("idempotency_ttl"))
    o.idempotency_ttl = absl::GetFlag(FLAGS_idempotency_ttl);
  if (Given("http_threads")) o.transport.threads = absl::GetFlag(FLAGS_http_threads);
  if (Given("drain_delay")) o.drain_delay = absl::GetFlag(FLAGS_drain_delay);
  if (Given("shutdown_grace"))
    o.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  if (Given("shutdown_timeout"))
    o.shutdown_timeout = absl::GetFlag(FLAGS_shutdown_timeout);
  if (Given("log_level")) {
    auto level = mediagen::telemetry::ParseLogLevel(absl::GetFlag(FLAGS_log_level));
    if (!level.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--log_level: ", level.status().message()));
    }
    o.log_level = *level;
  }
  if (Given("max_message_bytes"))
    o.grpc.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  if (Given("keepalive_time"))
    o.grpc.keepalive_time = absl::GetFlag(FLAGS_keepalive_time);
  if (Given("keepalive_timeout"))
    o.grpc.keepalive_timeout = absl::GetFlag(FLAGS_keepalive_timeout);
  if (Given("min_client_ping_interval"))
    o.grpc.min_client_ping_interval =
        absl::GetFlag(FLAGS_min_client_ping_interval);
  if (Given("max_connection_age"))
    o.grpc.max_connection_age = absl::GetFlag(FLAGS_max_connection_age);
  if (Given("max_connection_age_grace"))
    o.grpc.max_connection_age_grace =
        absl::GetFlag(FLAGS_max_connection_age_grace);
  if (Given("max_concurrent_streams"))
    o.grpc.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  if (Given("resource_quota_bytes"))
    o.grpc.resource_quota_bytes = absl::GetFlag(FLAGS_resource_quota_bytes);
  if (Given("stream_window_bytes"))
    o.grpc.stream_window_bytes = absl::GetFlag(FLAGS_stream_window_bytes);
  o.allow_dev_mode_on_any_address =
      absl::GetFlag(FLAGS_allow_dev_mode_on_any_address);
  if (Given("webhook_secret")) {
    auto v = mediagen::server::ResolveSecretSpec(absl::GetFlag(FLAGS_webhook_secret),
                                                 secrets);
    if (!v.ok()) return absl::Status(v.status().code(),
                                     absl::StrCat("--webhook_secret: ", v.status().message()));
    o.webhook_secret = *v;
  }
  o.dev_mode = absl::GetFlag(FLAGS_dev);
  if (o.dev_mode) {
    // A missing key only means the dev tenant cannot call that provider.
    struct {
      const char* flag;
      std::string value;
      std::string* out;
    } keys[] = {
        {"dev_vimmerse_key", absl::GetFlag(FLAGS_dev_vimmerse_key),
         &o.dev_credentials.vimmerse_api_key},
        {"dev_elevenlabs_key", absl::GetFlag(FLAGS_dev_elevenlabs_key),
         &o.dev_credentials.elevenlabs_api_key},
        {"dev_aimlapi_key", absl::GetFlag(FLAGS_dev_aimlapi_key),
         &o.dev_credentials.aimlapi_api_key},
    };
    for (auto& k : keys) {
      auto v = mediagen::server::ResolveSecretSpec(k.value, secrets);
      if (v.ok()) {
        *k.out = *v;
      } else {
        log.Log(LogLevel::kWarning,
                "the dev tenant has no key for a provider",
                {{"flag", k.flag}, {"why", std::string(v.status().message())}});
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "mediagen gRPC gateway. See README.md and service/server/config_file.h.");
  RecordGivenFlags(argc, argv);
  absl::ParseCommandLine(argc, argv);

  // Signals are taken by one thread with sigwait, so every other thread
  // (gRPC's, libcurl's) must have them blocked: set the mask before any
  // thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A client disconnect must not kill the process.
  signal(SIGPIPE, SIG_IGN);

  // Lives until exit: gRPC may log from its threads up to the end.
  static Logger* const log = new Logger(LogLevel::kInfo, Logger::StderrSink());
  mediagen::server::RouteGrpcLogsTo(log);

  const auto secrets = mediagen::server::SecretSources::System();
  ServerOptions options;
  if (!absl::GetFlag(FLAGS_config).empty()) {
    absl::Status s = mediagen::server::ApplyConfigFile(absl::GetFlag(FLAGS_config),
                                                       secrets, options);
    if (!s.ok()) {
      log->Log(LogLevel::kError, "bad configuration",
               {{"error", std::string(s.message())}});
      return 2;
    }
  }
  if (absl::Status s = ApplyFlags(options, secrets, *log); !s.ok()) {
    log->Log(LogLevel::kError, "bad configuration",
             {{"error", std::string(s.message())}});
    return 2;
  }
  log->set_min_level(options.log_level);

  auto server = mediagen::server::Server::Start(options, log);
  if (!server.ok()) {
    log->Log(LogLevel::kError, "cannot start",
             {{"error", std::string(server.status().message())}});
    return 1;
  }
  std::cout << "mediagen listening grpc=" << (*server)->grpc_port()
            << " admin=" << (*server)->admin_port() << std::endl;
  log->Log(LogLevel::kInfo, "serving",
           {{"grpc_address", options.listen_address},
            {"grpc_port", (*server)->grpc_port()},
            {"admin_port", (*server)->admin_port()},
            {"dev_mode", options.dev_mode},
            {"tenants", options.dev_mode ? 1 : options.tenants.size()}});

  // The main thread drains; the signal thread waits for the signal that
  // starts it, then enforces the deadline and takes a second signal.
  const absl::Duration max_drain = mediagen::server::MaxDrainDuration(options);
  std::mutex mu;
  std::condition_variable cv;
  bool drain_requested = false;
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    log->Log(LogLevel::kInfo, "signal received",
             {{"signal", sig},
              {"max_drain_ms", absl::ToDoubleMilliseconds(max_drain)}});
    {
      std::lock_guard<std::mutex> lock(mu);
      drain_requested = true;
    }
    cv.notify_all();
    struct timespec limit = absl::ToTimespec(max_drain);
    siginfo_t info;
    const int again = sigtimedwait(&signals, &info, &limit);
    if (done.load()) return;  // woken by main after the drain
    log->Log(LogLevel::kError,
             again > 0 ? "second signal: exiting without finishing the drain"
                       : "drain overran its deadline: exiting",
             {{"max_drain_ms", absl::ToDoubleMilliseconds(max_drain)}});
    _exit(1);
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return drain_requested; });
  }
  (*server)->Drain();
  done.store(true);
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return 0;
}
