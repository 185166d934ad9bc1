#include "service/upstream/providers/resource_name.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "service/upstream/providers/errors.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::upstream {
namespace {

using ::mediagen::testing::StatusIs;

void ExpectRejected(absl::string_view name) {
  absl::StatusOr<ResourceName> r = ParseResourceName(name);
  ASSERT_FALSE(r.ok()) << name;
  EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  auto br = rpc::GetBadRequest(r.status());
  ASSERT_TRUE(br.has_value()) << name;
  ASSERT_EQ(br->field_violations_size(), 1);
  EXPECT_EQ(br->field_violations(0).field(), "name");
  EXPECT_NE(r.status().message().find("`name`"), absl::string_view::npos);
}

TEST(ResourceNameTest, ParsesTheThreeCollections) {
  auto m = ParseResourceName("media/abc123-def456");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->kind, ResourceKind::kMedia);
  EXPECT_EQ(m->id, "abc123-def456");
  auto a = ParseResourceName("assets/a1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kind, ResourceKind::kAsset);
  auto g = ParseResourceName("generations/e6dcf61f:stable-audio");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->kind, ResourceKind::kGeneration);
  EXPECT_EQ(g->id, "e6dcf61f:stable-audio");
  EXPECT_EQ(FormatResourceName(ResourceKind::kAsset, "a1"), "assets/a1");
}

TEST(ResourceNameTest, RejectsAnythingLoose) {
  ExpectRejected("");
  ExpectRejected("media");
  ExpectRejected("media/");
  ExpectRejected("videos/x");
  ExpectRejected("media/a/b");
  ExpectRejected("media/../x/y");
  ExpectRejected("media/a b");
  ExpectRejected("media/a\nb");
  ExpectRejected("media/\xc3\xa9");
  ExpectRejected(std::string("media/a\0b", 9));
  ExpectRejected("media/" + std::string(kMaxResourceIdLength + 1, 'a'));
  EXPECT_TRUE(
      ParseResourceName("media/" + std::string(kMaxResourceIdLength, 'a'))
          .ok());
}

// As path segments they would name another upstream path: `media/..`
// became `GET /v2/` and `assets/..` `GET /` with the tenant's key.
TEST(ResourceNameTest, RejectsDotSegmentsAsIds) {
  for (const char* name : {"media/.", "media/..", "assets/.", "assets/..",
                           "generations/.", "generations/.."}) {
    ExpectRejected(name);
  }
  EXPECT_TRUE(IsDotSegment("."));
  EXPECT_TRUE(IsDotSegment(".."));
  EXPECT_FALSE(IsDotSegment("..."));
  EXPECT_FALSE(IsDotSegment(".a"));
  EXPECT_TRUE(ParseResourceName("media/...").ok());
  EXPECT_TRUE(ParseResourceName("media/a..b").ok());
}

TEST(ResourceNameTest, ExpectedCollectionIsEnforced) {
  EXPECT_TRUE(ParseResourceId("media/x", ResourceKind::kMedia).ok());
  auto wrong = ParseResourceId("assets/x", ResourceKind::kMedia, "name");
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(rpc::GetBadRequest(wrong.status())->field_violations(0).field(),
            "name");
}

}  // namespace
}  // namespace mediagen::upstream
