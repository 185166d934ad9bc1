#include "proto/rpc/grpc_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::rpc {
namespace {

using ::mediagen::testing::StatusIs;

// The shape of an upstream validation failure as the server builds it:
// ErrorInfo and BadRequest payloads. (The server's own mapping of a real
// HTTP 422 through this conversion is tested in
// //service/upstream/providers:errors_test.)
absl::Status RichError() {
  absl::Status s =
      absl::InvalidArgumentError("Vimmerse POST /v2/media: HTTP 422");
  google::rpc::ErrorInfo info;
  info.set_domain("api.vimmerse.net");
  info.set_reason("VALIDATION_ERROR");
  (*info.mutable_metadata())["http_status"] = "422";
  SetErrorInfo(&s, info);
  google::rpc::BadRequest br;
  br.add_field_violations()->set_field("prompt");
  SetBadRequest(&s, br);
  return s;
}

TEST(GrpcStatusTest, CarriesDetailsInStatusDetailsBin) {
  absl::Status s = RichError();
  SetRetryInfo(&s, absl::Milliseconds(1500));
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_THAT(g, StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(g.error_message(), std::string(s.message()));
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(g.error_details()));
  EXPECT_EQ(rpc.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  bool saw_info = false, saw_bad = false, saw_retry = false;
  for (const auto& any : rpc.details()) {
    if (any.type_url() == "type.googleapis.com/google.rpc.ErrorInfo") {
      google::rpc::ErrorInfo info;
      ASSERT_TRUE(any.UnpackTo(&info));
      EXPECT_EQ(info.reason(), "VALIDATION_ERROR");
      EXPECT_EQ(info.metadata().at("http_status"), "422");
      saw_info = true;
    } else if (any.type_url() == "type.googleapis.com/google.rpc.BadRequest") {
      google::rpc::BadRequest br;
      ASSERT_TRUE(any.UnpackTo(&br));
      EXPECT_EQ(br.field_violations(0).field(), "prompt");
      saw_bad = true;
    } else if (any.type_url() == "type.googleapis.com/google.rpc.RetryInfo") {
      google::rpc::RetryInfo ri;
      ASSERT_TRUE(any.UnpackTo(&ri));
      EXPECT_EQ(ri.retry_delay().seconds(), 1);
      EXPECT_EQ(ri.retry_delay().nanos(), 500000000);
      saw_retry = true;
    }
  }
  EXPECT_TRUE(saw_info && saw_bad && saw_retry);
}

TEST(GrpcStatusTest, RoundTripsBackToAbslWithDetails) {
  absl::Status back = FromGrpcStatus(ToGrpcStatus(RichError()));
  EXPECT_THAT(back, StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_TRUE(GetErrorInfo(back).has_value());
  EXPECT_EQ(GetErrorInfo(back)->domain(), "api.vimmerse.net");
  ASSERT_TRUE(GetBadRequest(back).has_value());
  EXPECT_EQ(GetBadRequest(back)->field_violations(0).field(), "prompt");
}

// Payloads not keyed by a type URL are the server's internal markers (such
// as the transport's request-not-sent marker): they never leave.
TEST(GrpcStatusTest, InternalMarkersStayBehind) {
  constexpr char kMarker[] = "mediagen.internal/request-not-sent";
  absl::Status s = absl::UnavailableError("refused");
  s.SetPayload(kMarker, absl::Cord("1"));
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_THAT(g, StatusIs(grpc::StatusCode::UNAVAILABLE));
  EXPECT_TRUE(g.error_details().empty());
  EXPECT_FALSE(FromGrpcStatus(g).GetPayload(kMarker).has_value());
}

TEST(GrpcStatusTest, OkStaysOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
  EXPECT_EQ(ToRpcStatus(absl::NotFoundError("x")).code(), 5);
}

// A status whose details cannot be parsed keeps its code and message.
TEST(GrpcStatusTest, UnreadableDetailsAreDropped) {
  absl::Status back = FromGrpcStatus(grpc::Status(
      grpc::StatusCode::ABORTED, "conflict", "\xff\xff not proto"));
  EXPECT_THAT(back, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(back.message(), "conflict");
  EXPECT_FALSE(GetErrorInfo(back).has_value());
}

}  // namespace
}  // namespace mediagen::rpc
