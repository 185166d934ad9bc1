// The emulator's Vimmerse price list against the documented prices.
#include "tests/emulator/vimmerse_prices.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace mediagen::emulator {
namespace {

TEST(PriceTest, PricesFollowTheDocumentedList) {
  EXPECT_EQ(VideoPrice("reference-to-video", "KlingO", 2, 10.0, "").total, 80);
  EXPECT_EQ(
      VideoPrice("reference-to-video", "KlingO", 1, std::nullopt, "").total,
      20);
  EXPECT_EQ(VideoPrice("upload-video", "", 1, 30.0, "").total, 0);
  EXPECT_EQ(VideoPrice("lip-sync", "AvatarLipSync", 1, std::nullopt,
                       std::string(301, 'a'))
                .total,
            20);
  EXPECT_EQ(AudioPrice("text-to-speech", "ElevenLabsTTS", 1, "hi", std::nullopt)
                .total,
            8);
  EXPECT_EQ(AudioPrice("text-to-speech", "ChirpTTS", 1, std::string(1001, 'a'),
                       std::nullopt)
                .total,
            8);
  EXPECT_EQ(AudioPrice("text-to-audio", "ElevenLabsSE", 2, "", 6.0).total, 20);
  EXPECT_EQ(CodePoints("h\xc3\xa9llo"), 5u);
}

}  // namespace
}  // namespace mediagen::emulator
