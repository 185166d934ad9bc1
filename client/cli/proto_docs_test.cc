#include "client/cli/proto_docs.h"

#include "gmock/gmock.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"
#include "mediagen/v1/audio.pb.h"
#include "mediagen/v1/elevenlabs.pb.h"
#include "mediagen/v1/jobs.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "mediagen/v1/video.pb.h"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// "MediaService.CreateMedia": linked in by the messages used below.
const google::protobuf::MethodDescriptor* Method(const std::string& name) {
  const auto* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          "mediagen.v1." + name);
  EXPECT_NE(method, nullptr) << name;
  return method;
}

TEST(ProtoDocsTest, AFieldsCommentOnOneLine) {
  EXPECT_EQ(ProtoComment(v1::CreateMediaRequest::descriptor()->FindFieldByName(
                "duration")),
            "Scene duration in seconds, 1-10. Default 5.");
  // Three lines in media.proto.
  EXPECT_EQ(
      ProtoComment(v1::AudioOption::descriptor()->FindFieldByName("narrator")),
      "Text-to-speech voice. Default `AutoV`. One of AutoV, Rachel, "
      "Aria, Roger, Sarah, Laura, Charlie, George, Callum, River, Liam, "
      "Charlotte, Alice, Matilda, Will, Jessica, Eric, Chris, Brian, "
      "Daniel, Lily, Bill.");
}

TEST(ProtoDocsTest, AnRpcsCommentAndTheRoutesItNames) {
  const auto* create = Method("MediaService.CreateMedia");
  EXPECT_THAT(ProtoComment(create),
              ::testing::StartsWith("POST /v2/media. Validates, spends "
                                    "credits and queues the generation;"));
  EXPECT_THAT(UpstreamRoutes(create), ElementsAre("POST /v2/media"));
  EXPECT_THAT(UpstreamRoutes(Method("VideoService.UploadVideo")),
              ElementsAre("POST /v2/video"));
  EXPECT_THAT(UpstreamRoutes(Method("StableAudioService.GetGeneration")),
              ElementsAre("GET /v2/generate/audio?generation_id={id}"));
  // Several, inside parentheses and across lines.
  EXPECT_THAT(UpstreamRoutes(Method("JobService.GetJob")),
              ElementsAre("GET /v2/media/{id}", "GET /asset/{id}",
                          "GET /v2/generate/audio?generation_id={id}"));
  EXPECT_THAT(UpstreamRoutes(Method("ElevenLabsService.SynthesizeSpeech")),
              ElementsAre("POST /v1/text-to-speech/{voice_id}/stream",
                          "POST /v1/text-to-speech/{voice_id}"));
  // WatchJob polls; it names no route of its own.
  EXPECT_THAT(UpstreamRoutes(Method("JobService.WatchJob")), IsEmpty());
}

TEST(ProtoDocsTest, ImportsKeepTheirCommentsOtherTypesHaveNone) {
  // The API imports no Duration, so the set does not hold it.
  EXPECT_EQ(ProtoComment(google::protobuf::Duration::descriptor()->field(0)),
            "");
  // The well-known types the API imports are in the set, comments and all.
  EXPECT_THAT(
      ProtoComment(google::protobuf::Timestamp::descriptor()->FindFieldByName(
          "seconds")),
      ::testing::StartsWith("Represents seconds of UTC time"));
}

}  // namespace
}  // namespace mediagen::cli
