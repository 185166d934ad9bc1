#include "tests/emulator/media_files.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace mediagen::emulator {
namespace {

uint32_t U32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

uint16_t U16(const std::string& s, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(s[at]) |
                               (static_cast<uint8_t>(s[at + 1]) << 8));
}

TEST(WavTest, HeaderDescribesMono16BitPcmOfTheRequestedLength) {
  const std::string wav = MakeWav(2.5, 8000, Waveform::kTone);
  ASSERT_EQ(wav.size(), 44u + 2 * 20000);
  EXPECT_EQ(wav.substr(0, 4), "RIFF");
  EXPECT_EQ(U32(wav, 4), wav.size() - 8);
  EXPECT_EQ(wav.substr(8, 8), "WAVEfmt ");
  EXPECT_EQ(U16(wav, 20), 1);  // PCM
  EXPECT_EQ(U16(wav, 22), 1);  // mono
  EXPECT_EQ(U32(wav, 24), 8000u);
  EXPECT_EQ(U16(wav, 34), 16);
  EXPECT_EQ(wav.substr(36, 4), "data");
  EXPECT_EQ(U32(wav, 40), 40000u);
  // Not silence, and deterministic.
  bool nonzero = false;
  for (size_t i = 44; i < wav.size(); ++i) nonzero = nonzero || wav[i] != 0;
  EXPECT_TRUE(nonzero);
  EXPECT_EQ(wav, MakeWav(2.5, 8000, Waveform::kTone));
  EXPECT_NE(MakeWav(1, 8000, Waveform::kNoise),
            MakeWav(1, 8000, Waveform::kTone));
}

TEST(MulawTest, MatchesG711ReferenceValues) {
  EXPECT_EQ(LinearToMulaw(0), 0xFF);
  EXPECT_EQ(LinearToMulaw(-1), 0x7F);
  EXPECT_EQ(LinearToMulaw(32767), 0x80);
  EXPECT_EQ(LinearToMulaw(-32768), 0x00);
  EXPECT_EQ(LinearToMulaw(1000), 0xCE);
  EXPECT_EQ(LinearToMulaw(-1000), 0x4E);
  EXPECT_EQ(MakeMulaw(1.5, 8000, Waveform::kTone).size(), 12000u);
  EXPECT_EQ(MakePcm16(1, 16000, Waveform::kTone).size(), 32000u);
}

// Walks MPEG audio frames: every frame starts with a valid header and the
// frame lengths add up to the file.
struct Mp3Scan {
  size_t frames = 0;
  bool ok = true;
};

Mp3Scan Scan(const std::string& mp3, int samples_per_frame, int rate,
             int kbps) {
  Mp3Scan s;
  size_t at = 0;
  const int64_t num = static_cast<int64_t>(samples_per_frame / 8) * kbps * 1000;
  while (at < mp3.size()) {
    if (at + 4 > mp3.size() || static_cast<uint8_t>(mp3[at]) != 0xFF) {
      s.ok = false;
      break;
    }
    const int padding = (static_cast<uint8_t>(mp3[at + 2]) >> 1) & 1;
    at += static_cast<size_t>(num / rate + padding);
    ++s.frames;
  }
  s.ok = s.ok && at == mp3.size();
  return s;
}

TEST(Mp3Test, FramesAreValidAndCoverTheDuration) {
  absl::StatusOr<std::string> mp3 = MakeMp3Silence(2.0, 44100, 128);
  ASSERT_TRUE(mp3.ok());
  EXPECT_EQ(static_cast<uint8_t>((*mp3)[1]), 0xFB);
  EXPECT_EQ(static_cast<uint8_t>((*mp3)[2]) & 0xF0, 0x90);  // 128 kbps
  EXPECT_EQ(static_cast<uint8_t>((*mp3)[3]) & 0xC0, 0xC0);  // mono
  Mp3Scan s = Scan(*mp3, 1152, 44100, 128);
  EXPECT_TRUE(s.ok);
  EXPECT_EQ(s.frames, 77u);  // ceil(88200 / 1152)
  // The average bitrate is exact thanks to the padding bytes.
  EXPECT_NEAR(mp3->size() * 8.0 / (77 * 1152.0 / 44100), 128000, 200);

  absl::StatusOr<std::string> lsf = MakeMp3Silence(1.0, 22050, 32);
  ASSERT_TRUE(lsf.ok());
  EXPECT_EQ(static_cast<uint8_t>((*lsf)[1]), 0xF3);  // MPEG-2
  Mp3Scan l = Scan(*lsf, 576, 22050, 32);
  EXPECT_TRUE(l.ok);
  EXPECT_EQ(l.frames, 39u);  // ceil(22050 / 576)

  EXPECT_FALSE(MakeMp3Silence(1, 44100, 100).ok());
  EXPECT_FALSE(MakeMp3Silence(1, 11025, 32).ok());
}

TEST(AviTest, RiffStructureIsConsistent) {
  const std::string avi = MakeAvi(3.0);
  EXPECT_EQ(avi.substr(0, 4), "RIFF");
  EXPECT_EQ(U32(avi, 4), avi.size() - 8);
  EXPECT_EQ(avi.substr(8, 4), "AVI ");
  EXPECT_EQ(avi.substr(12, 4), "LIST");
  EXPECT_EQ(avi.substr(20, 8), "hdrlavih");
  EXPECT_EQ(U32(avi, 32), 500000u);  // 2 fps
  EXPECT_EQ(U32(avi, 48), 6u);       // frames
  EXPECT_EQ(U32(avi, 64), 32u);      // width
  EXPECT_EQ(U32(avi, 68), 18u);      // height
  const size_t movi = avi.find("movi");
  ASSERT_NE(movi, std::string::npos);
  const size_t idx1 = avi.find("idx1", movi);
  ASSERT_NE(idx1, std::string::npos);
  EXPECT_EQ(U32(avi, movi - 4), idx1 - movi);  // LIST movi size
  EXPECT_EQ(U32(avi, idx1 + 4), 6u * 16);
  EXPECT_EQ(idx1 + 8 + 6 * 16, avi.size());
  EXPECT_EQ(MakeAvi(0).find("idx1") != std::string::npos, true);  // >= 1 frame
}

TEST(FormatTest, ParsesEveryDocumentedOutputFormat) {
  for (const std::string& name : ElevenLabsOutputFormats()) {
    absl::StatusOr<AudioFormat> f = ParseElevenLabsFormat(name);
    ASSERT_TRUE(f.ok()) << name;
    EXPECT_FALSE(EncodeAudio(*f, 1.0, Waveform::kTone).empty()) << name;
  }
  EXPECT_EQ(ElevenLabsOutputFormats().size(), 11u);
  absl::StatusOr<AudioFormat> pcm = ParseElevenLabsFormat("pcm_24000");
  EXPECT_EQ(pcm->encoding, AudioFormat::Encoding::kPcm16);
  EXPECT_EQ(pcm->sample_rate, 24000);
  EXPECT_EQ(ParseElevenLabsFormat("ulaw_8000")->ContentType(), "audio/basic");
  EXPECT_EQ(ParseElevenLabsFormat("mp3_44100_192")->bitrate_kbps, 192);
  EXPECT_FALSE(ParseElevenLabsFormat("opus_48000_64").ok());
  EXPECT_FALSE(ParseElevenLabsFormat("mp3_44100").ok());
}

}  // namespace
}  // namespace mediagen::emulator
