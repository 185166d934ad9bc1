// The upstream emulator as a process: see --help (flags.cc) and README.md.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <iostream>

#include "absl/status/statusor.h"
#include "tests/emulator/emulator.h"
#include "tests/emulator/flags.h"

int main(int argc, char** argv) {
  using mediagen::emulator::Emulator;
  absl::StatusOr<mediagen::emulator::ParsedFlags> flags =
      mediagen::emulator::ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::cerr << "emulator: " << flags.status().message() << "\n";
    return 2;
  }
  if (flags->help) {
    std::cout << mediagen::emulator::HelpText();
    return 0;
  }
  // Every thread started from here on inherits the blocked signals, so only
  // sigwait() below sees SIGTERM/SIGINT and the shutdown is orderly.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up mid-stream is normal

  Emulator emulator(flags->options);
  absl::StatusOr<int> port = emulator.Start();
  if (!port.ok()) {
    std::cerr << "emulator: " << port.status().message() << "\n";
    return 1;
  }
  std::cout << "emulator listening on " << flags->options.host << ":" << *port
            << std::endl;  // endl flushes: scripts read this line

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::cerr << "emulator: signal " << signal_number << ", stopping\n";
  emulator.Stop();
  return 0;
}
