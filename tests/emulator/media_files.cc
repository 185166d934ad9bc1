#include "tests/emulator/media_files.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mediagen::emulator {
namespace {

constexpr double kPi = 3.14159265358979323846;

void PutU16(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>((v >> 8) & 0xff));
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PatchU32(std::string* out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    (*out)[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

size_t SampleCount(double seconds, int sample_rate) {
  if (!(seconds > 0) || sample_rate <= 0) return 0;
  return static_cast<size_t>(std::llround(seconds * sample_rate));
}

// Deterministic samples: the same index always gives the same value, so
// files of the same length are byte-identical.
std::vector<int16_t> Samples(double seconds, int sample_rate,
                             Waveform waveform) {
  const size_t n = SampleCount(seconds, sample_rate);
  std::vector<int16_t> samples(n);
  uint32_t lcg = 12345;
  for (size_t i = 0; i < n; ++i) {
    if (waveform == Waveform::kTone) {
      samples[i] = static_cast<int16_t>(
          8000.0 *
          std::sin(2.0 * kPi * 440.0 * static_cast<double>(i) / sample_rate));
    } else {
      lcg = lcg * 1664525u + 1013904223u;
      samples[i] =
          static_cast<int16_t>(static_cast<int32_t>(lcg >> 16) - 32768) / 4;
    }
  }
  return samples;
}

std::string PcmBytes(const std::vector<int16_t>& samples) {
  std::string out;
  out.reserve(samples.size() * 2);
  for (int16_t s : samples) PutU16(&out, static_cast<uint16_t>(s));
  return out;
}

}  // namespace

std::string MakeWav(double seconds, int sample_rate, Waveform waveform) {
  std::string data = PcmBytes(Samples(seconds, sample_rate, waveform));
  std::string out;
  out.reserve(44 + data.size());
  out.append("RIFF");
  PutU32(&out, static_cast<uint32_t>(36 + data.size()));
  out.append("WAVE");
  out.append("fmt ");
  PutU32(&out, 16);
  PutU16(&out, 1);  // PCM
  PutU16(&out, 1);  // mono
  PutU32(&out, static_cast<uint32_t>(sample_rate));
  PutU32(&out, static_cast<uint32_t>(sample_rate * 2));  // byte rate
  PutU16(&out, 2);                                       // block align
  PutU16(&out, 16);                                      // bits per sample
  out.append("data");
  PutU32(&out, static_cast<uint32_t>(data.size()));
  out.append(data);
  return out;
}

std::string MakePcm16(double seconds, int sample_rate, Waveform waveform) {
  return PcmBytes(Samples(seconds, sample_rate, waveform));
}

uint8_t LinearToMulaw(int16_t sample) {
  constexpr int kBias = 0x84;
  constexpr int kClip = 32635;
  int s = sample;
  const int sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > kClip) s = kClip;
  s += kBias;
  int exponent = 7;
  for (int mask = 0x4000; (s & mask) == 0 && exponent > 0; mask >>= 1) {
    --exponent;
  }
  const int mantissa = (s >> (exponent + 3)) & 0x0f;
  return static_cast<uint8_t>(~(sign | (exponent << 4) | mantissa));
}

std::string MakeMulaw(double seconds, int sample_rate, Waveform waveform) {
  std::vector<int16_t> samples = Samples(seconds, sample_rate, waveform);
  std::string out;
  out.reserve(samples.size());
  for (int16_t s : samples) out.push_back(static_cast<char>(LinearToMulaw(s)));
  return out;
}

absl::StatusOr<std::string> MakeMp3Silence(double seconds, int sample_rate,
                                           int bitrate_kbps) {
  // ISO 11172-3 / 13818-3 tables for Layer III.
  static const int kMpeg1Bitrates[] = {0,   32,  40,  48,  56,  64,  80, 96,
                                       112, 128, 160, 192, 224, 256, 320};
  static const int kMpeg2Bitrates[] = {0,  8,  16, 24,  32,  40,  48, 56,
                                       64, 80, 96, 112, 128, 144, 160};
  bool mpeg1;
  int rate_index;
  switch (sample_rate) {
    case 44100:
      mpeg1 = true;
      rate_index = 0;
      break;
    case 48000:
      mpeg1 = true;
      rate_index = 1;
      break;
    case 32000:
      mpeg1 = true;
      rate_index = 2;
      break;
    case 22050:
      mpeg1 = false;
      rate_index = 0;
      break;
    case 24000:
      mpeg1 = false;
      rate_index = 1;
      break;
    case 16000:
      mpeg1 = false;
      rate_index = 2;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("no MPEG sample rate ", sample_rate));
  }
  const int* table = mpeg1 ? kMpeg1Bitrates : kMpeg2Bitrates;
  int bitrate_index = -1;
  for (int i = 1; i < 15; ++i) {
    if (table[i] == bitrate_kbps) bitrate_index = i;
  }
  if (bitrate_index < 0) {
    return absl::InvalidArgumentError(absl::StrCat("no Layer III bitrate ",
                                                   bitrate_kbps, " kbps at ",
                                                   sample_rate, " Hz"));
  }
  // Frame length in bytes is (samples/8) * bitrate / rate, plus one padding
  // byte on the frames that keep the average bitrate exact.
  const int samples_per_frame = mpeg1 ? 1152 : 576;
  const int64_t numerator =
      static_cast<int64_t>(samples_per_frame / 8) * bitrate_kbps * 1000;
  const int64_t base_len = numerator / sample_rate;
  const int64_t remainder = numerator % sample_rate;
  const size_t frames = std::max<size_t>(
      1, (SampleCount(seconds, sample_rate) + samples_per_frame - 1) /
             samples_per_frame);

  const uint8_t b1 = mpeg1 ? 0xFB : 0xF3;  // sync, version, Layer III, no CRC
  std::string out;
  out.reserve(frames * (base_len + 1));
  int64_t accumulator = 0;
  for (size_t f = 0; f < frames; ++f) {
    accumulator += remainder;
    int padding = 0;
    if (accumulator >= sample_rate) {
      accumulator -= sample_rate;
      padding = 1;
    }
    const size_t frame_len = static_cast<size_t>(base_len + padding);
    const size_t start = out.size();
    out.push_back(static_cast<char>(0xFF));
    out.push_back(static_cast<char>(b1));
    out.push_back(static_cast<char>((bitrate_index << 4) | (rate_index << 2) |
                                    (padding << 1)));
    out.push_back(static_cast<char>(0xC4));  // mono, original
    out.resize(start + frame_len, '\0');     // zero side info + main data
  }
  return out;
}

std::string MakeAvi(double seconds, int width, int height, int fps) {
  const int row = ((width * 3) + 3) & ~3;
  const uint32_t frame_size = static_cast<uint32_t>(row * height);
  const uint32_t frames = static_cast<uint32_t>(
      std::max<long long>(1, std::llround(std::max(0.0, seconds) * fps)));

  std::string out;
  out.append("RIFF");
  const size_t riff_size_at = out.size();
  PutU32(&out, 0);
  out.append("AVI ");

  // hdrl: avih + strl(strh, strf)
  out.append("LIST");
  const size_t hdrl_size_at = out.size();
  PutU32(&out, 0);
  out.append("hdrl");
  out.append("avih");
  PutU32(&out, 56);
  PutU32(&out, static_cast<uint32_t>(1000000 / fps));  // us per frame
  PutU32(&out, frame_size * fps);                      // max bytes/s
  PutU32(&out, 0);                                     // padding granularity
  PutU32(&out, 0x10);                                  // AVIF_HASINDEX
  PutU32(&out, frames);
  PutU32(&out, 0);  // initial frames
  PutU32(&out, 1);  // streams
  PutU32(&out, frame_size);
  PutU32(&out, static_cast<uint32_t>(width));
  PutU32(&out, static_cast<uint32_t>(height));
  for (int i = 0; i < 4; ++i) PutU32(&out, 0);

  out.append("LIST");
  const size_t strl_size_at = out.size();
  PutU32(&out, 0);
  out.append("strl");
  out.append("strh");
  PutU32(&out, 56);
  out.append("vids");
  out.append("DIB ");
  PutU32(&out, 0);                           // flags
  PutU16(&out, 0);                           // priority
  PutU16(&out, 0);                           // language
  PutU32(&out, 0);                           // initial frames
  PutU32(&out, 1);                           // scale
  PutU32(&out, static_cast<uint32_t>(fps));  // rate
  PutU32(&out, 0);                           // start
  PutU32(&out, frames);                      // length
  PutU32(&out, frame_size);                  // suggested buffer
  PutU32(&out, 0xFFFFFFFFu);                 // quality: default
  PutU32(&out, 0);                           // sample size
  PutU16(&out, 0);
  PutU16(&out, 0);
  PutU16(&out, static_cast<uint32_t>(width));
  PutU16(&out, static_cast<uint32_t>(height));
  out.append("strf");
  PutU32(&out, 40);
  PutU32(&out, 40);  // BITMAPINFOHEADER size
  PutU32(&out, static_cast<uint32_t>(width));
  PutU32(&out, static_cast<uint32_t>(height));  // positive: bottom-up
  PutU16(&out, 1);                              // planes
  PutU16(&out, 24);                             // bits per pixel
  PutU32(&out, 0);                              // BI_RGB
  PutU32(&out, frame_size);
  PutU32(&out, 0);
  PutU32(&out, 0);
  PutU32(&out, 0);
  PutU32(&out, 0);
  PatchU32(&out, strl_size_at,
           static_cast<uint32_t>(out.size() - strl_size_at - 4));
  PatchU32(&out, hdrl_size_at,
           static_cast<uint32_t>(out.size() - hdrl_size_at - 4));

  // movi: one '00db' chunk per frame.
  out.append("LIST");
  const size_t movi_size_at = out.size();
  PutU32(&out, 0);
  const size_t movi_fourcc_at = out.size();
  out.append("movi");
  std::vector<uint32_t> offsets;
  offsets.reserve(frames);
  for (uint32_t f = 0; f < frames; ++f) {
    offsets.push_back(static_cast<uint32_t>(out.size() - movi_fourcc_at));
    out.append("00db");
    PutU32(&out, frame_size);
    // A color that changes every frame, so the video visibly plays.
    const uint8_t b = static_cast<uint8_t>(40 + (f * 53) % 200);
    const uint8_t g = static_cast<uint8_t>(80 + (f * 29) % 160);
    const uint8_t r = static_cast<uint8_t>(120 + (f * 71) % 120);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        out.push_back(static_cast<char>(b));
        out.push_back(static_cast<char>(g));
        out.push_back(static_cast<char>(r));
      }
      for (int p = width * 3; p < row; ++p) out.push_back('\0');
    }
  }
  PatchU32(&out, movi_size_at,
           static_cast<uint32_t>(out.size() - movi_size_at - 4));

  out.append("idx1");
  PutU32(&out, frames * 16);
  for (uint32_t f = 0; f < frames; ++f) {
    out.append("00db");
    PutU32(&out, 0x10);  // AVIIF_KEYFRAME
    PutU32(&out, offsets[f]);
    PutU32(&out, frame_size);
  }
  PatchU32(&out, riff_size_at, static_cast<uint32_t>(out.size() - 8));
  return out;
}

std::string AudioFormat::ContentType() const {
  switch (encoding) {
    case Encoding::kMp3:
      return "audio/mpeg";
    case Encoding::kPcm16:
      return "audio/pcm";
    case Encoding::kMulaw:
      return "audio/basic";
  }
  return "application/octet-stream";
}

const std::vector<std::string>& ElevenLabsOutputFormats() {
  static const auto* formats = new std::vector<std::string>{
      "mp3_22050_32",  "mp3_44100_32",  "mp3_44100_64", "mp3_44100_96",
      "mp3_44100_128", "mp3_44100_192", "pcm_16000",    "pcm_22050",
      "pcm_24000",     "pcm_44100",     "ulaw_8000"};
  return *formats;
}

absl::StatusOr<AudioFormat> ParseElevenLabsFormat(std::string_view view) {
  const std::string name(view);
  const auto& all = ElevenLabsOutputFormats();
  if (std::find(all.begin(), all.end(), name) == all.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown output_format ", name));
  }
  std::vector<std::string> parts = absl::StrSplit(name, '_');
  AudioFormat f;
  f.name = name;
  if (!absl::SimpleAtoi(parts[1], &f.sample_rate)) {
    return absl::InvalidArgumentError("bad sample rate");
  }
  if (parts[0] == "mp3") {
    f.encoding = AudioFormat::Encoding::kMp3;
    if (!absl::SimpleAtoi(parts[2], &f.bitrate_kbps)) {
      return absl::InvalidArgumentError("bad bitrate");
    }
  } else if (parts[0] == "pcm") {
    f.encoding = AudioFormat::Encoding::kPcm16;
  } else {
    f.encoding = AudioFormat::Encoding::kMulaw;
  }
  return f;
}

std::string EncodeAudio(const AudioFormat& format, double seconds,
                        Waveform waveform) {
  switch (format.encoding) {
    case AudioFormat::Encoding::kPcm16:
      return MakePcm16(seconds, format.sample_rate, waveform);
    case AudioFormat::Encoding::kMulaw:
      return MakeMulaw(seconds, format.sample_rate, waveform);
    case AudioFormat::Encoding::kMp3: {
      absl::StatusOr<std::string> mp3 =
          MakeMp3Silence(seconds, format.sample_rate, format.bitrate_kbps);
      return mp3.ok() ? *std::move(mp3) : std::string();
    }
  }
  return std::string();
}

}  // namespace mediagen::emulator
