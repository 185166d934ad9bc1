#include "service/api/cost_estimate.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "proto/rpc/error_details.h"
#include "service/upstream/engine/engine.h"
#include "service/upstream/providers/estimate_apps.h"
#include "service/upstream/providers/route_table.h"

namespace mediagen::api {
namespace {

quota::Cost CostAt(absl::string_view provider, double amount) {
  return {std::string(provider), std::string(quota::ProviderUnit(provider)),
          amount};
}

// The video estimate of the create `Req`, from its row of estimate_apps
// with the request's own option when it names one.
template <typename Req>
v1::EstimateVideoCreditsRequest VideoEstimate(absl::string_view option) {
  const upstream::EstimateApp* app =
      upstream::EstimateAppFor(upstream::RouteFor<Req>().rpc);
  v1::EstimateVideoCreditsRequest e;
  e.set_app_name(std::string(app->app_name));
  e.set_option(std::string(option.empty() ? app->option : option));
  return e;
}

template <typename Req>
v1::EstimateAudioCreditsRequest AudioEstimate() {
  const upstream::EstimateApp* app =
      upstream::EstimateAppFor(upstream::RouteFor<Req>().rpc);
  v1::EstimateAudioCreditsRequest e;
  e.set_app_name(std::string(app->app_name));
  e.set_option(std::string(app->option));
  return e;
}

CostPlan Video(v1::EstimateVideoCreditsRequest e) {
  CostPlan plan;
  plan.cost = CostAt("vimmerse", 0);
  plan.video_estimate = std::move(e);
  return plan;
}

CostPlan Audio(v1::EstimateAudioCreditsRequest e) {
  CostPlan plan;
  plan.cost = CostAt("vimmerse", 0);
  plan.audio_estimate = std::move(e);
  return plan;
}

CostPlan Fixed(absl::string_view provider, double amount) {
  CostPlan plan;
  plan.cost = CostAt(provider, amount);
  return plan;
}

// Media: credits per started block of seconds, per output.
double MediaCredits(double credits_per_block, double block_seconds,
                    int quantity, int seconds) {
  const double blocks =
      std::max(1.0, std::ceil(std::max(seconds, 1) / block_seconds));
  return credits_per_block * blocks * std::max(quantity, 1);
}

CostPlan Media(const quota::PriceTable& prices, int quantity, int seconds) {
  return Fixed("vimmerse",
               MediaCredits(prices.media_credits_per_block,
                            prices.media_block_seconds, quantity, seconds));
}

// Unicode code points of UTF-8 `text` (what ElevenLabs counts).
double CodePoints(absl::string_view text) {
  double n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

// The answer of an estimate route as the create's cost.
template <typename Resp>
absl::StatusOr<std::optional<quota::Cost>> FromEstimate(
    const quota::Cost& base, absl::StatusOr<Resp> answer) {
  if (!answer.ok()) return EstimateUnavailable(base.provider, answer.status());
  const double total = answer->total_credits();
  if (!std::isfinite(total) || total < 0) {
    return EstimateUnavailable(
        base.provider, absl::InternalError(absl::StrCat(
                           "the estimate route answered ", total, " credits")));
  }
  quota::Cost cost = base;
  cost.amount = total;
  return std::optional<quota::Cost>(std::move(cost));
}

}  // namespace

CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::CreateMediaRequest& r) {
  return Media(prices, r.has_quantity() ? r.quantity() : 1,
               r.has_duration() ? r.duration() : 5);
}

CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::UpdateMediaRequest& r) {
  // The fields that start a new generation (the docs: "prompt, video_tool,
  // duration, media_items, audio_option, etc."); the rest edit the record.
  const bool regenerates =
      r.has_prompt() || r.has_video_tool() || r.has_quantity() ||
      r.has_duration() || r.has_loop() || r.media_items_size() > 0 ||
      r.has_audio_option() || r.has_aspect_ratio() || r.has_pipeline_mode();
  if (!regenerates) return CostPlan{};
  // Without the media's own values (no budget: nothing is read), the
  // defaults of a create.
  CostPlan plan = Media(prices, r.has_quantity() ? r.quantity() : 1,
                        r.has_duration() ? r.duration() : 5);
  if (!r.has_quantity() || !r.has_duration()) {
    CostPlan::MediaRegeneration regen;
    regen.read.set_name(r.name());
    if (r.has_quantity()) regen.quantity = r.quantity();
    if (r.has_duration()) regen.duration = r.duration();
    regen.credits_per_block = prices.media_credits_per_block;
    regen.block_seconds = prices.media_block_seconds;
    plan.media_read = std::move(regen);
  }
  return plan;
}

CostPlan PlanCost(const quota::PriceTable&,
                  const v1::CropToAspectRatioRequest&) {
  return Video(VideoEstimate<v1::CropToAspectRatioRequest>(""));
}

CostPlan PlanCost(const quota::PriceTable&, const v1::ReframeVideoRequest& r) {
  v1::EstimateVideoCreditsRequest e =
      VideoEstimate<v1::ReframeVideoRequest>("");
  if (r.has_prompt()) e.set_prompt(r.prompt());
  return Video(std::move(e));
}

CostPlan PlanCost(const quota::PriceTable&, const v1::EnhanceVideoRequest& r) {
  return Video(VideoEstimate<v1::EnhanceVideoRequest>(r.enhance_mode()));
}

CostPlan PlanCost(const quota::PriceTable&,
                  const v1::AddSoundEffectRequest& r) {
  v1::EstimateVideoCreditsRequest e =
      VideoEstimate<v1::AddSoundEffectRequest>("");
  if (r.has_prompt()) e.set_prompt(r.prompt());
  return Video(std::move(e));
}

CostPlan PlanCost(const quota::PriceTable&, const v1::AvatarLipSyncRequest& r) {
  // Priced by the length of the script it speaks.
  v1::EstimateVideoCreditsRequest e =
      VideoEstimate<v1::AvatarLipSyncRequest>("");
  if (r.has_prompt()) e.set_prompt(r.prompt());
  return Video(std::move(e));
}

CostPlan PlanCost(const quota::PriceTable&, const v1::LipSyncRequest& r) {
  v1::EstimateVideoCreditsRequest e =
      VideoEstimate<v1::LipSyncRequest>(r.option());
  if (r.has_prompt()) e.set_prompt(r.prompt());
  if (r.has_video_duration()) {
    e.set_video_duration(r.video_duration());
  } else if (r.has_audio_duration()) {
    e.set_video_duration(r.audio_duration());
  }
  return Video(std::move(e));
}

CostPlan PlanCost(const quota::PriceTable&,
                  const v1::GenerateVideoEffectRequest& r) {
  v1::EstimateVideoCreditsRequest e =
      VideoEstimate<v1::GenerateVideoEffectRequest>(r.option());
  if (r.has_prompt()) e.set_prompt(r.prompt());
  if (r.has_quantity()) e.set_quantity(r.quantity());
  return Video(std::move(e));
}

CostPlan PlanCost(const quota::PriceTable&,
                  const v1::ReplaceBackgroundRequest& r) {
  v1::EstimateVideoCreditsRequest e =
      VideoEstimate<v1::ReplaceBackgroundRequest>("");
  if (r.has_prompt()) e.set_prompt(r.prompt());
  return Video(std::move(e));
}

CostPlan PlanCost(const quota::PriceTable&,
                  const v1::ReferenceToVideoRequest& r) {
  v1::EstimateVideoCreditsRequest e =
      VideoEstimate<v1::ReferenceToVideoRequest>(r.option());
  if (r.has_prompt()) e.set_prompt(r.prompt());
  if (r.has_quantity()) e.set_quantity(r.quantity());
  if (r.has_duration()) e.set_duration(r.duration());
  return Video(std::move(e));
}

CostPlan PlanCost(const quota::PriceTable&, const v1::VideoToVideoRequest& r) {
  v1::EstimateVideoCreditsRequest e =
      VideoEstimate<v1::VideoToVideoRequest>(r.option());
  if (r.has_prompt()) e.set_prompt(r.prompt());
  return Video(std::move(e));
}

CostPlan PlanCost(const quota::PriceTable&, const v1::AttachAudioRequest& r) {
  v1::EstimateVideoCreditsRequest e = VideoEstimate<v1::AttachAudioRequest>("");
  if (r.has_video_duration()) e.set_video_duration(r.video_duration());
  return Video(std::move(e));
}

CostPlan PlanCost(const quota::PriceTable&, const v1::TextToSpeechRequest& r) {
  v1::EstimateAudioCreditsRequest e = AudioEstimate<v1::TextToSpeechRequest>();
  if (r.has_option()) e.set_option(r.option());
  if (r.has_voice()) e.set_voice(r.voice());
  e.set_prompt(r.prompt());
  return Audio(std::move(e));
}

CostPlan PlanCost(const quota::PriceTable&,
                  const v1::TextToSoundEffectRequest& r) {
  v1::EstimateAudioCreditsRequest e =
      AudioEstimate<v1::TextToSoundEffectRequest>();
  e.set_prompt(r.prompt());
  if (r.has_duration()) e.set_duration(r.duration());
  return Audio(std::move(e));
}

CostPlan PlanCost(const quota::PriceTable&, const v1::TextToMusicRequest& r) {
  v1::EstimateAudioCreditsRequest e = AudioEstimate<v1::TextToMusicRequest>();
  e.set_prompt(r.prompt());
  return Audio(std::move(e));
}

CostPlan PlanCost(const quota::PriceTable&,
                  const v1::SynthesizeSpeechRequest& r) {
  return Fixed("elevenlabs", CodePoints(r.text()));
}

CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::GenerateSoundEffectRequest& r) {
  if (r.has_duration_seconds()) {
    return Fixed("elevenlabs", prices.sound_effect_characters_per_second *
                                   std::ceil(r.duration_seconds()));
  }
  return Fixed("elevenlabs", prices.sound_effect_characters);
}

CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::GenerateAudioRequest& r) {
  const double steps = r.has_steps() ? std::max(r.steps(), 1)
                                     : prices.stable_audio_default_steps;
  return Fixed("aimlapi",
               prices.stable_audio_credits_per_step * std::ceil(steps));
}

absl::Status EstimateUnavailable(absl::string_view provider,
                                 const absl::Status& cause) {
  absl::Status status = absl::UnavailableError(absl::StrCat(
      "the cost of this create could not be estimated, so it was not sent "
      "upstream (the tenant has a ",
      provider, " budget): ", cause.message()));
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(kCostEstimateUnavailable));
  info.set_domain("mediagen");
  (*info.mutable_metadata())["provider"] = std::string(provider);
  if (std::optional<google::rpc::ErrorInfo> upstream =
          rpc::GetErrorInfo(cause)) {
    (*info.mutable_metadata())["estimate_reason"] = upstream->reason();
  }
  rpc::SetErrorInfo(&status, info);
  return status;
}

void EstimateCost(const ApiContext& api, const ResolvedCall& call,
                  CostPlan plan, CostDone done) {
  const bool ask =
      plan.cost.has_value() &&
      (plan.video_estimate || plan.audio_estimate || plan.media_read) &&
      quota::HasBudgetAt(call.tenant->limits, plan.cost->provider);
  // Without a budget at the provider nothing needs the amount before the
  // create: 0 is reserved and Settle records what upstream reports.
  if (!ask) {
    std::move(done)(std::move(plan.cost));
    return;
  }
  // The estimate is a read (it may be retried) made with the create's own
  // credentials and deadline; its attempt shows in the create's record.
  if (plan.media_read) {
    api.engine->Call(
        call.upstream, plan.media_read->read,
        [base = *plan.cost, regen = *plan.media_read, done = std::move(done)](
            absl::StatusOr<v1::GetMediaResponse> r) mutable {
          if (!r.ok()) {
            // Updating a media that is not there fails the same way.
            std::move(done)(
                r.status().code() == absl::StatusCode::kNotFound
                    ? r.status()
                    : EstimateUnavailable(base.provider, r.status()));
            return;
          }
          const v1::PosePreset& now = r->media().pose_preset();
          quota::Cost cost = base;
          cost.amount = MediaCredits(
              regen.credits_per_block, regen.block_seconds,
              regen.quantity.value_or(now.quantity() > 0 ? now.quantity() : 1),
              regen.duration.value_or(
                  now.motion_length() > 0 ? now.motion_length() : 5));
          std::move(done)(std::optional<quota::Cost>(std::move(cost)));
        });
    return;
  }
  if (plan.video_estimate) {
    api.engine->Call(
        call.upstream, *plan.video_estimate,
        [base = *plan.cost, done = std::move(done)](
            absl::StatusOr<v1::EstimateVideoCreditsResponse> r) mutable {
          std::move(done)(FromEstimate(base, std::move(r)));
        });
    return;
  }
  api.engine->Call(
      call.upstream, *plan.audio_estimate,
      [base = *plan.cost, done = std::move(done)](
          absl::StatusOr<v1::EstimateAudioCreditsResponse> r) mutable {
        std::move(done)(FromEstimate(base, std::move(r)));
      });
}

void EstimateAndReserve(const ApiContext& api, const ResolvedCall& call,
                        CostPlan plan, quota::QuotaStore::ReserveDone done) {
  // Without a quota store nothing would use the estimate: skip the
  // estimate route's round trip.
  if (api.quota == nullptr) {
    std::move(done)(std::unique_ptr<quota::Reservation>());
    return;
  }
  EstimateCost(api, call, std::move(plan),
               [&api, call, done = std::move(done)](
                   absl::StatusOr<std::optional<quota::Cost>> cost) mutable {
                 if (!cost.ok()) {
                   std::move(done)(cost.status());
                   return;
                 }
                 ReserveForCreate(api, call, *std::move(cost),
                                  /*takes_place=*/true, std::move(done));
               });
}

}  // namespace mediagen::api
