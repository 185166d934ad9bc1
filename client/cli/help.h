// The `mediagen` tool's help text, all in one place: the overview
// (`mediagen help`) and one command's flags (`mediagen GROUP VERB --help`).
//
//   PrintHelp(std::cout);
//   PrintCommandHelp(*FindCommand("media", "create"), std::cout);
//   // ... "  --duration INT\n      Scene duration in seconds, 1-10. ..."
#ifndef MEDIAGEN_CLIENT_CLI_HELP_H_
#define MEDIAGEN_CLIENT_CLI_HELP_H_

#include <ostream>
#include <string>

#include "client/cli/commands.h"
#include "google/protobuf/descriptor.h"

namespace mediagen::cli {

// Usage, every command with its RPC, the flags every command takes and the
// exit statuses.
void PrintHelp(std::ostream& out);

// The command's RPC, the upstream route it calls and its flags: the
// request's fields (by reflection), each with its .proto comment
// (FlagHelp), plus --file, -o or --watch where the command takes them.
// Wrapped at 79 columns.
void PrintCommandHelp(const Command& command, std::ostream& out);

// What a command calls upstream, from its RPC's .proto comment: "POST
// /v2/media", "GET /a or GET /b"; for JobService.WatchJob, which calls
// nothing of its own, "polls ... (the routes of GetJob)"; for an RPC that
// mediagen answers itself (AnsweredByMediagen), "none (...)". "" when the
// comment names no route.
std::string UpstreamLine(const Command& command);

// The command's RPC makes no upstream call at all (UsageService.GetUsage).
bool AnsweredByMediagen(const Command& command);

// A request flag's help: the first sentence(s) of its field's .proto
// comment, on one line; "" when the field has no comment.
std::string FlagHelp(const google::protobuf::FieldDescriptor* field);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_HELP_H_
