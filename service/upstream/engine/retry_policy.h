// Retry and backoff policies, in the shape of google-cloud-cpp's: small
// objects that the engine clones per call (a prototype lives in Options)
// and asks after each failed attempt.
//
//   LimitedAttemptsRetryPolicy retry(/*max_attempts=*/4,
//                                    /*max_duration=*/absl::Seconds(30));
//   ExponentialBackoffPolicy backoff(absl::Milliseconds(200),
//                                    absl::Seconds(5), /*scaling=*/2.0);
//   auto r = retry.clone();  auto b = backoff.clone();
//   r->Start(now);
//   // after a failed attempt:
//   RetryDecision d = DecideRetry(*r, *b, route.idempotency, status, now,
//                                 request_deadline);
//   if (d.retry) scheduler.RunAfter(d.delay, next_attempt);
//
// What is retried: an idempotent call (GET media/asset/generation,
// estimate-credits) on UNAVAILABLE (5xx, unreachable upstream, garbled
// answer) and RESOURCE_EXHAUSTED (429). A call that may create something or
// spend credits (every other route, uploads included) only when
// http::RequestNotSent proves the request never left. Never past the
// request's deadline, never beyond the attempt limit or the policy's time
// budget. The wait is full-jitter exponential backoff, but at least the
// RetryInfo delay for a 429 (Retry-After, else errors.h's default) and for
// any status whose upstream sent a Retry-After.
#ifndef MEDIAGEN_SERVICE_UPSTREAM_ENGINE_RETRY_POLICY_H_
#define MEDIAGEN_SERVICE_UPSTREAM_ENGINE_RETRY_POLICY_H_

#include <functional>
#include <memory>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "service/upstream/providers/route.h"

namespace mediagen::upstream {

class RetryPolicy {
 public:
  virtual ~RetryPolicy() = default;
  // A fresh copy with no history (the prototype in Options stays unused).
  virtual std::unique_ptr<RetryPolicy> clone() const = 0;
  // Called once, when the first attempt starts.
  virtual void Start(absl::Time now) = 0;
  // Records a failed attempt; false when the policy allows no other one
  // (attempts or time used up) or `status` is not worth retrying.
  virtual bool OnFailure(const absl::Status& status, absl::Time now) = 0;
  // True once OnFailure has returned false for lack of budget.
  virtual bool IsExhausted() const = 0;
  // True for failures a retry cannot fix (regardless of idempotency).
  virtual bool IsPermanentFailure(const absl::Status& status) const = 0;
};

// At most `max_attempts` attempts in all, started within `max_duration` of
// the first. Transient: UNAVAILABLE, RESOURCE_EXHAUSTED.
class LimitedAttemptsRetryPolicy : public RetryPolicy {
 public:
  LimitedAttemptsRetryPolicy(int max_attempts, absl::Duration max_duration)
      : max_attempts_(max_attempts), max_duration_(max_duration) {}

  std::unique_ptr<RetryPolicy> clone() const override;
  void Start(absl::Time now) override;
  bool OnFailure(const absl::Status& status, absl::Time now) override;
  bool IsExhausted() const override { return exhausted_; }
  bool IsPermanentFailure(const absl::Status& status) const override;

  int max_attempts() const { return max_attempts_; }
  absl::Duration max_duration() const { return max_duration_; }

 private:
  const int max_attempts_;
  const absl::Duration max_duration_;
  int failures_ = 0;
  absl::Time start_ = absl::InfinitePast();
  bool exhausted_ = false;
};

class BackoffPolicy {
 public:
  virtual ~BackoffPolicy() = default;
  virtual std::unique_ptr<BackoffPolicy> clone() const = 0;
  // How long to wait before the next attempt; each call backs off further.
  virtual absl::Duration OnCompletion() = 0;
};

// Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
// the n-th wait (n from 0) is uniform in [0, min(maximum, initial *
// scaling^n)). `uniform01` returns values in [0, 1); by default each clone
// draws from its own absl::BitGen. Tests inject a fixed sequence.
class ExponentialBackoffPolicy : public BackoffPolicy {
 public:
  using Uniform01 = std::function<double()>;

  ExponentialBackoffPolicy(absl::Duration initial, absl::Duration maximum,
                           double scaling, Uniform01 uniform01 = nullptr);

  std::unique_ptr<BackoffPolicy> clone() const override;
  absl::Duration OnCompletion() override;

  // The jitter bound of the next wait (for tests and logs).
  absl::Duration current_ceiling() const { return current_; }

 private:
  const absl::Duration initial_;
  const absl::Duration maximum_;
  const double scaling_;
  Uniform01 uniform01_;
  absl::Duration current_;
  std::shared_ptr<absl::BitGen> own_gen_;
};

// True when repeating a call that failed with `status` cannot cause a second
// upstream effect and might succeed: see the file comment.
bool IsRetryable(const absl::Status& status, Idempotency idempotency);

struct RetryDecision {
  bool retry = false;
  absl::Duration delay = absl::ZeroDuration();
};

// Consults both policies after a failed attempt. No retry when the status
// is not retryable for `idempotency`, the retry policy says no, or the wait
// (see the file comment) would end at or after `deadline`.
RetryDecision DecideRetry(RetryPolicy& retry, BackoffPolicy& backoff,
                          Idempotency idempotency, const absl::Status& status,
                          absl::Time now, absl::Time deadline);

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_ENGINE_RETRY_POLICY_H_
