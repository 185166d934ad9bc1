#include "tests/testing_util/status_matchers.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"

namespace mediagen::testing {
namespace {

using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(StatusIsTest, MatchesCodeOfEachStatusKind) {
  EXPECT_THAT(absl::NotFoundError("x"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(absl::StatusOr<int>(absl::InternalError("x")),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"),
              StatusIs(grpc::StatusCode::UNAVAILABLE));
  // Either enum works with either kind: the numbers are the same.
  EXPECT_THAT(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(StatusIsTest, RejectsOtherCodeOrMessage) {
  EXPECT_THAT(absl::NotFoundError("x"),
              Not(StatusIs(absl::StatusCode::kInternal)));
  EXPECT_THAT(absl::InvalidArgumentError("bad prompt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("prompt")));
  EXPECT_THAT(absl::InvalidArgumentError("bad title"),
              Not(StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("prompt"))));
  EXPECT_THAT(absl::StatusOr<int>(7), Not(StatusIs(absl::StatusCode::kUnknown)));
}

TEST(StatusIsTest, ExplainsWithTheWholeStatus) {
  ::testing::StringMatchResultListener listener;
  EXPECT_FALSE(::testing::ExplainMatchResult(
      StatusIs(absl::StatusCode::kOk), absl::AbortedError("lost the race"),
      &listener));
  EXPECT_THAT(listener.str(), HasSubstr("ABORTED: lost the race"));
}

TEST(IsOkTest, OkAndNot) {
  EXPECT_THAT(absl::OkStatus(), IsOk());
  EXPECT_THAT(grpc::Status::OK, IsOk());
  EXPECT_THAT(absl::StatusOr<std::string>("v"), IsOk());
  EXPECT_THAT(absl::CancelledError(), Not(IsOk()));
}

TEST(IsOkAndHoldsTest, ChecksTheValue) {
  EXPECT_THAT(absl::StatusOr<std::string>("value"), IsOkAndHolds(Eq("value")));
  EXPECT_THAT(absl::StatusOr<std::string>("other"),
              Not(IsOkAndHolds(Eq("value"))));
  EXPECT_THAT(absl::StatusOr<int>(absl::NotFoundError("gone")),
              Not(IsOkAndHolds(Eq(1))));
}

}  // namespace
}  // namespace mediagen::testing
