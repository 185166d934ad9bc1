#include "service/api/cost_estimate.h"

#include <memory>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::api {
namespace {

using ::mediagen::testing::StatusIs;

TEST(PlanCostTest, VideoRoutesAskTheEstimateRouteWithTheirApp) {
  v1::ReferenceToVideoRequest r;
  r.set_option("Grok");
  r.set_quantity(2);
  r.set_duration(10);
  r.set_prompt("a cat");
  CostPlan plan = PlanCost(quota::PriceTable{}, r);
  ASSERT_TRUE(plan.video_estimate.has_value());
  EXPECT_FALSE(plan.audio_estimate.has_value());
  EXPECT_EQ(plan.video_estimate->app_name(), "reference-to-video");
  EXPECT_EQ(plan.video_estimate->option(), "Grok");
  EXPECT_EQ(plan.video_estimate->quantity(), 2);
  EXPECT_EQ(plan.video_estimate->duration(), 10);
  EXPECT_EQ(plan.video_estimate->prompt(), "a cat");
  ASSERT_TRUE(plan.cost.has_value());
  EXPECT_EQ(plan.cost->provider, "vimmerse");
  EXPECT_EQ(plan.cost->unit, "credits");

  // Without an option of its own, the route's default tool.
  CostPlan crop = PlanCost(quota::PriceTable{}, v1::CropToAspectRatioRequest{});
  ASSERT_TRUE(crop.video_estimate.has_value());
  EXPECT_EQ(crop.video_estimate->app_name(), "edit-video");
  EXPECT_EQ(crop.video_estimate->option(), "CropToAspectRatio");

  v1::LipSyncRequest lip;
  lip.set_audio_duration(12.5);
  CostPlan l = PlanCost(quota::PriceTable{}, lip);
  EXPECT_EQ(l.video_estimate->app_name(), "lip-sync");
  EXPECT_EQ(l.video_estimate->option(), "AutoLipSync");
  EXPECT_EQ(l.video_estimate->video_duration(), 12.5);
}

TEST(PlanCostTest, AudioRoutesAskTheAudioEstimateRoute) {
  v1::TextToSpeechRequest tts;
  tts.set_prompt("hello");
  tts.set_option("ChirpTTS");
  CostPlan plan = PlanCost(quota::PriceTable{}, tts);
  ASSERT_TRUE(plan.audio_estimate.has_value());
  EXPECT_EQ(plan.audio_estimate->app_name(), "text-to-speech");
  EXPECT_EQ(plan.audio_estimate->option(), "ChirpTTS");
  EXPECT_EQ(plan.audio_estimate->prompt(), "hello");

  v1::TextToSoundEffectRequest se;
  se.set_prompt("rain");
  se.set_duration(12);
  CostPlan s = PlanCost(quota::PriceTable{}, se);
  EXPECT_EQ(s.audio_estimate->app_name(), "text-to-audio");
  EXPECT_EQ(s.audio_estimate->duration(), 12);
}

TEST(PlanCostTest, MediaIsPricedByTheTable) {
  quota::PriceTable prices;
  prices.media_credits_per_block = 7;
  v1::CreateMediaRequest r;
  EXPECT_EQ(PlanCost(prices, r).cost->amount, 7);  // 1 output, 5 s
  r.set_quantity(3);
  r.set_duration(11);  // three 5-second blocks
  CostPlan plan = PlanCost(prices, r);
  EXPECT_FALSE(plan.video_estimate.has_value());
  EXPECT_EQ(plan.cost->provider, "vimmerse");
  EXPECT_EQ(plan.cost->amount, 7 * 3 * 3);
}

TEST(PlanCostTest, UpdateMediaCostsOnlyWhenItRegenerates) {
  v1::UpdateMediaRequest edit;
  edit.set_name("media/m1");
  edit.set_title("renamed");
  EXPECT_FALSE(PlanCost(quota::PriceTable{}, edit).cost.has_value());
  v1::UpdateMediaRequest regen = edit;
  regen.set_prompt("again");
  regen.set_quantity(2);
  CostPlan plan = PlanCost(quota::PriceTable{}, regen);
  ASSERT_TRUE(plan.cost.has_value());
  EXPECT_EQ(plan.cost->amount, 20);  // without a read: 2 x one 5 s block
  // Its duration stays the media's own: read it first.
  ASSERT_TRUE(plan.media_read.has_value());
  EXPECT_EQ(plan.media_read->read.name(), "media/m1");
  EXPECT_EQ(plan.media_read->quantity, 2);
  EXPECT_FALSE(plan.media_read->duration.has_value());
  // Both given: nothing to read.
  regen.set_duration(10);
  EXPECT_FALSE(PlanCost(quota::PriceTable{}, regen).media_read.has_value());
  EXPECT_EQ(PlanCost(quota::PriceTable{}, regen).cost->amount, 40);
}

TEST(PlanCostTest, ElevenLabsCountsCharactersAndStableAudioPerGeneration) {
  v1::SynthesizeSpeechRequest speech;
  speech.set_text("h\xC3\xA9llo");  // 5 code points, 6 bytes
  CostPlan s = PlanCost(quota::PriceTable{}, speech);
  EXPECT_EQ(s.cost->provider, "elevenlabs");
  EXPECT_EQ(s.cost->unit, "characters");
  EXPECT_EQ(s.cost->amount, 5);

  quota::PriceTable prices;
  prices.sound_effect_characters = 90;
  prices.sound_effect_characters_per_second = 25;
  v1::GenerateSoundEffectRequest fx;
  EXPECT_EQ(PlanCost(prices, fx).cost->amount, 90);
  fx.set_duration_seconds(2.5);
  EXPECT_EQ(PlanCost(prices, fx).cost->amount, 75);  // 3 started seconds

  prices.stable_audio_credits_per_step = 3;
  prices.stable_audio_default_steps = 40;
  v1::GenerateAudioRequest gen;
  CostPlan a = PlanCost(prices, gen);
  EXPECT_EQ(a.cost->provider, "aimlapi");
  EXPECT_EQ(a.cost->amount, 3 * 40);
  gen.set_steps(7);
  EXPECT_EQ(PlanCost(prices, gen).cost->amount, 3 * 7);
}

ResolvedCall CallOf(quota::Limits limits) {
  auto tenant = std::make_shared<auth::Tenant>();
  tenant->name = "acme";
  tenant->limits = std::move(limits);
  ResolvedCall call;
  call.tenant = tenant;
  return call;
}

TEST(EstimateCostTest, WithoutABudgetAtTheProviderNothingIsAsked) {
  // No engine: asking would crash.
  ApiContext api;
  quota::Limits limits;
  limits.budgets.push_back({"aimlapi", "credits", 100, quota::Period::kDay});
  std::optional<absl::StatusOr<std::optional<quota::Cost>>> got;
  EstimateCost(api, CallOf(limits),
               PlanCost(quota::PriceTable{}, v1::ReframeVideoRequest{}),
               [&](absl::StatusOr<std::optional<quota::Cost>> c) { got = c; });
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok());
  ASSERT_TRUE(got->value().has_value());
  EXPECT_EQ(got->value()->provider, "vimmerse");
  EXPECT_EQ(got->value()->amount, 0);

  // A table price is known at once, budget or not.
  got.reset();
  EstimateCost(api, CallOf(limits),
               PlanCost(quota::PriceTable{}, v1::GenerateAudioRequest{}),
               [&](absl::StatusOr<std::optional<quota::Cost>> c) { got = c; });
  ASSERT_TRUE(got.has_value() && got->ok());
  EXPECT_EQ(got->value()->amount, 25200);
}

TEST(EstimateCostTest, UnavailableNamesTheReasonAndTheProvider) {
  absl::Status cause = absl::UnavailableError("connection refused");
  absl::Status s = EstimateUnavailable("vimmerse", cause);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable));
  std::optional<google::rpc::ErrorInfo> info = rpc::GetErrorInfo(s);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "COST_ESTIMATE_UNAVAILABLE");
  EXPECT_EQ(info->metadata().at("provider"), "vimmerse");
}

}  // namespace
}  // namespace mediagen::api
