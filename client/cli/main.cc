// mediagen: the command-line tool for the mediagen.v1 API.
//
//   mediagen media create --prompt "..." --audio-option.narrator Sarah --watch
//   mediagen video reframe --video-url URL --aspect-ratio 9:16 --watch
//   mediagen video upload --file clip.mp4
//   mediagen watch media/abc
//   mediagen download media/abc -o out/
//   mediagen elevenlabs speech --voice-id V --text "Hello" -o hello.mp3
//
// `mediagen help` lists every command; `mediagen GROUP VERB --help` its flags.
// Exit status: the gRPC status code of the failed call (0 when all is well),
// 20 when a watched job ended FAILED, 21 when it ended CANCELLED.
//
// This file only binds the tool (run.h) to the process: its streams, its
// environment, its terminal and a real gRPC channel.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "client/cli/console.h"
#include "client/cli/run.h"
#include "client/connection.h"

int main(int argc, char** argv) {
  mediagen::cli::Console console{std::cout, std::cerr};
  console.out_is_terminal = isatty(STDOUT_FILENO);
  console.err_is_terminal = isatty(STDERR_FILENO);
  mediagen::cli::Environment env;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return value;
  };
  env.make_connection = mediagen::client::MakeConnection;
  return mediagen::cli::Run(std::vector<std::string>(argv + 1, argv + argc),
                            env, console);
}
