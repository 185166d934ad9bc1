#include "bench/histogram.h"

#include <algorithm>
#include <cmath>

namespace mediagen::bench {
namespace {

// 256 linear buckets for 0-255 ns, then 128 per power of two: the value
// shifted right until it fits in 8 bits picks one of the upper 128.
constexpr int kLinear = 256;
constexpr int kHalf = 128;
// Shifts up to 55 cover every uint64_t.
constexpr int kBuckets = kLinear + 56 * kHalf;

int HighestBit(uint64_t v) { return 63 - __builtin_clzll(v); }

}  // namespace

Histogram::Histogram() : counts_(kBuckets, 0) {}

int Histogram::BucketOf(uint64_t nanos) {
  if (nanos < kLinear) return static_cast<int>(nanos);
  const int shift = HighestBit(nanos) - 7;  // nanos >> shift is in [128, 255]
  return kLinear + (shift - 1) * kHalf +
         static_cast<int>((nanos >> shift) - kHalf);
}

uint64_t Histogram::BucketLow(int bucket) {
  if (bucket < kLinear) return bucket;
  const int shift = (bucket - kLinear) / kHalf + 1;
  const uint64_t mantissa = (bucket - kLinear) % kHalf + kHalf;
  return mantissa << shift;
}

uint64_t Histogram::BucketHigh(int bucket) {
  if (bucket < kLinear) return bucket;
  const int shift = (bucket - kLinear) / kHalf + 1;
  const uint64_t mantissa = (bucket - kLinear) % kHalf + kHalf;
  return ((mantissa + 1) << shift) - 1;
}

void Histogram::Record(absl::Duration value) {
  const int64_t nanos = absl::ToInt64Nanoseconds(value);
  RecordNanos(nanos < 0 ? 0 : static_cast<uint64_t>(nanos));
}

void Histogram::RecordNanos(uint64_t nanos) {
  ++counts_[BucketOf(nanos)];
  ++count_;
  sum_ += nanos;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
}

void Histogram::Merge(const Histogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

absl::Duration Histogram::Percentile(double percent) const {
  if (count_ == 0) return absl::ZeroDuration();
  percent = std::clamp(percent, 0.0, 100.0);
  // The rank of the sample asked for, 1-based: p50 of 10 samples is the 5th.
  const uint64_t rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(percent / 100.0 * count_)));
  if (rank >= count_) return absl::Nanoseconds(max_);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      // The midpoint, kept inside what was actually recorded.
      const uint64_t mid = BucketLow(i) + (BucketHigh(i) - BucketLow(i)) / 2;
      return absl::Nanoseconds(std::clamp(mid, min_, max_));
    }
  }
  return absl::Nanoseconds(max_);
}

absl::Duration Histogram::Mean() const {
  if (count_ == 0) return absl::ZeroDuration();
  return absl::Nanoseconds(static_cast<int64_t>(sum_ / count_));
}

absl::Duration Histogram::Min() const {
  return count_ == 0 ? absl::ZeroDuration() : absl::Nanoseconds(min_);
}

}  // namespace mediagen::bench
