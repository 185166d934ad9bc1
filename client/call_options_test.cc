#include "client/call_options.h"

#include <set>

#include "gtest/gtest.h"

namespace mediagen::client {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

TEST(CallOptionsTest, OwnTimeoutAndTokenWin) {
  CallOptions options;
  options.timeout = absl::Seconds(3);
  options.bearer_token = "call-token";
  CallContext call =
      ResolveCallOptions(options, absl::Seconds(60), "conn-token", kNow);
  EXPECT_EQ(call.deadline, kNow + absl::Seconds(3));
  EXPECT_EQ(call.bearer_token, "call-token");
}

TEST(CallOptionsTest, DefaultsApplyAndZeroMeansNoDeadline) {
  CallContext call =
      ResolveCallOptions({}, absl::Seconds(60), "conn-token", kNow);
  EXPECT_EQ(call.deadline, kNow + absl::Seconds(60));
  EXPECT_EQ(call.bearer_token, "conn-token");
  EXPECT_EQ(ResolveCallOptions({}, absl::ZeroDuration(), "", kNow).deadline,
            absl::InfiniteFuture());
}

TEST(CallOptionsTest, RequestIdsAreVersion4UuidsAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewRequestId();
    ASSERT_EQ(id.size(), 36u) << id;
    EXPECT_EQ(id[8], '-');
    EXPECT_EQ(id[13], '-');
    EXPECT_EQ(id[14], '4') << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace mediagen::client
