#include "service/telemetry/log.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::telemetry {
namespace {

using ::mediagen::testing::IsOk;
using ::testing::Not;

class LogTest : public ::testing::Test {
 protected:
  LogTest()
      : clock_(absl::FromUnixMillis(1743533857355)),
        log_(LogLevel::kInfo,
             [this](absl::string_view line) { lines_.emplace_back(line); },
             &clock_) {}
  FakeClock clock_;
  std::vector<std::string> lines_;
  Logger log_;
};

TEST_F(LogTest, OneJsonObjectPerLineWithTimeLevelAndMessageFirst) {
  log_.Log(LogLevel::kInfo, "rpc",
           {{"method", "mediagen.v1.JobService/GetJob"},
            {"code", "OK"},
            {"duration_ms", 12.5}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0],
            "{\"time\":\"2025-04-01T18:57:37.355Z\",\"level\":\"info\","
            "\"msg\":\"rpc\",\"method\":\"mediagen.v1.JobService/GetJob\","
            "\"code\":\"OK\",\"duration_ms\":12.5}\n");
}

TEST_F(LogTest, LinesBelowTheLevelAreDropped) {
  log_.Log(LogLevel::kDebug, "upstream attempt");
  EXPECT_TRUE(lines_.empty());
  log_.set_min_level(LogLevel::kDebug);
  log_.Log(LogLevel::kDebug, "upstream attempt");
  EXPECT_EQ(lines_.size(), 1u);
  EXPECT_FALSE(log_.Enabled(static_cast<LogLevel>(-1)));
}

TEST_F(LogTest, NewlinesAndBadUtf8CannotBreakTheLine) {
  log_.Log(LogLevel::kWarning, "odd\nmessage",
           {{"value", std::string("a\nb\xff\xfe")}});
  ASSERT_EQ(lines_.size(), 1u);
  const std::string& line = lines_[0];
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  LogFields parsed = LogFields::parse(line);
  EXPECT_EQ(parsed["msg"], "odd\nmessage");
  EXPECT_EQ(parsed["level"], "warning");
  EXPECT_EQ(parsed["value"].get<std::string>().substr(0, 3), "a\nb");
}

TEST_F(LogTest, CallersCannotOverrideTheLeadingKeys) {
  log_.Log(LogLevel::kError, "real", {{"level", "debug"}, {"msg", "fake"}});
  LogFields parsed = LogFields::parse(lines_.at(0));
  EXPECT_EQ(parsed["level"], "error");
  EXPECT_EQ(parsed["msg"], "real");
}

TEST(LogLevelTest, ParsesTheFourNames) {
  EXPECT_EQ(*ParseLogLevel("DEBUG"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("info"), LogLevel::kInfo);
  EXPECT_EQ(*ParseLogLevel("warn"), LogLevel::kWarning);
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
  EXPECT_THAT(ParseLogLevel("verbose"), Not(IsOk()));
}

}  // namespace
}  // namespace mediagen::telemetry
