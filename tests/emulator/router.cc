#include "tests/emulator/router.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"

namespace mediagen::emulator {
namespace {

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out = absl::StrSplit(path, '/');
  if (!out.empty() && out.front().empty()) out.erase(out.begin());
  return out;
}

}  // namespace

std::vector<CompiledRoute> Compile(std::vector<Route> routes) {
  std::vector<CompiledRoute> out;
  for (Route& r : routes) {
    CompiledRoute c;
    c.name = r.method + " " + r.pattern;
    c.segments = Segments(r.pattern);
    c.route = std::move(r);
    out.push_back(std::move(c));
  }
  return out;
}

const CompiledRoute* Match(const std::vector<CompiledRoute>& routes,
                           const std::string& method, const std::string& path,
                           std::vector<std::string>* params, bool* path_known) {
  const std::vector<std::string> segs = Segments(path);
  *path_known = false;
  const std::string& m = method == "HEAD" ? std::string("GET") : method;
  for (const CompiledRoute& r : routes) {
    if (r.segments.size() != segs.size()) continue;
    std::vector<std::string> found;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      const std::string& p = r.segments[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        ok = !segs[i].empty();
        found.push_back(segs[i]);
      } else {
        ok = p == segs[i];
      }
    }
    if (!ok) continue;
    *path_known = true;
    if (r.route.method != m) continue;
    *params = std::move(found);
    return &r;
  }
  return nullptr;
}

}  // namespace mediagen::emulator
