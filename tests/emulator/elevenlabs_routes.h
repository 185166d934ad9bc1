// ElevenLabs routes of the emulator: POST /v1/text-to-speech/{voice_id}
// (whole clip, Content-Length), POST /v1/text-to-speech/{voice_id}/stream
// (chunked, paced so time to first byte is observable) and
// POST /v1/sound-generation. Auth by `xi-api-key`; a per-customer
// concurrency limit answers 429 `concurrent_limit_exceeded` above it.
//
//   std::vector<Route> routes;
//   AddElevenLabsRoutes(&routes);
#ifndef MEDIAGEN_TESTS_EMULATOR_ELEVENLABS_ROUTES_H_
#define MEDIAGEN_TESTS_EMULATOR_ELEVENLABS_ROUTES_H_

#include <vector>

#include "tests/emulator/context.h"

namespace mediagen::emulator {

void AddElevenLabsRoutes(std::vector<Route>* routes);

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_ELEVENLABS_ROUTES_H_
