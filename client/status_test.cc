#include "client/status.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::client {
namespace {

using ::mediagen::testing::StatusIs;

TEST(StatusTest, DescribesReasonProviderHttpStatusAndRequestId) {
  absl::Status status = absl::FailedPreconditionError("not enough credits");
  google::rpc::ErrorInfo info;
  info.set_reason("INSUFFICIENT_CREDIT");
  (*info.mutable_metadata())["provider"] = "vimmerse";
  (*info.mutable_metadata())["http_status"] = "402";
  (*info.mutable_metadata())["upstream_request_id"] = "r-1";
  rpc::SetErrorInfo(&status, info);
  EXPECT_EQ(DescribeError(status),
            "FAILED_PRECONDITION INSUFFICIENT_CREDIT (vimmerse, HTTP 402, "
            "upstream request r-1): not enough credits");
}

TEST(StatusTest, ListsFirstViolationsAndCountsTheRest) {
  absl::Status status = absl::InvalidArgumentError("prompt: is required");
  google::rpc::BadRequest bad;
  for (const char* field : {"prompt", "duration", "aspect_ratio", "quantity"}) {
    auto* v = bad.add_field_violations();
    v->set_field(field);
    v->set_description("bad");
  }
  rpc::SetBadRequest(&status, bad);
  EXPECT_EQ(DescribeError(status),
            "INVALID_ARGUMENT: prompt: is required [prompt: bad; duration: "
            "bad; aspect_ratio: bad; 1 more]");
}

TEST(StatusTest, DescribesQuotaViolationsAndTheirRetryDelay) {
  absl::Status status =
      absl::ResourceExhaustedError("tenant acme is over its request rate");
  google::rpc::ErrorInfo info;
  info.set_reason("TENANT_RATE_LIMITED");
  rpc::SetErrorInfo(&status, info);
  google::rpc::QuotaFailure quota;
  auto* v = quota.add_violations();
  v->set_subject("tenants/acme");
  v->set_description("at most 50 requests per second (burst 100)");
  rpc::SetQuotaFailure(&status, quota);
  rpc::SetRetryInfo(&status, absl::Milliseconds(20));
  EXPECT_EQ(DescribeError(FromGrpcStatus(rpc::ToGrpcStatus(status))),
            "RESOURCE_EXHAUSTED TENANT_RATE_LIMITED: tenant acme is over its "
            "request rate [tenants/acme: at most 50 requests per second (burst "
            "100)] (retry in 20ms)");
}

TEST(StatusTest, RoundsTheRetryDelayUp) {
  auto described = [](absl::Duration delay) {
    absl::Status status = absl::ResourceExhaustedError("over");
    google::rpc::QuotaFailure quota;
    quota.add_violations()->set_subject("tenants/acme");
    rpc::SetQuotaFailure(&status, quota);
    rpc::SetRetryInfo(&status, delay);
    return DescribeError(FromGrpcStatus(rpc::ToGrpcStatus(status)));
  };
  EXPECT_NE(described(absl::Hours(10) + absl::Minutes(52) +
                      absl::Nanoseconds(1730623740))
                .find("(retry in 10h52m2s)"),
            std::string::npos);
  EXPECT_NE(described(absl::Microseconds(230376)).find("(retry in 231ms)"),
            std::string::npos);
  EXPECT_NE(described(absl::Seconds(3)).find("(retry in 3s)"),
            std::string::npos);
}

TEST(StatusTest, AlwaysOneLine) {
  std::string text = DescribeError(absl::UnavailableError("a\nb\r\tc"));
  EXPECT_EQ(text, "UNAVAILABLE: a b  c");
}

TEST(StatusTest, KeepsDetailsThroughGrpc) {
  absl::Status status = absl::ResourceExhaustedError("slow down");
  rpc::SetRetryInfo(&status, absl::Milliseconds(1500));
  absl::Status back = FromGrpcStatus(rpc::ToGrpcStatus(status));
  EXPECT_THAT(back, StatusIs(absl::StatusCode::kResourceExhausted));
  ASSERT_TRUE(RetryDelay(back).has_value());
  EXPECT_EQ(*RetryDelay(back), absl::Milliseconds(1500));
}

}  // namespace
}  // namespace mediagen::client
