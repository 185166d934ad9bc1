// Text for progress: transfer lines (bytes, rate, ETA), job lines, and a
// LiveLine that redraws in place on a terminal and stays silent otherwise
// (so piped output is one line per change, written by the caller).
#ifndef MEDIAGEN_CLIENT_CLI_PROGRESS_H_
#define MEDIAGEN_CLIENT_CLI_PROGRESS_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "mediagen/v1/jobs.pb.h"

namespace mediagen::cli {

// "0 B", "512 B", "1.5 KiB", "12.0 MiB", "1.00 GiB".
std::string FormatBytes(int64_t bytes);
// "0:07", "1:05", "1:02:03".
std::string FormatClock(absl::Duration d);
// "[#####.....]" with `width` cells; fraction is clamped to [0, 1].
std::string Bar(double fraction, int width);

// "12.0 MiB / 100.0 MiB [####......]  12%  3.2 MiB/s  ETA 0:27"; without a
// total (-1): "12.0 MiB  3.2 MiB/s".
std::string TransferLine(int64_t done, int64_t total, absl::Duration elapsed);

// "media/abc [########............]  40%  running  (processing_bullet)"
std::string JobLine(const v1::Job& job, int bar_width);
// "running", "succeeded", ...
std::string StateName(v1::JobState state);

// One line redrawn in place when `tty`; nothing at all otherwise.
class LiveLine {
 public:
  LiveLine(std::ostream& out, bool tty) : out_(out), tty_(tty) {}
  ~LiveLine() { Done(); }
  void Update(const std::string& text);
  // Prints `text` as a permanent line above the live one.
  void Print(const std::string& text);
  // Leaves the last state on screen and moves to a new line.
  void Done();

 private:
  std::ostream& out_;
  bool tty_;
  std::string current_;
};

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_PROGRESS_H_
