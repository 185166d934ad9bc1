#include "client/cli/run.h"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/help.h"
#include "client/cli/watch.h"
#include "client/mock_connection.h"
#include "client/status.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;
using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

std::unique_ptr<client::StreamReader<v1::WatchJobResponse>> JobEnds(
    v1::JobState state, absl::Status status = absl::OkStatus()) {
  v1::WatchJobResponse event;
  event.mutable_job()->set_name("media/abc");
  event.mutable_job()->set_state(state);
  event.mutable_job()->set_version(4);
  return client::MakeStreamReader<v1::WatchJobResponse>({event}, status);
}

class RunTest : public ::testing::Test {
 protected:
  RunTest() {
    console_.now = [] { return kNow; };
    env_.getenv =
        [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars_.find(name);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
    env_.make_connection = [this](client::ConnectionOptions options) {
      targets_.push_back(options.target);
      return mock_;
    };
    env_.sleep = [this](absl::Duration d) { sleeps_.push_back(d); };
  }

  int Run(const std::vector<std::string>& args) {
    return cli::Run(args, env_, console_);
  }

  std::shared_ptr<client::MockConnection> mock_ =
      std::make_shared<client::MockConnection>();
  std::map<std::string, std::string> vars_;
  std::vector<std::string> targets_;
  std::vector<absl::Duration> sleeps_;
  Environment env_;
  std::ostringstream out_, err_;
  Console console_{out_, err_};
};

TEST_F(RunTest, HelpNeedsNoServer) {
  std::ostringstream help;
  PrintHelp(help);
  EXPECT_EQ(Run({"help"}), 0);
  EXPECT_EQ(out_.str(), help.str());
  EXPECT_EQ(err_.str(), "");

  out_.str("");
  EXPECT_EQ(Run({"--help"}), 0);
  EXPECT_EQ(out_.str(), help.str());

  // No command at all: the help, and a usage error.
  out_.str("");
  EXPECT_EQ(Run({}), 3);
  EXPECT_EQ(out_.str(), help.str());
  EXPECT_EQ(err_.str(), "mediagen: no command\n");
  EXPECT_TRUE(targets_.empty());
}

TEST_F(RunTest, UsageAloneReadsTheTenantsUsageAsTextOrJson) {
  v1::GetUsageResponse usage;
  usage.set_tenant("acme");
  usage.mutable_limits()->set_concurrent_jobs(2);
  usage.set_jobs_in_flight(1);
  EXPECT_CALL(*mock_, GetUsage(_, _)).Times(3).WillRepeatedly([&] {
    return usage;
  });
  EXPECT_EQ(Run({"usage"}), 0);
  EXPECT_EQ(out_.str(),
            "tenant acme\n"
            "rate            unlimited\n"
            "jobs in flight  1 of at most 2\n"
            "spend           none, no budgets\n");
  out_.str("");
  EXPECT_EQ(Run({"usage", "get"}), 0);  // the same command
  EXPECT_THAT(out_.str(), HasSubstr("jobs in flight  1 of at most 2\n"));
  out_.str("");
  EXPECT_EQ(Run({"usage", "--json"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("\"tenant\":\"acme\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"jobs_in_flight\":\"1\""));
  EXPECT_EQ(err_.str(), "");
  EXPECT_EQ(Run({"usage", "now"}), 3);  // no such verb
}

TEST_F(RunTest, ACommandsHelpPrintsItsFlagsAndCallsNothing) {
  std::ostringstream help;
  PrintCommandHelp(*FindCommand("media", "create"), help);
  EXPECT_EQ(Run({"media", "create", "--prompt", "x", "-h"}), 0);
  EXPECT_EQ(out_.str(), help.str());
  EXPECT_EQ(err_.str(), "");
}

TEST_F(RunTest, AnUnknownCommandOrAStrayArgumentIsAUsageError) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"video", "nope"}, "no command `video nope` (mediagen help)"},
      {{"media"}, "`media` needs a verb (mediagen help)"},
      {{"media", "create", "extra"}, "unexpected argument `extra`"},
      {{"watch"}, "watch NAME"},
      {{"watch", "media/a", "media/b"}, "watch NAME"},
      {{"job", "watch"}, "job watch --name NAME"},
      {{"download"}, "download NAME|URL [-o DIR|FILE]"},
      {{"video", "upload"}, "--file PATH is required"},
      {{"elevenlabs", "speech", "--text", "x"},
       "-o PATH is required (the audio; '-' for stdout)"},
      {{"media", "create", "--timeout", "soon"},
       "--timeout: \"soon\" is not a duration like 30s or 2m"},
  };
  for (const auto& [args, message] : cases) {
    err_.str("");
    EXPECT_EQ(Run(args), 3) << message;
    EXPECT_EQ(err_.str(), absl::StrCat("mediagen: ", message, "\n"));
  }
  EXPECT_EQ(out_.str(), "");
}

TEST_F(RunTest, TheEnvironmentNamesTheServerAndTheTokenThatNeverShows) {
  vars_ = {{"MEDIAGEN_TARGET", "mediagen.media:50051"},
           {"MEDIAGEN_TOKEN", "secret-token"}};
  EXPECT_CALL(*mock_, CreateMedia(_, _))
      .WillOnce([](const client::CallContext& call,
                   const v1::CreateMediaRequest& request) {
        EXPECT_EQ(call.bearer_token, "secret-token");
        EXPECT_EQ(request.prompt(), "x");
        v1::CreateMediaResponse response;
        response.mutable_media()->set_name("media/abc");
        return response;
      })
      .WillOnce(
          [](auto&, auto&) { return absl::UnauthenticatedError("bad token"); });
  EXPECT_EQ(Run({"media", "create", "--prompt", "x"}), 0);
  EXPECT_EQ(out_.str(),
            "created media/abc\nfollow it: mediagen watch media/abc\n");
  EXPECT_EQ(Run({"media", "create", "--prompt", "x"}), 16);
  EXPECT_EQ(err_.str(),
            absl::StrCat(
                "mediagen: ",
                client::DescribeError(absl::UnauthenticatedError("bad token")),
                "\n"));
  EXPECT_THAT(targets_, ::testing::Each("mediagen.media:50051"));
  EXPECT_THAT(out_.str() + err_.str(), Not(HasSubstr("secret-token")));
}

TEST_F(RunTest, FlagsWinOverTheEnvironment) {
  const std::string token_file =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/token");
  std::ofstream(token_file) << "file-token\n";
  vars_ = {{"MEDIAGEN_TARGET", "env:1"}, {"MEDIAGEN_TOKEN", "env-token"}};
  EXPECT_CALL(*mock_, GetJob(_, _))
      .WillOnce([](const client::CallContext& call, auto&) {
        EXPECT_EQ(call.bearer_token, "file-token");
        // The console's clock is the client's: deadlines follow it.
        EXPECT_EQ(call.deadline, kNow + absl::Seconds(5));
        return v1::GetJobResponse();
      });
  EXPECT_EQ(Run({"job", "get", "--name", "media/abc", "--target", "flag:1",
                 "--token-file", token_file, "--timeout", "5s"}),
            0);
  EXPECT_THAT(targets_, ::testing::ElementsAre("flag:1"));
}

TEST_F(RunTest, WatchAndJobWatchFollowTheJobToItsEnd) {
  EXPECT_CALL(*mock_, WatchJob(_, _))
      .WillOnce([](auto&, const v1::WatchJobRequest& request) {
        EXPECT_EQ(request.name(), "media/abc");
        return JobEnds(v1::JOB_STATE_CANCELLED);
      })
      .WillOnce([](auto&, const v1::WatchJobRequest& request) {
        EXPECT_EQ(request.name(), "media/abc");
        return JobEnds(v1::JOB_STATE_SUCCEEDED);
      });
  EXPECT_EQ(Run({"watch", "media/abc"}), kExitJobCancelled);
  EXPECT_EQ(Run({"job", "watch", "--name", "media/abc"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("  0.0s  media/abc "));
}

TEST_F(RunTest, JobWatchResumesFromTheVersionGiven) {
  EXPECT_CALL(*mock_, WatchJob(_, _))
      .WillOnce([](auto&, const v1::WatchJobRequest& request) {
        EXPECT_EQ(request.resume_from_version(), 3);
        return JobEnds(v1::JOB_STATE_SUCCEEDED);
      });
  EXPECT_EQ(Run({"job", "watch", "--name", "media/abc",
                 "--resume-from-version", "3"}),
            0);
  EXPECT_EQ(Run({"job", "watch", "--name", "media/abc",
                 "--resume-from-version", "three"}),
            3);
}

TEST_F(RunTest, ABrokenWatchWaitsWithTheInjectedSleepThenResumes) {
  EXPECT_CALL(*mock_, WatchJob(_, _))
      .WillOnce([](auto&, auto&) {
        return client::MakeStreamReader<v1::WatchJobResponse>(
            {}, absl::UnavailableError("draining"));
      })
      .WillOnce([](auto&, auto&) { return JobEnds(v1::JOB_STATE_FAILED); });
  EXPECT_EQ(Run({"watch", "media/abc"}), kExitJobFailed);
  EXPECT_EQ(sleeps_.size(), 1u);
}

// What gRPC says when nothing listens at the target.
const absl::Status kRefused = absl::UnavailableError(
    "failed to connect to all addresses; last error: UNKNOWN: "
    "ipv4:127.0.0.1:50051: Failed to connect to remote host: Connection "
    "refused");

TEST_F(RunTest, AnUnreachableServerNamesTheTargetAndHowToChangeIt) {
  EXPECT_CALL(*mock_, GetJob(_, _)).Times(3).WillRepeatedly([](auto&, auto&) {
    return kRefused;
  });
  const std::string said =
      absl::StrCat("mediagen: ", client::DescribeError(kRefused), "\n");
  auto hint = [](const std::string& where) {
    return absl::StrCat("mediagen: could not reach the server at ", where,
                        "; choose it with --target HOST:PORT or the "
                        "MEDIAGEN_TARGET environment variable\n");
  };
  // The exit status stays the gRPC code.
  EXPECT_EQ(Run({"job", "get", "--name", "media/abc"}), 14);
  EXPECT_EQ(err_.str(), said + hint("127.0.0.1:50051 (the default)"));

  err_.str("");
  vars_ = {{"MEDIAGEN_TARGET", "mediagen.media:50051"}};
  EXPECT_EQ(Run({"job", "get", "--name", "media/abc"}), 14);
  EXPECT_EQ(err_.str(),
            said + hint("mediagen.media:50051 (from MEDIAGEN_TARGET)"));

  err_.str("");
  EXPECT_EQ(Run({"job", "get", "--name", "media/abc", "--target", "x:1"}), 14);
  EXPECT_EQ(err_.str(), said + hint("x:1 (from --target)"));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(RunTest, AnUnavailableThatTheServerSentNamesNoTarget) {
  // The server answered (its details say so): the target is right.
  absl::Status upstream_down = absl::UnavailableError("vimmerse is down");
  google::rpc::ErrorInfo info;
  info.set_reason("UPSTREAM_UNAVAILABLE");
  (*info.mutable_metadata())["provider"] = "vimmerse";
  upstream_down.SetPayload("type.googleapis.com/google.rpc.ErrorInfo",
                           absl::Cord(info.SerializeAsString()));
  ASSERT_TRUE(client::GetErrorInfo(upstream_down).has_value());
  EXPECT_CALL(*mock_, GetJob(_, _)).WillOnce([&](auto&, auto&) {
    return upstream_down;
  });
  EXPECT_EQ(Run({"job", "get", "--name", "media/abc"}), 14);
  EXPECT_EQ(
      err_.str(),
      absl::StrCat("mediagen: ", client::DescribeError(upstream_down), "\n"));
}

}  // namespace
}  // namespace mediagen::cli
