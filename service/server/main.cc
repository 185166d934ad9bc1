// mediagen_server: the command line (and an optional --config JSON file)
// -> one ServerOptions -> Server, until SIGTERM/SIGINT drains it. Flags
// given on the command line win over the config file, which wins over the
// defaults in server_options.h; every option is a row of option_table.cc,
// and `--help` lists them all.
//
//   mediagen_server --dev --vimmerse_url=http://127.0.0.1:8090 ...
//   mediagen_server --config=/etc/mediagen/config.json
//
// The first line on stdout is `mediagen listening grpc=<port> admin=<port>`
// so scripts and tests that ask for port 0 learn the ports. Everything else
// goes to stderr as JSON lines (service/telemetry/log.h), gRPC's own
// messages included. Exit status: 0 after a drain (or --help), 1 when the
// server cannot start or the drain overruns, 2 for a bad command line or
// config file.
#include <iostream>
#include <string>

#include "service/common/mutex.h"
#include "service/server/command_line.h"
#include "service/server/observability.h"
#include "service/server/option_docs.h"
#include "service/server/server.h"
#include "service/server/signals.h"

namespace {

using mediagen::Mutex;
using mediagen::MutexLock;
using mediagen::telemetry::Logger;
using mediagen::telemetry::LogLevel;
namespace server = mediagen::server;

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts, so that every thread inherits the mask.
  const sigset_t signals = server::BlockTerminationSignals();

  // Lives until exit: gRPC may log from its threads up to the end.
  static Logger* const log = new Logger(LogLevel::kInfo, Logger::StderrSink());
  server::RouteGrpcLogsTo(log);

  absl::StatusOr<server::CommandLine> command_line =
      server::ParseCommandLine(argc, argv);
  if (!command_line.ok()) {
    log->Log(LogLevel::kError, "bad command line",
             {{"error", std::string(command_line.status().message())}});
    return 2;
  }
  if (command_line->help) {
    std::cout << server::HelpText();
    return 0;
  }
  const auto secrets = server::SecretSources::System();
  absl::StatusOr<server::ServerOptions> options =
      server::LoadServerOptions(*command_line, secrets);
  if (!options.ok()) {
    log->Log(LogLevel::kError, "bad configuration",
             {{"error", std::string(options.status().message())}});
    return 2;
  }
  for (const server::DevKeyProblem& problem :
       server::ResolveDevCredentials(*options, secrets)) {
    log->Log(LogLevel::kWarning, "the dev tenant has no key for a provider",
             {{"flag", problem.flag}, {"why", problem.why}});
  }
  log->set_min_level(options->log_level);

  auto started = server::Server::Start(*options, log);
  if (!started.ok()) {
    log->Log(LogLevel::kError, "cannot start",
             {{"error", std::string(started.status().message())}});
    return 1;
  }
  server::Server& s = **started;
  std::cout << "mediagen listening grpc=" << s.grpc_port()
            << " admin=" << s.admin_port() << std::endl;
  log->Log(LogLevel::kInfo, "serving",
           {{"grpc_address", options->listen_address},
            {"grpc_port", s.grpc_port()},
            {"admin_port", s.admin_port()},
            {"dev_mode", options->dev_mode},
            {"tenants", options->dev_mode ? 1 : options->tenants.size()}});

  // SIGHUP: tenants, tokens and limits read again, as at start-up (flags
  // still win over the file); a bad file keeps the running ones.
  // The reload thread outlives `s`: it stops reloading before main returns.
  static Mutex reload_mu;
  static bool reloading = true;  // guarded by reload_mu
  server::ReloadOnSignal([&s, command_line = *command_line, secrets] {
    MutexLock lock(&reload_mu);
    if (!reloading) return;
    absl::StatusOr<server::ServerOptions> fresh =
        server::LoadServerOptions(command_line, secrets);
    absl::Status reloaded =
        fresh.ok() ? s.ReloadTenants(*fresh) : fresh.status();
    if (!reloaded.ok()) {
      log->Log(LogLevel::kError,
               "config reload failed; keeping the running tenants",
               {{"error", std::string(reloaded.message())}});
      return;
    }
    log->Log(LogLevel::kInfo, "config reloaded",
             {{"tenants", fresh->dev_mode ? 1 : fresh->tenants.size()}});
  });

  server::DrainOnSignalOptions drain;
  drain.signals = signals;
  drain.max_drain = server::MaxDrainDuration(*options);
  drain.log = log;
  server::DrainOnSignal(drain, [&] { s.Drain(); });
  {
    MutexLock lock(&reload_mu);
    reloading = false;
  }
  return 0;
}
