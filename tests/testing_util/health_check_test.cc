// CheckHealth against an in-process server with gRPC's default health
// service, whose statuses the test sets.
#include "tests/testing_util/health_check.h"

#include <memory>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

class HealthCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&jobs_);  // a sync server needs one service
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(server_->GetHealthCheckService(), nullptr);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override { server_->Shutdown(); }

  v1::JobService::Service jobs_;  // every method UNIMPLEMENTED
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(HealthCheckTest, ReadsServingAndNotServingPerService) {
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus("svc.A", true);
  health->SetServingStatus("svc.B", false);
  EXPECT_THAT(CheckHealth(channel_, ""), IsOkAndHolds(ServingStatus::kServing));
  EXPECT_THAT(CheckHealth(channel_, "svc.A"),
              IsOkAndHolds(ServingStatus::kServing));
  EXPECT_THAT(CheckHealth(channel_, "svc.B"),
              IsOkAndHolds(ServingStatus::kNotServing));
  health->SetServingStatus(false);
  EXPECT_THAT(CheckHealth(channel_, ""),
              IsOkAndHolds(ServingStatus::kNotServing));
  EXPECT_THAT(CheckHealth(channel_, "svc.A"),
              IsOkAndHolds(ServingStatus::kNotServing));
}

TEST_F(HealthCheckTest, AnUnknownServiceIsNotFound) {
  EXPECT_THAT(CheckHealth(channel_, "svc.Nobody"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(HealthCheckNoServerTest, ANoServerIsAnErrorByTheDeadline) {
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(PickFreePort()),
                          grpc::InsecureChannelCredentials());
  auto got = CheckHealth(channel, "", absl::Milliseconds(500));
  EXPECT_THAT(got,
              ::testing::AnyOf(StatusIs(absl::StatusCode::kUnavailable),
                               StatusIs(absl::StatusCode::kDeadlineExceeded)));
}

TEST(ServingStatusTest, PrintsTheProtoName) {
  std::ostringstream os;
  os << ServingStatus::kNotServing;
  EXPECT_EQ(os.str(), "NOT_SERVING");
}

}  // namespace
}  // namespace mediagen::testing
