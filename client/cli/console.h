// Where the `mediagen` tool writes and what it knows about its terminal, so
// that every command can be run by a test with string streams, no TTY and a
// fixed clock; and the few ways it renders results and errors.
//
//   std::ostringstream out, err;
//   Console console{out, err};            // piped, real clock
//   console.now = [] { return absl::UnixEpoch(); };
//   return Fail(console, status);         // "mediagen: NOT_FOUND ..." on err
//
// main() makes the real one: std::cout, std::cerr and isatty() of each.
#ifndef MEDIAGEN_CLIENT_CLI_CONSOLE_H_
#define MEDIAGEN_CLIENT_CLI_CONSOLE_H_

#include <functional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace mediagen::cli {

struct Console {
  Console(std::ostream& out, std::ostream& err) : out(out), err(err) {}

  // Results (and `-o -` audio) go to `out`; errors and transfer progress to
  // `err`, so piped output stays clean.
  std::ostream& out;
  std::ostream& err;
  // Whether each is a terminal: live progress lines are drawn only there.
  bool out_is_terminal = false;
  bool err_is_terminal = false;
  // Elapsed times in the output; empty: absl::Now.
  std::function<absl::Time()> now;

  absl::Time Now() const { return now ? now() : absl::Now(); }
};

// The exit status for a failed call: its gRPC code.
int ExitCode(const absl::Status& status);

// Prints "mediagen: <DescribeError(status)>" on err; returns its code.
int Fail(const Console& console, const absl::Status& status);

// Prints "mediagen: <message>" on err; returns INVALID_ARGUMENT's code (3).
int Usage(const Console& console, absl::string_view message);

// The message as JSON with the proto field names: one line, or indented
// (without a trailing newline) when `pretty`.
std::string ToJson(const google::protobuf::Message& message, bool pretty);

// The resource a create returned: the `name` of its first set message field
// that has one ("media/abc"), or "".
std::string CreatedName(const google::protobuf::Message& response);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_CONSOLE_H_
