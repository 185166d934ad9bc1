// The harness's process handling, on small shell commands: the emulator and
// server paths are exercised by every integration suite that uses it.
#include "tests/testing_util/harness.h"

#include <signal.h>

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

using ::testing::HasSubstr;

TEST(ProcessTest, ReadsTheFirstLineAndTheExitCode) {
  auto p =
      Process::Start({"/bin/sh", "-c", "echo ready; echo oops >&2; exit 3"});
  ASSERT_THAT(p, IsOk());
  auto line = (*p)->FirstLine(absl::Seconds(10));
  ASSERT_THAT(line, IsOk());
  EXPECT_EQ(*line, "ready");
  auto code = (*p)->Stop(0, absl::Seconds(10));  // signal 0: just wait
  ASSERT_THAT(code, IsOk());
  EXPECT_EQ(*code, 3);
  EXPECT_FALSE((*p)->Running());
  EXPECT_EQ((*p)->stderr_text(), "oops\n");
}

TEST(ProcessTest, PassesTheEnvironment) {
  auto p = Process::Start({"/bin/sh", "-c", "echo \"$HARNESS_TEST_VALUE\""},
                          {{"HARNESS_TEST_VALUE", "from the test"}});
  ASSERT_THAT(p, IsOk());
  auto line = (*p)->FirstLine(absl::Seconds(10));
  ASSERT_THAT(line, IsOk());
  EXPECT_EQ(*line, "from the test");
}

TEST(ProcessTest, StopsARunningProcessAndReportsTheSignal) {
  auto p = Process::Start({"/bin/sh", "-c", "echo up; exec sleep 60"});
  ASSERT_THAT(p, IsOk());
  ASSERT_THAT((*p)->FirstLine(absl::Seconds(10)), IsOkAndHolds("up"));
  EXPECT_TRUE((*p)->Running());
  EXPECT_GE((*p)->ThreadCount(), 1);
  EXPECT_GT((*p)->RssKiB(), 0);
  EXPECT_GT((*p)->OpenFdCount(), 0);
  auto code = (*p)->Stop(SIGTERM, absl::Seconds(10));
  ASSERT_THAT(code, IsOk());
  EXPECT_EQ(*code, -SIGTERM);
}

TEST(ProcessTest, NoFirstLineIsADeadlineWithTheStderr) {
  auto p = Process::Start({"/bin/sh", "-c", "echo no line >&2; exec sleep 60"});
  ASSERT_THAT(p, IsOk());
  EXPECT_THAT(
      (*p)->FirstLine(absl::Milliseconds(300)),
      StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("no line")));
}

TEST(HarnessTest, PicksAFreeLoopbackPort) {
  const int port = PickFreePort();
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
  EXPECT_EQ(EstablishedConnectionsTo(port), 0);
}

TEST(HarnessTest, TellsGrpcPoolThreadsFromTheServersOwn) {
  EXPECT_TRUE(IsGrpcPoolThread("default-executo"));
  EXPECT_TRUE(IsGrpcPoolThread("grpcpp_sync_ser"));
  EXPECT_FALSE(IsGrpcPoolThread("mediagen_server"));
  EXPECT_FALSE(IsGrpcPoolThread("curl-loop"));
}

}  // namespace
}  // namespace mediagen::testing
