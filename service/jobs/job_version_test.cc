#include "service/jobs/job_version.h"

#include "gtest/gtest.h"

namespace mediagen::jobs {
namespace {

v1::Job Media(v1::JobState state, const char* status, int progress,
              int64_t updated_seconds) {
  v1::Job job;
  job.set_name("media/m1");
  job.set_state(state);
  job.set_upstream_status(status);
  if (progress >= 0) job.set_progress_percentage(progress);
  if (updated_seconds > 0)
    job.mutable_update_time()->set_seconds(updated_seconds);
  return job;
}

TEST(StateVersionTest, SameStateSameVersionWhoeverComputesIt) {
  v1::Job a = Media(v1::JOB_STATE_RUNNING, "processing_bullet", 40, 1743533857);
  v1::Job b = a;
  b.set_version(99);  // what a process set before does not matter
  EXPECT_EQ(StateVersion(a), StateVersion(b));
  EXPECT_GT(StateVersion(a), 0);
}

TEST(StateVersionTest, GrowsThroughALifeWhoseUpdateTimeNeverMoves) {
  // What the issue measured: Vimmerse advanced processing_status while
  // updated_at stayed put.
  const int64_t t = 1743533857;
  const v1::Job steps[] = {
      Media(v1::JOB_STATE_QUEUED, "new", -1, t),
      Media(v1::JOB_STATE_QUEUED, "queue_bullet", -1, t),
      Media(v1::JOB_STATE_RUNNING, "processing_bullet", 0, t),
      Media(v1::JOB_STATE_RUNNING, "processing_bullet", 35, t),
      Media(v1::JOB_STATE_RUNNING, "processing_bullet", 100, t),
      Media(v1::JOB_STATE_SUCCEEDED, "success", 100, t),
  };
  for (size_t i = 1; i < std::size(steps); ++i) {
    EXPECT_GT(StateVersion(steps[i]), StateVersion(steps[i - 1])) << i;
  }
  v1::Job with_results = steps[5];
  with_results.add_result_urls("https://cdn.example/v.mp4");
  EXPECT_GT(StateVersion(with_results), StateVersion(steps[5]));
  v1::Job with_credits = with_results;
  with_credits.set_credits(12);
  EXPECT_GT(StateVersion(with_credits), StateVersion(with_results));
}

TEST(StateVersionTest, ALaterUpdateTimeOutranksAnyOrdinal) {
  v1::Job done = Media(v1::JOB_STATE_SUCCEEDED, "success", 100, 1000);
  for (int i = 0; i < 4; ++i) done.add_result_urls("u");
  done.set_credits(1);
  // Restarted (UpdateMedia): back to queued, but upstream's time moved on.
  v1::Job restarted = Media(v1::JOB_STATE_QUEUED, "new", -1, 1001);
  EXPECT_GT(StateVersion(restarted), StateVersion(done));
  // A second later outranks everything within the second before.
  v1::Job a = Media(v1::JOB_STATE_RUNNING, "processing_bullet", 1, 1000);
  v1::Job b = a;
  b.mutable_update_time()->set_seconds(1001);
  b.set_state(v1::JOB_STATE_QUEUED);
  EXPECT_GT(StateVersion(b), StateVersion(a));
}

TEST(StateVersionTest, JobsWithoutTimesStillOrderByProgress) {
  // AIMLAPI generations carry no timestamps.
  v1::Job queued;
  queued.set_state(v1::JOB_STATE_QUEUED);
  queued.set_upstream_status("queued");
  v1::Job generating = queued;
  generating.set_state(v1::JOB_STATE_RUNNING);
  generating.set_upstream_status("generating");
  v1::Job completed = generating;
  completed.set_state(v1::JOB_STATE_SUCCEEDED);
  completed.set_upstream_status("completed");
  EXPECT_GT(StateVersion(queued), 0);
  EXPECT_GT(StateVersion(generating), StateVersion(queued));
  EXPECT_GT(StateVersion(completed), StateVersion(generating));
}

TEST(StateVersionTest, OutOfRangeInputsStayPositiveAndBounded) {
  v1::Job job = Media(v1::JOB_STATE_RUNNING, "x", 250, -5);
  job.mutable_update_time()->set_seconds(-100);
  EXPECT_GT(StateVersion(job), 0);
  job.mutable_update_time()->set_seconds(INT64_MAX / 1000);
  job.set_progress_percentage(-3);
  EXPECT_GT(StateVersion(job), 0);
  // Exact as a double (Redis scripts compare versions as Lua numbers).
  EXPECT_LT(StateVersion(job), int64_t{1} << 53);
}

TEST(NextVersionTest, NeverGoesBack) {
  v1::Job later = Media(v1::JOB_STATE_RUNNING, "processing_bullet", 50, 2000);
  EXPECT_EQ(NextVersion(0, later), StateVersion(later));
  EXPECT_EQ(NextVersion(StateVersion(later) - 1, later), StateVersion(later));
  // Upstream's clock went back, or a change the ordinal cannot see.
  EXPECT_EQ(NextVersion(StateVersion(later), later), StateVersion(later) + 1);
  EXPECT_EQ(NextVersion(StateVersion(later) + 7, later),
            StateVersion(later) + 8);
}

}  // namespace
}  // namespace mediagen::jobs
