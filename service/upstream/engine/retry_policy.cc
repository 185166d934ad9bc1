#include "service/upstream/engine/retry_policy.h"

#include <algorithm>
#include <utility>

#include "proto/rpc/error_details.h"
#include "service/http/transport.h"
#include "service/upstream/providers/errors.h"

namespace mediagen::upstream {

std::unique_ptr<RetryPolicy> LimitedAttemptsRetryPolicy::clone() const {
  return std::make_unique<LimitedAttemptsRetryPolicy>(max_attempts_,
                                                      max_duration_);
}

void LimitedAttemptsRetryPolicy::Start(absl::Time now) { start_ = now; }

bool LimitedAttemptsRetryPolicy::OnFailure(const absl::Status& status,
                                           absl::Time now) {
  ++failures_;
  if (IsPermanentFailure(status)) return false;
  if (failures_ >= max_attempts_ || now - start_ >= max_duration_) {
    exhausted_ = true;
    return false;
  }
  return true;
}

bool LimitedAttemptsRetryPolicy::IsPermanentFailure(
    const absl::Status& status) const {
  if (http::RequestNotSent(status)) return false;
  return status.code() != absl::StatusCode::kUnavailable &&
         status.code() != absl::StatusCode::kResourceExhausted;
}

ExponentialBackoffPolicy::ExponentialBackoffPolicy(absl::Duration initial,
                                                   absl::Duration maximum,
                                                   double scaling,
                                                   Uniform01 uniform01)
    : initial_(initial),
      maximum_(std::max(maximum, initial)),
      scaling_(std::max(scaling, 1.0)),
      uniform01_(std::move(uniform01)),
      current_(initial) {
  if (!uniform01_) {
    own_gen_ = std::make_shared<absl::BitGen>();
    // A clone owns its generator and is used by one call at a time.
    uniform01_ = [gen = own_gen_] { return absl::Uniform(*gen, 0.0, 1.0); };
  }
}

std::unique_ptr<BackoffPolicy> ExponentialBackoffPolicy::clone() const {
  // A default-random prototype gives each clone a generator of its own.
  return std::make_unique<ExponentialBackoffPolicy>(
      initial_, maximum_, scaling_, own_gen_ ? nullptr : uniform01_);
}

absl::Duration ExponentialBackoffPolicy::OnCompletion() {
  const absl::Duration ceiling = current_;
  current_ = std::min(maximum_, current_ * scaling_);
  const double u = std::clamp(uniform01_(), 0.0, 1.0);
  return ceiling * u;
}

bool IsRetryable(const absl::Status& status, Idempotency idempotency) {
  if (status.ok()) return false;
  if (http::RequestNotSent(status)) return true;
  if (idempotency == Idempotency::kNonIdempotent) return false;
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kResourceExhausted;
}

RetryDecision DecideRetry(RetryPolicy& retry, BackoffPolicy& backoff,
                          Idempotency idempotency, const absl::Status& status,
                          absl::Time now, absl::Time deadline) {
  if (!IsRetryable(status, idempotency)) return {};
  if (!retry.OnFailure(status, now)) return {};
  absl::Duration delay = backoff.OnCompletion();
  // A rate limit is waited out (Retry-After, else the RetryInfo default);
  // other failures wait longer than the backoff only when upstream said so.
  std::optional<google::rpc::ErrorInfo> info = rpc::GetErrorInfo(status);
  const bool upstream_asked =
      info.has_value() && info->metadata().count("retry_after") > 0;
  if (status.code() == absl::StatusCode::kResourceExhausted || upstream_asked) {
    if (std::optional<absl::Duration> asked = rpc::RetryDelay(status)) {
      delay = std::max(delay, *asked);
    }
  }
  if (now + delay >= deadline) return {};
  return {true, delay};
}

}  // namespace mediagen::upstream
