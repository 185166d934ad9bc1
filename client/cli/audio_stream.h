// `mediagen elevenlabs speech` / `elevenlabs sound-effect`: streamed audio,
// written to -o as it arrives (PATH.part, renamed to PATH when the stream
// ended OK and removed otherwise), or to the console's out with `-o -`.
// Then "wrote PATH (SIZE, first audio after T)" or, with --json, one line
// with the path, the bytes and the stream's info message.
//
//   int code = RunServerStream(*FindCommand("elevenlabs", "speech"), client,
//                              args, console);
#ifndef MEDIAGEN_CLIENT_CLI_AUDIO_STREAM_H_
#define MEDIAGEN_CLIENT_CLI_AUDIO_STREAM_H_

#include "client/cli/arguments.h"
#include "client/cli/commands.h"
#include "client/cli/console.h"
#include "client/client.h"

namespace mediagen::cli {

// `command.kind` must be CallKind::kServerStream. Returns the exit status.
int RunServerStream(const Command& command, client::Client& client,
                    const Arguments& args, const Console& console);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_AUDIO_STREAM_H_
