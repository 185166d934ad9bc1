// `mediagen video upload` / `audio upload`: sends --file in chunks after the
// metadata from the flags (file_name and size_bytes default to the file's),
// with a live transfer line on a terminal's stderr, then prints
// "uploaded NAME (SIZE in TIME)" or, with --json, the response.
//
//   int code = RunUpload(*FindCommand("video", "upload"), client, args,
//                        console);
#ifndef MEDIAGEN_CLIENT_CLI_UPLOAD_H_
#define MEDIAGEN_CLIENT_CLI_UPLOAD_H_

#include "client/cli/arguments.h"
#include "client/cli/commands.h"
#include "client/cli/console.h"
#include "client/client.h"

namespace mediagen::cli {

// `command.kind` must be CallKind::kUpload. Returns the exit status.
int RunUpload(const Command& command, client::Client& client,
              const Arguments& args, const Console& console);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_UPLOAD_H_
