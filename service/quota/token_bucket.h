// TokenBucket: a request-rate limit. It holds at most `burst` tokens and
// gains `rate` tokens a second; each call takes one. A call finding none is
// told how long until the next one is due, which is what its RetryInfo says.
// Not thread-safe: the QuotaStore that owns it locks around it. Time is
// passed in, so tests drive it with a FakeClock (service/common/clock.h).
//
//   TokenBucket bucket(/*rate=*/50, /*burst=*/100, clock.Now());  // full
//   absl::Duration wait;
//   if (!bucket.TryTake(clock.Now(), &wait)) Refuse(wait);
#ifndef MEDIAGEN_SERVICE_QUOTA_TOKEN_BUCKET_H_
#define MEDIAGEN_SERVICE_QUOTA_TOKEN_BUCKET_H_

#include "absl/time/time.h"

namespace mediagen::quota {

class TokenBucket {
 public:
  // Starts full. `rate` > 0 tokens a second, `burst` >= 1.
  TokenBucket(double rate, double burst, absl::Time now);

  // Takes a token at `now` and returns true; or, when none is there,
  // returns false and sets `*wait` to the time until one is (nothing is
  // taken). Time going backwards adds nothing.
  bool TryTake(absl::Time now, absl::Duration* wait);

  // New limits (a config reload) keep the tokens held, capped at `burst`.
  void Reconfigure(double rate, double burst, absl::Time now);

  double tokens(absl::Time now);
  double rate() const { return rate_; }
  double burst() const { return burst_; }

 private:
  void Refill(absl::Time now);

  double rate_;
  double burst_;
  double tokens_;
  absl::Time last_;
};

}  // namespace mediagen::quota

#endif  // MEDIAGEN_SERVICE_QUOTA_TOKEN_BUCKET_H_
