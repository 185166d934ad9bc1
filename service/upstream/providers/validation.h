// Checks every request before anything is sent upstream. A failure is
// INVALID_ARGUMENT with a google.rpc.BadRequest listing every violation;
// each `field` is the proto field path (`audio_option.narration_url`,
// `media_items[1].url`) and each description names the field and says why.
//
//   if (absl::Status s = Validate(request); !s.ok()) return s;  // nothing sent
//
// Validate runs the request's own checks (CheckFields: one overload per
// request type, each a FieldChecker run over its fields, field_checker.h),
// then the free-text rule (free_text.h) on every string field of the
// request by reflection, reported for the fields its own checks did not
// already name. A new request type needs only its CheckFields overload
// (without one, Validate does not compile); a new string field is covered
// by the free-text rule without any code.
//
// Rules (from the provider docs, as restated in the proto comments):
//   - every string field (not bytes): no C0 control character other than
//     tab, line feed and carriage return, and no DEL (free_text.h).
//   - request_id: at most 128 printable ASCII characters.
//   - required fields non-empty; resource names as resource_name.h.
//   - every URL field (`*_url`, `*_urls`, MediaItem.url): an absolute
//     http(s) URL with a host, at most 2048 bytes, printable ASCII only (no
//     whitespace, no control characters, C1 and bidi controls included:
//     anything else must be percent-encoded, as RFC 3986 requires). An
//     explicitly empty optional URL is upstream's default "" and allowed.
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
#include "google/protobuf/message.h"
#include "mediagen/v1/audio.pb.h"
#include "mediagen/v1/elevenlabs.pb.h"
#include "mediagen/v1/jobs.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "mediagen/v1/video.pb.h"
#include "service/upstream/providers/field_checker.h"  // UrlProblem, limits

namespace mediagen::upstream {

absl::Status CheckFields(const v1::CreateMediaRequest& r);
absl::Status CheckFields(const v1::GetMediaRequest& r);
absl::Status CheckFields(const v1::UpdateMediaRequest& r);

absl::Status CheckFields(const v1::UploadVideoMetadata& r);
absl::Status CheckFields(const v1::EstimateVideoCreditsRequest& r);
absl::Status CheckFields(const v1::CropToAspectRatioRequest& r);
absl::Status CheckFields(const v1::ReframeVideoRequest& r);
absl::Status CheckFields(const v1::EnhanceVideoRequest& r);
absl::Status CheckFields(const v1::AddSoundEffectRequest& r);
absl::Status CheckFields(const v1::AvatarLipSyncRequest& r);
absl::Status CheckFields(const v1::LipSyncRequest& r);
absl::Status CheckFields(const v1::GenerateVideoEffectRequest& r);
absl::Status CheckFields(const v1::ReplaceBackgroundRequest& r);
absl::Status CheckFields(const v1::ReferenceToVideoRequest& r);
absl::Status CheckFields(const v1::VideoToVideoRequest& r);
absl::Status CheckFields(const v1::AttachAudioRequest& r);

absl::Status CheckFields(const v1::UploadAudioMetadata& r);
absl::Status CheckFields(const v1::EstimateAudioCreditsRequest& r);
absl::Status CheckFields(const v1::TextToSpeechRequest& r);
absl::Status CheckFields(const v1::TextToSoundEffectRequest& r);
absl::Status CheckFields(const v1::TextToMusicRequest& r);

absl::Status CheckFields(const v1::SynthesizeSpeechRequest& r);
absl::Status CheckFields(const v1::GenerateSoundEffectRequest& r);

absl::Status CheckFields(const v1::GenerateAudioRequest& r);
absl::Status CheckFields(const v1::GetGenerationRequest& r);

absl::Status CheckFields(const v1::GetJobRequest& r);
// The name, as GetJob's (resume_from_version is the handler's to check).
absl::Status CheckFields(const v1::WatchJobRequest& r);

namespace internal {
// `own` (OK or INVALID_ARGUMENT with a BadRequest) with a violation added
// for each string field of `request` that holds a control character and
// that `own` does not name already.
absl::Status WithFreeTextRule(absl::Status own,
                              const google::protobuf::Message& request);
}  // namespace internal

// Every rule for `request`: its own (CheckFields), then the free-text rule.
// OK, or INVALID_ARGUMENT with a BadRequest naming every bad field.
template <typename Req>
absl::Status Validate(const Req& request) {
  return internal::WithFreeTextRule(CheckFields(request), request);
}

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_VALIDATION_H_
