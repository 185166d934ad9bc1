#include "service/jobs/job_version.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"

namespace mediagen::jobs {
namespace {

constexpr int64_t kOrdinalSpan = 1000000;
// The largest update time (s) whose versions stay below 2^53, the largest
// integer a double (a Lua number in Redis) holds exactly.
constexpr int64_t kMaxSeconds = (int64_t{1} << 53) / kOrdinalSpan - 1;

int64_t Rank(v1::JobState state) {
  switch (state) {
    case v1::JOB_STATE_QUEUED:
      return 1;
    case v1::JOB_STATE_SUCCEEDED:
    case v1::JOB_STATE_FAILED:
    case v1::JOB_STATE_CANCELLED:
      return 3;
    default:
      return 2;  // running, or a state upstream did not name
  }
}

// Statuses that share a rank but come one after the other: Vimmerse's
// `new` precedes `queue_bullet`. Every other status is step 0.
int64_t Step(const std::string& upstream_status) {
  const std::string s = absl::AsciiStrToLower(upstream_status);
  if (s == "queue_bullet") return 1;
  return 0;
}

int64_t UpdateSeconds(const v1::Job& job) {
  if (!job.has_update_time()) return 0;
  return std::clamp<int64_t>(job.update_time().seconds(), 0, kMaxSeconds);
}

}  // namespace

int64_t StateVersion(const v1::Job& job) {
  const int64_t progress =
      job.has_progress_percentage()
          ? std::clamp<int64_t>(job.progress_percentage(), 0, 100)
          : 0;
  const int64_t late = std::min<int64_t>(job.result_urls_size(), 4) +
                       (job.has_credits() ? 5 : 0);
  const int64_t ordinal = Rank(job.state()) * 100000 +
                          Step(job.upstream_status()) * 10000 + progress * 10 +
                          late;
  return UpdateSeconds(job) * kOrdinalSpan + ordinal;
}

int64_t NextVersion(int64_t previous, const v1::Job& job) {
  const int64_t v = StateVersion(job);
  return v > previous ? v : previous + 1;
}

}  // namespace mediagen::jobs
