// A unary command (`media create`, `job get`, ...): builds the request from
// the flags, makes the call and prints the answer: "created NAME" for a
// create (then follows it with --watch), the response as indented JSON
// otherwise, one JSON line with --json.
//
//   int code = RunUnary(*FindCommand("media", "create"), client, args,
//                       console);
#ifndef MEDIAGEN_CLIENT_CLI_UNARY_H_
#define MEDIAGEN_CLIENT_CLI_UNARY_H_

#include "client/cli/arguments.h"
#include "client/cli/commands.h"
#include "client/cli/console.h"
#include "client/client.h"

namespace mediagen::cli {

// `command.kind` must be CallKind::kUnary. Returns the exit status.
int RunUnary(const Command& command, client::Client& client,
             const Arguments& args, const Console& console);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_UNARY_H_
