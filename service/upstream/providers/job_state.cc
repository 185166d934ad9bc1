#include "service/upstream/providers/job_state.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mediagen::upstream {

v1::JobState VimmerseState(absl::string_view status) {
  const std::string s =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(status));
  if (s == "new" || s == "queue_bullet") return v1::JOB_STATE_QUEUED;
  if (s == "processing_bullet") return v1::JOB_STATE_RUNNING;
  if (s == "success") return v1::JOB_STATE_SUCCEEDED;
  if (s == "fail" || s == "failed") return v1::JOB_STATE_FAILED;
  if (s == "cancel" || s == "cancelled" || s == "canceled") {
    return v1::JOB_STATE_CANCELLED;
  }
  return v1::JOB_STATE_RUNNING;
}

v1::JobState AimlapiState(absl::string_view status) {
  const std::string s =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(status));
  if (s == "queued") return v1::JOB_STATE_QUEUED;
  if (s == "generating") return v1::JOB_STATE_RUNNING;
  if (s == "completed") return v1::JOB_STATE_SUCCEEDED;
  if (s == "error") return v1::JOB_STATE_FAILED;
  return v1::JOB_STATE_RUNNING;
}

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

v1::Job JobFromMedia(const v1::Media& media) {
  v1::Job job;
  job.set_name(media.name());
  job.set_provider(v1::PROVIDER_VIMMERSE);
  job.set_state(media.state());
  job.set_upstream_status(media.processing_status());
  if (media.has_progress_percentage()) {
    job.set_progress_percentage(media.progress_percentage());
  }
  *job.mutable_result_urls() = media.result();
  if (media.has_created_at()) *job.mutable_create_time() = media.created_at();
  if (media.has_updated_at()) *job.mutable_update_time() = media.updated_at();
  return job;
}

v1::Job JobFromAsset(const v1::Asset& asset) {
  v1::Job job;
  job.set_name(asset.name());
  job.set_provider(v1::PROVIDER_VIMMERSE);
  job.set_state(asset.state());
  job.set_upstream_status(asset.status());
  if (asset.has_progress_percentage()) {
    job.set_progress_percentage(asset.progress_percentage());
  }
  *job.mutable_result_urls() = asset.results();
  // Asset.credits has no presence, so 0 cannot be told from "not reported";
  // the Job then says nothing rather than claiming the job was free.
  if (asset.credits() != 0) job.set_credits(asset.credits());
  if (asset.has_created_at()) *job.mutable_create_time() = asset.created_at();
  if (asset.has_updated_at()) *job.mutable_update_time() = asset.updated_at();
  return job;
}

v1::Job JobFromGeneration(const v1::Generation& generation) {
  v1::Job job;
  job.set_name(generation.name());
  job.set_provider(v1::PROVIDER_AIMLAPI);
  job.set_state(generation.state());
  job.set_upstream_status(generation.status());
  if (!generation.audio_file().url().empty()) {
    job.add_result_urls(generation.audio_file().url());
  }
  if (generation.has_credits_used()) {
    job.set_credits(generation.credits_used());
  }
  if (!generation.error_name().empty() && !generation.error_message().empty()) {
    job.set_error_message(absl::StrCat(generation.error_name(), ": ",
                                       generation.error_message()));
  } else {
    job.set_error_message(generation.error_message().empty()
                              ? generation.error_name()
                              : generation.error_message());
  }
  return job;
}

}  // namespace mediagen::upstream
