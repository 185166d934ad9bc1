#include "service/server/command_line.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/server/config_file.h"

namespace mediagen::server {
namespace {

absl::Status BadFlag(absl::string_view name, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", why));
}

}  // namespace

absl::StatusOr<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args) {
  CommandLine command_line;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") {
      if (i + 1 < args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unexpected argument '", args[i + 1], "' (the server takes none)"));
      }
      break;
    }
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unexpected argument '", arg, "' (flags start with --; see --help)"));
    }
    const size_t eq = arg.find('=');
    const absl::string_view name = arg.substr(0, eq);
    const bool has_value = eq != absl::string_view::npos;
    std::string value(has_value ? arg.substr(eq + 1) : "");
    if (name == "help" || name == "h" || name == "helpfull") {
      command_line.help = true;
      continue;
    }
    const OptionRow* row = FindFlag(name);
    absl::string_view negated = name;
    if (row == nullptr && absl::ConsumePrefix(&negated, "no")) {
      // --noname sets a boolean false, and takes no value.
      const OptionRow* positive = FindFlag(negated);
      if (positive != nullptr && positive->value.is_bool) {
        if (has_value) return BadFlag(name, "takes no value");
        command_line.flags.push_back({positive, "false"});
        continue;
      }
    }
    if (row == nullptr && name != "config") {
      return BadFlag(name, "unknown flag (see --help)");
    }
    if (!has_value) {
      if (row != nullptr && row->value.is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];  // --name value
      } else {
        return BadFlag(name, "needs a value");
      }
    }
    if (row == nullptr) {
      command_line.config_path = std::move(value);
    } else {
      command_line.flags.push_back({row, std::move(value)});
    }
  }
  return command_line;
}

absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return ParseCommandLine(args);
}

absl::Status ApplyFlags(const CommandLine& command_line,
                        const SecretSources& secrets, ServerOptions& options) {
  for (const CommandLine::Flag& flag : command_line.flags) {
    absl::Status s = flag.row->value.from_flag(flag.value, secrets, options);
    if (!s.ok()) {
      return absl::Status(
          s.code(), absl::StrCat("--", flag.row->flag, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ServerOptions> LoadServerOptions(const CommandLine& command_line,
                                                const SecretSources& secrets) {
  ServerOptions options;
  if (!command_line.config_path.empty()) {
    absl::Status s =
        ApplyConfigFile(command_line.config_path, secrets, options);
    if (!s.ok()) return s;
  }
  if (absl::Status s = ApplyFlags(command_line, secrets, options); !s.ok()) {
    return s;
  }
  return options;
}

std::vector<DevKeyProblem> ResolveDevCredentials(ServerOptions& options,
                                                 const SecretSources& secrets) {
  std::vector<DevKeyProblem> problems;
  if (!options.dev_mode) return problems;
  struct {
    const char* flag;
    const std::string& spec;
    std::string& out;
  } keys[] = {
      {"dev_vimmerse_key", options.dev_keys.vimmerse,
       options.dev_credentials.vimmerse_api_key},
      {"dev_elevenlabs_key", options.dev_keys.elevenlabs,
       options.dev_credentials.elevenlabs_api_key},
      {"dev_aimlapi_key", options.dev_keys.aimlapi,
       options.dev_credentials.aimlapi_api_key},
  };
  for (auto& key : keys) {
    absl::StatusOr<std::string> value = ResolveSecretSpec(key.spec, secrets);
    if (value.ok()) {
      key.out = *std::move(value);
    } else {
      problems.push_back({key.flag, std::string(value.status().message())});
    }
  }
  return problems;
}

}  // namespace mediagen::server
