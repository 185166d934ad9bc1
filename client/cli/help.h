// The `mediagen` tool's help text, all in one place: the overview
// (`mediagen help`) and one command's flags (`mediagen GROUP VERB --help`).
//
//   PrintHelp(std::cout);
//   PrintCommandHelp(*FindCommand("media", "create"), std::cout);
#ifndef MEDIAGEN_CLIENT_CLI_HELP_H_
#define MEDIAGEN_CLIENT_CLI_HELP_H_

#include <ostream>

#include "client/cli/commands.h"

namespace mediagen::cli {

// Usage, every command with its RPC, the flags every command takes and the
// exit statuses.
void PrintHelp(std::ostream& out);

// The command's RPC and its flags: the request's fields (by reflection),
// plus --file, -o or --watch where the command takes them.
void PrintCommandHelp(const Command& command, std::ostream& out);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_HELP_H_
