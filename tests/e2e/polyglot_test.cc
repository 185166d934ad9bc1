// The Python and Node.js examples, each creating a media job through a live
// mediagen and watching it to success: the API works from other languages
// with code generated from the same .proto files.
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/run_command.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

class PolyglotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto emu = EmulatorProcess::Start({"--time_scale=0.02"});
    ASSERT_THAT(emu, IsOk());
    emu_ = std::move(*emu);
    ServerConfig config;
    config.emulator_port = emu_->port();
    auto server = ServerProcess::Start(config);
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
    target_ = "127.0.0.1:" + std::to_string(server_->grpc_port());
  }

  // The example's output ends with a success line and a result URL, and
  // exactly one media job reached upstream.
  void ExpectWatchedToSuccess(const CommandResult& run) {
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    std::vector<std::string> lines =
        absl::StrSplit(run.out, '\n', absl::SkipEmpty());
    ASSERT_GE(lines.size(), 3u) << run.out;
    EXPECT_TRUE(absl::StartsWith(lines[0], "created media/")) << lines[0];
    bool succeeded = false, result = false;
    for (const std::string& line : lines) {
      succeeded |= line.find("succeeded") != std::string::npos;
      result |= absl::StartsWith(line, "result: http://127.0.0.1:");
    }
    EXPECT_TRUE(succeeded) << run.out;
    EXPECT_TRUE(result) << run.out;
    EXPECT_EQ(emu_->Requests("POST", "/v2/media").size(), 1u);
  }

  std::unique_ptr<EmulatorProcess> emu_;
  std::unique_ptr<ServerProcess> server_;
  std::string target_;
};

TEST_F(PolyglotTest, PythonCreatesAndWatchesAJob) {
  const std::string stubs = std::string(std::getenv("TEST_TMPDIR")) + "/py";
  CommandResult gen = RunCommand({"client/python/gen_stubs", stubs});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  ExpectWatchedToSuccess(
      RunCommand({"/usr/bin/python3", "client/python/watch_media.py", "--stubs",
                  stubs, "--target", target_}));
}

TEST_F(PolyglotTest, NodeCreatesAndWatchesAJob) {
  ExpectWatchedToSuccess(
      RunCommand({"node", "client/node/watch_media.js", "--target", target_}));
}

}  // namespace
}  // namespace mediagen::testing
