#include "bench/load_driver.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace mediagen::bench {
namespace {

// A single-threaded "server": answers queued calls in order, each taking
// `service` (and one of them `stall` on top), on its own thread, so
// completions never run inside the call.
class FakeServer {
 public:
  explicit FakeServer(absl::Duration service) : service_(service) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  AsyncCall Call() {
    return [this](Done done) {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(done));
      max_queued_ = std::max<int>(max_queued_, queue_.size() + busy_);
      cv_.notify_all();
    };
  }
  // The call served `n` calls from now takes `stall` longer.
  void StallAfter(int n, absl::Duration stall) {
    std::lock_guard<std::mutex> lock(mu_);
    stall_at_ = served_ + n;
    stall_ = stall;
  }
  void FailEvery(int n) { fail_every_ = n; }
  int max_in_flight() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_queued_;
  }

 private:
  void Serve() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      Done done = std::move(queue_.front());
      queue_.pop_front();
      busy_ = 1;
      const int64_t n = served_++;
      const absl::Duration extra =
          n == stall_at_ ? stall_ : absl::ZeroDuration();
      lock.unlock();
      absl::SleepFor(service_ + extra);
      const bool ok = fail_every_ == 0 || (n + 1) % fail_every_ != 0;
      lock.lock();
      busy_ = 0;  // answered: a call the completion starts is a new one
      lock.unlock();
      std::move(done)(ok);
      lock.lock();
    }
  }

  const absl::Duration service_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Done> queue_;
  std::thread thread_;
  bool stop_ = false;
  int busy_ = 0;
  int max_queued_ = 0;
  int64_t served_ = 0;
  int64_t stall_at_ = -1;
  absl::Duration stall_;
  std::atomic<int> fail_every_{0};
};

TEST(LoadDriverTest, ClosedLoopKeepsExactlyConcurrencyCallsInFlight) {
  FakeServer server(absl::Milliseconds(2));
  LoadOptions o;
  o.concurrency = 4;
  o.warmup = absl::Milliseconds(100);
  o.duration = absl::Milliseconds(500);
  LoadResult r = RunLoad(server.Call(), o);
  EXPECT_EQ(server.max_in_flight(), 4);
  // One server at 2 ms a call: ~500 calls/s whatever the concurrency, and
  // each call waits behind the other three (~8 ms).
  EXPECT_GT(r.ok, 100u);  // sleeps overshoot on a busy machine
  EXPECT_LT(r.ok, 260u);
  EXPECT_NEAR(r.Throughput(), r.ok / 0.5, 1e-9);
  EXPECT_GT(r.latency.Percentile(50), absl::Milliseconds(6));
  EXPECT_EQ(r.latency.count(), r.ok);
  EXPECT_EQ(r.failed, 0u);
}

TEST(LoadDriverTest, FailuresAreCountedApartFromLatencies) {
  FakeServer server(absl::Milliseconds(1));
  server.FailEvery(2);
  LoadOptions o;
  o.concurrency = 1;
  o.warmup = absl::ZeroDuration();
  o.duration = absl::Milliseconds(300);
  LoadResult r = RunLoad(server.Call(), o);
  EXPECT_GT(r.failed, 20u);
  EXPECT_NEAR(static_cast<double>(r.ok), static_cast<double>(r.failed), 1.0);
  EXPECT_EQ(r.latency.count(), r.ok);
}

TEST(LoadDriverTest, OpenLoopCountsQueueingBehindAStallFromTheDueTime) {
  FakeServer server(absl::Microseconds(200));
  LoadOptions o;
  o.rate = 500;  // a call every 2 ms, 10 % utilisation
  o.warmup = absl::Milliseconds(100);
  o.duration = absl::Seconds(1);
  server.StallAfter(200, absl::Milliseconds(100));  // ~0.4 s in
  LoadResult r = RunLoad(server.Call(), o);
  // The schedule, not the server, sets the number of calls.
  EXPECT_NEAR(static_cast<double>(r.ok), 500, 1);
  // ~50 calls fell due during the stall and waited for it; a closed loop
  // would have recorded one slow call and then stopped sending.
  EXPECT_GT(r.latency.Percentile(95), absl::Milliseconds(40));
  EXPECT_GT(r.latency.Max(), absl::Milliseconds(90));
  EXPECT_LT(r.latency.Percentile(50), absl::Milliseconds(5));
}

TEST(LoadDriverTest, OpenLoopSkipsCallsBeyondMaxInFlight) {
  FakeServer server(absl::Milliseconds(20));  // 50 calls/s at most
  LoadOptions o;
  o.rate = 1000;
  o.max_in_flight = 5;
  o.warmup = absl::ZeroDuration();
  o.duration = absl::Milliseconds(300);
  LoadResult r = RunLoad(server.Call(), o);
  EXPECT_LE(server.max_in_flight(), 5);
  EXPECT_GT(r.skipped, 200u);
  EXPECT_LT(r.ok, 30u);
}

}  // namespace
}  // namespace mediagen::bench
