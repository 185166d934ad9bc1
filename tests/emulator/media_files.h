// Media files the emulator serves as generation results: small but valid
// WAV, raw PCM, mu-law and MPEG audio, and uncompressed AVI video, so a test
// (or the demo) can download a result and open it with an ordinary player.
//
//   std::string wav = MakeWav(/*seconds=*/5, /*sample_rate=*/8000,
//                             Waveform::kTone);
//   absl::StatusOr<AudioFormat> f = ParseElevenLabsFormat("mp3_44100_128");
//   std::string mp3 = EncodeAudio(*f, 2.0, Waveform::kTone);
//   std::string avi = MakeAvi(/*seconds=*/5);
//
// Everything is deterministic: the same arguments give the same bytes.
#ifndef MEDIAGEN_TESTS_EMULATOR_MEDIA_FILES_H_
#define MEDIAGEN_TESTS_EMULATOR_MEDIA_FILES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mediagen::emulator {

enum class Waveform {
  kTone,   // 440 Hz sine: speech and music stand-ins
  kNoise,  // deterministic white noise: sound effects
};

// The sample rate of every WAV the Vimmerse and AIMLAPI routes return. Low,
// so files of tens of seconds stay a few hundred kilobytes.
inline constexpr int kWavSampleRate = 8000;

// RIFF WAVE, PCM 16-bit little endian, mono.
std::string MakeWav(double seconds, int sample_rate, Waveform waveform);

// Raw PCM 16-bit little endian mono, no header (ElevenLabs `pcm_*`).
std::string MakePcm16(double seconds, int sample_rate, Waveform waveform);

// G.711 mu-law, 8 bits per sample, mono, no header (ElevenLabs `ulaw_8000`).
std::string MakeMulaw(double seconds, int sample_rate, Waveform waveform);

// One G.711 mu-law byte for a 16-bit sample (exposed for tests).
uint8_t LinearToMulaw(int16_t sample);

// MPEG audio Layer III frames of digital silence, mono, constant bitrate:
// MPEG-1 for 32/44.1/48 kHz, MPEG-2 (LSF) for 16/22.05/24 kHz. Each frame is
// a valid header without CRC followed by all-zero side information and main
// data, which decoders play as silence. Fails on a rate/bitrate pair that
// MPEG does not define.
absl::StatusOr<std::string> MakeMp3Silence(double seconds, int sample_rate,
                                           int bitrate_kbps);

// Uncompressed RIFF AVI (BI_RGB 24-bit frames, one video stream, idx1
// index): `seconds * fps` frames, at least one, each a different solid
// color. The defaults make about 3.5 KB per second.
std::string MakeAvi(double seconds, int width = 32, int height = 18,
                    int fps = 2);

// An ElevenLabs `output_format` value.
struct AudioFormat {
  enum class Encoding { kMp3, kPcm16, kMulaw };
  Encoding encoding = Encoding::kMp3;
  int sample_rate = 44100;
  int bitrate_kbps = 0;  // mp3 only
  std::string name;      // as given, e.g. "mp3_44100_128"

  // The Content-Type the emulator answers with for this format.
  std::string ContentType() const;
};

// Every `output_format` value the ElevenLabs docs list.
const std::vector<std::string>& ElevenLabsOutputFormats();

// Parses one of ElevenLabsOutputFormats(); anything else is an error.
absl::StatusOr<AudioFormat> ParseElevenLabsFormat(std::string_view name);

// The audio bytes of `seconds` of `waveform` in `format` (mp3 is silence).
std::string EncodeAudio(const AudioFormat& format, double seconds,
                        Waveform waveform);

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_MEDIA_FILES_H_
