#include "service/telemetry/log.h"

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/common/mutex.h"

namespace mediagen::telemetry {

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(name);
  if (n == "debug") return LogLevel::kDebug;
  if (n == "info") return LogLevel::kInfo;
  if (n == "warning" || n == "warn") return LogLevel::kWarning;
  if (n == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(absl::StrCat(
      "log level must be debug, info, warning or error, not \"", name, "\""));
}

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

Logger::Logger(LogLevel min_level, Sink sink, const Clock* clock)
    : min_level_(min_level), sink_(std::move(sink)), clock_(clock) {}

Logger::Sink Logger::StderrSink() {
  return [](absl::string_view line) {
    // One write per line; a short write (a pipe near full) finishes the
    // line rather than leaving half of it.
    while (!line.empty()) {
      ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
      if (n <= 0) return;
      line.remove_prefix(static_cast<size_t>(n));
    }
  };
}

namespace {

// `value` as compact JSON, invalid UTF-8 replaced rather than thrown on.
void AppendJson(const LogFields& value, std::string* out) {
  out->append(value.dump(-1, ' ', /*ensure_ascii=*/false,
                         nlohmann::ordered_json::error_handler_t::replace));
}

void AppendJsonString(absl::string_view text, std::string* out) {
  AppendJson(LogFields(std::string(text)), out);
}

}  // namespace

void Logger::Log(LogLevel level, absl::string_view msg,
                 const LogFields& fields) const {
  if (!Enabled(level)) return;
  // Written field by field rather than by copying `fields` into a new
  // document: a line per RPC is on every call's path.
  std::string text = "{\"time\":\"";
  text.append(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", clock_->Now(),
                               absl::UTCTimeZone()));
  text.append("\",\"level\":\"");
  absl::StrAppend(&text, LogLevelName(level));
  text.append("\",\"msg\":");
  AppendJsonString(msg, &text);
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) {
      // The three leading keys are the logger's.
      if (key == "time" || key == "level" || key == "msg") continue;
      text.push_back(',');
      AppendJsonString(key, &text);
      text.push_back(':');
      AppendJson(value, &text);
    }
  }
  text.append("}\n");
  static Mutex* const mu = new Mutex;
  MutexLock lock(mu);
  sink_(text);
}

}  // namespace mediagen::telemetry
