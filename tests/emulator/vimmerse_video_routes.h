// The 13 Vimmerse video generation routes of the emulator (POST
// /v2/video/...), as one table: path, app name for pricing, the body's
// schema and what it requires; one handler serves them all.
//
//   std::vector<Route> routes;
//   AddVimmerseVideoRoutes(&routes);
#ifndef MEDIAGEN_TESTS_EMULATOR_VIMMERSE_VIDEO_ROUTES_H_
#define MEDIAGEN_TESTS_EMULATOR_VIMMERSE_VIDEO_ROUTES_H_

#include <vector>

#include "tests/emulator/context.h"

namespace mediagen::emulator {

void AddVimmerseVideoRoutes(std::vector<Route>* routes);

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_VIMMERSE_VIDEO_ROUTES_H_
