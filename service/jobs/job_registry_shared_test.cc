// The registry with a coordinator: three registries (replicas) share one
// FakeJobStore, as three server processes share one Redis.
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/common/scheduler.h"
#include "service/jobs/fake_job_coordinator.h"
#include "service/jobs/job_registry.h"
#include "service/jobs/job_registry_test_util.h"
#include "service/jobs/job_version.h"

namespace mediagen::jobs {
namespace {

constexpr char kTenant[] = "t";
constexpr char kJob[] = "media/m1";

class SharedRegistryTest : public ::testing::Test {
 protected:
  static JobRegistry::Options Opts() {
    JobRegistry::Options o;
    o.min_poll_interval = absl::Seconds(1);
    o.max_poll_interval = absl::Seconds(10);
    o.heartbeat_interval = absl::Seconds(15);
    return o;
  }

  struct Replica {
    std::unique_ptr<FakeJobCoordinator> coordinator;
    std::unique_ptr<JobRegistry> registry;
    std::vector<std::shared_ptr<RecordingWatcher>> watchers;
    std::vector<std::unique_ptr<JobRegistry::WatchHandle>> handles;
  };

  void SetUp() override {
    for (const char* id : {"a", "b", "c"}) {
      Replica r;
      r.coordinator = store_.Replica(id);
      r.registry =
          std::make_unique<JobRegistry>(Opts(), &sched_, r.coordinator.get());
      replicas_.push_back(std::move(r));
    }
  }
  void TearDown() override {
    for (auto& r : replicas_) {
      r.handles.clear();
      r.registry.reset();
    }
  }

  // `n` watchers on replica `i`, all reading through `up_`.
  void Watch(size_t i, int n, int64_t resume = 0) {
    for (int k = 0; k < n; ++k) {
      auto w = std::make_shared<RecordingWatcher>();
      replicas_[i].handles.push_back(
          replicas_[i].registry->Watch(kTenant, kJob, resume, up_.Fn(), w));
      replicas_[i].watchers.push_back(w);
    }
  }
  size_t Pollers() {
    size_t n = 0;
    for (auto& r : replicas_) {
      if (r.registry) n += r.registry->active_pollers();
    }
    return n;
  }
  std::vector<std::shared_ptr<RecordingWatcher>> AllWatchers() {
    std::vector<std::shared_ptr<RecordingWatcher>> all;
    for (auto& r : replicas_) {
      all.insert(all.end(), r.watchers.begin(), r.watchers.end());
    }
    return all;
  }

  FakeScheduler sched_;
  FakeJobStore store_{&sched_, absl::Seconds(2)};
  FakeUpstream up_;
  std::vector<Replica> replicas_;
};

TEST_F(SharedRegistryTest, OnePollerForWatchersOnEveryReplica) {
  for (size_t i = 0; i < 3; ++i) Watch(i, 100);
  sched_.RunDue();
  EXPECT_EQ(Pollers(), 1u);
  const int start = up_.reads;
  // Only the first replica read to get its snapshot: the others took the
  // state it published.
  EXPECT_LE(start, 3);

  for (int step = 1; step <= 5; ++step) {
    up_.Set(v1::JOB_STATE_RUNNING, "processing_bullet", step * 10);
    sched_.AdvanceBy(absl::Seconds(1));
    EXPECT_EQ(up_.reads, start + step) << "one read per interval, not three";
  }
  up_.Set(v1::JOB_STATE_SUCCEEDED, "success", 100);
  sched_.AdvanceBy(absl::Seconds(1));

  const auto all = AllWatchers();
  ASSERT_EQ(all.size(), 300u);
  for (const auto& w : all) {
    ASSERT_FALSE(w->jobs.empty());
    EXPECT_EQ(w->jobs.back().state(), v1::JOB_STATE_SUCCEEDED);
    EXPECT_EQ(w->jobs.back().version(), all[0]->jobs.back().version());
    ASSERT_EQ(w->ends.size(), 1u);
    EXPECT_TRUE(w->ends[0].ok());
    for (size_t k = 1; k < w->jobs.size(); ++k) {
      EXPECT_GT(w->jobs[k].version(), w->jobs[k - 1].version());
    }
  }
  EXPECT_EQ(Pollers(), 0u);
}

TEST_F(SharedRegistryTest, GetJobAnswersFromTheSharedStateWhileFresh) {
  Watch(0, 1);
  sched_.RunDue();
  const int reads = up_.reads;
  absl::StatusOr<v1::Job> got = absl::UnknownError("not answered");
  replicas_[1].registry->Get(kTenant, kJob, up_.Fn(),
                             [&](absl::StatusOr<v1::Job> j) { got = j; });
  sched_.RunDue();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(up_.reads, reads);
  EXPECT_EQ(got->version(), replicas_[0].watchers[0]->jobs[0].version());

  // Nobody polls it any more and the shared state ages past fresh_for:
  // replica c reads, and its answer gets the same version as the same
  // state anywhere else.
  replicas_[0].handles.clear();
  sched_.AdvanceBy(absl::Milliseconds(1500));
  const int before = up_.reads;
  replicas_[2].registry->Get(kTenant, kJob, up_.Fn(),
                             [&](absl::StatusOr<v1::Job> j) { got = j; });
  sched_.RunDue();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(up_.reads, before + 1);
  EXPECT_EQ(got->version(), store_.StoredVersion(kTenant, kJob));
  EXPECT_EQ(got->version(), replicas_[0].watchers[0]->jobs[0].version());
}

TEST_F(SharedRegistryTest, PollerHandsOverWhenItsWatchersLeave) {
  Watch(0, 1);
  sched_.RunDue();
  Watch(1, 1);
  sched_.RunDue();
  ASSERT_EQ(store_.LeaseHolder(kTenant, kJob), "a");
  replicas_[0].handles.clear();  // a's last watcher leaves
  sched_.RunDue();
  EXPECT_EQ(store_.LeaseHolder(kTenant, kJob), "b");
  EXPECT_EQ(replicas_[1].registry->active_pollers(), 1u);
  const int reads = up_.reads;
  up_.Set(v1::JOB_STATE_RUNNING, "processing_bullet", 30);
  sched_.AdvanceBy(absl::Seconds(1));
  EXPECT_GT(up_.reads, reads);
  EXPECT_EQ(replicas_[1].watchers[0]->jobs.back().progress_percentage(), 30);
}

TEST_F(SharedRegistryTest, DeadPollerIsReplacedWithinTheLeaseAndNothingIsLost) {
  Watch(0, 5);
  sched_.RunDue();
  Watch(1, 5);
  Watch(2, 5);
  sched_.RunDue();
  ASSERT_EQ(store_.LeaseHolder(kTenant, kJob), "a");

  // a dies: its lease is not released, it just stops.
  replicas_[0].coordinator->Crash();
  replicas_[0].handles.clear();
  replicas_[0].registry.reset();
  const absl::Time died = sched_.clock().Now();
  up_.Set(v1::JOB_STATE_RUNNING, "processing_bullet", 70);

  absl::Time took_over = absl::InfiniteFuture();
  for (int i = 0; i < 40 && took_over == absl::InfiniteFuture(); ++i) {
    sched_.AdvanceBy(absl::Milliseconds(100));
    const std::string holder = store_.LeaseHolder(kTenant, kJob);
    if (holder == "b" || holder == "c") took_over = sched_.clock().Now();
  }
  EXPECT_LE(took_over - died, absl::Seconds(3));
  EXPECT_EQ(Pollers(), 1u);

  up_.Set(v1::JOB_STATE_SUCCEEDED, "success", 100);
  sched_.AdvanceBy(absl::Seconds(3));
  for (size_t i = 1; i < 3; ++i) {
    for (const auto& w : replicas_[i].watchers) {
      ASSERT_FALSE(w->jobs.empty());
      EXPECT_EQ(w->jobs.back().state(), v1::JOB_STATE_SUCCEEDED);
      ASSERT_EQ(w->ends.size(), 1u);
      EXPECT_TRUE(w->ends[0].ok());
    }
  }
}

TEST_F(SharedRegistryTest, AWebhookOnAnyReplicaMakesThePollerReadNow) {
  Watch(0, 1);
  sched_.RunDue();
  Watch(2, 1);
  sched_.RunDue();
  sched_.AdvanceBy(absl::Seconds(4));  // unchanged: polls spread out
  const int reads = up_.reads;
  up_.Set(v1::JOB_STATE_SUCCEEDED, "success", 100);
  replicas_[1].registry->Poke(kTenant, kJob);  // b watches nothing
  sched_.AdvanceBy(absl::Milliseconds(1));
  EXPECT_EQ(up_.reads, reads + 1);
  ASSERT_FALSE(replicas_[2].watchers[0]->jobs.empty());
  EXPECT_EQ(replicas_[2].watchers[0]->jobs.back().state(),
            v1::JOB_STATE_SUCCEEDED);
}

TEST_F(SharedRegistryTest, StoreOutageFallsBackToLocalPollingAndBack) {
  for (size_t i = 0; i < 3; ++i) Watch(i, 2);
  sched_.RunDue();
  ASSERT_EQ(Pollers(), 1u);

  store_.SetAvailable(false);
  sched_.RunDue();
  EXPECT_EQ(Pollers(), 3u);  // every replica keeps its own watchers fed
  up_.Set(v1::JOB_STATE_RUNNING, "processing_bullet", 50);
  sched_.AdvanceBy(absl::Seconds(2));
  for (const auto& w : AllWatchers()) {
    ASSERT_FALSE(w->jobs.empty());
    EXPECT_EQ(w->jobs.back().progress_percentage(), 50);
    EXPECT_TRUE(w->ends.empty()) << "an outage ends no watch";
  }

  store_.SetAvailable(true);
  sched_.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(Pollers(), 1u);
  up_.Set(v1::JOB_STATE_SUCCEEDED, "success", 100);
  sched_.AdvanceBy(absl::Seconds(11));
  for (const auto& w : AllWatchers()) {
    EXPECT_EQ(w->jobs.back().state(), v1::JOB_STATE_SUCCEEDED);
    for (size_t k = 1; k < w->jobs.size(); ++k) {
      EXPECT_GT(w->jobs[k].version(), w->jobs[k - 1].version());
    }
    ASSERT_EQ(w->ends.size(), 1u);
    EXPECT_TRUE(w->ends[0].ok());
  }
}

TEST_F(SharedRegistryTest, ResumeOnAnotherReplicaNeverGoesBack) {
  Watch(0, 1);
  sched_.RunDue();
  up_.Set(v1::JOB_STATE_RUNNING, "processing_bullet", 80);
  sched_.AdvanceBy(absl::Seconds(1));
  const int64_t held = replicas_[0].watchers[0]->jobs.back().version();
  // a drains; the caller resumes on b.
  replicas_[0].handles.clear();
  Watch(1, 1, held);
  sched_.RunDue();
  auto resumed = replicas_[1].watchers[0];
  for (const auto& job : resumed->jobs) EXPECT_GT(job.version(), held);
  up_.Set(v1::JOB_STATE_SUCCEEDED, "success", 100);
  sched_.AdvanceBy(absl::Seconds(3));
  ASSERT_FALSE(resumed->jobs.empty());
  EXPECT_EQ(resumed->jobs.back().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_GT(resumed->jobs.back().version(), held);
}

}  // namespace
}  // namespace mediagen::jobs
