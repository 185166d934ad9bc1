#include "client/client.h"

#include <vector>

#include "client/mock_connection.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::client {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;
using ::testing::_;
using ::testing::ByMove;
using ::testing::Not;
using ::testing::Return;

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

// A client over `mock` with a fake clock that sleeping advances.
struct Fixture {
  std::shared_ptr<MockConnection> mock = std::make_shared<MockConnection>();
  absl::Time now = kStart;
  std::vector<absl::Duration> sleeps;
  Client MakeClient(ClientOptions options = {}) {
    options.now = [this] { return now; };
    options.sleep = [this](absl::Duration d) {
      sleeps.push_back(d);
      now += d;
    };
    return Client(mock, std::move(options));
  }
};

v1::CreateMediaResponse MediaNamed(const std::string& name) {
  v1::CreateMediaResponse response;
  response.mutable_media()->set_name(name);
  return response;
}

TEST(ClientTest, CreateGetsARequestIdAndKeepsTheCallersOwn) {
  Fixture f;
  std::vector<std::string> ids;
  EXPECT_CALL(*f.mock, CreateMedia)
      .Times(2)
      .WillRepeatedly([&](const CallContext&, const v1::CreateMediaRequest& r) {
        ids.push_back(r.request_id());
        return MediaNamed("media/1");
      });
  Client client = f.MakeClient();
  ASSERT_THAT(client.CreateMedia({}), IsOk());
  v1::CreateMediaRequest mine;
  mine.set_request_id("mine-1");
  ASSERT_THAT(client.CreateMedia(mine), IsOk());
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0].size(), 36u);
  EXPECT_EQ(ids[1], "mine-1");
}

TEST(ClientTest, CreateWithRequestIdIsRetriedOnUnavailableWithTheSameId) {
  Fixture f;
  std::vector<std::string> ids;
  EXPECT_CALL(*f.mock, CreateMedia)
      .WillOnce([&](const CallContext&, const v1::CreateMediaRequest& r)
                    -> absl::StatusOr<v1::CreateMediaResponse> {
        ids.push_back(r.request_id());
        return absl::UnavailableError("connection reset");
      })
      .WillOnce([&](const CallContext&, const v1::CreateMediaRequest& r)
                    -> absl::StatusOr<v1::CreateMediaResponse> {
        ids.push_back(r.request_id());
        return absl::UnavailableError("connection reset");
      })
      .WillOnce([&](const CallContext&, const v1::CreateMediaRequest& r)
                    -> absl::StatusOr<v1::CreateMediaResponse> {
        ids.push_back(r.request_id());
        return MediaNamed("media/7");
      });
  absl::StatusOr<v1::CreateMediaResponse> created =
      f.MakeClient().CreateMedia({});
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->media().name(), "media/7");
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0], ids[1]);
  EXPECT_EQ(ids[1], ids[2]);
  // Full jitter below the published policy's caps (0.2 s, then 0.4 s).
  ASSERT_EQ(f.sleeps.size(), 2u);
  EXPECT_LE(f.sleeps[0], absl::Milliseconds(200));
  EXPECT_LE(f.sleeps[1], absl::Milliseconds(400));
}

TEST(ClientTest, CreateGivesUpAfterMaxAttempts) {
  Fixture f;
  EXPECT_CALL(*f.mock, CreateMedia)
      .Times(4)
      .WillRepeatedly(Return(absl::UnavailableError("down")));
  EXPECT_THAT(f.MakeClient().CreateMedia({}),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ClientTest, CreateWithoutRequestIdIsNeverRetried) {
  Fixture f;
  EXPECT_CALL(*f.mock, CreateMedia)
      .WillOnce([](const CallContext&, const v1::CreateMediaRequest& r)
                    -> absl::StatusOr<v1::CreateMediaResponse> {
        EXPECT_TRUE(r.request_id().empty());
        return absl::UnavailableError("down");
      });
  CallOptions options;
  options.generate_request_id = false;
  EXPECT_THAT(f.MakeClient().CreateMedia({}, options),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ClientTest, OnlyUnavailableIsRetried) {
  Fixture f;
  // UNKNOWN: the create may have happened upstream; a retry could not tell.
  EXPECT_CALL(*f.mock, TextToSpeech)
      .WillOnce(Return(absl::UnknownError("bad upstream answer")));
  EXPECT_CALL(*f.mock, GenerateAudio)
      .WillOnce(Return(absl::FailedPreconditionError("no credit")));
  Client client = f.MakeClient();
  EXPECT_THAT(client.TextToSpeech({}), StatusIs(absl::StatusCode::kUnknown));
  EXPECT_THAT(client.GenerateAudio({}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ClientTest, CreateRetriesStopBeforeTheDeadline) {
  Fixture f;
  EXPECT_CALL(*f.mock, ReframeVideo)
      .WillOnce([&](const CallContext& call, const v1::ReframeVideoRequest&)
                    -> absl::StatusOr<v1::ReframeVideoResponse> {
        EXPECT_EQ(call.deadline, kStart + absl::Milliseconds(50));
        absl::Status status = absl::UnavailableError("down");
        // The server asks for 2 s; that is past the deadline.
        rpc::SetRetryInfo(&status, absl::Seconds(2));
        return status;
      });
  CallOptions options;
  options.timeout = absl::Milliseconds(50);
  EXPECT_THAT(f.MakeClient().ReframeVideo({}, options),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(f.sleeps.empty());
}

TEST(ClientTest, ReadsAreOneAttemptWithDefaultsAppliedAndOverridable) {
  Fixture f;
  std::vector<CallContext> calls;
  EXPECT_CALL(*f.mock, GetJob)
      .Times(2)
      .WillRepeatedly(
          [&](const CallContext& call,
              const v1::GetJobRequest&) -> absl::StatusOr<v1::GetJobResponse> {
            calls.push_back(call);
            return absl::UnavailableError("down");
          });
  ClientOptions options;
  options.bearer_token = "tenant-token";
  options.default_timeout = absl::Seconds(7);
  Client client = f.MakeClient(options);
  EXPECT_THAT(client.GetJob({}), Not(IsOk()));
  CallOptions per_call;
  per_call.bearer_token = "other";
  per_call.timeout = absl::Seconds(1);
  per_call.metadata = {{"traceparent", "00-abc-def-01"}};
  EXPECT_THAT(client.GetJob({}, per_call), Not(IsOk()));
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].bearer_token, "tenant-token");
  EXPECT_EQ(calls[0].deadline, kStart + absl::Seconds(7));
  EXPECT_EQ(calls[1].bearer_token, "other");
  EXPECT_EQ(calls[1].deadline, kStart + absl::Seconds(1));
  EXPECT_EQ(calls[1].metadata.size(), 1u);
}

TEST(ClientTest, UploadGetsARequestIdAndNoDefaultStreamDeadlineForWatches) {
  Fixture f;
  EXPECT_CALL(*f.mock, UploadVideo)
      .WillOnce([](const CallContext& call, const v1::UploadVideoMetadata& m,
                   const ChunkReader&) {
        EXPECT_EQ(m.request_id().size(), 36u);
        EXPECT_EQ(call.deadline, kStart + absl::Seconds(60));
        return v1::UploadVideoResponse();
      });
  EXPECT_CALL(*f.mock, WatchJob)
      .WillOnce([](const CallContext& call, const v1::WatchJobRequest&) {
        EXPECT_EQ(call.deadline, absl::InfiniteFuture());
        return MakeStreamReader<v1::WatchJobResponse>({});
      });
  Client client = f.MakeClient();
  EXPECT_THAT(client.UploadVideo({}, [] { return std::string(); }), IsOk());
  client.WatchJob({});
}

v1::WatchJobResponse JobEvent(int64_t version, v1::JobState state,
                              int progress) {
  v1::WatchJobResponse event;
  v1::Job* job = event.mutable_job();
  job->set_name("media/1");
  job->set_version(version);
  job->set_state(state);
  job->set_progress_percentage(progress);
  return event;
}

v1::WatchJobResponse Heartbeat(int64_t version) {
  v1::WatchJobResponse event;
  event.mutable_heartbeat()->set_version(version);
  return event;
}

TEST(ClientTest, FollowJobReportsEachChangeAndReturnsTheTerminalState) {
  Fixture f;
  EXPECT_CALL(*f.mock, WatchJob)
      .WillOnce(Return(ByMove(MakeStreamReader<v1::WatchJobResponse>(
          {JobEvent(1, v1::JOB_STATE_QUEUED, 0), Heartbeat(1),
           JobEvent(2, v1::JOB_STATE_RUNNING, 40),
           JobEvent(3, v1::JOB_STATE_SUCCEEDED, 100)}))));
  std::vector<int> progress;
  absl::StatusOr<v1::Job> done =
      f.MakeClient().FollowJob("media/1", [&](const v1::Job& job) {
        progress.push_back(job.progress_percentage());
      });
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(progress, (std::vector<int>{0, 40, 100}));
}

TEST(ClientTest, FollowJobResumesFromTheLastVersionAfterUnavailable) {
  Fixture f;
  std::vector<int64_t> resumed_from;
  EXPECT_CALL(*f.mock, WatchJob)
      .WillOnce([&](const CallContext&, const v1::WatchJobRequest& r) {
        resumed_from.push_back(r.resume_from_version());
        return MakeStreamReader<v1::WatchJobResponse>(
            {JobEvent(1, v1::JOB_STATE_QUEUED, 0),
             JobEvent(2, v1::JOB_STATE_RUNNING, 40)},
            absl::UnavailableError("server draining"));
      })
      .WillOnce([&](const CallContext&, const v1::WatchJobRequest& r) {
        resumed_from.push_back(r.resume_from_version());
        // Another replica numbers versions its own way: its snapshot of the
        // same state is not news, what follows is.
        return MakeStreamReader<v1::WatchJobResponse>(
            {JobEvent(5, v1::JOB_STATE_RUNNING, 40),
             JobEvent(6, v1::JOB_STATE_SUCCEEDED, 100)});
      });
  std::vector<int> progress;
  absl::StatusOr<v1::Job> done =
      f.MakeClient().FollowJob("media/1", [&](const v1::Job& job) {
        progress.push_back(job.progress_percentage());
      });
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(resumed_from, (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(progress, (std::vector<int>{0, 40, 100}));
  EXPECT_EQ(done->version(), 6);
  EXPECT_EQ(f.sleeps.size(), 1u);
}

TEST(ClientTest, FollowJobStartsFromAVersionTheCallerHolds) {
  Fixture f;
  std::vector<int64_t> resumed_from;
  EXPECT_CALL(*f.mock, WatchJob)
      .WillOnce([&](const CallContext&, const v1::WatchJobRequest& r) {
        resumed_from.push_back(r.resume_from_version());
        return MakeStreamReader<v1::WatchJobResponse>(
            {JobEvent(7, v1::JOB_STATE_SUCCEEDED, 100)});
      });
  FollowOptions follow;
  follow.resume_from_version = 6;
  absl::StatusOr<v1::Job> done =
      f.MakeClient().FollowJob("media/1", nullptr, follow);
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(resumed_from, (std::vector<int64_t>{6}));
  EXPECT_EQ(done->version(), 7);
}

TEST(ClientTest, FollowJobStopsOnOtherErrorsAndAfterTooManyReconnects) {
  Fixture f;
  EXPECT_CALL(*f.mock, WatchJob)
      .WillOnce(Return(ByMove(MakeStreamReader<v1::WatchJobResponse>(
          {}, absl::NotFoundError("media/9 not found")))));
  Client client = f.MakeClient();
  EXPECT_THAT(client.FollowJob("media/9", nullptr),
              StatusIs(absl::StatusCode::kNotFound));

  FollowOptions follow;
  follow.max_reconnects = 2;
  EXPECT_CALL(*f.mock, WatchJob)
      .Times(3)
      .WillRepeatedly([](const CallContext&, const v1::WatchJobRequest&) {
        return MakeStreamReader<v1::WatchJobResponse>(
            {}, absl::UnavailableError("no server"));
      });
  EXPECT_THAT(client.FollowJob("media/1", nullptr, follow),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace mediagen::client
