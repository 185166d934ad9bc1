#include "bench/load_driver.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/time/clock.h"

namespace mediagen::bench {
namespace {

// Everything a completion touches, shared so that a call finishing after
// RunLoad gave up waiting still has somewhere to report.
struct State {
  State(const AsyncCall& c, absl::Duration measure_from, absl::Duration end)
      : call(c), measure_from(measure_from), end(end) {}

  const AsyncCall call;
  const absl::Duration measure_from;
  const absl::Duration end;

  std::mutex mu;
  std::condition_variable cv;
  Histogram latency;
  uint64_t ok = 0;
  uint64_t failed = 0;
  uint64_t skipped = 0;
  int in_flight = 0;

  // Records one finished call. With `chain` (closed loop) the slot stays
  // in flight when the window is still open, and the time to start its next
  // call is returned; otherwise the slot is released.
  std::optional<absl::Duration> Complete(absl::Duration due, bool success,
                                         bool chain) {
    const absl::Duration now = MonotonicNow();
    std::lock_guard<std::mutex> lock(mu);
    if (due >= measure_from && due < end) {
      if (success) {
        latency.Record(now - due);
        ++ok;
      } else {
        ++failed;
      }
    }
    // Handing the slot over under the lock keeps in_flight from touching
    // zero between two calls, so RunLoad never returns while a slot is
    // about to start another call.
    if (chain && now < end) return now;
    --in_flight;
    cv.notify_all();
    return std::nullopt;
  }
};

// Closed loop: each slot starts its next call from the previous one's
// completion until the window ends.
void StartCall(const std::shared_ptr<State>& state, absl::Duration start) {
  state->call([state, start](bool success) {
    if (std::optional<absl::Duration> next =
            state->Complete(start, success, /*chain=*/true)) {
      StartCall(state, *next);
    }
  });
}

void SleepUntil(absl::Duration when) {
  for (;;) {
    const absl::Duration left = when - MonotonicNow();
    if (left <= absl::ZeroDuration()) return;
    // Sleeping overshoots by tens of microseconds; the last stretch spins so
    // that calls leave close to their due time.
    if (left > absl::Microseconds(200)) {
      absl::SleepFor(left - absl::Microseconds(100));
    } else {
      std::this_thread::yield();
    }
  }
}

}  // namespace

absl::Duration MonotonicNow() {
  return absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

double LoadResult::Throughput() const {
  const double seconds = absl::ToDoubleSeconds(window);
  return seconds > 0 ? ok / seconds : 0;
}

LoadResult RunLoad(const AsyncCall& call, const LoadOptions& options) {
  const absl::Duration begin = MonotonicNow();
  auto state = std::make_shared<State>(call, begin + options.warmup,
                                       begin + options.warmup +
                                           options.duration);
  if (options.rate > 0) {
    const absl::Duration interval = absl::Seconds(1.0 / options.rate);
    for (int64_t i = 0;; ++i) {
      const absl::Duration due = begin + interval * i;
      if (due >= state->end) break;
      SleepUntil(due);
      {
        std::lock_guard<std::mutex> lock(state->mu);
        if (state->in_flight >= options.max_in_flight) {
          if (due >= state->measure_from) ++state->skipped;
          continue;
        }
        ++state->in_flight;
      }
      state->call([state, due](bool success) {
        state->Complete(due, success, /*chain=*/false);
      });
    }
  } else {
    {
      std::lock_guard<std::mutex> lock(state->mu);
      state->in_flight = options.concurrency;
    }
    for (int i = 0; i < options.concurrency; ++i) {
      StartCall(state, MonotonicNow());
    }
    SleepUntil(state->end);
  }
  LoadResult result;
  std::unique_lock<std::mutex> lock(state->mu);
  // Calls still out get a minute to come back; a call that never does is a
  // finding the caller sees as missing counts, not a hang.
  state->cv.wait_for(lock, std::chrono::seconds(60),
                     [&] { return state->in_flight == 0; });
  result.latency = state->latency;
  result.ok = state->ok;
  result.failed = state->failed;
  result.skipped = state->skipped;
  result.window = options.duration;
  return result;
}

}  // namespace mediagen::bench
