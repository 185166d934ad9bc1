#include "service/upstream/grpc_status.h"

#include "absl/strings/cord.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "service/http/transport.h"
#include "service/upstream/errors.h"

namespace mediagen::upstream {
namespace {

absl::Status RichError() {
  http::HttpResponse r;
  r.status = 422;
  r.body =
      R"({"detail": [{"loc": ["body", "prompt"], "msg": "field required", "type": "missing"}]})";
  ErrorContext ctx;
  ctx.provider = v1::PROVIDER_VIMMERSE;
  ctx.route = "POST /v2/media";
  return MapHttpError(r, ctx, absl::UnixEpoch());
}

TEST(GrpcStatusTest, CarriesDetailsInStatusDetailsBin) {
  absl::Status s = RichError();
  SetRetryInfo(&s, absl::Milliseconds(1500));
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
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
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(GetErrorInfo(back).has_value());
  EXPECT_EQ(GetErrorInfo(back)->domain(), "api.vimmerse.net");
  ASSERT_TRUE(GetBadRequest(back).has_value());
  EXPECT_EQ(GetBadRequest(back)->field_violations(0).field(), "prompt");
}

TEST(GrpcStatusTest, InternalMarkersStayBehind) {
  absl::Status s = http::MarkNotSent(absl::UnavailableError("refused"));
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(g.error_details().empty());
  EXPECT_FALSE(http::RequestNotSent(FromGrpcStatus(g)));
}

TEST(GrpcStatusTest, OkStaysOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
  EXPECT_EQ(ToRpcStatus(absl::NotFoundError("x")).code(), 5);
}

}  // namespace
}  // namespace mediagen::upstream
