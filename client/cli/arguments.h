// The `mediagen` command line split into the flags every command takes
// (Globals, with the MEDIAGEN_* environment as their defaults), the
// positional words (GROUP VERB, NAME, URL) and the request flags, which
// FillRequest then sets on the request message by reflection
// (request_flags.h).
//
//   absl::StatusOr<Arguments> args = ParseArguments(
//       {"media", "create", "--prompt", "a kite", "--watch"}, getenv);
//   // args->positional == {"media", "create"}, args->globals.watch == true
//   v1::CreateMediaRequest request;
//   absl::Status s = FillRequest(*args, &request);  // prompt = "a kite"
#ifndef MEDIAGEN_CLIENT_CLI_ARGUMENTS_H_
#define MEDIAGEN_CLIENT_CLI_ARGUMENTS_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace mediagen::cli {

// Looks up an environment variable; nullopt when unset. A seam so that tests
// need not touch the process environment.
using GetEnv = std::function<std::optional<std::string>(const std::string&)>;

// Flags every command understands (the rest are request fields).
struct Globals {
  std::string target;  // --target, env MEDIAGEN_TARGET, 127.0.0.1:50051
  // --token-file, env MEDIAGEN_TOKEN_FILE or MEDIAGEN_TOKEN. Never printed.
  std::string token;
  bool json = false;
  bool watch = false;
  bool help = false;
  std::string output;  // -o
  std::string file;    // uploads
  std::string request_json;
  absl::Duration timeout = absl::ZeroDuration();
};

struct Arguments {
  Globals globals;
  std::vector<std::string> positional;
  // Request flags in order: (path, value or nullopt when no value given).
  std::vector<std::pair<std::string, std::optional<std::string>>> fields;
};

// Splits `args` (without the program name) into globals, positionals and
// request flags. `--x=v`, `--x v`; a request flag followed by another flag
// (or nothing) has no value, which only bool fields accept. `getenv` may be
// empty (no environment).
absl::StatusOr<Arguments> ParseArguments(const std::vector<std::string>& args,
                                         const GetEnv& getenv);

// Fills `message` from --request JSON, then from the request flags in order.
// Errors name the flag.
absl::Status FillRequest(const Arguments& args,
                         google::protobuf::Message* message);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_ARGUMENTS_H_
