// Test doubles for the JobRegistry's tests: upstream as the registry reads
// it (FakeUpstream) and a watcher that records what it is sent.
//
//   FakeUpstream up;
//   auto w = std::make_shared<RecordingWatcher>();
//   auto h = registry.Watch("t", "media/m1", 0, up.Fn(), w);
//   up.Set(v1::JOB_STATE_RUNNING, "processing_bullet", 40);
#ifndef MEDIAGEN_SERVICE_JOBS_JOB_REGISTRY_TEST_UTIL_H_
#define MEDIAGEN_SERVICE_JOBS_JOB_REGISTRY_TEST_UTIL_H_

#include <deque>
#include <string>
#include <vector>

#include "service/jobs/job_registry.h"

namespace mediagen::jobs {

using v1::Job;

// Upstream as the registry sees it: each read answers the current job, at
// once or (manual mode) when the test says.
class FakeUpstream {
 public:
  Job job;
  absl::Status error;  // when not OK, reads fail with it
  int reads = 0;
  bool manual = false;
  std::deque<ReadDone> pending;

  FakeUpstream() {
    job.set_name("media/m1");
    job.set_state(v1::JOB_STATE_QUEUED);
    job.set_upstream_status("new");
  }

  ReadFn Fn() {
    return [this](ReadDone done) {
      ++reads;
      if (manual) {
        pending.push_back(std::move(done));
      } else {
        Answer(std::move(done));
      }
    };
  }
  void Answer(ReadDone done) {
    if (error.ok()) {
      std::move(done)(job);
    } else {
      std::move(done)(error);
    }
  }
  void AnswerOne() {
    ReadDone done = std::move(pending.front());
    pending.pop_front();
    Answer(std::move(done));
  }
  void AnswerPending() {
    while (!pending.empty()) {
      ReadDone done = std::move(pending.front());
      pending.pop_front();
      Answer(std::move(done));
    }
  }
  void Set(v1::JobState state, const std::string& raw, int progress) {
    job.set_state(state);
    job.set_upstream_status(raw);
    job.set_progress_percentage(progress);
  }
};

class RecordingWatcher : public Watcher {
 public:
  std::vector<Job> jobs;
  std::vector<int64_t> heartbeats;
  std::vector<absl::Status> ends;
  std::vector<char> order;  // 'j', 'h', 'e'

  void OnJob(const Job& job) override {
    jobs.push_back(job);
    order.push_back('j');
  }
  void OnHeartbeat(int64_t v) override {
    heartbeats.push_back(v);
    order.push_back('h');
  }
  void OnEnd(const absl::Status& s) override {
    ends.push_back(s);
    order.push_back('e');
  }
};

}  // namespace mediagen::jobs

#endif  // MEDIAGEN_SERVICE_JOBS_JOB_REGISTRY_TEST_UTIL_H_
