#include "service/upstream/providers/free_text.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mediagen/v1/audio.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/video.pb.h"

namespace mediagen::upstream {
namespace {

std::vector<std::string> Fields(const google::protobuf::Message& m) {
  std::vector<std::string> out;
  for (const auto& v : ControlCharacterViolations(m)) out.push_back(v.field());
  return out;
}

TEST(FreeTextTest, RefusesC0ControlsAndDelButNotTabLfCrOrUtf8) {
  for (int c = 0; c < 0x20; ++c) {
    const bool allowed = c == '\t' || c == '\n' || c == '\r';
    EXPECT_EQ(IsFreeTextByte(static_cast<unsigned char>(c)), allowed) << c;
  }
  EXPECT_FALSE(IsFreeTextByte(0x7F));
  for (int c = 0x20; c < 0x7F; ++c) EXPECT_TRUE(IsFreeTextByte(c)) << c;
  for (int c = 0x80; c <= 0xFF; ++c) EXPECT_TRUE(IsFreeTextByte(c)) << c;
  EXPECT_EQ(FindControlCharacter("line one\r\n\tline two \xc3\xa9"),
            absl::string_view::npos);
  EXPECT_EQ(FindControlCharacter(std::string("hello\0world", 11)), 5u);
  EXPECT_EQ(FindControlCharacter("a\x1b[2Jb"), 1u);
}

// The three cases of issue 18: a NUL in a prompt, an ANSI escape in a
// title, a BEL in a TextToSpeech prompt.
TEST(FreeTextTest, NamesEachFieldWithItsPath) {
  v1::CreateMediaRequest create;
  create.set_prompt(std::string("hello\0world", 11));
  create.set_title("a\x1b[2Jb");
  create.add_media_items()->set_type("image");
  create.add_media_items()->set_type(
      "vid\x7f"
      "eo");
  create.mutable_audio_option()->set_narrator("Aria\x07");
  EXPECT_THAT(Fields(create), ::testing::UnorderedElementsAre(
                                  "prompt", "title", "media_items[1].type",
                                  "audio_option.narrator"));
  const auto violations = ControlCharacterViolations(create);
  for (const auto& v : violations) {
    EXPECT_THAT(v.description(), ::testing::HasSubstr("`" + v.field() + "`"));
    EXPECT_THAT(v.description(), ::testing::Not(::testing::HasSubstr("hello")));
  }

  v1::TextToSpeechRequest tts;
  tts.set_prompt("ding\adong");
  EXPECT_THAT(Fields(tts), ::testing::ElementsAre("prompt"));
  tts.set_prompt("multi-line\nnarration\twith tabs\r\n");
  EXPECT_THAT(Fields(tts), ::testing::IsEmpty());
}

TEST(FreeTextTest, BytesFieldsAreNotText) {
  v1::UploadVideoRequest chunk;
  chunk.set_chunk(std::string("\0\x01\x02\x7f", 4));
  EXPECT_THAT(Fields(chunk), ::testing::IsEmpty());
  v1::UploadVideoRequest meta;
  meta.mutable_metadata()->set_file_name("a\x01.mp4");
  EXPECT_THAT(Fields(meta), ::testing::ElementsAre("metadata.file_name"));
}

}  // namespace
}  // namespace mediagen::upstream
