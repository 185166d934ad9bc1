#include "client/cli/commands.h"

#include <set>

#include "client/mock_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mediagen/v1/video.pb.h"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;
using ::testing::_;

TEST(CommandsTest, EveryRpcHasExactlyOneCommand) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  std::set<std::string> rpcs;
  for (const char* service :
       {"mediagen.v1.MediaService", "mediagen.v1.VideoService",
        "mediagen.v1.AudioService", "mediagen.v1.ElevenLabsService",
        "mediagen.v1.StableAudioService", "mediagen.v1.JobService",
        "mediagen.v1.UsageService"}) {
    const auto* s = pool->FindServiceByName(service);
    ASSERT_NE(s, nullptr) << service;
    for (int i = 0; i < s->method_count(); ++i) {
      rpcs.insert(std::string(s->method(i)->full_name()));
    }
  }
  EXPECT_EQ(rpcs.size(), 28u);
  std::set<std::string> covered, names;
  for (const Command& c : Commands()) {
    ASSERT_NE(c.method, nullptr);
    EXPECT_TRUE(covered.insert(std::string(c.method->full_name())).second)
        << c.method->full_name();
    EXPECT_TRUE(names.insert(c.group + " " + c.verb).second)
        << c.group << " " << c.verb;
    EXPECT_EQ(c.kind == CallKind::kUnary, static_cast<bool>(c.invoke))
        << c.group << " " << c.verb;
  }
  EXPECT_EQ(covered, rpcs);
}

TEST(CommandsTest, KindsAndCreatesFollowTheDescriptors) {
  const Command* upload = FindCommand("video", "upload");
  ASSERT_NE(upload, nullptr);
  EXPECT_EQ(upload->kind, CallKind::kUpload);
  EXPECT_EQ(upload->flags_message->full_name(),
            "mediagen.v1.UploadVideoMetadata");
  const Command* speech = FindCommand("elevenlabs", "speech");
  ASSERT_NE(speech, nullptr);
  EXPECT_EQ(speech->kind, CallKind::kServerStream);
  // WatchJob streams jobs, not audio: followed, not written to -o.
  EXPECT_EQ(FindCommand("job", "watch")->kind, CallKind::kWatch);
  EXPECT_TRUE(FindCommand("media", "create")->creates);
  EXPECT_FALSE(FindCommand("media", "get")->creates);
  EXPECT_FALSE(FindCommand("video", "estimate-credits")->creates);
  EXPECT_EQ(FindCommand("video", "no-such"), nullptr);
}

TEST(CommandsTest, InvokersCallTheMatchingClientMethod) {
  auto mock = std::make_shared<client::MockConnection>();
  EXPECT_CALL(*mock, ReframeVideo(_, _))
      .WillOnce(
          [](const client::CallContext&, const v1::ReframeVideoRequest& r) {
            EXPECT_EQ(r.video_url(), "https://v/1.mp4");
            EXPECT_FALSE(r.request_id().empty());  // a create gets an id
            v1::ReframeVideoResponse response;
            response.mutable_asset()->set_name("assets/9");
            return response;
          });
  client::Client client(mock);
  v1::ReframeVideoRequest request;
  request.set_video_url("https://v/1.mp4");
  auto response = FindCommand("video", "reframe")->invoke(client, request, {});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(static_cast<v1::ReframeVideoResponse&>(**response).asset().name(),
            "assets/9");
}

}  // namespace
}  // namespace mediagen::cli
