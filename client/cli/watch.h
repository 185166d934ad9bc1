// `mediagen watch NAME` and `--watch`: follows a job to its end (resuming a
// broken stream from the last version, see Client::FollowJob) and prints its
// progress: a live line on a terminal, one line per change when piped, one
// JSON object per change with --json. Then the result URLs or the error.
//
//   int code = Watch(client, "media/abc", args.globals, console);
//   // 0 succeeded, kExitJobFailed, kExitJobCancelled, or the gRPC code
#ifndef MEDIAGEN_CLIENT_CLI_WATCH_H_
#define MEDIAGEN_CLIENT_CLI_WATCH_H_

#include <string>

#include "client/cli/arguments.h"
#include "client/cli/console.h"
#include "client/client.h"

namespace mediagen::cli {

// Exit statuses of a watch whose job ended without success (above every
// gRPC code, so a script can tell the job's failure from the call's).
inline constexpr int kExitJobFailed = 20;
inline constexpr int kExitJobCancelled = 21;

// Uses `globals.json` and `globals.timeout` (the bound of the whole watch).
// `resume_from_version`: a version the caller holds (only newer states are
// printed); 0 for the whole story from the current state.
int Watch(client::Client& client, const std::string& name,
          const Globals& globals, const Console& console,
          int64_t resume_from_version = 0);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_WATCH_H_
