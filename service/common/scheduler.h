// Scheduler: run a task later, without a thread per pending task. Retry
// backoff, job polling and heartbeats all wait through one of these, so a
// server with thousands of waits keeps a fixed thread count.
//
//   ThreadScheduler scheduler;                       // one timer thread
//   auto id = scheduler.RunAfter(absl::Seconds(1), [] { Poll(); });
//   scheduler.Cancel(id);                            // if no longer needed
//
//   FakeScheduler fake;                              // in tests
//   fake.RunAfter(absl::Seconds(2), task);
//   fake.AdvanceBy(absl::Seconds(2));                // runs `task` here
#ifndef MEDIAGEN_SERVICE_COMMON_SCHEDULER_H_
#define MEDIAGEN_SERVICE_COMMON_SCHEDULER_H_

#include <cstdint>
#include <map>
#include <thread>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "service/common/clock.h"
#include "service/common/mutex.h"

namespace mediagen {

class Scheduler {
 public:
  using TaskId = uint64_t;
  using Task = absl::AnyInvocable<void() &&>;

  virtual ~Scheduler() = default;

  // Runs `task` once, at or after `when`, on a scheduler thread. Tasks must
  // be short: they share that thread. Returns an id for Cancel().
  virtual TaskId RunAt(absl::Time when, Task task) = 0;

  // True when the task was removed before it started; false when it ran,
  // is running, or never existed.
  virtual bool Cancel(TaskId id) = 0;

  // The clock `RunAt` times are measured on.
  virtual const Clock& clock() const = 0;

  TaskId RunAfter(absl::Duration delay, Task task) {
    return RunAt(clock().Now() + delay, std::move(task));
  }
};

// One thread and an ordered timer queue, on the system clock. The destructor
// stops the thread; tasks not yet due are dropped.
class ThreadScheduler : public Scheduler {
 public:
  ThreadScheduler();
  ~ThreadScheduler() override;
  ThreadScheduler(const ThreadScheduler&) = delete;
  ThreadScheduler& operator=(const ThreadScheduler&) = delete;

  TaskId RunAt(absl::Time when, Task task) override;
  bool Cancel(TaskId id) override;
  const Clock& clock() const override { return SystemClock(); }

  // Joins the thread and drops pending tasks; later RunAt calls drop their
  // task at once. Lets a shutdown stop timers while the objects that
  // schedule them are still alive.
  void Stop();

 private:
  void Loop();

  Mutex mu_;
  CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  TaskId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Ordered by (due time, id) so equal times run in submission order.
  std::map<std::pair<absl::Time, TaskId>, Task> queue_ ABSL_GUARDED_BY(mu_);
  std::map<TaskId, absl::Time> due_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// Runs tasks only when time is advanced, on the calling thread. Tasks that a
// task schedules for a time already reached run in the same Advance call.
class FakeScheduler : public Scheduler {
 public:
  explicit FakeScheduler(absl::Time start = absl::UnixEpoch() + absl::Hours(24))
      : clock_(start) {}

  TaskId RunAt(absl::Time when, Task task) override;
  bool Cancel(TaskId id) override;
  const Clock& clock() const override { return clock_; }

  // Moves the clock forward, running every task that falls due, in order.
  void AdvanceBy(absl::Duration d);
  void AdvanceTo(absl::Time t);
  // Runs tasks due now (e.g. RunAfter(0)) without moving the clock.
  void RunDue() { AdvanceBy(absl::ZeroDuration()); }
  size_t pending() const;
  FakeClock& fake_clock() { return clock_; }

 private:
  FakeClock clock_;
  mutable Mutex mu_;
  TaskId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::pair<absl::Time, TaskId>, Task> queue_ ABSL_GUARDED_BY(mu_);
  std::map<TaskId, absl::Time> due_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagen

#endif  // MEDIAGEN_SERVICE_COMMON_SCHEDULER_H_
