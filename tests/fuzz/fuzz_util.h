// Helpers for the fuzz targets: reading one input as several parts, and
// invariant checks that abort with a message (libFuzzer reports the abort
// as a crash and keeps the input; the replay build fails the test).
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     mediagen::fuzz::Input in(data, size);
//     const uint8_t provider = in.Byte();
//     const std::string first_line = in.Line();
//     absl::string_view body = in.Rest();
//     ...
//     FUZZ_CHECK(mediagen::fuzz::SurvivesTheWire(media), media.id());
//   }
#ifndef MEDIAGEN_TESTS_FUZZ_FUZZ_UTIL_H_
#define MEDIAGEN_TESTS_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace mediagen::fuzz {

// Consumes an input from the front.
class Input {
 public:
  Input(const uint8_t* data, size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}
  // The next byte, or 0 when none is left.
  uint8_t Byte();
  // Up to the next '\n' (consumed, not returned) or to the end.
  absl::string_view Line();
  // Everything not consumed yet.
  absl::string_view Rest() const { return rest_; }

 private:
  absl::string_view rest_;
};

// Prints `what` and `detail` (escaped) to stderr and aborts.
[[noreturn]] void Fail(absl::string_view what, absl::string_view detail);

// True when `message` serializes and parses back into an equal message:
// what a gRPC client must be able to do with anything the server sends
// (protobuf refuses, for instance, a string field holding invalid UTF-8).
bool SurvivesTheWire(const google::protobuf::Message& message);

// True when `text` is valid UTF-8 (no overlong forms or surrogates).
bool IsValidUtf8(absl::string_view text);

// True when `text` holds no ASCII control character (C0 or DEL).
bool HasNoControlCharacters(absl::string_view text);

}  // namespace mediagen::fuzz

// Aborts the run with the condition's text and `detail` when `cond` fails.
#define FUZZ_CHECK(cond, detail)                        \
  do {                                                  \
    if (!(cond)) ::mediagen::fuzz::Fail(#cond, detail); \
  } while (false)

#endif  // MEDIAGEN_TESTS_FUZZ_FUZZ_UTIL_H_
