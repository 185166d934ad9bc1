// Checks every request before anything is sent upstream. A failure is
// INVALID_ARGUMENT with a google.rpc.BadRequest listing every violation;
// each `field` is the proto field path (`audio_option.narration_url`,
// `media_items[1].url`) and each description names the field and says why.
//
//   if (absl::Status s = Validate(request); !s.ok()) return s;  // nothing sent
//
// Each check is a FieldChecker (field_checker.h: the rules below, one
// method each) run over the request's fields.
//
// Rules (from the provider docs, as restated in the proto comments):
//   - request_id: at most 128 printable ASCII characters.
//   - required fields non-empty; resource names as resource_name.h.
//   - every URL field (`*_url`, `*_urls`, MediaItem.url): an absolute
//     http(s) URL with a host, at most 2048 bytes, printable ASCII only (no
//     whitespace, no control characters, C1 and bidi controls included:
//     anything else must be percent-encoded, as RFC 3986 requires). An explicitly empty optional URL is upstream's default ""
//     and allowed.
//   - ranges: quantity 1-4; media duration 1-10 and loop 1-6 (v1 ranges);
//     reference-to-video duration 1-30; ElevenLabs duration_seconds 0.5-22,
//     prompt_influence and voice settings 0-1, optimize_streaming_latency
//     0-4, at most 3 pronunciation locators / previous / next request ids;
//     Stable Audio seconds_start 0-47, seconds_total 1-47, steps 1-1000;
//     durations and seconds positive; decimal strings (compression_scale,
//     chroma_tolerance, overlay_scale) in 0-1; doubles finite.
//   - aspect_ratio matches ^(\d+):(\d+)$; reframe and avatar lip-sync only
//     their documented lists.
//   - enum-like strings against the documented closed lists (voices, tools,
//     modes, output formats, ...). Lists the docs give only as examples
//     ("e.g.") are not enforced.
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_VALIDATION_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mediagen/v1/audio.pb.h"
#include "mediagen/v1/elevenlabs.pb.h"
#include "mediagen/v1/jobs.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "mediagen/v1/video.pb.h"
#include "service/upstream/providers/field_checker.h"  // UrlProblem, limits

namespace mediagen::upstream {

absl::Status Validate(const v1::CreateMediaRequest& r);
absl::Status Validate(const v1::GetMediaRequest& r);
absl::Status Validate(const v1::UpdateMediaRequest& r);

absl::Status Validate(const v1::UploadVideoMetadata& r);
absl::Status Validate(const v1::EstimateVideoCreditsRequest& r);
absl::Status Validate(const v1::CropToAspectRatioRequest& r);
absl::Status Validate(const v1::ReframeVideoRequest& r);
absl::Status Validate(const v1::EnhanceVideoRequest& r);
absl::Status Validate(const v1::AddSoundEffectRequest& r);
absl::Status Validate(const v1::AvatarLipSyncRequest& r);
absl::Status Validate(const v1::LipSyncRequest& r);
absl::Status Validate(const v1::GenerateVideoEffectRequest& r);
absl::Status Validate(const v1::ReplaceBackgroundRequest& r);
absl::Status Validate(const v1::ReferenceToVideoRequest& r);
absl::Status Validate(const v1::VideoToVideoRequest& r);
absl::Status Validate(const v1::AttachAudioRequest& r);

absl::Status Validate(const v1::UploadAudioMetadata& r);
absl::Status Validate(const v1::EstimateAudioCreditsRequest& r);
absl::Status Validate(const v1::TextToSpeechRequest& r);
absl::Status Validate(const v1::TextToSoundEffectRequest& r);
absl::Status Validate(const v1::TextToMusicRequest& r);

absl::Status Validate(const v1::SynthesizeSpeechRequest& r);
absl::Status Validate(const v1::GenerateSoundEffectRequest& r);

absl::Status Validate(const v1::GenerateAudioRequest& r);
absl::Status Validate(const v1::GetGenerationRequest& r);

absl::Status Validate(const v1::GetJobRequest& r);

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_VALIDATION_H_
