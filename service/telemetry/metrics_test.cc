#include "service/telemetry/metrics.h"

#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagen::telemetry {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, CountersRenderWithHelpTypeAndSortedLabels) {
  MetricsRegistry m;
  auto* rpcs = m.AddCounter("rpcs_total", "RPCs handled.", {"method", "code"});
  rpcs->With({"b/Get", "OK"})->Increment(2);
  rpcs->With({"a/Create", "UNAVAILABLE"})->Increment();
  rpcs->With({"b/Get", "OK"})->Increment();
  EXPECT_EQ(m.Render(),
            "# HELP rpcs_total RPCs handled.\n"
            "# TYPE rpcs_total counter\n"
            "rpcs_total{method=\"a/Create\",code=\"UNAVAILABLE\"} 1\n"
            "rpcs_total{method=\"b/Get\",code=\"OK\"} 3\n");
}

TEST(MetricsTest, TheSameLabelsGiveTheSameSeries) {
  MetricsRegistry m;
  auto* f = m.AddGauge("open", "Open things.", {"kind"});
  Gauge* a = f->With({"watch"});
  EXPECT_EQ(a, f->With({"watch"}));
  EXPECT_NE(a, f->With({"upload"}));
  a->Add(3);
  a->Add(-1);
  EXPECT_EQ(a->value(), 2);
  EXPECT_THAT(m.Render(), HasSubstr("open{kind=\"watch\"} 2\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  MetricsRegistry m;
  auto* h = m.AddHistogram("latency_seconds", "Latency.", {"route"},
                           {0.1, 1});
  Histogram* s = h->With({"GET /v2/media/{id}"});
  s->Observe(0.05);
  s->Observe(0.1);  // on a bound: counted in that bucket (le is <=)
  s->Observe(0.5);
  s->Observe(7);
  const std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE latency_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr(
      "latency_seconds_bucket{route=\"GET /v2/media/{id}\",le=\"0.1\"} 2\n"
      "latency_seconds_bucket{route=\"GET /v2/media/{id}\",le=\"1\"} 3\n"
      "latency_seconds_bucket{route=\"GET /v2/media/{id}\",le=\"+Inf\"} 4\n"
      "latency_seconds_sum{route=\"GET /v2/media/{id}\"} 7.65\n"
      "latency_seconds_count{route=\"GET /v2/media/{id}\"} 4\n"));
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  MetricsRegistry m;
  m.AddCounter("c", "Help with a \\ and a\nnewline.", {"l"})
      ->With({"x\"y"})
      ->Increment();
  EXPECT_EQ(m.Render(),
            "# HELP c Help with a \\\\ and a\\nnewline.\n"
            "# TYPE c counter\n"
            "c{l=\"x\\\"y\"} 1\n");
}

TEST(MetricsTest, CallbacksAreReadAtEachRender) {
  MetricsRegistry m;
  int pollers = 3;
  m.AddCallback("pollers", "Active pollers.", "gauge",
                [&] { return static_cast<double>(pollers); });
  EXPECT_THAT(m.Render(), HasSubstr("pollers 3\n"));
  pollers = 5;
  EXPECT_THAT(m.Render(), HasSubstr("pollers 5\n"));
}

TEST(MetricsTest, UnlabelledSeriesHaveNoBraces) {
  MetricsRegistry m;
  m.AddCounter("webhooks_total", "Webhooks.")->With({})->Increment(4);
  EXPECT_THAT(m.Render(), HasSubstr("\nwebhooks_total 4\n"));
}

// A bug that puts an id in a label must not grow memory without bound.
TEST(MetricsTest, SeriesBeyondTheCapShareOneOtherSeries) {
  MetricsRegistry m;
  auto* f = m.AddCounter("c", "C.", {"id"});
  for (size_t i = 0; i < kMaxSeriesPerFamily + 50; ++i) {
    f->With({absl::StrCat("id-", i)})->Increment();
  }
  const std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("c{id=\"_other\"} 50\n"));
  EXPECT_THAT(text, Not(HasSubstr(absl::StrCat(
                        "id-", kMaxSeriesPerFamily + 1, "\""))));
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry m;
  auto* c = m.AddCounter("c", "C.", {"t"});
  auto* h = m.AddHistogram("h", "H.", {}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        c->With({t % 2 == 0 ? "even" : "odd"})->Increment();
        h->With({})->Observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c->With({"even"})->value() + c->With({"odd"})->value(), 40000u);
  Histogram::Snapshot s = h->With({})->Take();
  EXPECT_EQ(s.cumulative.back(), 40000u);
  EXPECT_DOUBLE_EQ(s.sum, 20000);
}

}  // namespace
}  // namespace mediagen::telemetry
