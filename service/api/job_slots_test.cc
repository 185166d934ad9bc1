#include "service/api/job_slots.h"

#include "gtest/gtest.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "mediagen/v1/video.pb.h"
#include "service/common/clock.h"
#include "service/quota/in_memory_store.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::api {
namespace {

using ::mediagen::testing::IsOk;

quota::Limits OneJob() {
  quota::Limits limits;
  limits.concurrent_jobs = 1;
  return limits;
}

TEST(JobSlotsTest, JobOfResponseReadsMediaAssetsAndGenerations) {
  v1::CreateMediaResponse media;
  media.mutable_media()->set_name("media/m1");
  media.mutable_media()->set_state(v1::JOB_STATE_QUEUED);
  ASSERT_TRUE(JobOfResponse(media).has_value());
  EXPECT_EQ(JobOfResponse(media)->name(), "media/m1");

  v1::ReframeVideoResponse asset;
  asset.mutable_asset()->set_name("assets/a1");
  asset.mutable_asset()->set_state(v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(JobOfResponse(asset)->state(), v1::JOB_STATE_SUCCEEDED);

  v1::GenerateAudioResponse generation;
  generation.mutable_generation()->set_name("generations/g1");
  EXPECT_EQ(JobOfResponse(generation)->name(), "generations/g1");

  EXPECT_FALSE(JobOfResponse(v1::ReframeVideoResponse()).has_value());
}

TEST(JobSlotsTest, ARunningJobHoldsItsPlaceUntilAReadSeesItEnd) {
  FakeClock clock;
  quota::InMemoryQuotaStore store(&clock);
  auto slot = store.ReserveJob("acme", OneJob());
  ASSERT_THAT(slot, IsOk());
  v1::CreateMediaResponse created;
  created.mutable_media()->set_name("media/m1");
  created.mutable_media()->set_state(v1::JOB_STATE_QUEUED);
  HoldForJob(*std::move(slot), created);
  EXPECT_EQ(store.JobsInFlight("acme"), 1);

  v1::Job running;
  running.set_name("media/m1");
  running.set_state(v1::JOB_STATE_RUNNING);
  NoteJobRead(&store, "acme", "media/m1", running);
  NoteJobRead(&store, "acme", "media/m1",
              absl::UnavailableError("upstream down"));
  EXPECT_EQ(store.JobsInFlight("acme"), 1);

  v1::Job done = running;
  done.set_state(v1::JOB_STATE_FAILED);
  NoteJobRead(&store, "acme", "media/m1", done);
  EXPECT_EQ(store.JobsInFlight("acme"), 0);
}

TEST(JobSlotsTest, AJobGoneUpstreamFreesItsPlace) {
  FakeClock clock;
  quota::InMemoryQuotaStore store(&clock);
  auto slot = store.ReserveJob("acme", OneJob());
  v1::ReframeVideoResponse created;
  created.mutable_asset()->set_name("assets/a1");
  created.mutable_asset()->set_state(v1::JOB_STATE_RUNNING);
  HoldForJob(*std::move(slot), created);
  NoteJobRead(&store, "acme", "assets/a1", absl::NotFoundError("gone"));
  EXPECT_EQ(store.JobsInFlight("acme"), 0);
}

TEST(JobSlotsTest, AFinishedOrNamelessAnswerFreesThePlaceAtOnce) {
  FakeClock clock;
  quota::InMemoryQuotaStore store(&clock);
  v1::ReframeVideoResponse sync;  // async_mode false: answered when done
  sync.mutable_asset()->set_name("assets/a1");
  sync.mutable_asset()->set_state(v1::JOB_STATE_SUCCEEDED);
  HoldForJob(*store.ReserveJob("acme", OneJob()), sync);
  EXPECT_EQ(store.JobsInFlight("acme"), 0);
  HoldForJob(*store.ReserveJob("acme", OneJob()), v1::ReframeVideoResponse());
  EXPECT_EQ(store.JobsInFlight("acme"), 0);
  HoldForJob(nullptr, sync);  // no limit: nothing to do
}

}  // namespace
}  // namespace mediagen::api
