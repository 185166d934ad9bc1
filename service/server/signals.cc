#include "service/server/signals.h"

#include <pthread.h>
#include <unistd.h>

#include <thread>

#include "service/common/mutex.h"

namespace mediagen::server {

using telemetry::LogLevel;

sigset_t BlockTerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigset_t blocked = signals;
  sigaddset(&blocked, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

void ReloadOnSignal(std::function<void()> reload) {
  std::thread([reload = std::move(reload)] {
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    for (;;) {
      int sig = 0;
      if (sigwait(&hup, &sig) == 0) reload();
    }
  }).detach();
}

void DrainOnSignalOptions::DefaultExit(int code) { _exit(code); }

int DrainOnSignal(const DrainOnSignalOptions& options,
                  const std::function<void()>& drain) {
  int first = 0;
  sigwait(&options.signals, &first);
  const double max_drain_ms = absl::ToDoubleMilliseconds(options.max_drain);
  options.log->Log(LogLevel::kInfo, "signal received",
                   {{"signal", first}, {"max_drain_ms", max_drain_ms}});

  // The watchdog ends the process unless the drain finished first: then
  // `done` is set and a signal aimed at the watchdog alone wakes it.
  Mutex mu;
  bool done = false;   // the drain finished; the watchdog must not fire
  bool fired = false;  // the watchdog took the exit path
  std::thread watchdog([&] {
    struct timespec limit = absl::ToTimespec(options.max_drain);
    siginfo_t info;
    const int again = sigtimedwait(&options.signals, &info, &limit);
    {
      MutexLock lock(&mu);
      if (done) return;
      fired = true;
    }
    options.log->Log(LogLevel::kError,
                     again > 0
                         ? "second signal: exiting without finishing the drain"
                         : "drain overran its deadline: exiting",
                     {{"max_drain_ms", max_drain_ms}});
    options.exit(1);
  });
  drain();
  bool wake;
  {
    MutexLock lock(&mu);
    done = true;
    wake = !fired;
  }
  // Thread-directed, so only the watchdog's sigtimedwait takes it.
  if (wake) pthread_kill(watchdog.native_handle(), first);
  watchdog.join();
  return first;
}

}  // namespace mediagen::server
