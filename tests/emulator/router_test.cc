#include "tests/emulator/router.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mediagen::emulator {
namespace {

std::vector<CompiledRoute> Routes() {
  std::vector<Route> routes(3);
  routes[0].method = "GET";
  routes[0].pattern = "/v2/media/{id}";
  routes[1].method = "PUT";
  routes[1].pattern = "/v2/media/{id}";
  routes[2].method = "POST";
  routes[2].pattern = "/v2/media";
  return Compile(std::move(routes));
}

TEST(RouterTest, ParamsComeFromTheirSegments) {
  const std::vector<CompiledRoute> routes = Routes();
  std::vector<std::string> params;
  bool known = false;
  const CompiledRoute* r =
      Match(routes, "PUT", "/v2/media/abc", &params, &known);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->name, "PUT /v2/media/{id}");
  EXPECT_EQ(params, std::vector<std::string>{"abc"});
  EXPECT_TRUE(known);
}

TEST(RouterTest, HeadMatchesGet) {
  const std::vector<CompiledRoute> routes = Routes();
  std::vector<std::string> params;
  bool known = false;
  const CompiledRoute* r =
      Match(routes, "HEAD", "/v2/media/abc", &params, &known);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->route.method, "GET");
}

TEST(RouterTest, AKnownPathWithAnotherMethodIsTold) {
  const std::vector<CompiledRoute> routes = Routes();
  std::vector<std::string> params;
  bool known = false;
  EXPECT_EQ(Match(routes, "DELETE", "/v2/media/abc", &params, &known), nullptr);
  EXPECT_TRUE(known);  // 405, not 404
  EXPECT_EQ(Match(routes, "GET", "/v2/media", &params, &known), nullptr);
  EXPECT_TRUE(known);
}

TEST(RouterTest, UnknownPathsAndEmptyParamsMatchNothing) {
  const std::vector<CompiledRoute> routes = Routes();
  std::vector<std::string> params;
  bool known = true;
  EXPECT_EQ(Match(routes, "GET", "/v2/medias/abc", &params, &known), nullptr);
  EXPECT_FALSE(known);
  known = true;
  EXPECT_EQ(Match(routes, "GET", "/v2/media/", &params, &known), nullptr);
  EXPECT_FALSE(known);
  known = true;
  EXPECT_EQ(Match(routes, "GET", "/v2/media/a/b", &params, &known), nullptr);
  EXPECT_FALSE(known);
}

}  // namespace
}  // namespace mediagen::emulator
