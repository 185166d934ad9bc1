#include "client/cli/progress.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace mediagen::cli {

std::string FormatBytes(int64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  // Two literals, not a chosen format string: StrFormat checks its format
  // at compile time, which clang enforces.
  if (unit >= 2) return absl::StrFormat("%.2f %s", value, units[unit]);
  return absl::StrFormat("%.1f %s", value, units[unit]);
}

std::string FormatClock(absl::Duration d) {
  int64_t s = std::max<int64_t>(0, absl::ToInt64Seconds(d));
  if (s >= 3600) {
    return absl::StrFormat("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  }
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

std::string Bar(double fraction, int width) {
  if (!(fraction >= 0)) fraction = 0;
  fraction = std::min(fraction, 1.0);
  const int full = static_cast<int>(std::floor(fraction * width + 1e-9));
  return absl::StrCat("[", std::string(full, '#'),
                      std::string(width - full, '.'), "]");
}

std::string TransferLine(int64_t done, int64_t total, absl::Duration elapsed) {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  const double rate = seconds > 0 ? done / seconds : 0;
  std::string rate_text =
      absl::StrCat(FormatBytes(static_cast<int64_t>(rate)), "/s");
  if (total < 0) return absl::StrCat(FormatBytes(done), "  ", rate_text);
  const double fraction = total > 0 ? static_cast<double>(done) / total : 1.0;
  std::string line = absl::StrFormat(
      "%s / %s %s %3d%%  %s", FormatBytes(done), FormatBytes(total),
      Bar(fraction, 20), static_cast<int>(fraction * 100), rate_text);
  if (done < total && rate > 0) {
    absl::StrAppend(&line, "  ETA ",
                    FormatClock(absl::Seconds((total - done) / rate)));
  }
  return line;
}

std::string StateName(v1::JobState state) {
  return absl::AsciiStrToLower(
      absl::StripPrefix(v1::JobState_Name(state), "JOB_STATE_"));
}

std::string JobLine(const v1::Job& job, int bar_width) {
  const int percent = job.has_progress_percentage()
                          ? job.progress_percentage()
                          : (job.state() == v1::JOB_STATE_SUCCEEDED ? 100 : 0);
  std::string line = absl::StrFormat("%s %s %3d%%  %s", job.name(),
                                     Bar(percent / 100.0, bar_width), percent,
                                     StateName(job.state()));
  if (!job.upstream_status().empty()) {
    absl::StrAppend(&line, "  (", job.upstream_status(), ")");
  }
  return line;
}

void LiveLine::Update(const std::string& text) {
  if (!tty_ || text == current_) return;
  current_ = text;
  // Carriage return + erase line: redraw without scrolling.
  out_ << "\r\033[2K" << text << std::flush;
}

void LiveLine::Print(const std::string& text) {
  if (!tty_) return;
  out_ << "\r\033[2K" << text << "\n" << current_ << std::flush;
}

void LiveLine::Done() {
  if (!tty_ || current_.empty()) return;
  out_ << "\n" << std::flush;
  current_.clear();
}

}  // namespace mediagen::cli
