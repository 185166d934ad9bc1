// Graceful drain on SIGTERM/SIGINT for the server's main(): the first
// signal starts the drain; a second signal, or a drain that overruns its
// deadline, ends the process at once. SIGHUP reloads (ReloadOnSignal).
//
//   int main() {
//     const sigset_t signals = BlockTerminationSignals();  // before threads
//     ... start the server ...
//     DrainOnSignalOptions drain;
//     drain.signals = signals;
//     drain.max_drain = MaxDrainDuration(options);
//     drain.log = log;
//     DrainOnSignal(drain, [&] { server->Drain(); });
//     return 0;
//   }
//
// Signals are taken with sigwait, so every thread must have them blocked:
// block them before any thread starts (threads inherit the mask).
#ifndef MEDIAGEN_SERVICE_SERVER_SIGNALS_H_
#define MEDIAGEN_SERVICE_SERVER_SIGNALS_H_

#include <signal.h>

#include <functional>

#include "absl/time/time.h"
#include "service/telemetry/log.h"

namespace mediagen::server {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and so in every
// thread it starts later), ignores SIGPIPE (a client disconnect must not
// kill the process), and returns the set of the two drain signals. SIGHUP
// (a reload, see ReloadOnSignal) is blocked so that it never ends the
// process.
sigset_t BlockTerminationSignals();

// Starts a thread that runs `reload` on each SIGHUP, one at a time (SIGHUPs
// arriving meanwhile count as one more). SIGHUP must be blocked in every
// thread (BlockTerminationSignals). The thread lives until the process
// exits, so `reload` must stay callable that long.
void ReloadOnSignal(std::function<void()> reload);

struct DrainOnSignalOptions {
  // Already blocked in every thread.
  sigset_t signals;
  // From the first signal to the forced exit.
  absl::Duration max_drain;
  // Receives `signal received` and the forced-exit lines. Not null.
  const telemetry::Logger* log = nullptr;
  // Ends the process with the code (1); tests substitute their own, which
  // may return.
  std::function<void(int code)> exit = DefaultExit;

  static void DefaultExit(int code);
};

// Waits for the first of `options.signals`, then runs `drain` on the
// calling thread while a watchdog thread exits the process if a second
// signal comes or `max_drain` passes first. Returns the first signal once
// `drain` has returned and the watchdog has stopped.
int DrainOnSignal(const DrainOnSignalOptions& options,
                  const std::function<void()>& drain);

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_SIGNALS_H_
