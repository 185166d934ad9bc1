// Every RPC of the API end to end (one TEST_P row per RPC): the real server
// binary against the real, strict emulator, over loopback, each call
// reaching its upstream route as the provider documents it.
#include <signal.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "mediagen/v1/audio.grpc.pb.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/stable_audio.grpc.pb.h"
#include "mediagen/v1/usage.grpc.pb.h"
#include "mediagen/v1/video.grpc.pb.h"
#include "service/common/sha256.h"
#include "tests/integration/server_test_util.h"
#include "tests/testing_util/api_methods.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/health_check.h"
#include "tests/testing_util/status_matchers.h"
#include "tests/testing_util/watch_client.h"

namespace mediagen::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

// ---- every RPC, end to end ------------------------------------------------
//
// One row per RPC. Each call must succeed against the strict emulator (which
// rejects any unknown field, wrong type or wrong content type) and reach its
// routes with the provider's auth header (redacted in the log). A row first
// makes what its RPC reads (GetMedia a media, GetJob a job of each kind)
// with the calls, and the checks, of those RPCs' own rows.

// What a row works with: the emulator, a stub per service, and the names of
// what the row made.
struct RpcRun {
  RpcRun(EmulatorProcess& emulator, const std::shared_ptr<grpc::Channel>& ch)
      : emu(emulator),
        media(v1::MediaService::NewStub(ch)),
        video(v1::VideoService::NewStub(ch)),
        audio(v1::AudioService::NewStub(ch)),
        eleven(v1::ElevenLabsService::NewStub(ch)),
        stable(v1::StableAudioService::NewStub(ch)),
        jobs(v1::JobService::NewStub(ch)),
        usage(v1::UsageService::NewStub(ch)) {}

  // The JSON body of the last request on `route`.
  json Sent(const std::string& route) {
    return LastRequest(emu, route).value("json", json());
  }

  EmulatorProcess& emu;
  std::unique_ptr<v1::MediaService::Stub> media;
  std::unique_ptr<v1::VideoService::Stub> video;
  std::unique_ptr<v1::AudioService::Stub> audio;
  std::unique_ptr<v1::ElevenLabsService::Stub> eleven;
  std::unique_ptr<v1::StableAudioService::Stub> stable;
  std::unique_ptr<v1::JobService::Stub> jobs;
  std::unique_ptr<v1::UsageService::Stub> usage;
  std::string media_name, asset_name, generation_name;
};

// Every call has a deadline: a call that never ends fails its row, with
// the server's stderr, instead of holding the test until Bazel kills it.
constexpr absl::Duration kStreamTimeout = absl::Seconds(30);

// Calls a unary RPC that must succeed; returns its response.
template <typename Stub, typename Request, typename Response>
Response MustCall(Stub& stub,
                  grpc::Status (Stub::*rpc)(grpc::ClientContext*,
                                            const Request&, Response*),
                  const Request& request) {
  Response response;
  EXPECT_THAT((stub.*rpc)(Ctx().get(), request, &response), IsOk())
      << Request::descriptor()->name();
  return response;
}

void RunCreateMedia(RpcRun& r) {
  v1::CreateMediaRequest cm;
  cm.set_title("Product Launch Clip");
  cm.set_prompt("Smooth camera move around a premium smartwatch");
  cm.set_video_tool("Auto");
  cm.set_duration(5);
  cm.set_quantity(1);
  cm.set_loop(1);
  cm.set_aspect_ratio("16:9");
  cm.mutable_audio_option()->set_narrator("Sarah");
  cm.mutable_audio_option()->set_narration("Introducing the next generation.");
  v1::CreateMediaResponse media_resp;
  ASSERT_THAT(r.media->CreateMedia(Ctx().get(), cm, &media_resp), IsOk());
  json sent = r.Sent("POST /v2/media");
  EXPECT_EQ(sent["prompt"], cm.prompt());
  EXPECT_EQ(sent["duration"], 5);
  EXPECT_EQ(sent["audio_option"]["narrator"], "Sarah");
  EXPECT_FALSE(sent.contains("request_id"));
  EXPECT_FALSE(sent.contains("pipeline_mode"));  // unset: not sent
  r.media_name = media_resp.media().name();
  EXPECT_EQ(r.media_name.rfind("media/", 0), 0u);
}

void RunGetMedia(RpcRun& r) {
  ASSERT_NO_FATAL_FAILURE(RunCreateMedia(r));
  v1::GetMediaRequest gm;
  gm.set_name(r.media_name);
  v1::GetMediaResponse gm_resp;
  ASSERT_THAT(r.media->GetMedia(Ctx().get(), gm, &gm_resp), IsOk());
  EXPECT_EQ(gm_resp.media().name(), r.media_name);
}

void RunUpdateMedia(RpcRun& r) {
  ASSERT_NO_FATAL_FAILURE(RunCreateMedia(r));
  v1::UpdateMediaRequest um;
  um.set_name(r.media_name);
  um.set_title("Renamed");
  v1::UpdateMediaResponse um_resp;
  ASSERT_THAT(r.media->UpdateMedia(Ctx().get(), um, &um_resp), IsOk());
  EXPECT_EQ(r.Sent("PUT /v2/media/{id}"), json({{"title", "Renamed"}}));
}

void RunUploadVideo(RpcRun& r) {
  auto ctx = Ctx(kStreamTimeout);
  v1::UploadVideoResponse resp;
  auto writer = r.video->UploadVideo(ctx.get(), &resp);
  v1::UploadVideoRequest m;
  m.mutable_metadata()->set_file_name("clip.mp4");
  m.mutable_metadata()->set_content_type("video/mp4");
  m.mutable_metadata()->set_size_bytes(300000);
  ASSERT_TRUE(writer->Write(m));
  for (int i = 0; i < 3; ++i) {
    v1::UploadVideoRequest c;
    c.set_chunk(std::string(100000, static_cast<char>('a' + i)));
    ASSERT_TRUE(writer->Write(c));
  }
  writer->WritesDone();
  ASSERT_THAT(writer->Finish(), IsOk());
  json req = LastRequest(r.emu, "POST /v2/video");
  ASSERT_TRUE(req.contains("parts"));
  EXPECT_EQ(req["parts"][0]["name"], "video_file");
  EXPECT_EQ(req["parts"][0]["filename"], "clip.mp4");
  EXPECT_EQ(req["parts"][0]["size"], 300000);
}

void RunEstimateVideoCredits(RpcRun& r) {
  v1::EstimateVideoCreditsRequest evc;
  evc.set_app_name("reference-to-video");
  evc.set_option("KlingO");
  evc.set_duration(5);
  MustCall(*r.video, &v1::VideoService::Stub::EstimateVideoCredits, evc);
}

void RunCropToAspectRatio(RpcRun& r) {
  v1::CropToAspectRatioRequest crop;
  crop.set_video_url("https://example.com/input.mp4");
  crop.set_aspect_ratio("9:16");
  crop.set_async_mode(true);
  auto crop_resp =
      MustCall(*r.video, &v1::VideoService::Stub::CropToAspectRatio, crop);
  EXPECT_EQ(r.Sent("POST /v2/video/crop-to-aspect-ratio"),
            json({{"video_url", "https://example.com/input.mp4"},
                  {"aspect_ratio", "9:16"},
                  {"async_mode", true}}));
  r.asset_name = crop_resp.asset().name();
  EXPECT_EQ(r.asset_name.rfind("assets/", 0), 0u);
}

void RunReframeVideo(RpcRun& r) {
  v1::ReframeVideoRequest reframe;
  reframe.set_video_url("https://example.com/input.mp4");
  reframe.set_aspect_ratio("16:9");
  reframe.set_prompt("Make it realistic");
  MustCall(*r.video, &v1::VideoService::Stub::ReframeVideo, reframe);
}

void RunEnhanceVideo(RpcRun& r) {
  v1::EnhanceVideoRequest enhance;
  enhance.set_video_url("https://example.com/input.mp4");
  enhance.set_enhance_mode("2X");
  MustCall(*r.video, &v1::VideoService::Stub::EnhanceVideo, enhance);
}

void RunAddSoundEffect(RpcRun& r) {
  v1::AddSoundEffectRequest sfx;
  sfx.set_video_url("https://example.com/input.mp4");
  sfx.set_prompt("rain");
  MustCall(*r.video, &v1::VideoService::Stub::AddSoundEffect, sfx);
}

void RunAvatarLipSync(RpcRun& r) {
  v1::AvatarLipSyncRequest avatar;
  avatar.set_avatar_id("a1");
  avatar.set_voice_id("v1");
  avatar.set_prompt("Hello");
  avatar.set_show_caption("Off");
  MustCall(*r.video, &v1::VideoService::Stub::AvatarLipSync, avatar);
}

void RunLipSync(RpcRun& r) {
  v1::LipSyncRequest lip;
  lip.set_image_url("https://example.com/face.png");
  lip.set_audio_url("https://example.com/speech.mp3");
  lip.set_option("AutoLipSync");
  MustCall(*r.video, &v1::VideoService::Stub::LipSync, lip);
}

void RunGenerateVideoEffect(RpcRun& r) {
  v1::GenerateVideoEffectRequest effect;
  effect.set_image_url("https://example.com/face.png");
  effect.set_effect("BulletTime");
  MustCall(*r.video, &v1::VideoService::Stub::GenerateVideoEffect, effect);
}

void RunReplaceBackground(RpcRun& r) {
  v1::ReplaceBackgroundRequest bg;
  bg.set_video_url("https://example.com/fg.mp4");
  bg.set_bg_image_url("https://example.com/bg.png");
  bg.set_crop_to_content(false);
  MustCall(*r.video, &v1::VideoService::Stub::ReplaceBackground, bg);
  EXPECT_EQ(r.Sent("POST /v2/video/replace-background")["crop_to_content"],
            false);
}

void RunReferenceToVideo(RpcRun& r) {
  v1::ReferenceToVideoRequest ref;
  ref.add_image_urls("https://example.com/a.png");
  ref.set_prompt("a dancer");
  ref.set_duration(10);
  MustCall(*r.video, &v1::VideoService::Stub::ReferenceToVideo, ref);
}

void RunVideoToVideo(RpcRun& r) {
  v1::VideoToVideoRequest v2v;
  v2v.set_video_url("https://example.com/in.mp4");
  v2v.set_prompt("make it snow");
  MustCall(*r.video, &v1::VideoService::Stub::VideoToVideo, v2v);
}

void RunAttachAudio(RpcRun& r) {
  v1::AttachAudioRequest attach;
  attach.set_video_url("https://example.com/in.mp4");
  attach.set_audio_url("https://example.com/a.mp3");
  attach.set_attach_mode("PadAudio");
  MustCall(*r.video, &v1::VideoService::Stub::AttachAudio, attach);
}

void RunUploadAudio(RpcRun& r) {
  auto ctx = Ctx(kStreamTimeout);
  v1::UploadAudioResponse resp;
  auto writer = r.audio->UploadAudio(ctx.get(), &resp);
  v1::UploadAudioRequest m;
  m.mutable_metadata()->set_file_name("voiceover.mp3");
  m.mutable_metadata()->set_content_type("audio/mpeg");
  ASSERT_TRUE(writer->Write(m));
  v1::UploadAudioRequest c;
  c.set_chunk(std::string(50000, 'z'));
  ASSERT_TRUE(writer->Write(c));
  writer->WritesDone();
  ASSERT_THAT(writer->Finish(), IsOk());
  EXPECT_EQ(LastRequest(r.emu, "POST /v2/audio")["parts"][0]["name"],
            "audio_file");
  EXPECT_FALSE(resp.asset().results().empty());
}

void RunEstimateAudioCredits(RpcRun& r) {
  v1::EstimateAudioCreditsRequest eac;
  eac.set_app_name("text-to-speech");
  eac.set_option("ElevenLabsTTS");
  eac.set_prompt("Hello");
  MustCall(*r.audio, &v1::AudioService::Stub::EstimateAudioCredits, eac);
}

void RunTextToSpeech(RpcRun& r) {
  v1::TextToSpeechRequest tts;
  tts.set_prompt("Hello from Vimmerse.");
  tts.set_voice("AutoV");
  tts.set_option("ElevenLabsTTS");
  auto tts_resp =
      MustCall(*r.audio, &v1::AudioService::Stub::TextToSpeech, tts);
  EXPECT_EQ(tts_resp.asset().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_FALSE(tts_resp.asset().results().empty());
}

void RunTextToSoundEffect(RpcRun& r) {
  v1::TextToSoundEffectRequest tse;
  tse.set_prompt("a door creaks");
  tse.set_duration(3);
  MustCall(*r.audio, &v1::AudioService::Stub::TextToSoundEffect, tse);
}

void RunTextToMusic(RpcRun& r) {
  v1::TextToMusicRequest ttm;
  ttm.set_prompt("ambient river and piano");
  MustCall(*r.audio, &v1::AudioService::Stub::TextToMusic, ttm);
}

// Streamed from upstream and not: one route each.
void RunSynthesizeSpeech(RpcRun& r) {
  for (bool stream : {true, false}) {
    auto ctx = Ctx(kStreamTimeout);
    v1::SynthesizeSpeechRequest req;
    req.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
    req.set_text("The first move is what sets everything in motion.");
    req.set_model_id("eleven_multilingual_v2");
    req.set_stream(stream);
    req.set_output_format("pcm_16000");
    auto reader = r.eleven->SynthesizeSpeech(ctx.get(), req);
    v1::SynthesizeSpeechResponse msg;
    size_t bytes = 0;
    bool info_first = false;
    for (int i = 0; reader->Read(&msg); ++i) {
      if (i == 0) info_first = msg.has_info();
      bytes += msg.audio_chunk().size();
    }
    ASSERT_THAT(reader->Finish(), IsOk());
    EXPECT_TRUE(info_first);
    EXPECT_GT(bytes, 1000u);
    json sent =
        LastRequest(r.emu, stream ? "POST /v1/text-to-speech/{voice_id}/stream"
                                  : "POST /v1/text-to-speech/{voice_id}");
    EXPECT_NE(sent.value("query", "").find("output_format=pcm_16000"),
              std::string::npos);
  }
}

void RunGenerateSoundEffect(RpcRun& r) {
  auto ctx = Ctx(kStreamTimeout);
  v1::GenerateSoundEffectRequest req;
  req.set_text("Spacious braam suitable for high-impact movie trailer moments");
  req.set_duration_seconds(2.5);
  auto reader = r.eleven->GenerateSoundEffect(ctx.get(), req);
  v1::GenerateSoundEffectResponse msg;
  size_t bytes = 0;
  while (reader->Read(&msg)) bytes += msg.audio_chunk().size();
  ASSERT_THAT(reader->Finish(), IsOk());
  EXPECT_GT(bytes, 0u);
}

void RunGenerateAudio(RpcRun& r) {
  v1::GenerateAudioRequest ga;
  ga.set_prompt("lo-fi pop hip-hop ambient music");
  ga.set_seconds_total(10);
  ga.set_steps(100);
  auto ga_resp =
      MustCall(*r.stable, &v1::StableAudioService::Stub::GenerateAudio, ga);
  EXPECT_EQ(r.Sent("POST /v2/generate/audio")["model"], "stable-audio");
  r.generation_name = ga_resp.generation().name();
}

void RunGetGeneration(RpcRun& r) {
  ASSERT_NO_FATAL_FAILURE(RunGenerateAudio(r));
  v1::GetGenerationRequest gg;
  gg.set_name(r.generation_name);
  MustCall(*r.stable, &v1::StableAudioService::Stub::GetGeneration, gg);
}

// A job of each kind: a media, an asset and a generation.
std::vector<std::string> MakeJobsOfEveryKind(RpcRun& r) {
  RunCreateMedia(r);
  RunCropToAspectRatio(r);
  RunGenerateAudio(r);
  return {r.media_name, r.asset_name, r.generation_name};
}

void RunGetJob(RpcRun& r) {
  const std::vector<std::string> names = MakeJobsOfEveryKind(r);
  ASSERT_FALSE(::testing::Test::HasFailure());
  for (const std::string& name : names) {
    v1::GetJobRequest gj;
    gj.set_name(name);
    auto job = MustCall(*r.jobs, &v1::JobService::Stub::GetJob, gj);
    EXPECT_EQ(job.job().name(), name);
  }
}

void RunWatchJob(RpcRun& r) {
  const std::vector<std::string> names = MakeJobsOfEveryKind(r);
  ASSERT_FALSE(::testing::Test::HasFailure());
  for (const std::string& name : names) {
    WatchClient watch(r.jobs.get(), name);
    ASSERT_TRUE(watch.WaitDone(absl::Seconds(30))) << name;
    EXPECT_THAT(*watch.status(), IsOk()) << name;
    ASSERT_FALSE(watch.jobs().empty());
    EXPECT_EQ(watch.jobs().back().state(), v1::JOB_STATE_SUCCEEDED) << name;
    EXPECT_FALSE(watch.jobs().back().result_urls().empty()) << name;
  }
}

// GetUsage answers from mediagen's own counters: after a create, the
// caller's tenant and nothing sent upstream for the read itself.
void RunGetUsage(RpcRun& r) {
  ASSERT_NO_FATAL_FAILURE(RunCreateMedia(r));
  const size_t sent = r.emu.Requests().size();
  auto usage = MustCall(*r.usage, &v1::UsageService::Stub::GetUsage,
                        v1::GetUsageRequest());
  EXPECT_EQ(usage.tenant(), "dev");
  EXPECT_FALSE(usage.limits().has_requests_per_second());  // dev: unlimited
  EXPECT_EQ(r.emu.Requests().size(), sent) << "GetUsage went upstream";
}

// One row of the table: an RPC, what it must reach upstream, and how to
// call it and check its answer.
struct RpcRow {
  const char* rpc;  // the method's name, and the row's test name
  void (*run)(RpcRun&);
  // Each route's last request must have succeeded with `auth_header`.
  std::vector<std::string> routes;
  const char* auth_header;
};

void PrintTo(const RpcRow& row, std::ostream* os) { *os << row.rpc; }

constexpr char kVimmerse[] = "x-api-key";
constexpr char kElevenLabs[] = "xi-api-key";
constexpr char kAimlApi[] = "authorization";

const std::vector<RpcRow>& RpcRows() {
  // clang-format off
  static const auto* rows = new std::vector<RpcRow>{
    {"CreateMedia",          RunCreateMedia,          {"POST /v2/media"},                           kVimmerse},
    {"GetMedia",             RunGetMedia,             {"GET /v2/media/{id}"},                       kVimmerse},
    {"UpdateMedia",          RunUpdateMedia,          {"PUT /v2/media/{id}"},                       kVimmerse},
    {"UploadVideo",          RunUploadVideo,          {"POST /v2/video"},                           kVimmerse},
    {"EstimateVideoCredits", RunEstimateVideoCredits, {"POST /v2/video/estimate-credits"},          kVimmerse},
    {"CropToAspectRatio",    RunCropToAspectRatio,    {"POST /v2/video/crop-to-aspect-ratio"},      kVimmerse},
    {"ReframeVideo",         RunReframeVideo,         {"POST /v2/video/reframe"},                   kVimmerse},
    {"EnhanceVideo",         RunEnhanceVideo,         {"POST /v2/video/enhance"},                   kVimmerse},
    {"AddSoundEffect",       RunAddSoundEffect,       {"POST /v2/video/sound-effect"},              kVimmerse},
    {"AvatarLipSync",        RunAvatarLipSync,        {"POST /v2/video/avatars/lip-sync"},          kVimmerse},
    {"LipSync",              RunLipSync,              {"POST /v2/video/lip-sync"},                  kVimmerse},
    {"GenerateVideoEffect",  RunGenerateVideoEffect,  {"POST /v2/video/video-effects"},             kVimmerse},
    {"ReplaceBackground",    RunReplaceBackground,    {"POST /v2/video/replace-background"},        kVimmerse},
    {"ReferenceToVideo",     RunReferenceToVideo,     {"POST /v2/video/reference-to-video"},        kVimmerse},
    {"VideoToVideo",         RunVideoToVideo,         {"POST /v2/video/video-to-video"},            kVimmerse},
    {"AttachAudio",          RunAttachAudio,          {"POST /v2/video/audio"},                     kVimmerse},
    {"UploadAudio",          RunUploadAudio,          {"POST /v2/audio"},                           kVimmerse},
    {"EstimateAudioCredits", RunEstimateAudioCredits, {"POST /v2/audio/estimate-credits"},          kVimmerse},
    {"TextToSpeech",         RunTextToSpeech,         {"POST /v2/audio/text-2-speech"},             kVimmerse},
    {"TextToSoundEffect",    RunTextToSoundEffect,    {"POST /v2/audio/text-2-sound-effect"},       kVimmerse},
    {"TextToMusic",          RunTextToMusic,          {"POST /v2/audio/text-2-music"},              kVimmerse},
    {"SynthesizeSpeech",     RunSynthesizeSpeech,     {"POST /v1/text-to-speech/{voice_id}/stream",
                                                       "POST /v1/text-to-speech/{voice_id}"},       kElevenLabs},
    {"GenerateSoundEffect",  RunGenerateSoundEffect,  {"POST /v1/sound-generation"},                kElevenLabs},
    {"GenerateAudio",        RunGenerateAudio,        {"POST /v2/generate/audio"},                  kAimlApi},
    {"GetGeneration",        RunGetGeneration,        {"GET /v2/generate/audio"},                   kAimlApi},
    // GetJob reads through the job registry, which may hold the job already:
    // no route is its own. WatchJob's row checks the poll of an asset.
    {"GetJob",               RunGetJob,               {},                                           kVimmerse},
    {"WatchJob",             RunWatchJob,             {"GET /asset/{asset_id}"},                    kVimmerse},
    // Nothing upstream: the row checks that no request left.
    {"GetUsage",             RunGetUsage,             {},                                           kVimmerse},
  };
  // clang-format on
  return *rows;
}

class EveryRpcTest : public ServerTest,
                     public ::testing::WithParamInterface<RpcRow> {};

TEST_P(EveryRpcTest, ReachesTheStrictEmulatorAsDocumented) {
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.01"}, ServerConfig{}));
  const RpcRow& row = GetParam();
  RpcRun run(*emu_, server_->channel());
  ASSERT_NO_FATAL_FAILURE(row.run(run));
  for (const std::string& route : row.routes) {
    json r = LastRequest(*emu_, route);
    ASSERT_FALSE(r.is_null()) << route << " was never called";
    EXPECT_EQ(r["status"].get<int>() / 100, 2) << route;
    EXPECT_TRUE(r["headers"].contains(row.auth_header)) << route;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryRpc, EveryRpcTest, ::testing::ValuesIn(RpcRows()),
                         [](const ::testing::TestParamInfo<RpcRow>& info) {
                           return std::string(info.param.rpc);
                         });

TEST(EveryRpcTableTest, HasARowForEveryRpcAndReachesEveryRoute) {
  std::set<std::string> rpcs, routes;
  for (const RpcRow& row : RpcRows()) {
    EXPECT_TRUE(rpcs.insert(row.rpc).second) << row.rpc << " has two rows";
    routes.insert(row.routes.begin(), row.routes.end());
  }
  for (const MethodDescriptor* m : ApiMethods()) {
    EXPECT_TRUE(rpcs.count(m->name())) << m->name() << " has no row";
  }
  EXPECT_EQ(rpcs.size(), ApiMethods().size()) << "a row for no RPC";
  EXPECT_GE(routes.size(), 27u);
}

}  // namespace
}  // namespace mediagen::testing
