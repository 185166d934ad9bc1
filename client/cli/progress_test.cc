#include "client/cli/progress.h"

#include <sstream>

#include "gtest/gtest.h"

namespace mediagen::cli {
namespace {

TEST(ProgressTest, Bytes) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(12 << 20), "12.0 MiB");
  EXPECT_EQ(FormatBytes(int64_t{3} << 30), "3.00 GiB");
}

TEST(ProgressTest, ClockAndBar) {
  EXPECT_EQ(FormatClock(absl::Seconds(7)), "0:07");
  EXPECT_EQ(FormatClock(absl::Seconds(65)), "1:05");
  EXPECT_EQ(FormatClock(absl::Seconds(3723)), "1:02:03");
  EXPECT_EQ(Bar(0.5, 10), "[#####.....]");
  EXPECT_EQ(Bar(1.7, 4), "[####]");
  EXPECT_EQ(Bar(-1, 4), "[....]");
}

TEST(ProgressTest, TransferLineHasRateAndEta) {
  EXPECT_EQ(TransferLine(25 << 20, 100 << 20, absl::Seconds(5)),
            "25.0 MiB / 100.0 MiB [#####...............]  25%  5.0 MiB/s"
            "  ETA 0:15");
  EXPECT_EQ(TransferLine(2048, -1, absl::Seconds(2)), "2.0 KiB  1.0 KiB/s");
}

TEST(ProgressTest, JobLine) {
  v1::Job job;
  job.set_name("media/abc");
  job.set_state(v1::JOB_STATE_RUNNING);
  job.set_upstream_status("processing_bullet");
  job.set_progress_percentage(40);
  EXPECT_EQ(JobLine(job, 10),
            "media/abc [####......]  40%  running  (processing_bullet)");
  EXPECT_EQ(StateName(v1::JOB_STATE_SUCCEEDED), "succeeded");
}

TEST(ProgressTest, LiveLineRedrawsOnATerminalAndIsSilentOtherwise) {
  std::ostringstream tty;
  {
    LiveLine live(tty, /*tty=*/true);
    live.Update("10%");
    live.Update("10%");  // unchanged: not redrawn
    live.Print("running");
    live.Update("50%");
  }
  EXPECT_EQ(tty.str(), "\r\033[2K10%\r\033[2Krunning\n10%\r\033[2K50%\n");

  std::ostringstream pipe;
  {
    LiveLine live(pipe, /*tty=*/false);
    live.Update("10%");
    live.Print("running");
  }
  EXPECT_EQ(pipe.str(), "");
}

}  // namespace
}  // namespace mediagen::cli
