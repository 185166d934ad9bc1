// WatchStream: one WatchJob stream of a benchmark (callback client): it
// remembers the version of its first job message and when a different
// version first arrived, and counts into shared WatchStats.
//
//   WatchStats stats;
//   WatchStream w(stub.get(), "media/abc", &stats);
//   WaitFor(stats.changes, 1, absl::Seconds(5));
//   absl::Duration when = w.changed_at();   // MonotonicNow() clock
//   w.Cancel();
#ifndef MEDIAGEN_BENCH_WATCH_STREAM_H_
#define MEDIAGEN_BENCH_WATCH_STREAM_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "bench/load_driver.h"
#include "grpcpp/grpcpp.h"
#include "mediagen/v1/jobs.grpc.pb.h"

namespace mediagen::bench {

struct WatchStats {
  std::atomic<int> snapshots{0};
  std::atomic<int> changes{0};
  std::atomic<int> done{0};
  std::atomic<int> not_ok{0};
};

class WatchStream : public grpc::ClientReadReactor<v1::WatchJobResponse> {
 public:
  WatchStream(v1::JobService::Stub* stub, const std::string& name,
              WatchStats* stats)
      : stats_(stats) {
    v1::WatchJobRequest req;
    req.set_name(name);
    stub->async()->WatchJob(&ctx_, &req, this);
    StartRead(&msg_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (msg_.has_job()) {
      if (first_version_ < 0) {
        first_version_ = msg_.job().version();
        stats_->snapshots.fetch_add(1);
      } else if (!changed_ && msg_.job().version() != first_version_) {
        changed_at_ = MonotonicNow();
        changed_ = true;
        stats_->changes.fetch_add(1);  // publishes changed_at_
      }
    }
    StartRead(&msg_);
  }
  void OnDone(const grpc::Status& status) override {
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
      stats_->not_ok.fetch_add(1);
    }
    stats_->done.fetch_add(1);
  }
  void Cancel() { ctx_.TryCancel(); }
  bool changed() const { return changed_; }
  absl::Duration changed_at() const { return changed_at_; }

 private:
  WatchStats* stats_;
  grpc::ClientContext ctx_;
  v1::WatchJobResponse msg_;
  int64_t first_version_ = -1;
  bool changed_ = false;
  absl::Duration changed_at_;
};

}  // namespace mediagen::bench

#endif  // MEDIAGEN_BENCH_WATCH_STREAM_H_
