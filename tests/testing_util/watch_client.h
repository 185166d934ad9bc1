// WatchClient: one WatchJob stream on gRPC's callback client API, so a test
// can hold hundreds or thousands of streams open without a thread each.
//
//   auto jobs = v1::JobService::NewStub(server->channel());
//   WatchClient watch(jobs.get(), "media/123", /*resume_from_version=*/0,
//                     /*bearer_token=*/"tok");
//   ASSERT_TRUE(watch.WaitDone(absl::Seconds(30)));
//   EXPECT_THAT(*watch.status(), IsOk());
//   EXPECT_EQ(watch.jobs().back().state(), v1::JOB_STATE_SUCCEEDED);
#ifndef MEDIAGEN_TESTS_TESTING_UTIL_WATCH_CLIENT_H_
#define MEDIAGEN_TESTS_TESTING_UTIL_WATCH_CLIENT_H_

#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "mediagen/v1/jobs.grpc.pb.h"

namespace mediagen::testing {

class WatchClient : public grpc::ClientReadReactor<v1::WatchJobResponse> {
 public:
  struct Event {
    absl::Time at;
    v1::WatchJobResponse message;
  };

  // Starts watching at once.
  WatchClient(v1::JobService::Stub* stub, const std::string& name,
              int64_t resume_from_version = 0,
              const std::string& bearer_token = "") {
    if (!bearer_token.empty()) {
      ctx_.AddMetadata("authorization", "Bearer " + bearer_token);
    }
    v1::WatchJobRequest req;
    req.set_name(name);
    req.set_resume_from_version(resume_from_version);
    stub->async()->WatchJob(&ctx_, &req, this);
    StartRead(&msg_);
    StartCall();
  }

  // gRPC calls this reactor, and reads its context, until OnDone: a watch
  // still open is cancelled and its end awaited here, so a test that gives
  // up on a watch (a failed WaitDone) fails instead of leaving gRPC to
  // call into a destroyed object.
  ~WatchClient() override {
    if (WaitDone(absl::ZeroDuration())) return;
    Cancel();
    if (!WaitDone(absl::Seconds(60))) {
      std::cerr << "WatchClient: no OnDone 60 s after TryCancel\n";
      std::abort();
    }
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back({absl::Now(), msg_});
      cv_.notify_all();
    }
    StartRead(&msg_);
  }

  // Notifies under the lock: a waiter that sees the status may destroy
  // this object as soon as it gets the lock, so nothing here may touch a
  // member after releasing it.
  void OnDone(const grpc::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    cv_.notify_all();
  }

  void Cancel() { ctx_.TryCancel(); }

  // Waits until the stream ended; false on timeout.
  bool WaitDone(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                        [&] { return status_.has_value(); });
  }
  // Waits until at least `n` messages arrived.
  bool WaitMessages(size_t n, absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                        [&] { return events_.size() >= n || status_.has_value(); }) &&
           events_.size() >= n;
  }

  std::vector<Event> events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  // Only the job messages (no heartbeats).
  std::vector<v1::Job> jobs() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<v1::Job> out;
    for (const auto& e : events_) {
      if (e.message.has_job()) out.push_back(e.message.job());
    }
    return out;
  }
  std::optional<grpc::Status> status() const {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  grpc::ClientContext ctx_;
  v1::WatchJobResponse msg_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
  std::optional<grpc::Status> status_;
};

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_TESTING_UTIL_WATCH_CLIENT_H_
