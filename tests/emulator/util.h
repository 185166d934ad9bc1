// Small helpers shared by the emulator's parts: ids, timestamps in the
// providers' formats, JSON serialization that never throws on bad UTF-8.
//
//   std::string id = NewUuid();                 // "1b4e28ba-2fa1-4d2e-..."
//   std::string at = VimmerseTimestamp();       //
//   "2025-04-01T18:57:37.355064+00:00" std::string text = DumpJson(value); //
//   invalid UTF-8 -> U+FFFD
#ifndef MEDIAGEN_TESTS_EMULATOR_UTIL_H_
#define MEDIAGEN_TESTS_EMULATOR_UTIL_H_

#include <string>

#include "nlohmann/json.hpp"

namespace mediagen::emulator {

// A random version 4 UUID, lower-case hex with dashes.
std::string NewUuid();

// 32 random lower-case hex digits (ElevenLabs request ids, file tokens).
std::string NewHexId();

// Now, as Vimmerse writes it: ISO 8601 with microseconds and "+00:00".
std::string VimmerseTimestamp();

// Now, as ISO 8601 with milliseconds and "Z" (AIMLAPI, the request log).
std::string IsoTimestamp();

// `v` as a JSON integer when it is integral (8, not 8.0, as the docs'
// examples write credits), else as a float.
nlohmann::json JsonNumber(double v);

// Serializes without throwing: invalid UTF-8 in strings becomes U+FFFD.
std::string DumpJson(const nlohmann::json& value);

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_UTIL_H_
