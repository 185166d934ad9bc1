// The emulator's path router: routes declared as "/v2/media/{id}" patterns
// matched segment by segment, telling an unknown path (404) from a known
// path asked with the wrong method (405), as the providers' servers do.
#ifndef MEDIAGEN_TESTS_EMULATOR_ROUTER_H_
#define MEDIAGEN_TESTS_EMULATOR_ROUTER_H_

#include <string>
#include <vector>

#include "tests/emulator/context.h"

namespace mediagen::emulator {

struct CompiledRoute {
  Route route;
  std::string name;  // "GET /v2/media/{id}"
  std::vector<std::string> segments;
};

std::vector<CompiledRoute> Compile(std::vector<Route> routes);

// The route for method + path (HEAD matches GET), its {params} in order in
// `params`; nullptr when none matches, `path_known` then telling a 405 from
// a 404.
const CompiledRoute* Match(const std::vector<CompiledRoute>& routes,
                           const std::string& method, const std::string& path,
                           std::vector<std::string>* params, bool* path_known);

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_ROUTER_H_
