// The emulator's control API, under /_emulator/ (a prefix no provider
// uses): fault rules, queued job outcomes, job stepping, the clock, the
// request log, counters, webhook attempts, credits and reset. Control
// requests are neither logged nor subject to faults. README.md documents
// every route.
//
//   std::vector<Route> control;
//   AddControlRoutes(&control);
#ifndef MEDIAGEN_TESTS_EMULATOR_CONTROL_ROUTES_H_
#define MEDIAGEN_TESTS_EMULATOR_CONTROL_ROUTES_H_

#include <vector>

#include "tests/emulator/context.h"

namespace mediagen::emulator {

// Clears the log, counters, faults, outcomes, jobs, files and webhook
// attempts, and restores every balance.
void ResetAll(Context& ctx);

void AddControlRoutes(std::vector<Route>* routes);

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_CONTROL_ROUTES_H_
