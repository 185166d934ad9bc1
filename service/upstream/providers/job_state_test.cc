#include "service/upstream/providers/job_state.h"

#include "gtest/gtest.h"

namespace mediagen::upstream {
namespace {

TEST(StateTest, VimmerseStatuses) {
  EXPECT_EQ(VimmerseState("new"), v1::JOB_STATE_QUEUED);
  EXPECT_EQ(VimmerseState("queue_bullet"), v1::JOB_STATE_QUEUED);
  EXPECT_EQ(VimmerseState("processing_bullet"), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(VimmerseState("success"), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(VimmerseState("fail"), v1::JOB_STATE_FAILED);
  EXPECT_EQ(VimmerseState("failed"), v1::JOB_STATE_FAILED);
  EXPECT_EQ(VimmerseState("FAIL"), v1::JOB_STATE_FAILED);
  EXPECT_EQ(VimmerseState("cancel"), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(VimmerseState("processing"), v1::JOB_STATE_RUNNING);  // unknown
  EXPECT_EQ(VimmerseState("something_new"), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(VimmerseState(""), v1::JOB_STATE_RUNNING);
}

TEST(StateTest, AimlapiStatuses) {
  EXPECT_EQ(AimlapiState("queued"), v1::JOB_STATE_QUEUED);
  EXPECT_EQ(AimlapiState("generating"), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(AimlapiState("completed"), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(AimlapiState("error"), v1::JOB_STATE_FAILED);
  EXPECT_EQ(AimlapiState("warming_up"), v1::JOB_STATE_RUNNING);
  EXPECT_TRUE(IsTerminal(v1::JOB_STATE_CANCELLED));
  EXPECT_FALSE(IsTerminal(v1::JOB_STATE_RUNNING));
}

TEST(JobTest, FromMedia) {
  v1::Media m;
  m.set_name("media/m1");
  m.set_processing_status("success");
  m.set_state(v1::JOB_STATE_SUCCEEDED);
  m.set_progress_percentage(100);
  m.add_result("https://cdn/v1.mp4");
  m.add_result("https://cdn/v2.mp4");
  m.mutable_created_at()->set_seconds(10);
  m.mutable_updated_at()->set_seconds(20);
  v1::Job j = JobFromMedia(m);
  EXPECT_EQ(j.name(), "media/m1");
  EXPECT_EQ(j.provider(), v1::PROVIDER_VIMMERSE);
  EXPECT_EQ(j.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(j.upstream_status(), "success");
  EXPECT_EQ(j.progress_percentage(), 100);
  ASSERT_EQ(j.result_urls_size(), 2);
  EXPECT_FALSE(j.has_credits());
  EXPECT_EQ(j.create_time().seconds(), 10);
  EXPECT_EQ(j.update_time().seconds(), 20);
  EXPECT_EQ(j.version(), 0);
}

TEST(JobTest, FromAssetCarriesCredits) {
  v1::Asset a;
  a.set_name("assets/a1");
  a.set_status("processing_bullet");
  a.set_state(v1::JOB_STATE_RUNNING);
  a.set_credits(8);
  v1::Job j = JobFromAsset(a);
  EXPECT_EQ(j.name(), "assets/a1");
  EXPECT_EQ(j.upstream_status(), "processing_bullet");
  EXPECT_TRUE(j.has_credits());
  EXPECT_EQ(j.credits(), 8);
  EXPECT_FALSE(j.has_progress_percentage());
}

TEST(JobTest, FromFailedGeneration) {
  v1::Generation g;
  g.set_name("generations/g1");
  g.set_status("error");
  g.set_state(v1::JOB_STATE_FAILED);
  g.set_error_name("GenerationError");
  g.set_error_message("model crashed");
  g.set_credits_used(3);
  v1::Job j = JobFromGeneration(g);
  EXPECT_EQ(j.provider(), v1::PROVIDER_AIMLAPI);
  EXPECT_EQ(j.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(j.error_message(), "GenerationError: model crashed");
  EXPECT_EQ(j.credits(), 3);
  EXPECT_EQ(j.result_urls_size(), 0);
}

}  // namespace
}  // namespace mediagen::upstream
