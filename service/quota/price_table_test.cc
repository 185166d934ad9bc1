#include "service/quota/price_table.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::quota {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

TEST(PriceTableTest, EmptyObjectKeepsTheDefaults) {
  absl::StatusOr<PriceTable> t = PriceTableFromJson(json::object(), "prices");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(*t == PriceTable{});
  EXPECT_EQ(t->media_credits_per_block, 10);
  EXPECT_EQ(t->media_block_seconds, 5);
}

TEST(PriceTableTest, ReadsEveryPrice) {
  absl::StatusOr<PriceTable> t = PriceTableFromJson(
      json::parse(R"({"vimmerse": {"media_credits_per_block": 12.5,
                                   "media_block_seconds": 4},
                      "elevenlabs": {"sound_effect_characters": 150,
                                     "sound_effect_characters_per_second": 30},
                      "aimlapi": {"stable_audio_credits_per_step": 0,
                                  "stable_audio_default_steps": 50}})"),
      "prices");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->media_credits_per_block, 12.5);
  EXPECT_EQ(t->media_block_seconds, 4);
  EXPECT_EQ(t->sound_effect_characters, 150);
  EXPECT_EQ(t->sound_effect_characters_per_second, 30);
  EXPECT_EQ(t->stable_audio_credits_per_step, 0);
  EXPECT_EQ(t->stable_audio_default_steps, 50);
}

TEST(PriceTableTest, ErrorsNameTheKey) {
  struct Case {
    const char* doc;
    const char* names;
  } cases[] = {
      {R"({"vimeo": {}})", "`prices.vimeo` is not a known provider"},
      {R"({"vimmerse": {"media_credits": 1}})",
       "`prices.vimmerse.media_credits` is not a known setting"},
      {R"({"vimmerse": {"media_credits_per_block": -1}})",
       "`prices.vimmerse.media_credits_per_block` must be a number >= 0"},
      {R"({"vimmerse": {"media_block_seconds": 0}})",
       "`prices.vimmerse.media_block_seconds` must be a number above 0"},
      {R"({"aimlapi": {"stable_audio_credits_per_step": "5"}})",
       "`prices.aimlapi.stable_audio_credits_per_step` must be a number >= 0"},
      {R"({"aimlapi": {"stable_audio_default_steps": 0}})",
       "`prices.aimlapi.stable_audio_default_steps` must be a number above 0"},
      {R"({"elevenlabs": []})", "`prices.elevenlabs` must be an object"},
      {R"([])", "`prices` must be an object"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<PriceTable> t =
        PriceTableFromJson(json::parse(c.doc), "prices");
    ASSERT_FALSE(t.ok()) << c.doc;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(t.status().message(), HasSubstr(c.names)) << c.doc;
  }
}

TEST(PriceBookTest, ReplaceLeavesEarlierReadersTheirTable) {
  PriceBook book;
  std::shared_ptr<const PriceTable> before = book.Get();
  PriceTable fresh;
  fresh.stable_audio_credits_per_step = 7;
  book.Replace(fresh);
  EXPECT_EQ(before->stable_audio_credits_per_step, 252);
  EXPECT_EQ(book.Get()->stable_audio_credits_per_step, 7);
}

}  // namespace
}  // namespace mediagen::quota
