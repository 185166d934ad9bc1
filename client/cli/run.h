// The `mediagen` tool without its process: parses the arguments, makes the
// connection they name and runs the command, writing to a Console. main()
// passes the real streams, environment and gRPC channel; tests pass string
// streams, a map and a MockConnection.
//
//   Environment env;
//   env.getenv = [](const std::string& name) { ... };
//   env.make_connection = client::MakeConnection;
//   Console console{std::cout, std::cerr};
//   return Run({"media", "create", "--prompt", "a kite", "--watch"}, env,
//              console);
//
// Exit status: the gRPC status code of the failed call (0 when all is well),
// 3 (INVALID_ARGUMENT) for a bad command line, kExitJobFailed (20) when a
// watched job ended FAILED, kExitJobCancelled (21) when it ended CANCELLED.
#ifndef MEDIAGEN_CLIENT_CLI_RUN_H_
#define MEDIAGEN_CLIENT_CLI_RUN_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/cli/arguments.h"
#include "client/cli/console.h"
#include "client/connection.h"

namespace mediagen::cli {

// What the tool takes from its process, besides the console.
struct Environment {
  // MEDIAGEN_TARGET, MEDIAGEN_TOKEN_FILE, MEDIAGEN_TOKEN. Empty: none set.
  GetEnv getenv;
  // Required. Called once per run (not for `mediagen help`), with the
  // target from --target or the environment.
  std::function<std::shared_ptr<client::Connection>(
      client::ConnectionOptions options)>
      make_connection;
  // The wait before re-opening a broken watch; empty: absl::SleepFor.
  std::function<void(absl::Duration)> sleep;
};

// `args` are the command line without the program name. Returns the exit
// status.
int Run(const std::vector<std::string>& args, const Environment& env,
        const Console& console);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_RUN_H_
