#include "service/upstream/engine/retry_policy.h"

#include <deque>
#include <vector>

#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "service/http/transport.h"
#include "service/upstream/providers/errors.h"

namespace mediagen::upstream {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

ExponentialBackoffPolicy::Uniform01 Sequence(std::vector<double> values) {
  auto q = std::make_shared<std::deque<double>>(values.begin(), values.end());
  return [q] {
    double v = q->empty() ? 0.5 : q->front();
    if (!q->empty()) q->pop_front();
    return v;
  };
}

TEST(IsRetryableTest, ReadsRetryTransientFailuresOnly) {
  const auto idem = Idempotency::kIdempotent;
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("503"), idem));
  EXPECT_TRUE(IsRetryable(absl::ResourceExhaustedError("429"), idem));
  EXPECT_FALSE(IsRetryable(absl::InvalidArgumentError("400"), idem));
  EXPECT_FALSE(IsRetryable(absl::NotFoundError("404"), idem));
  EXPECT_FALSE(IsRetryable(absl::DeadlineExceededError("late"), idem));
  EXPECT_FALSE(IsRetryable(absl::CancelledError("c"), idem));
  EXPECT_FALSE(IsRetryable(absl::OkStatus(), idem));
}

TEST(IsRetryableTest, CreatesRetryOnlyWhenProvablyNotSent) {
  const auto create = Idempotency::kNonIdempotent;
  EXPECT_FALSE(IsRetryable(absl::UnavailableError("reset"), create));
  EXPECT_FALSE(IsRetryable(absl::ResourceExhaustedError("429"), create));
  EXPECT_FALSE(IsRetryable(absl::DeadlineExceededError("timeout"), create));
  EXPECT_TRUE(IsRetryable(
      http::MarkNotSent(absl::UnavailableError("connection refused")), create));
}

TEST(LimitedAttemptsRetryPolicyTest, CountsAttemptsAndTime) {
  LimitedAttemptsRetryPolicy prototype(3, absl::Seconds(10));
  auto p = prototype.clone();
  p->Start(kT0);
  const absl::Status u = absl::UnavailableError("x");
  EXPECT_TRUE(p->OnFailure(u, kT0));                     // 1 failed, 2nd ok
  EXPECT_TRUE(p->OnFailure(u, kT0 + absl::Seconds(1)));  // 2 failed, 3rd ok
  EXPECT_FALSE(p->OnFailure(u, kT0 + absl::Seconds(2)));
  EXPECT_TRUE(p->IsExhausted());

  auto timed = prototype.clone();  // a clone starts fresh
  timed->Start(kT0);
  EXPECT_FALSE(timed->IsExhausted());
  EXPECT_FALSE(timed->OnFailure(u, kT0 + absl::Seconds(10)));
  EXPECT_TRUE(timed->IsExhausted());

  auto permanent = prototype.clone();
  permanent->Start(kT0);
  EXPECT_FALSE(permanent->OnFailure(absl::NotFoundError("x"), kT0));
  EXPECT_FALSE(permanent->IsExhausted());
}

TEST(ExponentialBackoffPolicyTest, FullJitterWithinGrowingBounds) {
  ExponentialBackoffPolicy b(absl::Seconds(1), absl::Seconds(5), 2.0,
                             Sequence({0.0, 0.5, 0.999, 1.0, 0.25}));
  EXPECT_EQ(b.OnCompletion(), absl::ZeroDuration());      // [0, 1s)
  EXPECT_EQ(b.OnCompletion(), absl::Seconds(1));          // [0, 2s)
  EXPECT_EQ(b.OnCompletion(), absl::Seconds(4) * 0.999);  // [0, 4s)
  EXPECT_EQ(b.OnCompletion(), absl::Seconds(5));          // capped at 5s
  EXPECT_EQ(b.OnCompletion(), absl::Seconds(5) * 0.25);
}

TEST(ExponentialBackoffPolicyTest, DefaultRandomStaysInBounds) {
  ExponentialBackoffPolicy prototype(absl::Milliseconds(100), absl::Seconds(2),
                                     2.0);
  for (int run = 0; run < 50; ++run) {
    auto b = prototype.clone();
    absl::Duration ceiling = absl::Milliseconds(100);
    for (int i = 0; i < 8; ++i) {
      const absl::Duration d = b->OnCompletion();
      EXPECT_GE(d, absl::ZeroDuration());
      EXPECT_LE(d, ceiling);
      ceiling = std::min(ceiling * 2, absl::Seconds(2));
    }
  }
}

TEST(DecideRetryTest, HonoursRateLimitsAndDeadline) {
  LimitedAttemptsRetryPolicy retry(10, absl::Minutes(5));
  retry.Start(kT0);
  ExponentialBackoffPolicy backoff(absl::Seconds(1), absl::Seconds(8), 2.0,
                                   Sequence({0.5, 0.5, 0.5, 0.5}));
  absl::Status limited = absl::ResourceExhaustedError("429");
  rpc::SetRetryInfo(&limited, absl::Seconds(5));
  RetryDecision d = DecideRetry(retry, backoff, Idempotency::kIdempotent,
                                limited, kT0, kT0 + absl::Minutes(1));
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, absl::Seconds(5));  // not the 0.5 s backoff

  absl::Status unavailable = absl::UnavailableError("503");
  rpc::SetRetryInfo(&unavailable, absl::Seconds(30));  // our default hint only
  d = DecideRetry(retry, backoff, Idempotency::kIdempotent, unavailable, kT0,
                  kT0 + absl::Minutes(1));
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, absl::Seconds(1));  // 0.5 * 2 s

  d = DecideRetry(retry, backoff, Idempotency::kIdempotent, unavailable, kT0,
                  kT0 + absl::Seconds(2));  // 0.5 * 4 s = 2 s: ends at deadline
  EXPECT_FALSE(d.retry);

  d = DecideRetry(retry, backoff, Idempotency::kNonIdempotent, unavailable, kT0,
                  kT0 + absl::Minutes(1));
  EXPECT_FALSE(d.retry);
}

}  // namespace
}  // namespace mediagen::upstream
