#include "service/api/api_context.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace mediagen::api {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1750000000);

TEST(UpstreamDeadlineTest, KeepsATenthBackUpToHalfASecond) {
  // 2 s left: upstream gets 1.8 s, so its timeout is answered in time.
  EXPECT_EQ(UpstreamDeadline(kNow + absl::Seconds(2), kNow),
            kNow + absl::Milliseconds(1800));
  // 30 s left: the reserve is capped, upstream gets 29.5 s.
  EXPECT_EQ(UpstreamDeadline(kNow + absl::Seconds(30), kNow),
            kNow + absl::Milliseconds(29500));
  // Always strictly inside the caller's deadline while time is left.
  const absl::Time tight = kNow + absl::Milliseconds(10);
  EXPECT_LT(UpstreamDeadline(tight, kNow), tight);
  EXPECT_GT(UpstreamDeadline(tight, kNow), kNow);
}

TEST(UpstreamDeadlineTest, NoDeadlineAndPastDeadlinesStayAsTheyAre) {
  EXPECT_EQ(UpstreamDeadline(absl::InfiniteFuture(), kNow),
            absl::InfiniteFuture());
  EXPECT_EQ(UpstreamDeadline(kNow - absl::Seconds(1), kNow),
            kNow - absl::Seconds(1));
  EXPECT_EQ(UpstreamDeadline(kNow, kNow), kNow);
}

TEST(MetadataBytesTest, CountsLikeAnHttp2HeaderList) {
  std::multimap<grpc::string_ref, grpc::string_ref> md;
  EXPECT_EQ(MetadataBytes(md), 0u);
  const std::string big(1000, 'v');
  md.emplace("authorization", "Bearer t");
  md.emplace("x-padding", big);
  md.emplace("x-padding", big);
  EXPECT_EQ(MetadataBytes(md), (13 + 8 + 32) + 2 * (9 + 1000 + 32));
}

}  // namespace
}  // namespace mediagen::api
