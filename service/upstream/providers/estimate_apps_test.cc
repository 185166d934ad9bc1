#include "service/upstream/providers/estimate_apps.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "service/upstream/providers/route_table.h"

namespace mediagen::upstream {
namespace {

// Every Vimmerse create under /v2/video/ or /v2/audio/ (the handlers the
// estimate routes price) has a row; media, uploads and the estimate routes
// themselves have none.
TEST(EstimateAppsTest, EveryVimmerseVideoAndAudioCreateHasARow) {
  int priced = 0;
  ForEachRoute([&](const auto& row) {
    const RouteSpec& r = row.route;
    const std::string rpc(row.rpc);
    const bool generation = r.provider == v1::PROVIDER_VIMMERSE &&
                            r.idempotency == Idempotency::kNonIdempotent &&
                            (absl::StartsWith(r.path, "/v2/video/") ||
                             absl::StartsWith(r.path, "/v2/audio/"));
    const EstimateApp* app = EstimateAppFor(row.rpc);
    if (!generation) {
      EXPECT_EQ(app, nullptr) << rpc;
      return;
    }
    ASSERT_NE(app, nullptr) << rpc << " has no estimate app";
    EXPECT_FALSE(app->option.empty()) << rpc;
    EXPECT_EQ(app->audio, absl::StartsWith(r.path, "/v2/audio/")) << rpc;
    ++priced;
  });
  EXPECT_EQ(priced, 14);
}

TEST(EstimateAppsTest, EditRoutesArePricedAsEditVideo) {
  for (const char* rpc : {"mediagen.v1.VideoService/CropToAspectRatio",
                          "mediagen.v1.VideoService/ReframeVideo",
                          "mediagen.v1.VideoService/EnhanceVideo",
                          "mediagen.v1.VideoService/AddSoundEffect",
                          "mediagen.v1.VideoService/AttachAudio"}) {
    ASSERT_NE(EstimateAppFor(rpc), nullptr) << rpc;
    EXPECT_EQ(EstimateAppFor(rpc)->app_name, "edit-video") << rpc;
  }
  EXPECT_EQ(
      EstimateAppFor("mediagen.v1.AudioService/TextToSoundEffect")->app_name,
      "text-to-audio");
  EXPECT_EQ(EstimateAppFor("mediagen.v1.MediaService/CreateMedia"), nullptr);
}

}  // namespace
}  // namespace mediagen::upstream
