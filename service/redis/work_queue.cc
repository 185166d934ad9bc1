#include "service/redis/work_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "service/common/mutex.h"

namespace mediagen::redis::internal {

WorkQueue::WorkQueue() : wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

WorkQueue::~WorkQueue() {
  if (wake_fd_ >= 0) close(wake_fd_);
}

bool WorkQueue::Push(QueuedCommand& command) {
  mu_.Lock();
  if (closed_) {
    mu_.Unlock();
    return false;
  }
  // Only the first item after a Take needs a wakeup: the loop takes all.
  const bool wake = commands_.empty() && tasks_.empty();
  commands_.push_back(std::move(command));
  mu_.Unlock();
  if (wake) Wake();
  return true;
}

bool WorkQueue::Push(Task task) {
  mu_.Lock();
  if (closed_) {
    mu_.Unlock();
    return false;
  }
  const bool wake = commands_.empty() && tasks_.empty();
  tasks_.push_back(std::move(task));
  mu_.Unlock();
  if (wake) Wake();
  return true;
}

void WorkQueue::RequestStop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  Wake();
}

bool WorkQueue::Take(std::vector<QueuedCommand>* commands,
                     std::vector<Task>* tasks) {
  MutexLock lock(&mu_);
  commands->swap(commands_);
  tasks->swap(tasks_);
  return stop_;
}

void WorkQueue::ConsumeWakeup() {
  uint64_t count;
  // EAGAIN: nothing to consume (the wakeup was already taken).
  if (read(wake_fd_, &count, sizeof(count)) < 0) return;
}

void WorkQueue::Close(std::vector<QueuedCommand>* commands,
                      std::vector<Task>* tasks) {
  MutexLock lock(&mu_);
  closed_ = true;
  commands->swap(commands_);
  tasks->swap(tasks_);
}

bool WorkQueue::closed() {
  MutexLock lock(&mu_);
  return closed_;
}

void WorkQueue::Wake() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  // EAGAIN: the counter is saturated, so the loop is awake anyway.
  if (write(wake_fd_, &one, sizeof(one)) < 0) return;
}

}  // namespace mediagen::redis::internal
