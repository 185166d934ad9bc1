#include "service/quota/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace mediagen::quota {

TokenBucket::TokenBucket(double rate, double burst, absl::Time now)
    : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

void TokenBucket::Refill(absl::Time now) {
  if (now <= last_) return;
  tokens_ =
      std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
  last_ = now;
}

bool TokenBucket::TryTake(absl::Time now, absl::Duration* wait) {
  Refill(now);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return true;
  }
  // Rounded up to the microsecond, so a caller retrying after exactly this
  // long finds the token there.
  const double seconds = (1.0 - tokens_) / rate_;
  *wait = absl::Microseconds(std::ceil(seconds * 1e6));
  return false;
}

void TokenBucket::Reconfigure(double rate, double burst, absl::Time now) {
  Refill(now);
  rate_ = rate;
  burst_ = burst;
  tokens_ = std::min(tokens_, burst_);
}

double TokenBucket::tokens(absl::Time now) {
  Refill(now);
  return tokens_;
}

}  // namespace mediagen::quota
