// Job state across providers, and the normalized mediagen.v1.Job built from
// each provider's object.
//
//   v1::JobState s = VimmerseState("queue_bullet");      // JOB_STATE_QUEUED
//   v1::Job job = JobFromMedia(media);                    // for GetJob
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_JOB_STATE_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_JOB_STATE_H_

#include "absl/strings/string_view.h"
#include "mediagen/v1/audio.pb.h"
#include "mediagen/v1/common.pb.h"
#include "mediagen/v1/jobs.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"

namespace mediagen::upstream {

// Vimmerse media `processing_status` / asset `status` (case-insensitive):
// `new`, `queue_bullet` queued; `processing_bullet` running; `success`
// succeeded; `fail` and `failed` failed; `cancel` (and `cancelled`,
// `canceled`) cancelled; anything else, empty included, still running.
v1::JobState VimmerseState(absl::string_view status);

// AIMLAPI `status`: `queued`, `generating`, `completed`, `error`; anything
// else still running.
v1::JobState AimlapiState(absl::string_view status);

// True for succeeded, failed and cancelled.
bool IsTerminal(v1::JobState state);

// The Job view of each object. `version` is left 0: the server sets it.
// Timestamps come from upstream when it gives them (Generation has none).
v1::Job JobFromMedia(const v1::Media& media);
v1::Job JobFromAsset(const v1::Asset& asset);
v1::Job JobFromGeneration(const v1::Generation& generation);

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_JOB_STATE_H_
