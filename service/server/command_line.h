// The server's command line, read through the option table
// (option_table.h), and the order in which options are settled: defaults,
// then the config file (--config), then the flags given on the command
// line. A flag not given never replaces a config file value.
//
//   absl::StatusOr<CommandLine> command_line = ParseCommandLine(argc, argv);
//   if (!command_line.ok()) { /* names the flag */ return 2; }
//   if (command_line->help) { std::cout << HelpText(); return 0; }
//   absl::StatusOr<ServerOptions> options =
//       LoadServerOptions(*command_line, SecretSources::System());
//
// Flags are written as with absl's flags, which the server used before:
// --name=value, --name value (not for booleans), one dash or two,
// booleans as --name, --noname or --name=true|false; the last of a
// repeated flag wins. --help (also -h, --helpfull) asks for the help text.
#ifndef MEDIAGEN_SERVICE_SERVER_COMMAND_LINE_H_
#define MEDIAGEN_SERVICE_SERVER_COMMAND_LINE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/server/option_table.h"
#include "service/server/secret_source.h"
#include "service/server/server_options.h"

namespace mediagen::server {

struct CommandLine {
  bool help = false;
  // The JSON config file applied before the flags; empty: none.
  std::string config_path;
  // The option flags, in the order given.
  struct Flag {
    const OptionRow* row;
    std::string value;
  };
  std::vector<Flag> flags;
};

// `args` without the program name. Unknown flags and arguments that are not
// flags are errors naming them; values are checked by ApplyFlags.
absl::StatusOr<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args);
absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv);

// Applies the flags, in order, onto `options`. Errors name the flag (and,
// for secrets, never the value).
absl::Status ApplyFlags(const CommandLine& command_line,
                        const SecretSources& secrets, ServerOptions& options);

// Defaults, then the config file, then the flags.
absl::StatusOr<ServerOptions> LoadServerOptions(const CommandLine& command_line,
                                                const SecretSources& secrets);

// A dev tenant key that could not be resolved.
struct DevKeyProblem {
  std::string flag;  // e.g. "dev_vimmerse_key"
  std::string why;   // names the variable or file, never a value
};

// In development mode, resolves options.dev_keys into dev_credentials. A
// key that cannot be resolved stays empty (the dev tenant then cannot call
// that provider) and is reported for a warning. Outside development mode,
// does nothing.
std::vector<DevKeyProblem> ResolveDevCredentials(ServerOptions& options,
                                                 const SecretSources& secrets);

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_COMMAND_LINE_H_
