#include "service/common/scheduler.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "service/common/mutex.h"

namespace mediagen {

ThreadScheduler::ThreadScheduler() : thread_([this] { Loop(); }) {}

ThreadScheduler::~ThreadScheduler() { Stop(); }

void ThreadScheduler::Stop() {
  std::map<std::pair<absl::Time, TaskId>, Task> dropped;
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
  {
    MutexLock lock(&mu_);
    dropped.swap(queue_);
    due_.clear();
  }
  // Destroyed outside the lock: a task's captures may call back in.
}

Scheduler::TaskId ThreadScheduler::RunAt(absl::Time when, Task task) {
  TaskId id;
  bool earliest;
  {
    MutexLock lock(&mu_);
    id = next_id_++;
    if (stop_) return id;  // stopped: the task is dropped (after the lock)
    queue_.emplace(std::make_pair(when, id), std::move(task));
    due_.emplace(id, when);
    earliest = queue_.begin()->first.second == id;
  }
  // Only a new earliest task changes how long the loop should sleep.
  if (earliest) cv_.Signal();
  return id;
}

bool ThreadScheduler::Cancel(TaskId id) {
  MutexLock lock(&mu_);
  auto it = due_.find(id);
  if (it == due_.end()) return false;
  queue_.erase(std::make_pair(it->second, id));
  due_.erase(it);
  return true;
}

void ThreadScheduler::Loop() {
  mu_.Lock();
  while (!stop_) {
    if (queue_.empty()) {
      cv_.Wait(&mu_);
      continue;
    }
    const absl::Time when = queue_.begin()->first.first;
    const absl::Time now = absl::Now();
    if (when > now) {
      // Capped so a far-future (or infinite) time cannot overflow the
      // clock arithmetic inside the wait; the loop re-checks anyway.
      cv_.WaitUntil(&mu_, now + std::min(when - now, absl::Minutes(10)));
      continue;
    }
    auto node = queue_.extract(queue_.begin());
    due_.erase(node.key().second);
    mu_.Unlock();
    std::move(node.mapped())();
    mu_.Lock();
  }
  mu_.Unlock();
}

Scheduler::TaskId FakeScheduler::RunAt(absl::Time when, Task task) {
  MutexLock lock(&mu_);
  const TaskId id = next_id_++;
  queue_.emplace(std::make_pair(when, id), std::move(task));
  due_.emplace(id, when);
  return id;
}

bool FakeScheduler::Cancel(TaskId id) {
  MutexLock lock(&mu_);
  auto it = due_.find(id);
  if (it == due_.end()) return false;
  queue_.erase(std::make_pair(it->second, id));
  due_.erase(it);
  return true;
}

void FakeScheduler::AdvanceTo(absl::Time t) {
  for (;;) {
    Task task;
    {
      MutexLock lock(&mu_);
      if (queue_.empty() || queue_.begin()->first.first > t) break;
      auto node = queue_.extract(queue_.begin());
      due_.erase(node.key().second);
      // The clock reads the task's due time while it runs, as it would live.
      if (node.key().first > clock_.Now()) clock_.Set(node.key().first);
      task = std::move(node.mapped());
    }
    std::move(task)();
  }
  if (t > clock_.Now()) clock_.Set(t);
}

void FakeScheduler::AdvanceBy(absl::Duration d) { AdvanceTo(clock_.Now() + d); }

size_t FakeScheduler::pending() const {
  MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace mediagen
