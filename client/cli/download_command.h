// `mediagen download NAME|URL ... [-o DIR|FILE]`: fetches result files. A
// resource name (media/..., assets/..., generations/...) stands for its job's
// result URLs (GetJob); anything else is a URL. One URL goes to -o as a file
// unless -o is an existing directory or ends in '/'; several go into the
// directory -o (default "."), named after their URLs.
//
//   int code = RunDownload(client, args, console);  // args.positional[0]
//                                                    // is "download"
#ifndef MEDIAGEN_CLIENT_CLI_DOWNLOAD_COMMAND_H_
#define MEDIAGEN_CLIENT_CLI_DOWNLOAD_COMMAND_H_

#include "client/cli/arguments.h"
#include "client/cli/console.h"
#include "client/client.h"

namespace mediagen::cli {

// Returns the exit status.
int RunDownload(client::Client& client, const Arguments& args,
                const Console& console);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_DOWNLOAD_COMMAND_H_
