// Reads a server's Prometheus metrics in tests: fetches /metrics from the
// admin port and turns the text format into "name{labels}" -> value.
//
//   absl::StatusOr<MetricValues> m = ScrapeMetrics(server->admin_port());
//   ASSERT_THAT(m, IsOk());
//   EXPECT_EQ((*m)["mediagen_job_pollers_active"], 1);
#ifndef MEDIAGEN_TESTS_TESTING_UTIL_PROMETHEUS_H_
#define MEDIAGEN_TESTS_TESTING_UTIL_PROMETHEUS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagen::testing {

// "name{labels}" (exactly as written) -> value.
using MetricValues = std::map<std::string, double>;

// Parses the text format; INVALID_ARGUMENT names the first bad line.
absl::StatusOr<MetricValues> ParseMetrics(absl::string_view text);

// GET http://127.0.0.1:ADMIN_PORT/metrics, parsed.
absl::StatusOr<MetricValues> ScrapeMetrics(int admin_port);

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_TESTING_UTIL_PROMETHEUS_H_
