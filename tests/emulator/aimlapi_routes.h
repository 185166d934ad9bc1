// AIMLAPI Stable Audio routes of the emulator: POST /v2/generate/audio
// (answers 201 at once, status `queued`) and
// GET /v2/generate/audio?generation_id=ID (ids look like
// `<uuid>:stable-audio` and arrive URL-encoded). Auth by
// `Authorization: Bearer KEY`; each key has a token balance charged 252
// tokens per step. A failed generation is HTTP 200 with `status: "error"`.
//
//   std::vector<Route> routes;
//   AddAimlapiRoutes(&routes);
#ifndef MEDIAGEN_TESTS_EMULATOR_AIMLAPI_ROUTES_H_
#define MEDIAGEN_TESTS_EMULATOR_AIMLAPI_ROUTES_H_

#include <vector>

#include "tests/emulator/context.h"

namespace mediagen::emulator {

// AI/ML tokens a generation costs ("252 AI/ML Tokens per step").
double StableAudioTokens(double steps);

void AddAimlapiRoutes(std::vector<Route>* routes);

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_AIMLAPI_ROUTES_H_
