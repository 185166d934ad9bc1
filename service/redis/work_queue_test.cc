#include "service/redis/work_queue.h"

#include <poll.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace mediagen::redis::internal {
namespace {

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

QueuedCommand Command(std::string name) {
  QueuedCommand c;
  c.argv = {std::move(name)};
  return c;
}

TEST(WorkQueueTest, PushWakesTakeGetsEverythingInOrder) {
  WorkQueue queue;
  ASSERT_TRUE(queue.ok());
  EXPECT_FALSE(Readable(queue.wake_fd()));
  QueuedCommand a = Command("A"), b = Command("B");
  ASSERT_TRUE(queue.Push(a));
  ASSERT_TRUE(queue.Push(b));
  int ran = 0;
  ASSERT_TRUE(queue.Push([&ran] { ++ran; }));
  EXPECT_TRUE(Readable(queue.wake_fd()));
  queue.ConsumeWakeup();
  EXPECT_FALSE(Readable(queue.wake_fd()));

  std::vector<QueuedCommand> commands;
  std::vector<WorkQueue::Task> tasks;
  EXPECT_FALSE(queue.Take(&commands, &tasks));
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0].argv[0], "A");
  EXPECT_EQ(commands[1].argv[0], "B");
  ASSERT_EQ(tasks.size(), 1u);
  tasks[0]();
  EXPECT_EQ(ran, 1);

  // Taken: the next push wakes the loop again.
  QueuedCommand c = Command("C");
  ASSERT_TRUE(queue.Push(c));
  EXPECT_TRUE(Readable(queue.wake_fd()));
}

TEST(WorkQueueTest, StopAndClose) {
  WorkQueue queue;
  queue.RequestStop();
  EXPECT_TRUE(Readable(queue.wake_fd()));
  QueuedCommand a = Command("A");
  ASSERT_TRUE(queue.Push(a));
  std::vector<QueuedCommand> commands;
  std::vector<WorkQueue::Task> tasks;
  queue.Close(&commands, &tasks);
  EXPECT_TRUE(queue.closed());
  ASSERT_EQ(commands.size(), 1u);  // handed back, not lost

  // Closed: refused, and the caller keeps what it offered.
  QueuedCommand b = Command("B");
  EXPECT_FALSE(queue.Push(b));
  EXPECT_EQ(b.argv[0], "B");
  EXPECT_FALSE(queue.Push([] {}));
  EXPECT_TRUE(queue.Take(&commands, &tasks));
  EXPECT_TRUE(commands.empty());
}

TEST(GuardedTest, CancelFromAnotherThreadWaitsForARunningCallback) {
  WorkQueue queue;
  Guarded<int> guarded(7, &queue);
  std::atomic<bool> running{false};
  std::atomic<bool> finished{false};
  std::thread loop([&] {
    queue.set_loop_thread(std::this_thread::get_id());
    guarded.Run([&](int& v) {
      running = true;
      absl::SleepFor(absl::Milliseconds(100));
      finished = v == 7;
    });
  });
  while (!running) absl::SleepFor(absl::Milliseconds(1));
  guarded.Cancel();  // returns only once the running callback has
  EXPECT_TRUE(finished.load());
  loop.join();
  bool ran = false;
  guarded.Run([&](int&) { ran = true; });
  EXPECT_FALSE(ran);
}

TEST(GuardedTest, CancelFromInsideItsOwnCallbackOnTheLoopThread) {
  WorkQueue queue;
  queue.set_loop_thread(std::this_thread::get_id());
  Guarded<int> guarded(1, &queue);
  int calls = 0;
  guarded.Run([&](int&) {
    ++calls;
    guarded.Cancel();  // must not deadlock
  });
  guarded.Run([&](int&) { ++calls; });
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace mediagen::redis::internal
