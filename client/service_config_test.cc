#include "client/service_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::client {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ServiceConfigTest, PublishedConfigParsesAndRetriesOnlyReads) {
  absl::StatusOr<RetryPolicy> policy =
      ParseRetryPolicy(PublishedServiceConfig());
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->max_attempts, 4);
  EXPECT_EQ(policy->initial_backoff, absl::Milliseconds(200));
  EXPECT_EQ(policy->max_backoff, absl::Seconds(5));
  EXPECT_DOUBLE_EQ(policy->backoff_multiplier, 2.0);

  // A create in the channel config would be retried without looking at its
  // request_id, and could be charged twice.
  std::string config(PublishedServiceConfig());
  for (const char* create :
       {"CreateMedia", "UpdateMedia", "GenerateAudio", "TextToSpeech",
        "ReframeVideo", "UploadVideo", "SynthesizeSpeech"}) {
    EXPECT_EQ(config.find(create), std::string::npos) << create;
  }
  EXPECT_NE(config.find("\"GetJob\""), std::string::npos);
  EXPECT_NE(config.find("\"WatchJob\""), std::string::npos);
}

TEST(ServiceConfigTest, BackoffGrowsAndIsCapped) {
  RetryPolicy policy;
  policy.initial_backoff = absl::Milliseconds(100);
  policy.backoff_multiplier = 3;
  policy.max_backoff = absl::Seconds(1);
  EXPECT_EQ(policy.BackoffCap(1), absl::ZeroDuration());
  EXPECT_EQ(policy.BackoffCap(2), absl::Milliseconds(100));
  EXPECT_EQ(policy.BackoffCap(3), absl::Milliseconds(300));
  EXPECT_EQ(policy.BackoffCap(4), absl::Milliseconds(900));
  EXPECT_EQ(policy.BackoffCap(5), absl::Seconds(1));
}

TEST(ServiceConfigTest, RejectsMalformedPolicies) {
  EXPECT_THAT(ParseRetryPolicy("not json"), Not(IsOk()));
  EXPECT_THAT(ParseRetryPolicy("{}"), Not(IsOk()));
  EXPECT_THAT(ParseRetryPolicy(R"({"methodConfig": [{"name": []}]})"),
              StatusIs(absl::StatusCode::kNotFound));
  absl::Status status =
      ParseRetryPolicy(
          R"({"methodConfig": [{"retryPolicy": {"maxAttempts": 3,
              "initialBackoff": "fast", "maxBackoff": "1s",
              "backoffMultiplier": 2}}]})")
          .status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("initialBackoff")));
  EXPECT_THAT(ParseRetryPolicy(
                  R"({"methodConfig": [{"retryPolicy": {"maxAttempts": 1,
              "initialBackoff": "1s", "maxBackoff": "1s",
              "backoffMultiplier": 2}}]})"),
              Not(IsOk()));
}

}  // namespace
}  // namespace mediagen::client
