// What a create is expected to spend, learned before it is sent so that the
// tenant's budget can reserve it (quota_store.h): Vimmerse's video and
// audio routes are priced by the provider's own estimate routes (the app
// of each: upstream/providers/estimate_apps.h), media, ElevenLabs and
// Stable Audio by the config's price table (quota/price_table.h).
// Uploads and reads are free.
//
//   CostPlan plan = PlanCostOf(api, reframe_request);
//   EstimateAndReserve(api, call, std::move(plan),
//       [](absl::StatusOr<std::unique_ptr<quota::Reservation>> r) {
//         if (!r.ok()) return Finish(r.status());  // nothing sent
//         ... send, then SettleCreate(*std::move(r), response,
//                                     [] { /* answer the caller */ });
//       });
//
// An estimate route is asked only when the tenant has a budget at that
// provider; otherwise the cost is 0 (Settle still records what upstream
// reports). When it cannot answer, the create is refused (fail closed:
// UNAVAILABLE, COST_ESTIMATE_UNAVAILABLE, nothing sent), so a budget is
// never exceeded because an estimate was missing.
#ifndef MEDIAGEN_SERVICE_API_COST_ESTIMATE_H_
#define MEDIAGEN_SERVICE_API_COST_ESTIMATE_H_

#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mediagen/v1/audio.pb.h"
#include "mediagen/v1/elevenlabs.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "mediagen/v1/video.pb.h"
#include "service/api/api_context.h"
#include "service/api/job_slots.h"
#include "service/quota/price_table.h"
#include "service/quota/quota_store.h"

namespace mediagen::api {

// ErrorInfo reason of a create refused because its cost could not be
// estimated (the estimate route failed).
inline constexpr absl::string_view kCostEstimateUnavailable =
    "COST_ESTIMATE_UNAVAILABLE";

// How to learn one create's cost.
struct CostPlan {
  // The cost known from the request and the price table; nullopt: free.
  // With an estimate request below, its amount is what that route answers.
  std::optional<quota::Cost> cost;
  std::optional<v1::EstimateVideoCreditsRequest> video_estimate;
  std::optional<v1::EstimateAudioCreditsRequest> audio_estimate;
  // A regenerating UpdateMedia that leaves its quantity or duration as
  // they were: the media is read first (GetMedia) and priced with its
  // own (`pose_preset`) where the request sets none.
  struct MediaRegeneration {
    v1::GetMediaRequest read;
    std::optional<int> quantity;
    std::optional<int> duration;
    double credits_per_block = 0;
    double block_seconds = 5;
  };
  std::optional<MediaRegeneration> media_read;
};

// One overload per create RPC.
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::CreateMediaRequest& r);
// Free unless it regenerates (sets a generation field); then priced with
// the request's quantity and duration, and the media's own (read first,
// when the tenant has a Vimmerse budget) for those it leaves as they were.
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::UpdateMediaRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::CropToAspectRatioRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::ReframeVideoRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::EnhanceVideoRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::AddSoundEffectRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::AvatarLipSyncRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices, const v1::LipSyncRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::GenerateVideoEffectRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::ReplaceBackgroundRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::ReferenceToVideoRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::VideoToVideoRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::AttachAudioRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::TextToSpeechRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::TextToSoundEffectRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::TextToMusicRequest& r);
// ElevenLabs bills characters: the code points of `text`.
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::SynthesizeSpeechRequest& r);
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::GenerateSoundEffectRequest& r);
// Stable Audio: per step (the docs' price), the table's default steps
// when the request sets none.
CostPlan PlanCost(const quota::PriceTable& prices,
                  const v1::GenerateAudioRequest& r);

// PlanCost with the price table in force (the defaults without one).
template <typename Req>
CostPlan PlanCostOf(const ApiContext& api, const Req& request) {
  if (api.prices == nullptr) return PlanCost(quota::PriceTable{}, request);
  return PlanCost(*api.prices->Get(), request);
}

using CostDone =
    absl::AnyInvocable<void(absl::StatusOr<std::optional<quota::Cost>>) &&>;

// Runs `plan` for `call`: `done` gets the cost (nullopt: free), or
// UNAVAILABLE with ErrorInfo COST_ESTIMATE_UNAVAILABLE when the estimate
// route failed (NOT_FOUND as GetMedia answered it for an UpdateMedia of a
// media that does not exist). It may run before this returns, or on a transport
// thread.
void EstimateCost(const ApiContext& api, const ResolvedCall& call,
                  CostPlan plan, CostDone done);

// A create's estimate (EstimateCost) and then its reservation
// (ReserveForCreate, taking a place among the tenant's jobs in flight):
// `done` gets the reservation, or the estimate's or the store's refusal.
// Nothing is reserved when the estimate fails.
void EstimateAndReserve(const ApiContext& api, const ResolvedCall& call,
                        CostPlan plan, quota::QuotaStore::ReserveDone done);

// The refusal for a create whose estimate failed with `cause`.
absl::Status EstimateUnavailable(absl::string_view provider,
                                 const absl::Status& cause);

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_COST_ESTIMATE_H_
