// The gRPC Connection against an in-process fake mediagen on loopback: what
// goes on the wire (metadata, deadline, upload order), and the published
// retry policy at work in the channel.
#include "client/connection.h"

#include <atomic>
#include <mutex>
#include <vector>

#include "client/client.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::client {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;

class FakeJobs final : public v1::JobService::Service {
 public:
  grpc::Status GetJob(grpc::ServerContext* context,
                      const v1::GetJobRequest* request,
                      v1::GetJobResponse* response) override {
    const int attempt = ++get_attempts;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto md = context->client_metadata();
      auto auth = md.find("authorization");
      last_authorization = auth == md.end() ? ""
                                            : std::string(auth->second.data(),
                                                          auth->second.size());
      last_deadline_left =
          context->deadline() - std::chrono::system_clock::now();
    }
    if (attempt <= fail_first_gets) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "warming up");
    }
    response->mutable_job()->set_name(request->name());
    return grpc::Status::OK;
  }
  grpc::Status WatchJob(
      grpc::ServerContext*, const v1::WatchJobRequest* request,
      grpc::ServerWriter<v1::WatchJobResponse>* writer) override {
    for (int version = 1; version <= 3; ++version) {
      v1::WatchJobResponse event;
      event.mutable_job()->set_name(request->name());
      event.mutable_job()->set_version(version);
      event.mutable_job()->set_progress_percentage(version * 30);
      event.mutable_job()->set_state(version == 3 ? v1::JOB_STATE_SUCCEEDED
                                                  : v1::JOB_STATE_RUNNING);
      writer->Write(event);
    }
    return grpc::Status::OK;
  }

  std::atomic<int> get_attempts{0};
  int fail_first_gets = 0;
  std::mutex mu;
  std::string last_authorization;
  std::chrono::system_clock::duration last_deadline_left{};
};

class FakeMedia final : public v1::MediaService::Service {
 public:
  grpc::Status CreateMedia(grpc::ServerContext*,
                           const v1::CreateMediaRequest* request,
                           v1::CreateMediaResponse* response) override {
    std::lock_guard<std::mutex> lock(mu);
    request_ids.push_back(request->request_id());
    if (static_cast<int>(request_ids.size()) <= fail_first_creates) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "busy");
    }
    response->mutable_media()->set_name("media/1");
    return grpc::Status::OK;
  }
  std::mutex mu;
  std::vector<std::string> request_ids;
  int fail_first_creates = 0;
};

class FakeVideo final : public v1::VideoService::Service {
 public:
  grpc::Status UploadVideo(grpc::ServerContext*,
                           grpc::ServerReader<v1::UploadVideoRequest>* reader,
                           v1::UploadVideoResponse* response) override {
    v1::UploadVideoRequest message;
    std::string order;
    while (reader->Read(&message)) {
      if (message.has_metadata()) {
        order += "[" + message.metadata().file_name() + "]";
      } else {
        order += message.chunk();
      }
    }
    response->mutable_asset()->set_id(order);
    return grpc::Status::OK;
  }
};

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&jobs_);
    builder.RegisterService(&media_);
    builder.RegisterService(&video_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ConnectionOptions options;
    options.target = "127.0.0.1:" + std::to_string(port);
    connection_ = MakeConnection(options);
  }
  void TearDown() override { server_->Shutdown(); }

  FakeJobs jobs_;
  FakeMedia media_;
  FakeVideo video_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<Connection> connection_;
};

TEST_F(ConnectionTest, SendsTokenAndDeadline) {
  CallContext call;
  call.bearer_token = "secret-token";
  call.deadline = absl::Now() + absl::Seconds(30);
  v1::GetJobRequest request;
  request.set_name("media/42");
  absl::StatusOr<v1::GetJobResponse> got = connection_->GetJob(call, request);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->job().name(), "media/42");
  std::lock_guard<std::mutex> lock(jobs_.mu);
  EXPECT_EQ(jobs_.last_authorization, "Bearer secret-token");
  EXPECT_GT(jobs_.last_deadline_left, std::chrono::seconds(25));
  // Not more than 30 s plus slack: grpc-timeout rounds up (to 100 ms units
  // here) and gRPC maps the wall-clock deadline onto its monotonic clock
  // with an offset taken at start-up, which a clock adjustment since then
  // shifts (seen once: 30.098 s on a freshly booted CI machine).
  EXPECT_LE(jobs_.last_deadline_left, std::chrono::seconds(31));
}

TEST_F(ConnectionTest, ChannelRetriesReadsByThePublishedServiceConfig) {
  jobs_.fail_first_gets = 2;
  absl::StatusOr<v1::GetJobResponse> got = connection_->GetJob({}, {});
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(jobs_.get_attempts.load(), 3);
}

TEST_F(ConnectionTest, ChannelDoesNotRetryCreatesButTheClientDoesWithAnId) {
  media_.fail_first_creates = 1;
  EXPECT_THAT(connection_->CreateMedia({}, {}),
              StatusIs(absl::StatusCode::kUnavailable));
  {
    std::lock_guard<std::mutex> lock(media_.mu);
    EXPECT_EQ(media_.request_ids.size(), 1u);
  }
  media_.fail_first_creates = 3;  // two more failures, then success
  ClientOptions options;
  options.sleep = [](absl::Duration) {};
  Client client(connection_, options);
  absl::StatusOr<v1::CreateMediaResponse> created = client.CreateMedia({});
  ASSERT_THAT(created, IsOk());
  std::lock_guard<std::mutex> lock(media_.mu);
  ASSERT_EQ(media_.request_ids.size(), 4u);
  EXPECT_FALSE(media_.request_ids[1].empty());
  EXPECT_EQ(media_.request_ids[1], media_.request_ids[3]);
}

TEST_F(ConnectionTest, UploadSendsMetadataFirstThenChunksInOrder) {
  std::vector<std::string> chunks = {"ab", "cd", "e"};
  size_t next = 0;
  v1::UploadVideoMetadata metadata;
  metadata.set_file_name("clip.mp4");
  absl::StatusOr<v1::UploadVideoResponse> uploaded = connection_->UploadVideo(
      {}, metadata, [&]() -> absl::StatusOr<std::string> {
        return next < chunks.size() ? chunks[next++] : std::string();
      });
  ASSERT_THAT(uploaded, IsOk());
  EXPECT_EQ(uploaded->asset().id(), "[clip.mp4]abcde");
}

TEST_F(ConnectionTest, UploadSourceErrorCancelsAndIsReturned) {
  absl::StatusOr<v1::UploadVideoResponse> uploaded =
      connection_->UploadVideo({}, {}, []() -> absl::StatusOr<std::string> {
        return absl::DataLossError("disk went away");
      });
  EXPECT_THAT(uploaded, StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(ConnectionTest, FollowJobOverTheWire) {
  Client client(connection_);
  std::vector<int64_t> versions;
  absl::StatusOr<v1::Job> done = client.FollowJob(
      "media/5",
      [&](const v1::Job& job) { versions.push_back(job.version()); });
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(versions, (std::vector<int64_t>{1, 2, 3}));
}

}  // namespace
}  // namespace mediagen::client
