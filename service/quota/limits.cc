#include "service/quota/limits.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace mediagen::quota {
namespace {

absl::Status Bad(absl::string_view where, absl::string_view key,
                 absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("config: `", where, ".", key, "` ", why));
}

// Numbers in the file may be written 50 or 50.0; counts must be whole.
absl::StatusOr<int64_t> WholeNumber(const nlohmann::json& v,
                                    absl::string_view where,
                                    absl::string_view key, int64_t min) {
  if (!v.is_number()) return Bad(where, key, "must be a number");
  const double d = v.get<double>();
  if (d != std::floor(d) || d < static_cast<double>(min) || d > 1e15) {
    return Bad(where, key, absl::StrCat("must be a whole number >= ", min));
  }
  return static_cast<int64_t>(d);
}

}  // namespace

int64_t EffectiveBurst(const Limits& limits) {
  if (limits.burst.has_value()) return *limits.burst;
  if (!limits.requests_per_second.has_value()) return 0;
  return std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(*limits.requests_per_second)));
}

std::string DescribeRate(const Limits& limits) {
  if (!limits.requests_per_second.has_value()) return "";
  return absl::StrCat("at most ", *limits.requests_per_second,
                      " requests per second (burst ", EffectiveBurst(limits),
                      ")");
}

std::string DescribeConcurrency(const Limits& limits) {
  if (!limits.concurrent_jobs.has_value()) return "";
  return absl::StrCat("at most ", *limits.concurrent_jobs,
                      *limits.concurrent_jobs == 1 ? " job" : " jobs",
                      " in flight");
}

absl::StatusOr<Limits> LimitsFromJson(const nlohmann::json& j,
                                      absl::string_view where) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: `", where, "` must be an object"));
  }
  Limits limits;
  for (const auto& [key, value] : j.items()) {
    if (key == "requests_per_second") {
      if (!value.is_number() || !(value.get<double>() > 0) ||
          value.get<double>() > 1e9) {
        return Bad(where, key, "must be a number above 0");
      }
      limits.requests_per_second = value.get<double>();
    } else if (key == "burst") {
      absl::StatusOr<int64_t> n = WholeNumber(value, where, key, 1);
      if (!n.ok()) return n.status();
      limits.burst = *n;
    } else if (key == "concurrent_jobs") {
      absl::StatusOr<int64_t> n = WholeNumber(value, where, key, 1);
      if (!n.ok()) return n.status();
      limits.concurrent_jobs = *n;
    } else {
      return Bad(where, key, "is not a known setting");
    }
  }
  if (limits.burst.has_value() && !limits.requests_per_second.has_value()) {
    return Bad(where, "burst", "needs `requests_per_second`");
  }
  return limits;
}

}  // namespace mediagen::quota
