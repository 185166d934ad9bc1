#include "service/upstream/providers/json_codec.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "mediagen/v1/common.pb.h"
#include "mediagen/v1/elevenlabs.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "mediagen/v1/video.pb.h"
#include "service/upstream/providers/test_util.h"

namespace mediagen::upstream {
namespace {

using ::mediagen::upstream::testing::JsonEquals;

TEST(EncodeMessageTest, UnsetOptionalFieldsAreAbsentExplicitDefaultsPresent) {
  v1::CropToAspectRatioRequest r;
  r.set_request_id("idem-1");
  r.set_video_url("https://x/in.mp4");
  r.set_async_mode(false);  // explicit false must be sent
  r.set_offset_x(0);        // explicit 0 must be sent
  EXPECT_TRUE(JsonEquals(Serialize(EncodeMessage(r, {"request_id"})),
                         R"({"video_url": "https://x/in.mp4",
                             "async_mode": false, "offset_x": 0})"));
}

TEST(EncodeMessageTest, ImplicitPresenceScalarsOnlyWhenNotDefault) {
  v1::MediaItem item;
  item.set_type("image");
  item.set_url("https://x/a.png");  // position left "" -> absent
  EXPECT_TRUE(JsonEquals(Serialize(EncodeMessage(item)),
                         R"({"type": "image", "url": "https://x/a.png"})"));
}

TEST(EncodeMessageTest, RepeatedOnlyWhenNonEmptyAndNestedMessages) {
  v1::SynthesizeSpeechRequest r;
  r.set_text("hi");
  auto* l = r.add_pronunciation_dictionary_locators();
  l->set_pronunciation_dictionary_id("d1");
  l->set_version_id("v1");
  r.mutable_voice_settings()->set_stability(0.5);
  r.mutable_voice_settings()->set_use_speaker_boost(false);
  r.set_seed(4294967295u);
  EXPECT_TRUE(JsonEquals(Serialize(EncodeMessage(r)),
                         R"({"text": "hi",
          "pronunciation_dictionary_locators":
              [{"pronunciation_dictionary_id": "d1", "version_id": "v1"}],
          "voice_settings": {"stability": 0.5, "use_speaker_boost": false},
          "seed": 4294967295})"));
}

TEST(EncodeMessageTest, EmptySubMessageIsLeftOut) {
  v1::CreateMediaRequest r;
  r.set_prompt("p");
  r.mutable_audio_option();  // present but empty
  EXPECT_TRUE(JsonEquals(Serialize(EncodeMessage(r)), R"({"prompt": "p"})"));
}

TEST(EncodeMessageTest, IntegralDoublesAreWrittenAsIntegers) {
  v1::GenerateAudioRequest r;
  r.set_prompt("p");
  r.set_seconds_total(10);
  r.set_seconds_start(1.25);
  const std::string text = Serialize(EncodeMessage(r));
  EXPECT_NE(text.find("\"seconds_total\":10"), std::string::npos) << text;
  EXPECT_NE(text.find("\"seconds_start\":1.25"), std::string::npos) << text;
  EXPECT_EQ(FormatNumber(12.0), "12");
  EXPECT_EQ(FormatNumber(0.3), "0.3");
}

TEST(EncodeMessageTest, InvalidUtf8DoesNotThrow) {
  v1::CreateMediaRequest r;
  r.set_prompt(
      std::string("a\xff"
                  "b"));
  const std::string text = Serialize(EncodeMessage(r));
  EXPECT_TRUE(ParseAny(text).has_value()) << text;
}

TEST(ParseObjectTest, UnwrapsDataEnvelopesButNotObjectsWithAnId) {
  auto one = ParseObject(R"({"data": {"id": "a"}})");
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ((*one)["id"], "a");
  auto two = ParseObject(R"({"data": {"data": {"id": "b"}}})");
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ((*two)["id"], "b");
  auto own = ParseObject(R"({"id": "c", "data": {"id": "inner"}})");
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ((*own)["id"], "c");
}

TEST(ParseObjectTest, GarbageIsNulloptNotACrash) {
  EXPECT_FALSE(ParseObject("").has_value());
  EXPECT_FALSE(ParseObject("<html>502 Bad Gateway</html>").has_value());
  EXPECT_FALSE(ParseObject("[1,2]").has_value());
  EXPECT_FALSE(ParseObject("{\"a\": ").has_value());
  EXPECT_FALSE(ParseObject(std::string("{\"a\":\"\xff\"}")).has_value());
}

TEST(ScalarTest, TolerantReads) {
  EXPECT_EQ(AsInt(Json("42")), 42);
  EXPECT_EQ(AsInt(Json(" 7 ")), 7);
  EXPECT_EQ(AsInt(Json("55.9")), 55);
  EXPECT_EQ(AsInt(Json(3.0)), 3);
  EXPECT_FALSE(AsInt(Json("abc")).has_value());
  EXPECT_FALSE(AsInt(Json(true)).has_value());
  EXPECT_FALSE(AsInt(Json(1e300)).has_value());
  EXPECT_EQ(AsDouble(Json("8.5")), 8.5);
  EXPECT_FALSE(AsDouble(Json("nan")).has_value());
  EXPECT_EQ(AsString(Json(5)), "5");
  EXPECT_EQ(AsString(Json(5.5)), "5.5");
  EXPECT_EQ(AsBool(Json("true")), true);
  EXPECT_EQ(AsBool(Json(0)), false);
  EXPECT_FALSE(AsBool(Json("maybe")).has_value());
}

TEST(TimestampTest, BothSeparatorsZuluAndNoOffset) {
  const absl::Time want =
      absl::FromCivil(absl::CivilSecond(2025, 4, 1, 18, 57, 37),
                      absl::UTCTimeZone()) +
      absl::Microseconds(355064);
  EXPECT_EQ(ParseTimestamp("2025-04-01T18:57:37.355064+00:00"), want);
  EXPECT_EQ(ParseTimestamp("2025-04-01 18:57:37.355064+00:00"), want);
  EXPECT_EQ(ParseTimestamp("2025-04-01T18:57:37.355064Z"), want);
  EXPECT_EQ(ParseTimestamp("2025-04-01T18:57:37.355064"), want);
  EXPECT_EQ(ParseTimestamp("2025-04-01T20:57:37.355064+02:00"), want);
  EXPECT_FALSE(ParseTimestamp("yesterday").has_value());
  google::protobuf::Timestamp ts;
  ASSERT_TRUE(ToTimestamp(want, &ts));
  EXPECT_EQ(ts.seconds(), 1743533857);
  EXPECT_EQ(ts.nanos(), 355064000);
}

TEST(DecodeIntoTest, NullsUnknownKeysAndWrongTypes) {
  v1::Asset a;
  DecodeInto(*ParseAny(R"({"id": "x", "quantity": "3", "credits": "8.5",
                           "status": null, "mime_type": 17, "extra": [1],
                           "thumbnails": "https://t/1.png",
                           "progress_percentage": "40",
                           "results": ["u1", null, "u2"],
                           "args": {"prompt": "p", "n": 1},
                           "history": [{"a": 1}, "s"],
                           "created_at": "2025-05-06 16:35:59.840508+00:00",
                           "updated_at": "not a time",
                           "app_name": {"nested": true}})"),
             &a);
  EXPECT_EQ(a.id(), "x");
  EXPECT_EQ(a.quantity(), 3);
  EXPECT_EQ(a.credits(), 8.5);
  EXPECT_EQ(a.status(), "");
  EXPECT_EQ(a.mime_type(), "17");
  ASSERT_EQ(a.thumbnails_size(), 1);
  EXPECT_TRUE(a.has_progress_percentage());
  EXPECT_EQ(a.progress_percentage(), 40);
  ASSERT_EQ(a.results_size(), 2);
  EXPECT_EQ(a.results(1), "u2");
  EXPECT_TRUE(
      JsonEquals(testing::ProtoJson(a.args()), R"({"prompt": "p", "n": 1})"));
  EXPECT_TRUE(JsonEquals(testing::ProtoJson(a.history(0)), R"({"a": 1})"));
  EXPECT_EQ(a.history_size(), 2);
  EXPECT_TRUE(a.has_created_at());
  EXPECT_FALSE(a.has_updated_at());
  EXPECT_EQ(a.app_name(), "");  // an object cannot be a string
}

TEST(DecodeIntoTest, MediaItemsAsJsonStringAsV1SendsThem) {
  v1::Media m;
  DecodeInto(
      *ParseAny(
          R"({"media_items": "[{\"type\":\"image\",\"url\":\"https://e/a.png\",\"position\":\"First\"}]"})"),
      &m);
  ASSERT_EQ(m.media_items_size(), 1);
  EXPECT_EQ(m.media_items(0).position(), "First");
}

TEST(DecodeIntoTest, DeepNestingIsCutOffNotACrash) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "[";
  for (int i = 0; i < 100000; ++i) deep += "]";
  std::optional<Json> parsed =
      ParseAny(absl::StrCat(R"({"id":"x","history":)", deep, "}"));
  ASSERT_TRUE(parsed.has_value());
  v1::Asset a;
  DecodeInto(*parsed, &a);
  EXPECT_EQ(a.id(), "x");
  ASSERT_EQ(a.history_size(), 1);
  // 32 levels kept, the rest cut to null.
  const std::string kept = testing::ProtoJson(a.history(0));
  EXPECT_NE(kept.find("null"), std::string::npos);
  EXPECT_LT(kept.size(), 200u);
}

}  // namespace
}  // namespace mediagen::upstream
