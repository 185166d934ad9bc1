#include "client/cli/unary.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/watch.h"
#include "client/mock_connection.h"
#include "client/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;
using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

class UnaryTest : public ::testing::Test {
 protected:
  UnaryTest() {
    console_.now = [] { return kNow; };
    client::ClientOptions options;
    options.now = [] { return kNow; };
    options.sleep = [](absl::Duration) {};
    client_ = std::make_unique<client::Client>(mock_, options);
  }

  // Runs `mediagen GROUP VERB flags...`.
  int Run(const std::string& group, const std::string& verb,
          std::vector<std::string> flags) {
    const Command* command = FindCommand(group, verb);
    EXPECT_NE(command, nullptr);
    flags.insert(flags.begin(), {group, verb});
    absl::StatusOr<Arguments> args = ParseArguments(flags, nullptr);
    EXPECT_TRUE(args.ok()) << args.status();
    return RunUnary(*command, *client_, *args, console_);
  }

  static v1::CreateMediaResponse Created() {
    v1::CreateMediaResponse response;
    response.mutable_media()->set_name("media/abc");
    return response;
  }

  std::shared_ptr<client::MockConnection> mock_ =
      std::make_shared<client::MockConnection>();
  std::unique_ptr<client::Client> client_;
  std::ostringstream out_, err_;
  Console console_{out_, err_};
};

TEST_F(UnaryTest, ACreateSendsTheRequestFromTheFlagsAndPrintsTheName) {
  EXPECT_CALL(*mock_, CreateMedia(_, _))
      .WillOnce([](const client::CallContext&,
                   const v1::CreateMediaRequest& request) {
        EXPECT_EQ(request.prompt(), "a red kite");
        EXPECT_EQ(request.duration(), 5);
        EXPECT_EQ(request.audio_option().narrator(), "Sarah");
        EXPECT_EQ(request.audio_option().bg_music_prompt(), "calm piano");
        EXPECT_FALSE(request.request_id().empty());  // safe to retry
        return Created();
      });
  EXPECT_EQ(Run("media", "create",
                {"--prompt", "a red kite", "--duration", "5",
                 "--audio-option.narrator", "Sarah", "--audio-option",
                 R"({"bg_music_prompt": "calm piano"})"}),
            0);
  EXPECT_EQ(out_.str(),
            "created media/abc\nfollow it: mediagen watch media/abc\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(UnaryTest, JsonPrintsTheResponseAsOneLine) {
  EXPECT_CALL(*mock_, CreateMedia(_, _)).WillOnce([](auto&, auto&) {
    return Created();
  });
  EXPECT_EQ(Run("media", "create", {"--prompt", "x", "--json"}), 0);
  EXPECT_EQ(out_.str(), R"({"media":{"name":"media/abc"}})"
                        "\n");
  EXPECT_EQ(nlohmann::json::parse(out_.str())["media"]["name"], "media/abc");
}

TEST_F(UnaryTest, ACallThatCreatesNothingPrintsTheResponseAsIndentedJson) {
  v1::EstimateVideoCreditsResponse estimate;
  estimate.set_total_credits(12);
  EXPECT_CALL(*mock_, EstimateVideoCredits(_, _))
      .WillOnce([&](auto&, const v1::EstimateVideoCreditsRequest& request) {
        EXPECT_EQ(request.option(), "KlingO");
        return estimate;
      });
  EXPECT_EQ(Run("video", "estimate-credits", {"--option", "KlingO"}), 0);
  EXPECT_EQ(out_.str(), ToJson(estimate, /*pretty=*/true) + "\n");
  EXPECT_THAT(out_.str(), HasSubstr("\n \"total_credits\": 12"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("follow it")));
}

TEST_F(UnaryTest, ABadFlagIsAUsageErrorAndNothingIsSent) {
  EXPECT_CALL(*mock_, CreateMedia(_, _)).Times(0);
  EXPECT_EQ(Run("media", "create", {"--duration", "five"}), 3);
  EXPECT_EQ(err_.str(),
            "mediagen: --duration: \"five\" is not an integer (mediagen media "
            "create --help)\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(UnaryTest, AFailedCallPrintsDescribeErrorAndExitsWithTheGrpcCode) {
  const absl::Status broke =
      absl::FailedPreconditionError("not enough credits");
  EXPECT_CALL(*mock_, CreateMedia(_, _)).WillOnce([&](auto&, auto&) {
    return broke;
  });
  EXPECT_EQ(Run("media", "create", {"--prompt", "x"}), 9);
  EXPECT_EQ(err_.str(),
            absl::StrCat("mediagen: ", client::DescribeError(broke), "\n"));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(UnaryTest, WatchFollowsTheCreatedJobAndExitsWithItsEnd) {
  EXPECT_CALL(*mock_, CreateMedia(_, _)).WillOnce([](auto&, auto&) {
    return Created();
  });
  EXPECT_CALL(*mock_, WatchJob(_, _))
      .WillOnce([](auto&, const v1::WatchJobRequest& request) {
        EXPECT_EQ(request.name(), "media/abc");
        v1::WatchJobResponse event;
        event.mutable_job()->set_name("media/abc");
        event.mutable_job()->set_state(v1::JOB_STATE_FAILED);
        event.mutable_job()->set_error_message("no");
        return client::MakeStreamReader<v1::WatchJobResponse>({event});
      });
  EXPECT_EQ(Run("media", "create", {"--prompt", "x", "--watch"}),
            kExitJobFailed);
  EXPECT_THAT(out_.str(), StartsWith("created media/abc\n  0.0s  media/abc "));
  EXPECT_THAT(out_.str(), HasSubstr("error: no\n"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("follow it")));
}

TEST_F(UnaryTest, WatchNeedsACommandThatCreatesAJob) {
  EXPECT_CALL(*mock_, GetMedia(_, _)).WillOnce([](auto&, auto&) {
    v1::GetMediaResponse response;
    response.mutable_media()->set_name("media/abc");
    return response;
  });
  EXPECT_EQ(Run("media", "get", {"--name", "media/abc", "--watch"}), 3);
  EXPECT_EQ(err_.str(),
            "mediagen: --watch needs a command that creates a job\n");
}

TEST_F(UnaryTest, TimeoutIsTheDeadlineOfTheCall) {
  EXPECT_CALL(*mock_, CreateMedia(_, _))
      .WillOnce([](const client::CallContext& call, auto&) {
        EXPECT_EQ(call.deadline, kNow + absl::Seconds(5));
        return Created();
      });
  EXPECT_EQ(Run("media", "create", {"--prompt", "x", "--timeout", "5s"}), 0);
}

}  // namespace
}  // namespace mediagen::cli
