#include "service/common/scheduler.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace mediagen {
namespace {

TEST(FakeSchedulerTest, RunsTasksInTimeOrderWhenAdvanced) {
  FakeScheduler s;
  std::vector<int> ran;
  s.RunAfter(absl::Seconds(2), [&] { ran.push_back(2); });
  s.RunAfter(absl::Seconds(1), [&] { ran.push_back(1); });
  s.RunAfter(absl::Seconds(5), [&] { ran.push_back(5); });
  s.AdvanceBy(absl::Seconds(2));
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ(s.pending(), 1u);
  s.AdvanceBy(absl::Seconds(3));
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 5}));
}

TEST(FakeSchedulerTest, ClockReadsDueTimeInsideTaskAndChainedTasksRun) {
  FakeScheduler s;
  const absl::Time start = s.clock().Now();
  absl::Time seen;
  int chained = 0;
  s.RunAfter(absl::Seconds(1), [&] {
    seen = s.clock().Now();
    s.RunAfter(absl::Seconds(1), [&] { ++chained; });
  });
  s.AdvanceBy(absl::Seconds(10));
  EXPECT_EQ(seen, start + absl::Seconds(1));
  EXPECT_EQ(chained, 1);
  EXPECT_EQ(s.clock().Now(), start + absl::Seconds(10));
}

TEST(FakeSchedulerTest, CancelledTaskNeverRuns) {
  FakeScheduler s;
  bool ran = false;
  auto id = s.RunAfter(absl::Seconds(1), [&] { ran = true; });
  EXPECT_TRUE(s.Cancel(id));
  EXPECT_FALSE(s.Cancel(id));
  s.AdvanceBy(absl::Seconds(2));
  EXPECT_FALSE(ran);
}

TEST(ThreadSchedulerTest, RunsInOrderOnItsThreadAndCancels) {
  ThreadScheduler s;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> ran;
  auto record = [&](int v) {
    return [&, v] {
      std::lock_guard<std::mutex> lock(mu);
      ran.push_back(v);
      cv.notify_all();
    };
  };
  s.RunAfter(absl::Milliseconds(60), record(3));
  s.RunAfter(absl::Milliseconds(20), record(1));
  auto cancelled = s.RunAfter(absl::Milliseconds(40), record(99));
  s.RunAfter(absl::Milliseconds(40), record(2));
  EXPECT_TRUE(s.Cancel(cancelled));
  // A far-future task must not keep the loop from serving earlier ones.
  s.RunAt(absl::InfiniteFuture(), record(100));

  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5),
                          [&] { return ran.size() >= 3; }));
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
}

TEST(ThreadSchedulerTest, StopDropsPendingAndLaterTasks) {
  ThreadScheduler s;
  std::atomic<int> ran{0};
  s.RunAfter(absl::Hours(1), [&] { ++ran; });
  s.Stop();
  s.RunAfter(absl::ZeroDuration(), [&] { ++ran; });
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(ran.load(), 0);
}

TEST(ThreadSchedulerTest, DoesNotRunEarly) {
  ThreadScheduler s;
  std::atomic<bool> ran{false};
  const absl::Time due = absl::Now() + absl::Milliseconds(50);
  std::atomic<int64_t> ran_at{0};
  s.RunAt(due, [&] {
    ran_at = absl::ToUnixNanos(absl::Now());
    ran = true;
  });
  while (!ran) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_GE(ran_at.load(), absl::ToUnixNanos(due));
}

}  // namespace
}  // namespace mediagen
