#include "service/upstream/providers/field_checker.h"

#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::upstream {
namespace {

using ::mediagen::testing::StatusIs;

// The violations of `s` as "field: description" lines, in order.
std::vector<std::string> Violations(const absl::Status& s) {
  std::vector<std::string> out;
  auto br = rpc::GetBadRequest(s);
  if (!br.has_value()) return out;
  for (const auto& v : br->field_violations()) {
    out.push_back(v.field() + ": " + v.description());
  }
  return out;
}

TEST(UrlProblemTest, UrlRule) {
  EXPECT_EQ(UrlProblem("https://a.example/x?y=1#z"), "");
  EXPECT_EQ(UrlProblem("http://127.0.0.1:8080"), "");
  EXPECT_NE(UrlProblem("https://"), "");
  EXPECT_NE(UrlProblem("https://:80/x"), "");
  EXPECT_NE(UrlProblem("https://user@/x"), "");
  EXPECT_NE(UrlProblem("javascript:alert(1)"), "");
  EXPECT_NE(UrlProblem("file:///etc/passwd"), "");
  EXPECT_NE(UrlProblem("https://a.example/\x7f"), "");
  EXPECT_NE(UrlProblem("https://a.example/\tx"), "");
  EXPECT_NE(UrlProblem("https://a.example/x\r\nHost: evil"), "");
  // C1 control (NEL), line separator, bidi override, invalid UTF-8.
  EXPECT_NE(UrlProblem("https://a.example/\xc2\x85x"), "");
  EXPECT_NE(UrlProblem("https://a.example/\xe2\x80\xa8x"), "");
  EXPECT_NE(UrlProblem("https://a.example/\xe2\x80\xaegnp.exe"), "");
  EXPECT_NE(UrlProblem("https://a.example/\xff"), "");
  EXPECT_EQ(UrlProblem("https://a.example/caf%C3%A9.png"), "");
  EXPECT_EQ(UrlProblem("https://a.example/" + std::string(2048 - 18, 'a')), "");
  EXPECT_NE(UrlProblem("https://a.example/" + std::string(2048 - 17, 'a')), "");
}

TEST(FieldCheckerTest, NothingAddedIsOk) {
  FieldChecker c;
  c.RequestId("r-1");
  c.Required("prompt", "a kite");
  c.Url("webhook_url", "");  // unset optional URL: upstream's default
  c.IntRange("quantity", /*has=*/false, 99, 1, 4);
  EXPECT_TRUE(c.Done().ok());
}

TEST(FieldCheckerTest, EveryViolationIsKeptInOrderInOneBadRequest) {
  FieldChecker c;
  c.Required("prompt", "  ");
  c.RequiredUrl("video_url", "");
  c.Url("webhook_url", "ftp://x");
  c.IntRange("quantity", true, 5, 1, 4);
  const absl::Status s = c.Done();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(
      Violations(s),
      (std::vector<std::string>{
          "prompt: `prompt` is required", "video_url: `video_url` is required",
          "webhook_url: `webhook_url` must be an absolute http(s) URL",
          "quantity: `quantity` must be between 1 and 4 (got 5)"}));
}

TEST(FieldCheckerTest, RequestIdIsBoundedPrintableAscii) {
  FieldChecker ok;
  ok.RequestId(std::string(kMaxRequestIdLength, 'r'));
  EXPECT_TRUE(ok.Done().ok());
  FieldChecker long_id;
  long_id.RequestId(std::string(kMaxRequestIdLength + 1, 'r'));
  EXPECT_EQ(Violations(long_id.Done()),
            std::vector<std::string>{
                "request_id: `request_id` must be at most 128 characters"});
  FieldChecker control;
  control.RequestId("r\n1");
  EXPECT_THAT(control.Done(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FieldCheckerTest, NumbersMustBeFiniteAndInRange) {
  FieldChecker c;
  c.DoubleRange("seconds_total", true, std::nan(""), 1, 47);
  c.Positive("video_duration", true, 0);
  c.AtLeast("offset_x", true, -1, 0);
  c.DecimalString("overlay_scale", true, " 0.5", 0, 1);  // spaces: no
  c.DecimalString("chroma_tolerance", true, "0.5", 0, 1);
  EXPECT_EQ(Violations(c.Done()).size(), 4u);
}

TEST(FieldCheckerTest, ClosedListsAndAspectRatios) {
  FieldChecker c;
  c.OneOf("enhance_mode", true, "8X", {"4X", "2X"});
  c.OneOf("enhance_mode", true, "4X", {"4X", "2X"});
  c.AspectRatio("aspect_ratio", true, "16:9");
  c.AspectRatio("aspect_ratio", true, "wide");
  EXPECT_EQ(Violations(c.Done()),
            (std::vector<std::string>{
                "enhance_mode: `enhance_mode` must be one of 4X, 2X (got "
                "\"8X\")",
                "aspect_ratio: `aspect_ratio` must be `W:H` in whole numbers, "
                "e.g. `16:9` (got \"wide\")"}));
}

TEST(FieldCheckerTest, PlainTextAndCounts) {
  FieldChecker c;
  c.PlainText("file_name", true, "a/b.mp4", 255, "/");
  c.PlainText("option", true, std::string(129, 'o'), 128);
  c.PlainText("asset_id", true, "a\x01", 256);
  c.MaxCount("next_request_ids", 4, 3);
  EXPECT_EQ(Violations(c.Done()).size(), 4u);
}

TEST(FieldCheckerTest, ResourceNamesReportTheirOwnViolations) {
  FieldChecker c;
  c.Name("media/m1", ResourceKind::kMedia);
  c.AnyName("generations/g1");
  EXPECT_TRUE(c.Done().ok());
  FieldChecker bad;
  bad.Name("assets/a1", ResourceKind::kMedia);
  ASSERT_EQ(Violations(bad.Done()).size(), 1u);
}

TEST(FieldCheckerTest, QuotedValuesAreSanitizedAndCut) {
  EXPECT_EQ(FieldChecker::Quote("a\nb"), "\"a b\"");
  EXPECT_LE(FieldChecker::Quote(std::string(500, 'x')).size(), 64u + 5u);
  EXPECT_EQ(FieldChecker::At("image_urls", 2), "image_urls[2]");
}

}  // namespace
}  // namespace mediagen::upstream
