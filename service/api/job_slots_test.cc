#include "service/api/job_slots.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "mediagen/v1/video.pb.h"
#include "service/common/clock.h"
#include "service/quota/in_memory_store.h"
#include "service/upstream/providers/errors.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::api {
namespace {

using ::mediagen::testing::IsOk;

quota::Limits OneJob() {
  quota::Limits limits;
  limits.concurrent_jobs = 1;
  return limits;
}

std::unique_ptr<quota::Reservation> Reserve(
    quota::InMemoryQuotaStore& store,
    std::optional<quota::Cost> cost = std::nullopt) {
  quota::Limits limits = OneJob();
  limits.budgets.push_back({"vimmerse", "credits", 100, quota::Period::kDay});
  auto r = store.ReserveNow({"acme", limits, true, std::move(cost)});
  EXPECT_THAT(r, IsOk());
  return r.ok() ? *std::move(r) : nullptr;
}

int64_t InFlight(quota::InMemoryQuotaStore& store) {
  return store.UsageNow("acme", quota::Limits()).jobs_in_flight;
}

quota::Spend Vimmerse(quota::InMemoryQuotaStore& store) {
  quota::Limits limits;
  limits.budgets.push_back({"vimmerse", "credits", 100, quota::Period::kDay});
  return store.UsageNow("acme", limits).spend.at(0);
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
  v1::CreateMediaResponse created;
  created.mutable_media()->set_name("media/m1");
  created.mutable_media()->set_state(v1::JOB_STATE_QUEUED);
  SettleCreate(Reserve(store), created, [] {});
  EXPECT_EQ(InFlight(store), 1);

  v1::Job running;
  running.set_name("media/m1");
  running.set_state(v1::JOB_STATE_RUNNING);
  NoteJobRead(&store, "acme", "media/m1", running);
  NoteJobRead(&store, "acme", "media/m1",
              absl::UnavailableError("upstream down"));
  EXPECT_EQ(InFlight(store), 1);

  v1::Job done = running;
  done.set_state(v1::JOB_STATE_FAILED);
  NoteJobRead(&store, "acme", "media/m1", done);
  EXPECT_EQ(InFlight(store), 0);
}

TEST(JobSlotsTest, AJobGoneUpstreamFreesItsPlace) {
  FakeClock clock;
  quota::InMemoryQuotaStore store(&clock);
  v1::ReframeVideoResponse created;
  created.mutable_asset()->set_name("assets/a1");
  created.mutable_asset()->set_state(v1::JOB_STATE_RUNNING);
  SettleCreate(Reserve(store), created, [] {});
  NoteJobRead(&store, "acme", "assets/a1", absl::NotFoundError("gone"));
  EXPECT_EQ(InFlight(store), 0);
}

TEST(JobSlotsTest, AFinishedOrNamelessAnswerFreesThePlaceAtOnce) {
  FakeClock clock;
  quota::InMemoryQuotaStore store(&clock);
  v1::ReframeVideoResponse sync;  // async_mode false: answered when done
  sync.mutable_asset()->set_name("assets/a1");
  sync.mutable_asset()->set_state(v1::JOB_STATE_SUCCEEDED);
  SettleCreate(Reserve(store), sync, [] {});
  EXPECT_EQ(InFlight(store), 0);
  SettleCreate(Reserve(store), v1::ReframeVideoResponse(), [] {});
  EXPECT_EQ(InFlight(store), 0);
  int answers = 0;
  SettleCreate(nullptr, sync, [&] { ++answers; });  // no quota store
  EXPECT_EQ(answers, 1);
}

TEST(JobSlotsTest, TheReportedCostIsSpentElseTheEstimate) {
  FakeClock clock;
  quota::InMemoryQuotaStore store(&clock);
  const quota::Cost estimate{"vimmerse", "credits", 20};
  v1::ReframeVideoResponse charged;
  charged.mutable_asset()->set_name("assets/a1");
  charged.mutable_asset()->set_state(v1::JOB_STATE_SUCCEEDED);
  charged.mutable_asset()->set_credits(15);
  ASSERT_EQ(ReportedCost(charged), 15);
  SettleCreate(Reserve(store, estimate), charged, [] {});
  EXPECT_EQ(Vimmerse(store).spent_day, 15);

  v1::CreateMediaResponse silent;  // media report no credits
  silent.mutable_media()->set_name("media/m1");
  silent.mutable_media()->set_state(v1::JOB_STATE_SUCCEEDED);
  EXPECT_FALSE(ReportedCost(silent).has_value());
  SettleCreate(Reserve(store, estimate), silent, [] {});
  EXPECT_EQ(Vimmerse(store).spent_day, 35);
  EXPECT_EQ(Vimmerse(store).reserved, 0);
}

// A reservation whose store records a Hold only when told to, as a shared
// store answers later on its own thread.
class SlowReservation : public quota::Reservation {
 public:
  explicit SlowReservation(std::vector<std::string>* held,
                           std::vector<Recorded>* pending)
      : held_(held), pending_(pending) {}
  void Settle(std::optional<double>) override {}
  void Hold(const std::string& name, Recorded recorded) override {
    held_->push_back(name);
    pending_->push_back(std::move(recorded));
  }

 private:
  std::vector<std::string>* const held_;
  std::vector<Recorded>* const pending_;
};

TEST(JobSlotsTest, TheCallerIsAnsweredOnlyOnceTheJobsPlaceIsRecorded) {
  std::vector<std::string> held;
  std::vector<quota::Reservation::Recorded> pending;
  v1::CreateMediaResponse created;
  created.mutable_media()->set_name("media/m1");
  created.mutable_media()->set_state(v1::JOB_STATE_QUEUED);
  bool answered = false;
  SettleCreate(std::make_unique<SlowReservation>(&held, &pending), created,
               [&] { answered = true; });
  ASSERT_EQ(held, std::vector<std::string>{"media/m1"});
  // A replica that answered now and died would leave no record of the job.
  EXPECT_FALSE(answered);
  ASSERT_EQ(pending.size(), 1u);
  std::move(pending[0])();
  EXPECT_TRUE(answered);

  // Nothing to hold (the job has ended): answered at once.
  created.mutable_media()->set_state(v1::JOB_STATE_SUCCEEDED);
  answered = false;
  SettleCreate(std::make_unique<SlowReservation>(&held, &pending), created,
               [&] { answered = true; });
  EXPECT_TRUE(answered);
  EXPECT_EQ(held.size(), 1u);
}

TEST(JobSlotsTest, AFailedCreateSpendsTheEstimateUnlessUpstreamRefusedIt) {
  FakeClock clock;
  quota::InMemoryQuotaStore store(&clock);
  const quota::Cost estimate{"vimmerse", "credits", 20};
  // A 402 maps to FAILED_PRECONDITION with an upstream ErrorInfo: refused.
  http::HttpResponse payment_required;
  payment_required.status = 402;
  payment_required.body =
      R"({"message": "Insufficient credit", "code": "INSUFFICIENT_CREDIT"})";
  upstream::ErrorContext ctx;
  ctx.provider = v1::PROVIDER_VIMMERSE;
  absl::Status refused =
      upstream::MapHttpError(payment_required, ctx, absl::Now());
  ASSERT_TRUE(upstream::UpstreamRefused(refused)) << refused;
  SettleFailedCreate(Reserve(store, estimate), refused);
  EXPECT_EQ(Vimmerse(store).spent_day, 0);
  // A 500 or a timeout: the job may exist and be charged.
  SettleFailedCreate(Reserve(store, estimate),
                     absl::DeadlineExceededError("upstream too slow"));
  EXPECT_EQ(Vimmerse(store).spent_day, 20);
  EXPECT_EQ(Vimmerse(store).reserved, 0);
  EXPECT_EQ(InFlight(store), 0);
}

}  // namespace
}  // namespace mediagen::api
