#include "client/cli/watch.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/progress.h"
#include "client/mock_connection.h"
#include "client/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;
using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

v1::Job Job(v1::JobState state, int64_t version, int percent = -1) {
  v1::Job job;
  job.set_name("media/abc");
  job.set_state(state);
  job.set_version(version);
  if (percent >= 0) job.set_progress_percentage(percent);
  return job;
}

v1::WatchJobResponse Event(const v1::Job& job) {
  v1::WatchJobResponse event;
  *event.mutable_job() = job;
  return event;
}

v1::WatchJobResponse Heartbeat() {
  v1::WatchJobResponse event;
  event.mutable_heartbeat()->set_version(1);
  return event;
}

std::unique_ptr<client::StreamReader<v1::WatchJobResponse>> Stream(
    std::vector<v1::WatchJobResponse> events,
    absl::Status status = absl::OkStatus()) {
  return client::MakeStreamReader(std::move(events), std::move(status));
}

class WatchTest : public ::testing::Test {
 protected:
  WatchTest() {
    // Each reading of the console's clock is one second later, so the
    // elapsed column is predictable.
    console_.now = [this] { return kStart + absl::Seconds(ticks_++); };
    client::ClientOptions options;
    options.now = [] { return kStart; };
    options.sleep = [this](absl::Duration d) { sleeps_.push_back(d); };
    client_ = std::make_unique<client::Client>(mock_, options);
  }

  int Run(const Globals& globals = {}) {
    return Watch(*client_, "media/abc", globals, console_);
  }

  std::shared_ptr<client::MockConnection> mock_ =
      std::make_shared<client::MockConnection>();
  std::unique_ptr<client::Client> client_;
  std::ostringstream out_, err_;
  Console console_{out_, err_};
  int ticks_ = 0;
  std::vector<absl::Duration> sleeps_;
};

TEST_F(WatchTest, PipedPrintsOneLinePerChangeThenTheResults) {
  v1::Job running = Job(v1::JOB_STATE_RUNNING, 2, 40);
  running.set_upstream_status("processing");
  v1::Job done = Job(v1::JOB_STATE_SUCCEEDED, 4);
  done.add_result_urls("https://r/1.mp4");
  done.add_result_urls("https://r/2.mp4");
  EXPECT_CALL(*mock_, WatchJob(_, _))
      .WillOnce(
          [&](const client::CallContext&, const v1::WatchJobRequest& request) {
            EXPECT_EQ(request.name(), "media/abc");
            EXPECT_EQ(request.resume_from_version(), 0);
            return Stream({Event(Job(v1::JOB_STATE_QUEUED, 1)), Heartbeat(),
                           Event(running), Event(running), Event(done)});
          });
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(out_.str(),
            "  1.0s  media/abc [....................]   0%  queued  v1\n"
            "  2.0s  media/abc [########............]  40%  running  "
            "(processing)  v2\n"
            "  3.0s  media/abc [####################] 100%  succeeded  v4\n"
            "result: https://r/1.mp4\n"
            "result: https://r/2.mp4\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(WatchTest, JsonPrintsEachChangeAsOneObjectAndNoResultLines) {
  v1::Job done = Job(v1::JOB_STATE_SUCCEEDED, 2, 100);
  done.add_result_urls("https://r/1.mp4");
  EXPECT_CALL(*mock_, WatchJob(_, _)).WillOnce([&](auto&, auto&) {
    return Stream({Event(Job(v1::JOB_STATE_RUNNING, 1, 10)), Event(done)});
  });
  console_.out_is_terminal = true;  // --json is never drawn as a live line
  Globals globals;
  globals.json = true;
  EXPECT_EQ(Run(globals), 0);
  EXPECT_EQ(out_.str(),
            absl::StrCat(ToJson(Job(v1::JOB_STATE_RUNNING, 1, 10), false), "\n",
                         ToJson(done, false), "\n"));
  EXPECT_THAT(out_.str(), HasSubstr(R"("state":"JOB_STATE_SUCCEEDED")"));
}

TEST_F(WatchTest, OnATerminalRedrawsALiveLineAndPrintsEachNewState) {
  console_.now = [] { return kStart; };
  v1::Job running1 = Job(v1::JOB_STATE_RUNNING, 1, 10);
  v1::Job running2 = Job(v1::JOB_STATE_RUNNING, 2, 60);
  running2.set_upstream_status("rendering");
  v1::Job done = Job(v1::JOB_STATE_SUCCEEDED, 3, 100);
  EXPECT_CALL(*mock_, WatchJob(_, _)).WillOnce([&](auto&, auto&) {
    return Stream({Event(running1), Event(running2), Event(done)});
  });
  console_.out_is_terminal = true;
  EXPECT_EQ(Run(), 0);
  const std::string redraw = "\r\033[2K";
  const std::string t = "  0.0s  ";
  const std::string line1 = t + JobLine(running1, 30);
  const std::string line2 = t + JobLine(running2, 30);
  const std::string line3 = t + JobLine(done, 30);
  EXPECT_EQ(out_.str(), redraw + t + "running\n" +  // a new state
                            redraw + line1 +        // the live line
                            redraw + line2 +        // same state: redrawn
                            redraw + t + "succeeded\n" + line2 +  //
                            redraw + line3 + "\n");
}

TEST_F(WatchTest, AFailedJobPrintsItsErrorAndExits20) {
  v1::Job failed = Job(v1::JOB_STATE_FAILED, 2);
  failed.set_error_message("upstream said no");
  EXPECT_CALL(*mock_, WatchJob(_, _)).WillOnce([&](auto&, auto&) {
    return Stream({Event(failed)});
  });
  EXPECT_EQ(Run(), kExitJobFailed);
  EXPECT_EQ(kExitJobFailed, 20);
  EXPECT_THAT(out_.str(), HasSubstr("failed  v2\nerror: upstream said no\n"));
}

TEST_F(WatchTest, ACancelledJobExits21) {
  EXPECT_CALL(*mock_, WatchJob(_, _)).WillOnce([&](auto&, auto&) {
    return Stream({Event(Job(v1::JOB_STATE_CANCELLED, 7))});
  });
  EXPECT_EQ(Run(), kExitJobCancelled);
  EXPECT_EQ(kExitJobCancelled, 21);
  EXPECT_THAT(out_.str(), HasSubstr("cancelled  v7\n"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("error:")));
}

TEST_F(WatchTest, ABrokenStreamResumesFromTheLastVersion) {
  v1::Job running = Job(v1::JOB_STATE_RUNNING, 3, 50);
  EXPECT_CALL(*mock_, WatchJob(_, _))
      .WillOnce([&](auto&, const v1::WatchJobRequest& request) {
        EXPECT_EQ(request.resume_from_version(), 0);
        return Stream({Event(running)},
                      absl::UnavailableError("replica draining"));
      })
      .WillOnce([&](auto&, const v1::WatchJobRequest& request) {
        EXPECT_EQ(request.resume_from_version(), 3);
        // Another replica re-sends the state we hold: not printed again.
        return Stream(
            {Event(running), Event(Job(v1::JOB_STATE_SUCCEEDED, 5, 100))});
      });
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(out_.str(),
            "  1.0s  media/abc [##########..........]  50%  running  v3\n"
            "  2.0s  media/abc [####################] 100%  succeeded  v5\n");
  EXPECT_EQ(sleeps_.size(), 1u);
  EXPECT_EQ(err_.str(), "");
}

TEST_F(WatchTest, AnErrorPrintsDescribeErrorAndExitsWithTheGrpcCode) {
  const absl::Status missing = absl::NotFoundError("no job media/abc");
  EXPECT_CALL(*mock_, WatchJob(_, _)).WillOnce([&](auto&, auto&) {
    return Stream({}, missing);
  });
  EXPECT_EQ(Run(), 5);  // NOT_FOUND
  EXPECT_EQ(err_.str(),
            absl::StrCat("mediagen: ", client::DescribeError(missing), "\n"));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(WatchTest, TimeoutBoundsTheWholeWatch) {
  EXPECT_CALL(*mock_, WatchJob(_, _))
      .WillOnce([&](const client::CallContext& call, auto&) {
        EXPECT_EQ(call.deadline, kStart + absl::Seconds(30));
        return Stream({Event(Job(v1::JOB_STATE_SUCCEEDED, 1))});
      });
  Globals globals;
  globals.timeout = absl::Seconds(30);
  EXPECT_EQ(Run(globals), 0);
}

}  // namespace
}  // namespace mediagen::cli
