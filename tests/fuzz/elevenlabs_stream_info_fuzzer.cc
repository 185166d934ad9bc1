// Fuzzes what ElevenLabs' response headers become: the AudioStreamInfo sent
// to the caller before the audio. Input: one byte choosing the requested
// output format (validated before the call, so one of the documented
// values), then header lines `name: value` (names lower-cased, as the
// transport delivers them). Invariants: the message survives protobuf's
// wire format (a header may hold any byte) and the cost is not negative.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "service/http/transport.h"
#include "service/upstream/providers/elevenlabs.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace up = mediagen::upstream;
  static constexpr const char* kFormats[] = {"mp3_44100_128", "pcm_16000",
                                              "ulaw_8000", "mp3_22050_32"};
  mediagen::fuzz::Input in(data, size);
  const char* format = kFormats[in.Byte() % 4];
  mediagen::http::Headers headers;
  while (!in.Rest().empty()) {
    const absl::string_view line = in.Line();
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    headers.emplace_back(absl::AsciiStrToLower(line.substr(0, colon)),
                         std::string(line.substr(colon + 1)));
  }
  mediagen::v1::AudioStreamInfo info =
      up::elevenlabs::StreamInfoFromHeaders(headers, format);
  FUZZ_CHECK(info.character_cost() >= 0, info.ShortDebugString());
  FUZZ_CHECK(mediagen::fuzz::SurvivesTheWire(info), info.ShortDebugString());
  return 0;
}
