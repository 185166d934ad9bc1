#include "client/cli/console.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "client/status.h"
#include "gtest/gtest.h"
#include "mediagen/v1/jobs.pb.h"
#include "mediagen/v1/media.pb.h"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;

TEST(ConsoleTest, FailPrintsOneDescribedLineAndReturnsTheCode) {
  std::ostringstream out, err;
  Console console(out, err);
  const absl::Status status = absl::PermissionDeniedError("not yours");
  EXPECT_EQ(Fail(console, status), 7);
  EXPECT_EQ(err.str(),
            absl::StrCat("mediagen: ", client::DescribeError(status), "\n"));
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(ExitCode(absl::UnavailableError("")), 14);
}

TEST(ConsoleTest, UsageExitsWithInvalidArgument) {
  std::ostringstream out, err;
  Console console(out, err);
  EXPECT_EQ(Usage(console, "watch NAME"), 3);
  EXPECT_EQ(err.str(), "mediagen: watch NAME\n");
}

TEST(ConsoleTest, ClockIsInjectable) {
  std::ostringstream out, err;
  Console console(out, err);
  EXPECT_LT(absl::Now() - console.Now(), absl::Minutes(1));
  console.now = [] { return absl::UnixEpoch(); };
  EXPECT_EQ(console.Now(), absl::UnixEpoch());
}

TEST(ConsoleTest, JsonUsesProtoNamesOnOneLineOrIndented) {
  v1::Job job;
  job.set_name("media/abc");
  job.set_state(v1::JOB_STATE_RUNNING);
  job.add_result_urls("https://r/1");
  EXPECT_EQ(ToJson(job, false),
            R"({"name":"media/abc","state":"JOB_STATE_RUNNING",)"
            R"("result_urls":["https://r/1"]})");
  const std::string pretty = ToJson(job, true);
  EXPECT_EQ(pretty.front(), '{');
  EXPECT_EQ(pretty.back(), '}');  // callers add the newline
  EXPECT_NE(pretty.find("\n \"result_urls\": ["), std::string::npos) << pretty;
}

TEST(ConsoleTest, CreatedNameIsTheFirstNamedMessage) {
  v1::CreateMediaResponse created;
  EXPECT_EQ(CreatedName(created), "");
  created.mutable_media()->set_title("no name yet");
  EXPECT_EQ(CreatedName(created), "");
  created.mutable_media()->set_name("media/abc");
  EXPECT_EQ(CreatedName(created), "media/abc");
  v1::Job job;  // no message fields with a name
  job.set_name("media/abc");
  EXPECT_EQ(CreatedName(job), "");
}

}  // namespace
}  // namespace mediagen::cli
