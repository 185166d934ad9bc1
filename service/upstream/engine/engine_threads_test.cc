// The Engine under real threads: a transport answering on its own thread,
// retries waiting on a ThreadScheduler, and Cancel racing both. Every call
// must complete exactly once whatever wins. Mostly here for TSan.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "gtest/gtest.h"
#include "service/common/scheduler.h"
#include "service/upstream/engine/engine.h"

namespace mediagen::upstream {
namespace {

// Answers requests in order on a worker thread: every other one with 503
// (so retries happen), the rest with a media object; a cancelled call is
// answered CANCELLED.
class ThreadedTransport : public http::HttpTransport {
 public:
  ThreadedTransport() : worker_([this] { Loop(); }) {}
  ~ThreadedTransport() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  std::shared_ptr<http::HttpCall> Start(http::HttpRequest request,
                                        Done done) override {
    auto call = std::make_shared<Call>();
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back({call, std::move(done)});
    }
    cv_.notify_all();
    return call;
  }

 private:
  struct Call : http::HttpCall {
    void Cancel() override { cancelled.store(true); }
    void ResumeReceive() override {}
    std::atomic<bool> cancelled{false};
  };
  struct Pending {
    std::shared_ptr<Call> call;
    Done done;
  };

  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      Pending p = std::move(queue_.front());
      queue_.pop_front();
      const bool fail = (served_++ % 2) == 0;
      lock.unlock();
      if (p.call->cancelled.load()) {
        std::move(p.done)(absl::CancelledError("aborted"));
      } else {
        http::HttpResponse r;
        r.status = fail ? 503 : 200;
        r.body = fail ? "" : R"({"id": "m1", "processing_status": "new"})";
        std::move(p.done)(std::move(r));
      }
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  int served_ = 0;
  std::deque<Pending> queue_;
  std::thread worker_;
};

TEST(EngineThreadsTest, CancelRacingAnswersAndRetriesCompletesOnce) {
  ThreadedTransport transport;
  ThreadScheduler scheduler;
  Engine::Options options;
  options.retry_policy =
      std::make_shared<LimitedAttemptsRetryPolicy>(3, absl::Seconds(10));
  options.backoff_policy = std::make_shared<ExponentialBackoffPolicy>(
      absl::Microseconds(200), absl::Milliseconds(1), 2.0);
  Engine engine(options, &transport, &scheduler);
  CallContext ctx;
  ctx.credentials.vimmerse_api_key = "k";
  v1::GetMediaRequest request;
  request.set_name("media/m1");

  std::mutex mu;
  std::condition_variable cv;
  int completions = 0;
  int ok = 0, cancelled = 0, other = 0;
  constexpr int kCalls = 200;
  absl::BitGen gen;
  std::vector<Engine::Handle> handles;
  for (int i = 0; i < kCalls; ++i) {
    handles.push_back(
        engine.Call(ctx, request, [&](absl::StatusOr<v1::GetMediaResponse> r) {
          std::lock_guard<std::mutex> lock(mu);
          ++completions;
          if (r.ok()) {
            ++ok;
          } else if (r.status().code() == absl::StatusCode::kCancelled) {
            ++cancelled;
          } else {
            ++other;
          }
          cv.notify_all();
        }));
    // Cancel some calls at once, some a little later, some never.
    const int pick = absl::Uniform(gen, 0, 3);
    if (pick == 0) handles.back()->Cancel();
    if (pick == 1) {
      std::this_thread::yield();
      handles.back()->Cancel();
      handles.back()->Cancel();
    }
  }
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20),
                          [&] { return completions >= kCalls; }));
  EXPECT_EQ(completions, kCalls);
  EXPECT_EQ(ok + cancelled + other, kCalls);
  EXPECT_GT(ok, 0);
  lock.unlock();
  // Late cancels after completion are harmless and complete nothing again.
  for (auto& h : handles) h->Cancel();
  std::lock_guard<std::mutex> relock(mu);
  EXPECT_EQ(completions, kCalls);
}

}  // namespace
}  // namespace mediagen::upstream
