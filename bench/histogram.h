// Histogram: latencies in fixed memory with a bounded relative error, so a
// benchmark can record millions of calls from many threads and still report
// exact-enough percentiles (the scheme of HdrHistogram: linear sub-buckets
// inside power-of-two ranges).
//
//   bench::Histogram h;
//   h.Record(absl::Microseconds(87));
//   absl::Duration p99 = h.Percentile(99);
//
// Values are nanoseconds. Every value below 256 ns has its own bucket; above
// that a bucket spans at most 1/128 of its value, and the midpoint is
// reported, so a percentile is within 0.4 % of the true sample. Not
// thread-safe: record into one per thread, or guard it, then Merge.
#ifndef MEDIAGEN_BENCH_HISTOGRAM_H_
#define MEDIAGEN_BENCH_HISTOGRAM_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace mediagen::bench {

class Histogram {
 public:
  Histogram();

  void Record(absl::Duration value);
  void RecordNanos(uint64_t nanos);
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  // The value below which `percent` (0-100) of the samples fall; zero when
  // empty. Percentile(0) is the smallest sample's bucket, Percentile(100)
  // the largest's.
  absl::Duration Percentile(double percent) const;
  absl::Duration Mean() const;
  absl::Duration Max() const { return absl::Nanoseconds(max_); }
  absl::Duration Min() const;

  // Exposed for tests: the bucket of a value and the values it holds.
  static int BucketOf(uint64_t nanos);
  static uint64_t BucketLow(int bucket);
  static uint64_t BucketHigh(int bucket);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  long double sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace mediagen::bench

#endif  // MEDIAGEN_BENCH_HISTOGRAM_H_
