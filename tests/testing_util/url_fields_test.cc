#include "tests/testing_util/url_fields.h"

#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/video.pb.h"

namespace mediagen::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Names(const std::vector<FieldPath>& paths) {
  std::vector<std::string> out;
  for (const FieldPath& path : paths) {
    std::string name;
    for (const auto* f : path) name += (name.empty() ? "" : ".") + f->name();
    out.push_back(name);
  }
  return out;
}

TEST(UrlFieldsTest, FindsTopLevelNestedAndRepeatedUrlFields) {
  EXPECT_THAT(
      Names(FindUrlFields(v1::CreateMediaRequest::descriptor())),
      UnorderedElementsAre("media_items.url", "audio_option.narration_url",
                           "audio_option.bg_music_url", "webhook_url"));
  EXPECT_THAT(Names(FindUrlFields(v1::ReferenceToVideoRequest::descriptor())),
              ::testing::Contains("image_urls"));
  EXPECT_THAT(Names(FindUrlFields(v1::UploadVideoRequest::descriptor())),
              ElementsAre("metadata.video_url"));
}

TEST(UrlFieldsTest, IgnoresOtherFieldsAndEndsOnRecursiveTypes) {
  EXPECT_THAT(FindUrlFields(v1::GetMediaRequest::descriptor()), IsEmpty());
  // Struct holds Values that hold Structs: the depth bound ends the walk.
  EXPECT_THAT(FindUrlFields(google::protobuf::Struct::descriptor()), IsEmpty());
  const auto* d = v1::CreateMediaRequest::descriptor();
  EXPECT_TRUE(IsUrlField(d->FindFieldByName("webhook_url")));
  EXPECT_FALSE(IsUrlField(d->FindFieldByName("prompt")));
  EXPECT_FALSE(IsUrlField(d->FindFieldByName("media_items")));
}

TEST(UrlFieldsTest, FindsEveryStringFieldButNotBytes) {
  const std::vector<std::string> all =
      Names(FindStringFields(v1::CreateMediaRequest::descriptor()));
  for (const char* name :
       {"request_id", "prompt", "title", "media_items.type", "media_items.url",
        "audio_option.narrator", "audio_option.narration", "webhook_url"}) {
    EXPECT_THAT(all, ::testing::Contains(name));
  }
  // The chunk is bytes: only the metadata's fields are text.
  for (const std::string& name :
       Names(FindStringFields(v1::UploadVideoRequest::descriptor()))) {
    EXPECT_THAT(name, ::testing::StartsWith("metadata.")) << name;
  }
}

TEST(UrlFieldsTest, SetsTheFieldAndNamesItsProtoPath) {
  std::set<std::string> names;
  for (const FieldPath& path :
       FindUrlFields(v1::CreateMediaRequest::descriptor())) {
    v1::CreateMediaRequest req;
    names.insert(SetUrlField(&req, path, "ftp://x/y"));
  }
  EXPECT_THAT(names, UnorderedElementsAre(
                         "media_items[0].url", "audio_option.narration_url",
                         "audio_option.bg_music_url", "webhook_url"));

  const auto* d = v1::CreateMediaRequest::descriptor();
  const auto* items = d->FindFieldByName("media_items");
  v1::CreateMediaRequest req;
  EXPECT_EQ(
      SetUrlField(&req, {items, items->message_type()->FindFieldByName("url")},
                  "ftp://x/y"),
      "media_items[0].url");
  ASSERT_EQ(req.media_items_size(), 1);
  EXPECT_EQ(req.media_items(0).url(), "ftp://x/y");

  v1::ReferenceToVideoRequest ref;
  EXPECT_EQ(
      SetUrlField(&ref,
                  {v1::ReferenceToVideoRequest::descriptor()->FindFieldByName(
                      "image_urls")},
                  "file:///etc/passwd"),
      "image_urls[0]");
  EXPECT_THAT(ref.image_urls(), ElementsAre("file:///etc/passwd"));

  v1::UploadVideoRequest upload;
  const FieldPath video_url = FindUrlFields(upload.descriptor()).at(0);
  EXPECT_EQ(SetUrlField(&upload, video_url, "gopher://x"),
            "metadata.video_url");
  EXPECT_EQ(upload.metadata().video_url(), "gopher://x");
}

}  // namespace
}  // namespace mediagen::testing
