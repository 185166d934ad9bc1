#include "tests/testing_util/prometheus.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "httplib.h"

namespace mediagen::testing {

absl::StatusOr<MetricValues> ParseMetrics(absl::string_view text) {
  MetricValues out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    double v = 0;
    if (space == absl::string_view::npos ||
        !absl::SimpleAtod(line.substr(space + 1), &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad metrics line: ", line));
    }
    out[std::string(line.substr(0, space))] = v;
  }
  return out;
}

absl::StatusOr<MetricValues> ScrapeMetrics(int admin_port) {
  httplib::Client admin("127.0.0.1", admin_port);
  auto res = admin.Get("/metrics");
  if (!res) {
    return absl::UnavailableError(
        absl::StrCat("no answer from 127.0.0.1:", admin_port, "/metrics"));
  }
  if (res->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("/metrics answered ", res->status));
  }
  return ParseMetrics(res->body);
}

}  // namespace mediagen::testing
