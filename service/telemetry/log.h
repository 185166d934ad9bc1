// Logger: structured logs, one JSON object per line.
//
//   Logger log(LogLevel::kInfo, Logger::StderrSink());
//   log.Log(LogLevel::kInfo, "rpc", {{"method", "mediagen.v1.JobService/GetJob"},
//                                    {"code", "OK"}, {"duration_ms", 12.5}});
//   // {"time":"2025-04-01T18:57:37.355Z","level":"info","msg":"rpc",
//   //  "method":"mediagen.v1.JobService/GetJob","code":"OK","duration_ms":12.5}
//
// `time` (UTC, milliseconds), `level` and `msg` come first, then the fields
// in the order given. Invalid UTF-8 in a value is replaced, never dropped
// silently and never allowed to break the line. What goes into a field is
// the caller's responsibility: the rule is no secret (upstream key, bearer
// token, webhook token) and no prompt text, ever.
#ifndef MEDIAGEN_SERVICE_TELEMETRY_LOG_H_
#define MEDIAGEN_SERVICE_TELEMETRY_LOG_H_

#include <atomic>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "service/common/clock.h"

namespace mediagen::telemetry {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug", "info", "warning" (or "warn"), "error".
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name);
absl::string_view LogLevelName(LogLevel level);

// Fields of a line, kept in insertion order.
using LogFields = nlohmann::ordered_json;

class Logger {
 public:
  // Receives one complete line (with its newline) per call; may be called
  // from any thread, never concurrently (the logger serializes).
  using Sink = std::function<void(absl::string_view line)>;

  Logger(LogLevel min_level, Sink sink, const Clock* clock = &SystemClock());

  // Writes to stderr with one write(2) per line, so lines from several
  // threads (and processes sharing the file) never interleave.
  static Sink StderrSink();

  bool Enabled(LogLevel level) const {
    return level >= min_level_.load(std::memory_order_relaxed);
  }
  void set_min_level(LogLevel level) { min_level_.store(level); }

  // `fields` must be a JSON object (or null for none).
  void Log(LogLevel level, absl::string_view msg,
           const LogFields& fields = LogFields()) const;

 private:
  std::atomic<LogLevel> min_level_;
  const Sink sink_;
  const Clock* const clock_;
};

}  // namespace mediagen::telemetry

#endif  // MEDIAGEN_SERVICE_TELEMETRY_LOG_H_
