#include "service/upstream/providers/endpoints.h"

#include "gtest/gtest.h"

namespace mediagen::upstream {
namespace {

TEST(EndpointsTest, ProviderIdsRoundTrip) {
  for (v1::Provider p :
       {v1::PROVIDER_VIMMERSE, v1::PROVIDER_ELEVENLABS, v1::PROVIDER_AIMLAPI}) {
    EXPECT_EQ(ProviderFromId(ProviderId(p)), p) << ProviderId(p);
  }
  EXPECT_EQ(ProviderFromId("elevenlabs"), v1::PROVIDER_ELEVENLABS);
  EXPECT_EQ(ProviderFromId("unspecified"), v1::PROVIDER_UNSPECIFIED);
  EXPECT_EQ(ProviderFromId("Vimmerse"), v1::PROVIDER_UNSPECIFIED);
  EXPECT_EQ(ProviderFromId(""), v1::PROVIDER_UNSPECIFIED);
}

}  // namespace
}  // namespace mediagen::upstream
