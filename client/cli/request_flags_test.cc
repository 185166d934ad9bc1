#include "client/cli/request_flags.h"

#include "gtest/gtest.h"
#include "mediagen/v1/jobs.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/video.pb.h"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;

TEST(RequestFlagsTest, ScalarsByFlagOrProtoName) {
  v1::CreateMediaRequest r;
  ASSERT_TRUE(SetField(&r, "prompt", "a red kite").ok());
  ASSERT_TRUE(SetField(&r, "aspect-ratio", "9:16").ok());
  ASSERT_TRUE(SetField(&r, "aspect_ratio", "16:9").ok());
  ASSERT_TRUE(SetField(&r, "duration", "5").ok());
  EXPECT_EQ(r.prompt(), "a red kite");
  EXPECT_EQ(r.aspect_ratio(), "16:9");
  EXPECT_EQ(r.duration(), 5);
}

TEST(RequestFlagsTest, NestedFieldsByDotOrAsJson) {
  v1::CreateMediaRequest r;
  ASSERT_TRUE(SetField(&r, "audio-option.narrator", "Sarah").ok());
  ASSERT_TRUE(
      SetField(&r, "audio-option", R"({"bg_music_prompt": "calm piano"})")
          .ok());
  EXPECT_EQ(r.audio_option().narrator(), "Sarah");
  EXPECT_EQ(r.audio_option().bg_music_prompt(), "calm piano");
}

TEST(RequestFlagsTest, RepeatedMessagesAppendFromObjectsAndArrays) {
  v1::CreateMediaRequest r;
  ASSERT_TRUE(
      SetField(&r, "media-items", R"({"url": "https://a/1.jpg"})").ok());
  ASSERT_TRUE(
      SetField(&r, "media-items",
               R"([{"url": "https://a/2.jpg"}, {"url": "https://a/3.jpg"}])")
          .ok());
  ASSERT_EQ(r.media_items_size(), 3);
  EXPECT_EQ(r.media_items(0).url(), "https://a/1.jpg");
  EXPECT_EQ(r.media_items(2).url(), "https://a/3.jpg");
}

TEST(RequestFlagsTest, BoolsAndEnums) {
  v1::Job job;
  ASSERT_TRUE(SetField(&job, "state", "succeeded").ok());
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED);
  ASSERT_TRUE(SetField(&job, "state", "JOB_STATE_FAILED").ok());
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  ASSERT_TRUE(SetField(&job, "state", "2").ok());
  EXPECT_EQ(job.state(), v1::JOB_STATE_RUNNING);
  absl::Status bad = SetField(&job, "state", "finished");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("JOB_STATE_SUCCEEDED"), std::string::npos)
      << bad.message();

  v1::ReframeVideoRequest reframe;
  EXPECT_TRUE(IsBoolFlag(reframe.GetDescriptor(), "async-mode"));
  EXPECT_FALSE(IsBoolFlag(reframe.GetDescriptor(), "video-url"));
  ASSERT_TRUE(SetField(&reframe, "async-mode", "true").ok());
  EXPECT_TRUE(reframe.async_mode());
  EXPECT_FALSE(SetField(&reframe, "async-mode", "maybe").ok());
}

TEST(RequestFlagsTest, RepeatedScalarsAppendOneByOneOrFromAnArray) {
  v1::Job job;
  ASSERT_TRUE(SetField(&job, "result-urls", "https://a/1").ok());
  ASSERT_TRUE(
      SetField(&job, "result-urls", R"(["https://a/2", "https://a/3"])").ok());
  ASSERT_EQ(job.result_urls_size(), 3);
  EXPECT_EQ(job.result_urls(0), "https://a/1");
  EXPECT_EQ(job.result_urls(2), "https://a/3");
}

TEST(RequestFlagsTest, ErrorsNameTheFlagAndTheProblem) {
  v1::CreateMediaRequest r;
  absl::Status status = SetField(&r, "duration", "five");
  EXPECT_EQ(status.message(), "--duration: \"five\" is not an integer");
  status = SetField(&r, "no-such-field", "x");
  EXPECT_EQ(status.message(), "--no-such-field: unknown flag (see --help)");
  status = SetField(&r, "audio-option", "{not json");
  EXPECT_NE(status.message().find("--audio-option: not valid JSON"),
            std::string::npos)
      << status.message();
  status = SetField(&r, "prompt.x", "y");
  EXPECT_NE(status.message().find("takes JSON"), std::string::npos);
}

TEST(RequestFlagsTest, TimestampsTakeTheirJsonForm) {
  v1::Job job;
  ASSERT_TRUE(SetField(&job, "create-time", "2026-01-02T03:04:05Z").ok());
  EXPECT_EQ(job.create_time().seconds(), 1767323045);
}

TEST(RequestFlagsTest, HelpListsEveryFieldAndNestedOnes) {
  std::vector<std::string> lines =
      DescribeFlags(v1::CreateMediaRequest::descriptor());
  auto has = [&](const std::string& text) {
    for (const auto& line : lines) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("--prompt STRING"));
  EXPECT_TRUE(has("--duration INT"));
  EXPECT_TRUE(has("--audio-option.narrator STRING"));
  EXPECT_TRUE(has("--media-items JSON  (repeatable)"));
}

}  // namespace
}  // namespace mediagen::cli
