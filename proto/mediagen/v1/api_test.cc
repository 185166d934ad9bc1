// Tests of the public API itself: the generated code compiles and links,
// messages keep what callers put in them across the wire, the gMock stubs
// work, and the README's RPC table matches the services exactly (both ways),
// with every route it names also named in that RPC's comment in the .proto.

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mediagen/v1/audio.grpc.pb.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/stable_audio.grpc.pb.h"
#include "mediagen/v1/usage.grpc.pb.h"
#include "mediagen/v1/video.grpc.pb.h"
#include "mediagen/v1/video_mock.grpc.pb.h"

namespace mediagen::v1 {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::_;
using ::testing::DoAll;
using ::testing::Return;
using ::testing::SetArgPointee;

template <typename T>
T RoundTrip(const T& in) {
  std::string wire;
  EXPECT_TRUE(in.SerializeToString(&wire));
  T out;
  EXPECT_TRUE(out.ParseFromString(wire));
  return out;
}

TEST(ApiTest, CreateMediaRequestRoundTripsWithPresence) {
  CreateMediaRequest req;
  req.set_request_id("0b7f1c2e-5b1a-4c53-9d7e-2b8f1f6a9e01");
  req.set_prompt("A cinematic drone shot over snow mountains at sunrise");
  req.set_video_tool("Auto");
  req.set_quantity(1);
  req.set_duration(5);
  req.set_aspect_ratio("16:9");
  auto* item = req.add_media_items();
  item->set_type("image");
  item->set_url("https://example.com/first.png");
  item->set_position("First");
  req.mutable_audio_option()->set_narrator("Sarah");
  req.mutable_audio_option()->set_native_audio(false);

  CreateMediaRequest out = RoundTrip(req);
  EXPECT_TRUE(MessageDifferencer::Equals(req, out)) << out.DebugString();
  // Explicit presence is what lets the translator omit unset fields and
  // still send an explicit `false` or `0`.
  EXPECT_TRUE(out.has_quantity());
  EXPECT_FALSE(out.has_loop());
  EXPECT_FALSE(out.has_title());
  EXPECT_TRUE(out.audio_option().has_native_audio());
  EXPECT_FALSE(out.audio_option().native_audio());
  EXPECT_FALSE(out.audio_option().has_narration());
}

TEST(ApiTest, UploadStreamMessagesRoundTrip) {
  UploadVideoRequest first;
  first.mutable_metadata()->set_file_name("clip.mp4");
  first.mutable_metadata()->set_content_type("video/mp4");
  first.mutable_metadata()->set_size_bytes(3);
  UploadVideoRequest chunk;
  chunk.set_chunk(std::string("\x00\x01\xff", 3));

  EXPECT_EQ(RoundTrip(first).data_case(), UploadVideoRequest::kMetadata);
  UploadVideoRequest chunk_out = RoundTrip(chunk);
  ASSERT_EQ(chunk_out.data_case(), UploadVideoRequest::kChunk);
  EXPECT_EQ(chunk_out.chunk(), std::string("\x00\x01\xff", 3));
}

TEST(ApiTest, WatchEventsRoundTrip) {
  WatchJobResponse change;
  Job* job = change.mutable_job();
  job->set_name("media/abc123-def456-ghi789");
  job->set_provider(PROVIDER_VIMMERSE);
  job->set_state(JOB_STATE_SUCCEEDED);
  job->set_upstream_status("success");
  job->set_progress_percentage(100);
  job->add_result_urls("https://cdn.example.com/out.mp4");
  job->set_version(7);

  WatchJobResponse out = RoundTrip(change);
  ASSERT_EQ(out.event_case(), WatchJobResponse::kJob);
  EXPECT_TRUE(MessageDifferencer::Equals(change, out));

  WatchJobResponse beat;
  beat.mutable_heartbeat()->set_version(7);
  EXPECT_EQ(RoundTrip(beat).event_case(), WatchJobResponse::kHeartbeat);
}

TEST(ApiTest, SpeechStreamCarriesBytesUnchanged) {
  std::string audio(70000, '\0');
  for (size_t i = 0; i < audio.size(); ++i) audio[i] = static_cast<char>(i);
  SynthesizeSpeechResponse msg;
  msg.set_audio_chunk(audio);
  EXPECT_EQ(RoundTrip(msg).audio_chunk(), audio);
}

TEST(ApiTest, MockStubStandsInForTheClient) {
  MockVideoServiceStub stub;
  ReframeVideoResponse canned;
  canned.mutable_asset()->set_name("assets/a1");
  EXPECT_CALL(stub, ReframeVideo(_, _, _))
      .WillOnce(DoAll(SetArgPointee<2>(canned), Return(grpc::Status::OK)));

  VideoService::StubInterface& iface = stub;
  grpc::ClientContext ctx;
  ReframeVideoRequest req;
  req.set_video_url("https://example.com/in.mp4");
  ReframeVideoResponse resp;
  ASSERT_TRUE(iface.ReframeVideo(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.asset().name(), "assets/a1");
}

// ---- The README table against the API ----------------------------------

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "mediagen.v1.VideoService/ReframeVideo" -> routes named in the README row.
std::map<std::string, std::vector<std::string>> ReadmeTable() {
  const std::string readme = ReadFile("README.md");
  std::map<std::string, std::vector<std::string>> rows;
  const std::regex row(R"(^\|\s*`(mediagen\.v1\.\w+/\w+)`\s*\|([^|]*)\|)");
  const std::regex route(R"(`((?:GET|POST|PUT|DELETE|PATCH) /[^`]*)`)");
  std::istringstream lines(readme);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    std::vector<std::string>& routes = rows[m[1]];
    const std::string cell = m[2];
    for (std::sregex_iterator it(cell.begin(), cell.end(), route), end;
         it != end; ++it) {
      routes.push_back((*it)[1]);
    }
  }
  return rows;
}

std::set<std::string> ApiMethods() {
  // Naming one message per file links the file in and gives its descriptor.
  const google::protobuf::FileDescriptor* files[] = {
      CreateMediaRequest::descriptor()->file(),
      ReframeVideoRequest::descriptor()->file(),
      TextToSpeechRequest::descriptor()->file(),
      SynthesizeSpeechRequest::descriptor()->file(),
      GenerateAudioRequest::descriptor()->file(),
      GetJobRequest::descriptor()->file(),
      GetUsageRequest::descriptor()->file(),
  };
  std::set<std::string> methods;
  for (const auto* file : files) {
    EXPECT_GE(file->service_count(), 1) << file->name();
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        methods.insert(service->full_name() + "/" + service->method(m)->name());
      }
    }
  }
  return methods;
}

TEST(ApiTest, ReadmeTableListsExactlyTheRpcs) {
  std::set<std::string> in_readme;
  for (const auto& [method, routes] : ReadmeTable()) in_readme.insert(method);
  const std::set<std::string> in_api = ApiMethods();
  for (const auto& m : in_api) {
    EXPECT_TRUE(in_readme.count(m)) << m << " is missing from README.md";
  }
  for (const auto& m : in_readme) {
    EXPECT_TRUE(in_api.count(m)) << m << " in README.md is not an RPC";
  }
}

// The comment block right above `rpc Name(` in the .proto files.
std::map<std::string, std::string> RpcComments() {
  std::map<std::string, std::string> comments;
  const std::regex service_re(R"(^service (\w+) \{)");
  const std::regex rpc_re(R"(^\s*rpc (\w+)\()");
  for (const char* name : {"audio", "elevenlabs", "jobs", "media",
                           "stable_audio", "usage", "video"}) {
    std::istringstream lines(
        ReadFile(std::string("proto/mediagen/v1/") + name + ".proto"));
    std::string line, service, block;
    while (std::getline(lines, line)) {
      std::smatch m;
      if (std::regex_search(line, m, service_re)) service = m[1];
      if (std::regex_search(line, m, rpc_re)) {
        comments["mediagen.v1." + service + "/" + std::string(m[1])] = block;
      }
      const auto first = line.find_first_not_of(' ');
      const bool comment = first != std::string::npos &&
                           line.compare(first, 2, "//") == 0;
      block = comment ? block + " " + line.substr(first + 2) : "";
    }
  }
  return comments;
}

TEST(ApiTest, ReadmeRoutesMatchTheProtoComments) {
  const auto comments = RpcComments();
  for (const auto& [method, routes] : ReadmeTable()) {
    auto it = comments.find(method);
    ASSERT_NE(it, comments.end()) << method;
    // Only WatchJob makes no call of its own (it polls GetJob's routes),
    // and GetUsage none at all (mediagen's own counters).
    if (method != "mediagen.v1.JobService/WatchJob" &&
        method != "mediagen.v1.UsageService/GetUsage") {
      EXPECT_FALSE(routes.empty()) << method << " names no upstream route";
    }
    // Comments wrap lines; compare with whitespace collapsed.
    const std::string doc = std::regex_replace(it->second, std::regex(R"(\s+)"), " ");
    for (const auto& route : routes) {
      EXPECT_NE(doc.find(route), std::string::npos)
          << method << ": README says `" << route
          << "` but the .proto comment does not";
    }
  }
}

}  // namespace
}  // namespace mediagen::v1
