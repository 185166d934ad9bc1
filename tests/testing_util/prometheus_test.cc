#include "tests/testing_util/prometheus.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

TEST(ParseMetricsTest, ReadsSamplesAndSkipsComments) {
  auto m = ParseMetrics(
      "# HELP x_total things\n# TYPE x_total counter\n"
      "x_total 3\ny{method=\"a b\",code=\"OK\"} 0.25\n\nz 1e3\n");
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)["x_total"], 3);
  EXPECT_EQ((*m)["y{method=\"a b\",code=\"OK\"}"], 0.25);
  EXPECT_EQ((*m)["z"], 1000);
}

TEST(ParseMetricsTest, NamesTheBadLine) {
  EXPECT_THAT(ParseMetrics("ok 1\nbroken\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("broken")));
  EXPECT_THAT(ParseMetrics("x not-a-number\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ScrapeMetricsTest, NothingListeningIsUnavailable) {
  // Port 1 on loopback: nothing listens there in a test sandbox.
  EXPECT_THAT(ScrapeMetrics(1), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace mediagen::testing
