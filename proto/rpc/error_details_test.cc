#include "proto/rpc/error_details.h"

#include <string>

#include "absl/strings/cord.h"
#include "gtest/gtest.h"

namespace mediagen::rpc {
namespace {

TEST(ErrorDetailsTest, EachDetailRoundTripsUnderItsTypeUrl) {
  absl::Status s = absl::FailedPreconditionError("no credit");
  google::rpc::ErrorInfo info;
  info.set_reason("INSUFFICIENT_CREDIT");
  info.set_domain("api.vimmerse.net");
  SetErrorInfo(&s, info);
  google::rpc::BadRequest br;
  br.add_field_violations()->set_field("prompt");
  SetBadRequest(&s, br);
  SetRetryInfo(&s, absl::Seconds(3));

  EXPECT_TRUE(
      s.GetPayload("type.googleapis.com/google.rpc.ErrorInfo").has_value());
  ASSERT_TRUE(GetErrorInfo(s).has_value());
  EXPECT_EQ(GetErrorInfo(s)->reason(), "INSUFFICIENT_CREDIT");
  EXPECT_EQ(GetErrorInfo(s)->domain(), "api.vimmerse.net");
  ASSERT_TRUE(GetBadRequest(s).has_value());
  EXPECT_EQ(GetBadRequest(s)->field_violations(0).field(), "prompt");
  ASSERT_TRUE(GetRetryInfo(s).has_value());
  EXPECT_EQ(GetRetryInfo(s)->retry_delay().seconds(), 3);
  EXPECT_EQ(RetryDelay(s), absl::Seconds(3));
}

TEST(ErrorDetailsTest, QuotaFailureRoundTripsUnderItsTypeUrl) {
  absl::Status s = absl::ResourceExhaustedError("too many jobs");
  google::rpc::QuotaFailure failure;
  auto* v = failure.add_violations();
  v->set_subject("tenants/acme");
  v->set_description("at most 2 jobs in flight");
  SetQuotaFailure(&s, failure);

  EXPECT_TRUE(
      s.GetPayload("type.googleapis.com/google.rpc.QuotaFailure").has_value());
  ASSERT_TRUE(GetQuotaFailure(s).has_value());
  ASSERT_EQ(GetQuotaFailure(s)->violations_size(), 1);
  EXPECT_EQ(GetQuotaFailure(s)->violations(0).subject(), "tenants/acme");
  EXPECT_FALSE(GetQuotaFailure(absl::ResourceExhaustedError("x")).has_value());
}

TEST(ErrorDetailsTest, AbsentDetailsAreNullopt) {
  const absl::Status s = absl::NotFoundError("x");
  EXPECT_FALSE(GetErrorInfo(s).has_value());
  EXPECT_FALSE(GetRetryInfo(s).has_value());
  EXPECT_FALSE(GetBadRequest(s).has_value());
  EXPECT_FALSE(RetryDelay(s).has_value());
}

TEST(ErrorDetailsTest, SettersLeaveAnOkStatusAlone) {
  absl::Status s = absl::OkStatus();
  SetErrorInfo(&s, google::rpc::ErrorInfo());
  SetRetryInfo(&s, absl::Seconds(1));
  SetBadRequest(&s, google::rpc::BadRequest());
  EXPECT_TRUE(s.ok());
  EXPECT_FALSE(GetErrorInfo(s).has_value());
}

TEST(ErrorDetailsTest, RetryDelayKeepsSubSecondsAndNeverGoesNegative) {
  absl::Status s = absl::UnavailableError("busy");
  SetRetryInfo(&s, absl::Milliseconds(1500));
  EXPECT_EQ(GetRetryInfo(s)->retry_delay().seconds(), 1);
  EXPECT_EQ(GetRetryInfo(s)->retry_delay().nanos(), 500000000);
  EXPECT_EQ(RetryDelay(s), absl::Milliseconds(1500));

  SetRetryInfo(&s, -absl::Seconds(2));  // replaces the first
  EXPECT_EQ(RetryDelay(s), absl::ZeroDuration());
}

TEST(ErrorDetailsTest, AGarbledPayloadReadsAsAbsent) {
  absl::Status s = absl::InternalError("x");
  s.SetPayload("type.googleapis.com/google.rpc.ErrorInfo",
               absl::Cord("\xff\xff\xff"));
  EXPECT_FALSE(GetErrorInfo(s).has_value());
}

}  // namespace
}  // namespace mediagen::rpc
