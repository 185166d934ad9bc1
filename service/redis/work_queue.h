// WorkQueue: how other threads hand work to the Redis client's loop thread.
// A mutex-protected queue (commands, and small tasks such as "add this
// subscriber") plus an eventfd that wakes the loop's poll(); the loop takes
// everything queued in one go, so commands submitted together are written
// to Redis together. Internal to //service/redis.
//
//   any thread:   if (!queue.Push(command)) { /* closed: answer it here */ }
//   loop thread:  poll({queue.wake_fd(), POLLIN}, ...);
//                 queue.ConsumeWakeup();
//                 bool stop = queue.Take(&commands, &tasks);
//
// Also Guarded<T>: a callback that runs on the loop thread and never after
// Cancel() returns, whichever thread cancels.
#ifndef MEDIAGEN_SERVICE_REDIS_WORK_QUEUE_H_
#define MEDIAGEN_SERVICE_REDIS_WORK_QUEUE_H_

#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "service/common/mutex.h"
#include "service/redis/reply.h"

namespace mediagen::redis::internal {

struct QueuedCommand {
  std::vector<std::string> argv;
  absl::AnyInvocable<void(absl::StatusOr<Reply>)> done;
  // Not OK: answer with this instead of sending (decided on the caller's
  // thread, delivered on the loop thread like every other completion).
  absl::Status rejected;
};

class WorkQueue {
 public:
  using Task = absl::AnyInvocable<void()>;

  WorkQueue();
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // The eventfd could not be created (errno-level failure at startup).
  bool ok() const { return wake_fd_ >= 0; }
  int wake_fd() const { return wake_fd_; }

  // Any thread. Moves `command` (or `task`) in and wakes the loop; false,
  // leaving it untouched, once the queue is closed.
  bool Push(QueuedCommand& command);
  bool Push(Task task);

  // Any thread: asks the loop to end (Take then returns true).
  void RequestStop();

  // Loop thread: everything queued so far; true when asked to stop.
  bool Take(std::vector<QueuedCommand>* commands, std::vector<Task>* tasks);
  // Loop thread: after poll() saw wake_fd() readable.
  void ConsumeWakeup();
  // Refuses everything from now on and hands back what was still queued.
  void Close(std::vector<QueuedCommand>* commands, std::vector<Task>* tasks);
  bool closed();

  void set_loop_thread(std::thread::id id) { loop_thread_.store(id); }
  bool OnLoopThread() const {
    return std::this_thread::get_id() == loop_thread_.load();
  }

 private:
  void Wake();

  const int wake_fd_;
  std::atomic<std::thread::id> loop_thread_{};
  Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<QueuedCommand> commands_ ABSL_GUARDED_BY(mu_);
  std::vector<Task> tasks_ ABSL_GUARDED_BY(mu_);
};

// A callback that runs on the loop thread and never after Cancel() returns.
// Run holds a mutex while the callback runs, so Cancel from another thread
// waits for a running one to finish; Cancel on the loop thread (from inside
// some callback) cannot overlap a Run, and must not wait on itself.
template <typename T>
class Guarded {
 public:
  Guarded(T value, const WorkQueue* queue)
      : value_(std::move(value)), queue_(queue) {}

  template <typename F>
  void Run(F&& f) {
    MutexLock lock(&mu_);
    if (active_.load(std::memory_order_acquire)) f(value_);
  }

  void Cancel() {
    if (queue_->OnLoopThread()) {
      active_.store(false, std::memory_order_release);
      return;
    }
    MutexLock lock(&mu_);
    active_.store(false, std::memory_order_release);
  }

 private:
  Mutex mu_;
  std::atomic<bool> active_{true};
  T value_ ABSL_GUARDED_BY(mu_);
  const WorkQueue* const queue_;
};

}  // namespace mediagen::redis::internal

#endif  // MEDIAGEN_SERVICE_REDIS_WORK_QUEUE_H_
