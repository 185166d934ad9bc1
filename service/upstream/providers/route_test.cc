#include "service/upstream/providers/route.h"

#include "gtest/gtest.h"

namespace mediagen::upstream {
namespace {

TEST(RouteSpecTest, BecomesTheRouteItDescribes) {
  constexpr RouteSpec kSpec{v1::PROVIDER_AIMLAPI, "GET",
                            "/v2/generate/audio?generation_id={id}",
                            Idempotency::kIdempotent};
  const Route route = kSpec.ToRoute();
  EXPECT_EQ(route.provider, v1::PROVIDER_AIMLAPI);
  EXPECT_EQ(route.Label(), "GET /v2/generate/audio?generation_id={id}");
  EXPECT_EQ(route.idempotency, Idempotency::kIdempotent);
}

TEST(PercentEncodeTest, KeepsUnreservedEncodesEverythingElse) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("e6dcf61f-d3e5:stable-audio"),
            "e6dcf61f-d3e5%3Astable-audio");
  EXPECT_EQ(PercentEncode("a b/c?d&e=f#g%"), "a%20b%2Fc%3Fd%26e%3Df%23g%25");
  EXPECT_EQ(PercentEncode("\xc3\xa9"), "%C3%A9");
}

TEST(BuildUrlTest, JoinsBasePathAndEncodedQuery) {
  EXPECT_EQ(BuildUrl("https://api.vimmerse.net", "/v2/media"),
            "https://api.vimmerse.net/v2/media");
  EXPECT_EQ(BuildUrl("http://127.0.0.1:8080/", "/v2/generate/audio",
                     {{"generation_id", "x:stable-audio"}, {"b", "1 2"}}),
            "http://127.0.0.1:8080/v2/generate/audio"
            "?generation_id=x%3Astable-audio&b=1%202");
}

TEST(AuthHeaderTest, OneShapePerProvider) {
  EXPECT_EQ(AuthHeader(v1::PROVIDER_VIMMERSE, "k"),
            (std::pair<std::string, std::string>{"X-Api-Key", "k"}));
  EXPECT_EQ(AuthHeader(v1::PROVIDER_ELEVENLABS, "k"),
            (std::pair<std::string, std::string>{"xi-api-key", "k"}));
  EXPECT_EQ(AuthHeader(v1::PROVIDER_AIMLAPI, "k"),
            (std::pair<std::string, std::string>{"Authorization", "Bearer k"}));
}

TEST(RouteTest, LabelIsMethodAndTemplate) {
  Route r{v1::PROVIDER_VIMMERSE, "GET", "/v2/media/{id}",
          Idempotency::kIdempotent};
  EXPECT_EQ(r.Label(), "GET /v2/media/{id}");
}

}  // namespace
}  // namespace mediagen::upstream
