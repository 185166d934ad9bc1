#include "bench/histogram.h"

#include <cstdint>
#include <random>

#include "gtest/gtest.h"

namespace mediagen::bench {
namespace {

TEST(HistogramTest, BucketsTileTheRangeWithoutGapsOrOverlaps) {
  // Walk the buckets: each starts one past the previous one's end.
  uint64_t next = 0;
  for (int b = 0; b < 4000; ++b) {
    ASSERT_EQ(Histogram::BucketLow(b), next) << b;
    ASSERT_GE(Histogram::BucketHigh(b), Histogram::BucketLow(b));
    ASSERT_EQ(Histogram::BucketOf(Histogram::BucketLow(b)), b);
    ASSERT_EQ(Histogram::BucketOf(Histogram::BucketHigh(b)), b);
    next = Histogram::BucketHigh(b) + 1;
  }
  EXPECT_EQ(Histogram::BucketOf(UINT64_MAX),
            Histogram::BucketOf(UINT64_MAX - 1));
}

TEST(HistogramTest, ABucketIsNarrowerThanOneHundredTwentyEighthOfItsValue) {
  for (uint64_t v : {300ull, 1000ull, 87'000ull, 1'000'000ull,
                     12'345'678'901ull}) {
    const int b = Histogram::BucketOf(v);
    const double width = Histogram::BucketHigh(b) - Histogram::BucketLow(b);
    EXPECT_LE(width / Histogram::BucketLow(b), 1.0 / 128) << v;
  }
}

TEST(HistogramTest, PercentilesOfAUniformSampleAreWithinHalfAPercent) {
  Histogram h;
  for (int us = 1; us <= 10000; ++us) h.Record(absl::Microseconds(us));
  EXPECT_EQ(h.count(), 10000u);
  const struct {
    double p;
    double expect_us;
  } cases[] = {{50, 5000}, {90, 9000}, {99, 9900}, {99.9, 9990}, {1, 100}};
  for (const auto& c : cases) {
    const double got = absl::ToDoubleMicroseconds(h.Percentile(c.p));
    EXPECT_NEAR(got, c.expect_us, c.expect_us * 0.005) << "p" << c.p;
  }
  EXPECT_EQ(h.Min(), absl::Microseconds(1));
  EXPECT_EQ(h.Max(), absl::Microseconds(10000));
  EXPECT_NEAR(absl::ToDoubleMicroseconds(h.Mean()), 5000.5, 0.01);
  EXPECT_EQ(h.Percentile(100), absl::Microseconds(10000));
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (int i = 0; i < 9; ++i) h.RecordNanos(10);
  h.RecordNanos(200);
  EXPECT_EQ(h.Percentile(50), absl::Nanoseconds(10));
  EXPECT_EQ(h.Percentile(90), absl::Nanoseconds(10));
  EXPECT_EQ(h.Percentile(91), absl::Nanoseconds(200));
}

TEST(HistogramTest, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(11, 1.5);  // ~60 us median
  Histogram a, b, all;
  for (int i = 0; i < 20000; ++i) {
    const auto v = static_cast<uint64_t>(dist(rng));
    (i % 3 ? a : b).RecordNanos(v);
    all.RecordNanos(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  for (double p : {0.0, 10.0, 50.0, 99.0, 99.99, 100.0}) {
    EXPECT_EQ(a.Percentile(p), all.Percentile(p)) << p;
  }
  EXPECT_EQ(a.Mean(), all.Mean());
  EXPECT_EQ(a.Min(), all.Min());
  EXPECT_EQ(a.Max(), all.Max());
}

TEST(HistogramTest, EmptyAndNegative) {
  Histogram h;
  EXPECT_EQ(h.Percentile(50), absl::ZeroDuration());
  EXPECT_EQ(h.Mean(), absl::ZeroDuration());
  EXPECT_EQ(h.Min(), absl::ZeroDuration());
  h.Record(absl::Microseconds(-3));  // a clock step: counted as zero
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.Max(), absl::ZeroDuration());
}

}  // namespace
}  // namespace mediagen::bench
