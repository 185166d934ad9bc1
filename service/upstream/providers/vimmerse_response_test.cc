// Vimmerse's documented response examples parsed back (media, assets,
// estimates, in both the v1 and v2 shapes), with the tolerance cases.
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "service/upstream/providers/test_util.h"
#include "service/upstream/providers/vimmerse.h"

namespace mediagen::upstream::vimmerse {
namespace {

using ::mediagen::upstream::testing::JsonEquals;

constexpr char kMediaExample[] = R"({
  "id": "abc123-def456-ghi789",
  "title": "Example Media",
  "description": "Media description",
  "customer_id": "customer123",
  "primary_user_id": "user-abc-123",
  "media_items": null,
  "duration_time": "5",
  "processing_status": "new",
  "pose_preset": {
    "motion_type": "Auto",
    "prompt": "A cinematic shot over mountains at sunrise",
    "quantity": 1,
    "motion_length": 5,
    "loop": 1
  },
  "submit_params": {"native_audio": true, "file_size": "", "scale_factor": "1"},
  "result": [],
  "webhook_url": "",
  "created_at": "2025-04-01T18:57:37.355064+00:00",
  "updated_at": "2025-04-01T18:57:55.502020+00:00",
  "version": "3"
})";

TEST(VimmerseResponseTest, MediaDocExample) {
  absl::StatusOr<v1::Media> m = ParseMedia(kMediaExample);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->name(), "media/abc123-def456-ghi789");
  EXPECT_EQ(m->id(), "abc123-def456-ghi789");
  EXPECT_EQ(m->title(), "Example Media");
  EXPECT_EQ(m->customer_id(), "customer123");
  EXPECT_EQ(m->primary_user_id(), "user-abc-123");
  EXPECT_EQ(m->media_items_size(), 0);
  EXPECT_EQ(m->duration_time(), "5");
  EXPECT_EQ(m->processing_status(), "new");
  EXPECT_EQ(m->state(), v1::JOB_STATE_QUEUED);
  EXPECT_FALSE(m->has_progress_percentage());
  EXPECT_EQ(m->pose_preset().motion_type(), "Auto");
  EXPECT_EQ(m->pose_preset().motion_length(), 5);
  EXPECT_TRUE(m->submit_params().native_audio());
  EXPECT_EQ(m->submit_params().scale_factor(), "1");
  EXPECT_EQ(m->result_size(), 0);
  EXPECT_EQ(m->created_at().seconds(), 1743533857);
  EXPECT_EQ(m->created_at().nanos(), 355064000);
  EXPECT_EQ(m->updated_at().seconds(), 1743533875);
  EXPECT_EQ(m->version(), "3");
}

TEST(VimmerseResponseTest, MediaV1ShapeWithDoubleDataWrapper) {
  // GET /media/{id} in the v1 OpenAPI: data wrapper (twice), space
  // timestamps, numeric progress, pose_preset in another shape.
  absl::StatusOr<v1::Media> m = ParseMedia(R"({"data": {"data": {
    "id": "xyz789-abc123-def456", "title": "Product Showcase",
    "duration_time": "5.0", "progress_percentage": 100,
    "processing_status": "success",
    "pose_preset": {"MotionType": "Auto", "Params": "Prompt=|Quantity=1"},
    "result": ["https://cdn.example/out1.mp4", "https://cdn.example/out2.mp4"],
    "created_at": "2025-04-01 13:19:10.786297+00:00",
    "updated_at": "2025-04-01 13:20:37.032634+00:00",
    "version": "2", "nsfw": "0"}}})");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->name(), "media/xyz789-abc123-def456");
  EXPECT_EQ(m->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(m->progress_percentage(), 100);
  EXPECT_EQ(m->result_size(), 2);
  EXPECT_EQ(m->created_at().nanos(), 786297000);
  EXPECT_EQ(m->duration_time(), "5.0");
}

TEST(VimmerseResponseTest, MediaTolerance) {
  absl::StatusOr<v1::Media> m = ParseMedia(R"({
    "id": "m1", "processing_status": "fail", "progress_percentage": "140",
    "duration_time": 5, "version": 3, "title": null, "brand_new_field": {"x": 1},
    "media_items": "[{\"type\": \"image\", \"url\": \"https://e/a.png\"}]"})");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(m->progress_percentage(), 100);  // clamped
  EXPECT_EQ(m->duration_time(), "5");
  EXPECT_EQ(m->version(), "3");
  EXPECT_EQ(m->title(), "");
  EXPECT_EQ(m->media_items_size(), 1);

  EXPECT_EQ(
      ParseMedia(R"({"id": "m1", "processing_status": "failed"})")->state(),
      v1::JOB_STATE_FAILED);
  EXPECT_EQ(ParseMedia(R"({"id": "m1", "processing_status": "queue_bullet"})")
                ->state(),
            v1::JOB_STATE_QUEUED);
  EXPECT_EQ(
      ParseMedia(
          R"({"id": "m1", "processing_status": "processing_bullet", "progress_percentage": "55"})")
          ->progress_percentage(),
      55);
  EXPECT_EQ(
      ParseMedia(R"({"id": "m1", "processing_status": "cancel"})")->state(),
      v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(ParseMedia(R"({"id": "m1", "processing_status": "mystery_bullet"})")
                ->state(),
            v1::JOB_STATE_RUNNING);
}

TEST(VimmerseResponseTest, MediaWithoutIdUsesKnownIdOrFails) {
  absl::StatusOr<v1::Media> partial =
      ParseMedia(R"({"processing_status": "success", "result": ["u"]})", "m9");
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->name(), "media/m9");
  EXPECT_FALSE(ParseMedia(R"({"processing_status": "new"})").ok());
  EXPECT_FALSE(ParseMedia(R"({"id": "a/b"})").ok());
  // A dot segment would later be polled as `GET /v2/` or `GET /`.
  EXPECT_FALSE(ParseMedia(R"({"id": ".."})").ok());
  EXPECT_FALSE(ParseMedia(R"({"id": "."})").ok());
  EXPECT_FALSE(ParseAsset(R"({"id": "..", "status": "new"})").ok());
  EXPECT_FALSE(ParseAsset(R"({"id": ".", "status": "new"})").ok());
  EXPECT_FALSE(ParseMedia("<html></html>").ok());
  EXPECT_FALSE(ParseMedia("").ok());
}

constexpr char kAssetExample[] = R"({
  "id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
  "customer_id": "customer123",
  "primary_user_id": "user-abc-123",
  "args": {"prompt": "Welcome to the show.", "option": "ElevenLabsTTS", "voice": "AutoV"},
  "thumbnails": [],
  "status": "success",
  "mime_type": "audio/mp3",
  "app_name": "text-to-speech",
  "quantity": 1,
  "credits": 8,
  "created_at": "2025-05-06T16:35:59.840508+00:00",
  "updated_at": "2025-05-06T16:36:12.102933+00:00",
  "history": []
})";

TEST(VimmerseResponseTest, AssetDocExample) {
  absl::StatusOr<v1::Asset> a = ParseAsset(kAssetExample);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->name(), "assets/a1b2c3d4-e5f6-7890-abcd-ef1234567890");
  EXPECT_TRUE(JsonEquals(testing::ProtoJson(a->args()),
                         R"({"prompt": "Welcome to the show.",
                             "option": "ElevenLabsTTS", "voice": "AutoV"})"));
  EXPECT_EQ(a->status(), "success");
  EXPECT_EQ(a->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(a->mime_type(), "audio/mp3");
  EXPECT_EQ(a->app_name(), "text-to-speech");
  EXPECT_EQ(a->quantity(), 1);
  EXPECT_EQ(a->credits(), 8);
  EXPECT_EQ(a->created_at().seconds(), 1746549359);
  EXPECT_EQ(a->history_size(), 0);
}

TEST(VimmerseResponseTest, AssetV1WrappedWithResults) {
  absl::StatusOr<v1::Asset> a = ParseAsset(R"({"data": {"id": "ASSET_ID",
    "args": {}, "results": ["result_url1", "result_url2"], "thumbnails": [],
    "status": "processing_bullet", "progress_percentage": "35",
    "created_at": "2025-05-06 16:35:59.840508+00:00", "history": [{"s": 1}]}})");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->name(), "assets/ASSET_ID");
  EXPECT_EQ(a->state(), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(a->results_size(), 2);
  EXPECT_EQ(a->progress_percentage(), 35);
  EXPECT_TRUE(a->has_created_at());
  EXPECT_EQ(a->history_size(), 1);
}

TEST(VimmerseResponseTest, EstimateExample) {
  v1::EstimateVideoCreditsResponse v;
  ASSERT_TRUE(
      ParseEstimate(R"({"total_credits": 0, "breakdown": {}})", &v).ok());
  EXPECT_EQ(v.total_credits(), 0);
  EXPECT_TRUE(v.has_breakdown());
  v1::EstimateAudioCreditsResponse a;
  ASSERT_TRUE(ParseEstimate(R"({"total_credits": "12.5",
      "breakdown": {"base": 10, "length": 2.5}})",
                            &a)
                  .ok());
  EXPECT_EQ(a.total_credits(), 12.5);
  EXPECT_TRUE(JsonEquals(testing::ProtoJson(a.breakdown()),
                         R"({"base": 10, "length": 2.5})"));
  EXPECT_FALSE(ParseEstimate(R"({"breakdown": {}})", &a).ok());
  EXPECT_FALSE(ParseEstimate("[]", &a).ok());
}

}  // namespace
}  // namespace mediagen::upstream::vimmerse
