// WatchClient against an in-process JobService whose WatchJob is scripted.
#include "tests/testing_util/watch_client.h"

#include <atomic>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

// "media/known" streams two versions with a heartbeat between them and ends
// OK; "media/held" sends one version and stays open until cancelled; any
// other name is NOT_FOUND. Echoes the resume version and the bearer token
// back in the first job's upstream_status, so the test sees what was sent.
class ScriptedJobService final : public v1::JobService::Service {
 public:
  grpc::Status WatchJob(
      grpc::ServerContext* ctx, const v1::WatchJobRequest* req,
      grpc::ServerWriter<v1::WatchJobResponse>* out) override {
    std::string auth;
    auto it = ctx->client_metadata().find("authorization");
    if (it != ctx->client_metadata().end()) {
      auth = std::string(it->second.data(), it->second.size());
    }
    if (req->name() != "media/known" && req->name() != "media/held") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such job");
    }
    v1::WatchJobResponse first;
    first.mutable_job()->set_name(req->name());
    first.mutable_job()->set_version(req->resume_from_version() + 1);
    first.mutable_job()->set_upstream_status(auth);
    out->Write(first);
    if (req->name() == "media/held") {
      while (!ctx->IsCancelled()) absl::SleepFor(absl::Milliseconds(10));
      ++held_ended;
      return grpc::Status::CANCELLED;
    }
    v1::WatchJobResponse beat;
    beat.mutable_heartbeat()->set_version(first.job().version());
    out->Write(beat);
    v1::WatchJobResponse second = first;
    second.mutable_job()->set_version(first.job().version() + 1);
    out->Write(second);
    return grpc::Status::OK;
  }

  std::atomic<int> held_ended{0};
};

class WatchClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::JobService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                            grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { server_->Shutdown(); }

  ScriptedJobService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::JobService::Stub> stub_;
};

TEST_F(WatchClientTest, CollectsEveryMessageAndTheFinalStatus) {
  WatchClient watch(stub_.get(), "media/known", 4, "tok-1");
  ASSERT_TRUE(watch.WaitDone(absl::Seconds(10)));
  ASSERT_TRUE(watch.status().has_value());
  EXPECT_THAT(*watch.status(), IsOk());
  EXPECT_EQ(watch.events().size(), 3u);  // job, heartbeat, job
  ASSERT_EQ(watch.jobs().size(), 2u);    // heartbeats left out
  EXPECT_EQ(watch.jobs()[0].version(), 5);
  EXPECT_EQ(watch.jobs()[1].version(), 6);
  EXPECT_EQ(watch.jobs()[0].upstream_status(), "Bearer tok-1");
  EXPECT_TRUE(watch.WaitMessages(3, absl::Seconds(1)));
  EXPECT_FALSE(watch.WaitMessages(4, absl::Seconds(1)));
}

TEST_F(WatchClientTest, SendsNoAuthorizationWithoutAToken) {
  WatchClient watch(stub_.get(), "media/known");
  ASSERT_TRUE(watch.WaitDone(absl::Seconds(10)));
  ASSERT_FALSE(watch.jobs().empty());
  EXPECT_EQ(watch.jobs()[0].upstream_status(), "");
  EXPECT_EQ(watch.jobs()[0].version(), 1);
}

TEST_F(WatchClientTest, ReportsAnErrorEnd) {
  WatchClient watch(stub_.get(), "media/unknown");
  ASSERT_TRUE(watch.WaitDone(absl::Seconds(10)));
  EXPECT_THAT(*watch.status(),
              StatusIs(grpc::StatusCode::NOT_FOUND, "no such job"));
  EXPECT_TRUE(watch.events().empty());
}

TEST_F(WatchClientTest, CancelEndsAnOpenStream) {
  WatchClient watch(stub_.get(), "media/held");
  ASSERT_TRUE(watch.WaitMessages(1, absl::Seconds(10)));
  EXPECT_FALSE(watch.WaitDone(absl::Milliseconds(100)));
  EXPECT_FALSE(watch.status().has_value());
  watch.Cancel();
  ASSERT_TRUE(watch.WaitDone(absl::Seconds(10)));
  EXPECT_THAT(*watch.status(), StatusIs(grpc::StatusCode::CANCELLED));
}

// A test that gives up on a watch (a failed WaitDone) destroys it while
// open: the destructor cancels it and waits for gRPC's last callback, so
// nothing calls into the destroyed object (ASan would see it) and the
// server learns the caller left.
TEST_F(WatchClientTest, DestroyingAnOpenWatchCancelsIt) {
  {
    WatchClient watch(stub_.get(), "media/held");
    ASSERT_TRUE(watch.WaitMessages(1, absl::Seconds(10)));
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (service_.held_ended.load() == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(service_.held_ended.load(), 1);
}

}  // namespace
}  // namespace mediagen::testing
