// Vimmerse routes of the emulator: v2 media (create, get, update), the 13
// video routes (vimmerse_video_routes.h), the 5 audio routes, uploads,
// estimates, and the legacy asset poll GET /asset/{asset_id}. Prices are in
// vimmerse_prices.h.
//
//   std::vector<Route> routes;
//   AddVimmerseRoutes(&routes);
#ifndef MEDIAGEN_TESTS_EMULATOR_VIMMERSE_ROUTES_H_
#define MEDIAGEN_TESTS_EMULATOR_VIMMERSE_ROUTES_H_

#include <vector>

#include "tests/emulator/context.h"
#include "tests/emulator/vimmerse_prices.h"

namespace mediagen::emulator {

void AddVimmerseRoutes(std::vector<Route>* routes);

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_VIMMERSE_ROUTES_H_
