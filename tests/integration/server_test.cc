// Integration tests of the mediagen server (issue 5): the real server
// binary against the real, strict emulator, over loopback.

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
#include "mediagen/v1/video.grpc.pb.h"
#include "service/common/sha256.h"
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

std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout = absl::Seconds(10),
                                         const std::string& token = "") {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(timeout));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

// The last logged upstream request for `route` (e.g. "POST /v2/media").
json LastRequest(EmulatorProcess& emu, const std::string& route) {
  json all = emu.Requests();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if ((*it)["route"] == route) return *it;
  }
  return json();
}

int CountRoute(EmulatorProcess& emu, const std::string& route) {
  int n = 0;
  for (const auto& r : emu.Requests()) n += r["route"] == route ? 1 : 0;
  return n;
}

class ServerTest : public ::testing::Test {
 protected:
  grpc::Status finish_status_;
  void StartBoth(std::vector<std::string> emulator_flags, ServerConfig config) {
    auto emu = EmulatorProcess::Start(std::move(emulator_flags));
    ASSERT_THAT(emu, IsOk());
    emu_ = *std::move(emu);
    config.emulator_port = emu_->port();
    auto server = ServerProcess::Start(config);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }
  void TearDown() override {
    if (server_ && HasFailure()) {
      std::cerr << "--- server stderr ---\n" << server_->process().stderr_text();
    }
  }
  std::unique_ptr<EmulatorProcess> emu_;
  std::unique_ptr<ServerProcess> server_;
};

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
        jobs(v1::JobService::NewStub(ch)) {}

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
  std::string media_name, asset_name, generation_name;
};

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
  grpc::ClientContext ctx;
  v1::UploadVideoResponse resp;
  auto writer = r.video->UploadVideo(&ctx, &resp);
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
  grpc::ClientContext ctx;
  v1::UploadAudioResponse resp;
  auto writer = r.audio->UploadAudio(&ctx, &resp);
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
    grpc::ClientContext ctx;
    v1::SynthesizeSpeechRequest req;
    req.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
    req.set_text("The first move is what sets everything in motion.");
    req.set_model_id("eleven_multilingual_v2");
    req.set_stream(stream);
    req.set_output_format("pcm_16000");
    auto reader = r.eleven->SynthesizeSpeech(&ctx, req);
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
  grpc::ClientContext ctx;
  v1::GenerateSoundEffectRequest req;
  req.set_text("Spacious braam suitable for high-impact movie trailer moments");
  req.set_duration_seconds(2.5);
  auto reader = r.eleven->GenerateSoundEffect(&ctx, req);
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

// ---- job watching ---------------------------------------------------------

TEST_F(ServerTest, TwoHundredWatchersShareOnePollerAndSeeTheSameVersions) {
  ServerConfig config;
  config.flags = {"--poll_min_interval=200ms", "--poll_max_interval=200ms"};
  // A media job of about 3 s.
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.15"}, config));
  auto media = v1::MediaService::NewStub(server_->channel());
  auto jobs = v1::JobService::NewStub(server_->channel());
  v1::CreateMediaRequest cm;
  cm.set_prompt("a slow sunrise");
  v1::CreateMediaResponse created;
  ASSERT_THAT(media->CreateMedia(Ctx().get(), cm, &created), IsOk());
  const std::string name = created.media().name();
  const std::string get_route = "GET /v2/media/{id}";
  const int reads_before = CountRoute(*emu_, get_route);

  std::vector<std::unique_ptr<WatchClient>> watchers;
  const absl::Time start = absl::Now();
  for (int i = 0; i < 200; ++i) {
    watchers.push_back(std::make_unique<WatchClient>(jobs.get(), name));
  }
  for (auto& w : watchers) ASSERT_TRUE(w->WaitDone(absl::Seconds(30)));
  const absl::Duration watched = absl::Now() - start;
  const int reads = CountRoute(*emu_, get_route) - reads_before;

  // One poller for 200 watchers: about one read per 200 ms interval (plus
  // the first read), not 200 per interval.
  const int intervals = static_cast<int>(watched / absl::Milliseconds(200));
  std::cout << "watched " << watched << ", " << reads
            << " upstream reads for 200 watchers (" << intervals
            << " intervals)\n";
  EXPECT_LE(reads, intervals + 2);
  EXPECT_GE(reads, intervals - 2);

  const std::vector<v1::Job> reference = watchers[0]->jobs();
  ASSERT_FALSE(reference.empty());
  EXPECT_EQ(reference.back().state(), v1::JOB_STATE_SUCCEEDED);
  for (size_t i = 1; i < reference.size(); ++i) {
    EXPECT_GT(reference[i].version(), reference[i - 1].version());
  }
  for (auto& w : watchers) {
    EXPECT_THAT(*w->status(), IsOk());
    std::vector<v1::Job> got = w->jobs();
    // Late joiners may miss early versions, never the end.
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.back().version(), reference.back().version());
    EXPECT_EQ(got.back().state(), v1::JOB_STATE_SUCCEEDED);
  }
}

TEST_F(ServerTest, AWatchResumedFromAVersionMissesNothing) {
  ServerConfig config;
  config.flags = {"--poll_min_interval=100ms", "--poll_max_interval=100ms"};
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.1"}, config));
  auto media = v1::MediaService::NewStub(server_->channel());
  auto jobs = v1::JobService::NewStub(server_->channel());
  v1::CreateMediaRequest cm;
  cm.set_prompt("resume me");
  v1::CreateMediaResponse created;
  ASSERT_THAT(media->CreateMedia(Ctx().get(), cm, &created), IsOk());

  auto first = std::make_unique<WatchClient>(jobs.get(), created.media().name());
  ASSERT_TRUE(first->WaitMessages(1, absl::Seconds(10)));
  const int64_t seen = first->jobs().at(0).version();
  first->Cancel();  // the client "disconnects" with version `seen`
  first->WaitDone(absl::Seconds(5));

  absl::SleepFor(absl::Milliseconds(500));  // the job moves on meanwhile
  WatchClient resumed(jobs.get(), created.media().name(), seen);
  ASSERT_TRUE(resumed.WaitDone(absl::Seconds(30)));
  EXPECT_THAT(*resumed.status(), IsOk());
  std::vector<v1::Job> got = resumed.jobs();
  ASSERT_FALSE(got.empty());
  // Every message carries the whole job: the first one after resuming is
  // already the current state, newer than what the client had.
  EXPECT_GT(got.front().version(), seen);
  EXPECT_EQ(got.back().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_FALSE(got.back().result_urls().empty());
}

// ---- webhooks --------------------------------------------------------------

TEST_F(ServerTest, AWebhookWakesWatchersBeforeAnyPollAndForgeriesChangeNothing) {
  ServerConfig config;
  config.webhooks = true;
  config.env["HOOK_SECRET"] = "test-webhook-secret";
  // Polls are far apart: only a webhook can explain a quick update.
  config.flags = {"--poll_min_interval=30s", "--poll_max_interval=30s",
                  "--webhook_secret=env:HOOK_SECRET"};
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=1"}, config));
  emu_->Post("/_emulator/clock", {{"paused", true}});  // jobs stay put

  auto media = v1::MediaService::NewStub(server_->channel());
  auto jobs = v1::JobService::NewStub(server_->channel());
  v1::CreateMediaRequest cm;
  cm.set_prompt("webhook me");
  v1::CreateMediaResponse created;
  ASSERT_THAT(media->CreateMedia(Ctx().get(), cm, &created), IsOk());
  // mediagen set its own receiver upstream, and does not show it.
  json sent = LastRequest(*emu_, "POST /v2/media")["json"];
  ASSERT_TRUE(sent.contains("webhook_url"));
  EXPECT_EQ(created.media().webhook_url(), "");
  const std::string id = created.media().id();

  WatchClient watch(jobs.get(), created.media().name());
  ASSERT_TRUE(watch.WaitMessages(1, absl::Seconds(10)));
  const int reads_before = CountRoute(*emu_, "GET /v2/media/{id}");

  // A forged webhook (right path, wrong token) is refused outright.
  httplib::Client admin("127.0.0.1", server_->admin_port());
  const json forged_body = {{"customer_id", "x"}, {"media_id", id},
                            {"status", "success"}};
  auto bad = admin.Post(
      absl::StrCat("/webhooks/vimmerse/dev/", std::string(64, 'a')).c_str(),
      forged_body.dump(), "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 404);
  // A well-addressed webhook that lies about the status costs one re-read
  // and changes nothing: upstream still says the job is not done.
  const std::string token =
      HmacSha256Hex("test-webhook-secret", "mediagen-webhook:dev");
  auto lie = admin.Post(absl::StrCat("/webhooks/vimmerse/dev/", token).c_str(),
                        forged_body.dump(), "application/json");
  ASSERT_TRUE(lie);
  EXPECT_EQ(lie->status, 204);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(watch.jobs().size(), 1u);
  EXPECT_NE(watch.jobs().back().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_LE(CountRoute(*emu_, "GET /v2/media/{id}") - reads_before, 1);

  // The real thing: upstream finishes the job and calls the webhook.
  const absl::Time completed = absl::Now();
  emu_->Post(absl::StrCat("/_emulator/jobs/", id, "/complete"),
             {{"outcome", "success"}});
  ASSERT_TRUE(watch.WaitDone(absl::Seconds(10)));
  const std::vector<WatchClient::Event> events = watch.events();
  absl::Time seen_success = absl::InfinitePast();
  for (const auto& e : events) {
    if (e.message.has_job() &&
        e.message.job().state() == v1::JOB_STATE_SUCCEEDED) {
      seen_success = e.at;
    }
  }
  const absl::Duration latency = seen_success - completed;
  std::cout << "webhook-to-watcher latency: " << latency << "\n";
  // Polls are 30 s apart, so anything well under that came from the
  // webhook. How fast exactly is a benchmark figure (bench/), not a test
  // bound: sanitizers and a busy CI machine stretch it.
  EXPECT_LT(latency, absl::Seconds(5));
  EXPECT_THAT(*watch.status(), IsOk());
}

// ---- idempotency ----------------------------------------------------------

TEST_F(ServerTest, TenConcurrentDuplicatesMakeOneUpstreamCreate) {
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.01"}, ServerConfig{}));
  // Upstream is slow, so the duplicates really overlap the first call.
  emu_->Post("/_emulator/faults",
             {{"method", "POST"}, {"path", "/v2/media"}, {"latency_ms", 300}});
  std::vector<std::thread> threads;
  std::vector<std::string> names(10);
  std::atomic<int> ok{0};
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      auto media = v1::MediaService::NewStub(server_->NewChannel());
      v1::CreateMediaRequest cm;
      cm.set_request_id("5b1f1c9e-0000-4000-8000-000000000001");
      cm.set_prompt("only once");
      v1::CreateMediaResponse resp;
      if (media->CreateMedia(Ctx().get(), cm, &resp).ok()) {
        ++ok;
        names[i] = resp.media().name();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 1u);
  EXPECT_EQ(CountRoute(*emu_, "POST /v2/media"), 1);

  // Same id, different content: refused, nothing sent.
  auto media = v1::MediaService::NewStub(server_->channel());
  v1::CreateMediaRequest other;
  other.set_request_id("5b1f1c9e-0000-4000-8000-000000000001");
  other.set_prompt("something else");
  v1::CreateMediaResponse resp;
  grpc::Status s = media->CreateMedia(Ctx().get(), other, &resp);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_EQ(CountRoute(*emu_, "POST /v2/media"), 1);
}

// ---- tenants ----------------------------------------------------------------

std::string TwoTenantConfig() {
  return json({{"tenants",
                {{{"name", "acme"},
                  {"token_sha256", Sha256Hex("acme-token")},
                  {"keys", {{"vimmerse", {{"env", "ACME_KEY"}}}}}},
                 {{"name", "globex"},
                  {"token_sha256", Sha256Hex("globex-token")},
                  {"keys", {{"vimmerse", {{"env", "GLOBEX_KEY"}}}}}}}}})
      .dump();
}

TEST_F(ServerTest, TenantsNeverSeeEachOthersJobsCachedOrNot) {
  ServerConfig config;
  config.dev = false;
  config.config_json = TwoTenantConfig();
  // Two emulator customers (its default keys).
  config.env = {{"ACME_KEY", "vimmerse-test-key"},
                {"GLOBEX_KEY", "vimmerse-demo-key"}};
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.02"}, config));
  auto media = v1::MediaService::NewStub(server_->channel());
  auto jobs = v1::JobService::NewStub(server_->channel());

  v1::CreateMediaRequest cm;
  cm.set_prompt("acme's video");
  cm.set_request_id("shared-request-id");
  v1::CreateMediaResponse acme_media;
  ASSERT_THAT(media->CreateMedia(Ctx(absl::Seconds(10), "acme-token").get(), cm,
                                 &acme_media),
              IsOk());
  const std::string name = acme_media.media().name();
  // Fill the cache with acme's view of the job.
  WatchClient acme_watch(jobs.get(), name, 0, "acme-token");
  ASSERT_TRUE(acme_watch.WaitDone(absl::Seconds(20)));
  ASSERT_THAT(*acme_watch.status(), IsOk());

  v1::GetJobRequest gj;
  gj.set_name(name);
  v1::GetJobResponse gj_resp;
  EXPECT_THAT(
      jobs->GetJob(Ctx(absl::Seconds(10), "globex-token").get(), gj, &gj_resp),
      StatusIs(grpc::StatusCode::NOT_FOUND));
  WatchClient globex_watch(jobs.get(), name, 0, "globex-token");
  ASSERT_TRUE(globex_watch.WaitDone(absl::Seconds(10)));
  EXPECT_THAT(*globex_watch.status(), StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_TRUE(globex_watch.jobs().empty());
  WatchClient globex_resume(jobs.get(), name, acme_watch.jobs().back().version(),
                            "globex-token");
  ASSERT_TRUE(globex_resume.WaitDone(absl::Seconds(10)));
  EXPECT_THAT(*globex_resume.status(), StatusIs(grpc::StatusCode::NOT_FOUND));
  v1::GetMediaRequest gm;
  gm.set_name(name);
  v1::GetMediaResponse gm_resp;
  EXPECT_THAT(media->GetMedia(Ctx(absl::Seconds(10), "globex-token").get(), gm,
                              &gm_resp),
              StatusIs(grpc::StatusCode::NOT_FOUND));

  // The same request_id from another tenant is another request.
  v1::CreateMediaResponse globex_media;
  ASSERT_THAT(media->CreateMedia(Ctx(absl::Seconds(10), "globex-token").get(),
                                 cm, &globex_media),
              IsOk());
  EXPECT_NE(globex_media.media().name(), name);
}

TEST_F(ServerTest, CallsWithoutAValidTokenAreUnauthenticatedAndSendNothing) {
  ServerConfig config;
  config.dev = false;
  config.config_json = TwoTenantConfig();
  config.env = {{"ACME_KEY", "vimmerse-test-key"},
                {"GLOBEX_KEY", "vimmerse-demo-key"}};
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.02"}, config));
  auto media = v1::MediaService::NewStub(server_->channel());
  v1::CreateMediaRequest cm;
  cm.set_prompt("x");
  v1::CreateMediaResponse resp;
  EXPECT_THAT(media->CreateMedia(Ctx().get(), cm, &resp),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  grpc::Status wrong =
      media->CreateMedia(Ctx(absl::Seconds(10), "nope").get(), cm, &resp);
  EXPECT_THAT(wrong, StatusIs(grpc::StatusCode::UNAUTHENTICATED,
                              Not(HasSubstr("nope"))));
  auto jobs = v1::JobService::NewStub(server_->channel());
  WatchClient watch(jobs.get(), "media/whatever");
  ASSERT_TRUE(watch.WaitDone(absl::Seconds(10)));
  EXPECT_THAT(*watch.status(), StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(emu_->Requests().size(), 0u);
}

TEST(ServerStartTest, DevModeIsRefusedOnAPublicAddressUnlessForced) {
  auto refused = Process::Start({Runfile("service/server/mediagen_server"),
                                 "--dev", "--listen=0.0.0.0:0",
                                 "--admin_listen=127.0.0.1:0"});
  ASSERT_THAT(refused, IsOk());
  auto code = (*refused)->Stop(0, absl::Seconds(20));  // signal 0: just wait
  ASSERT_THAT(code, IsOk());
  EXPECT_EQ(*code, 1);
  EXPECT_NE((*refused)->stderr_text().find("development mode"), std::string::npos);

  auto forced = Process::Start({Runfile("service/server/mediagen_server"),
                                "--dev", "--allow_dev_mode_on_any_address",
                                "--listen=0.0.0.0:0",
                                "--admin_listen=127.0.0.1:0"});
  ASSERT_THAT(forced, IsOk());
  EXPECT_THAT((*forced)->FirstLine(absl::Seconds(20)), IsOk());
  auto stopped = (*forced)->Stop(SIGTERM, absl::Seconds(20));
  ASSERT_THAT(stopped, IsOk());
  EXPECT_EQ(*stopped, 0);  // a clean shutdown on SIGTERM
}

// ---- cancellation and deadlines -------------------------------------------

TEST_F(ServerTest, ACancelledUploadAbortsTheUpstreamTransfer) {
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.01"}, ServerConfig{}));
  auto video = v1::VideoService::NewStub(server_->channel());
  grpc::ClientContext ctx;
  v1::UploadVideoResponse resp;
  auto writer = video->UploadVideo(&ctx, &resp);
  v1::UploadVideoRequest m;
  m.mutable_metadata()->set_file_name("big.mp4");
  m.mutable_metadata()->set_content_type("video/mp4");
  m.mutable_metadata()->set_size_bytes(int64_t{100} << 20);
  ASSERT_TRUE(writer->Write(m));
  v1::UploadVideoRequest c;
  c.set_chunk(std::string(1 << 20, 'v'));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(writer->Write(c));
  // The upload is under way upstream: mediagen holds a connection to it...
  absl::Time until = absl::Now() + absl::Seconds(10);
  while (EstablishedConnectionsTo(emu_->port()) == 0 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_GT(EstablishedConnectionsTo(emu_->port()), 0);
  ctx.TryCancel();  // ...and the client gives up.
  EXPECT_THAT(writer->Finish(), Not(IsOk()));
  // The upstream transfer is aborted (its connection closed, not left
  // waiting for bytes that will never come) and nothing was created.
  until = absl::Now() + absl::Seconds(5);
  while (EstablishedConnectionsTo(emu_->port()) > 0 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(EstablishedConnectionsTo(emu_->port()), 0);
  json r = LastRequest(*emu_, "POST /v2/video");
  EXPECT_TRUE(r.is_null() || r["status"].get<int>() != 200) << r.dump();
}

TEST_F(ServerTest, AShortDeadlineGivesDeadlineExceededAndAbortsUpstream) {
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.01"}, ServerConfig{}));
  // Upstream answers slowly: 200 bytes per second of audio.
  emu_->Post("/_emulator/faults", {{"method", "POST"},
                                   {"path", "/v1/text-to-speech/*"},
                                   {"drip_bytes_per_sec", 200}});
  auto eleven = v1::ElevenLabsService::NewStub(server_->channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  v1::SynthesizeSpeechRequest req;
  req.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
  req.set_text("A long sentence that takes a while to say at two hundred bytes a second.");
  const absl::Time start = absl::Now();
  auto reader = eleven->SynthesizeSpeech(&ctx, req);
  v1::SynthesizeSpeechResponse msg;
  while (reader->Read(&msg)) {
  }
  grpc::Status s = reader->Finish();
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::DEADLINE_EXCEEDED));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  // The upstream stream was dropped, not left running: ElevenLabs' in-flight
  // count for our key goes back to zero.
  absl::Time until = absl::Now() + absl::Seconds(5);
  int in_flight = -1;
  while (absl::Now() < until) {
    json c = emu_->Counters()["concurrency"];
    in_flight = 0;
    for (const auto& [key, v] : c.items()) in_flight += v["in_flight"].get<int>();
    if (in_flight == 0) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(in_flight, 0);

  // A unary create whose upstream is slower than the deadline.
  emu_->Post("/_emulator/faults", {{"method", "POST"},
                                   {"path", "/v2/video/reframe"},
                                   {"latency_ms", 3000}});
  auto video = v1::VideoService::NewStub(server_->channel());
  v1::ReframeVideoRequest rf;
  rf.set_video_url("https://example.com/in.mp4");
  v1::ReframeVideoResponse rf_resp;
  const absl::Time t0 = absl::Now();
  grpc::Status rs = video->ReframeVideo(Ctx(absl::Milliseconds(300)).get(), rf, &rf_resp);
  EXPECT_THAT(rs, StatusIs(grpc::StatusCode::DEADLINE_EXCEEDED));
  EXPECT_LT(absl::Now() - t0, absl::Seconds(2));
}

// ---- health and reflection ----------------------------------------------------

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  for (const auto& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// Encoded by hand (health in //tests/testing_util:health_check): the
// grpc.health.v1 and reflection protos are not among Debian's C++ headers,
// and a test of the wire protocol needs no stubs.
TEST_F(ServerTest, HealthIsServingPerServiceAndReflectionListsTheApi) {
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.01"}, ServerConfig{}));
  for (const std::string service :
       {"", "mediagen.v1.MediaService", "mediagen.v1.JobService",
        "mediagen.v1.ElevenLabsService"}) {
    EXPECT_THAT(CheckHealth(server_->channel(), service, absl::Seconds(10)),
                IsOkAndHolds(ServingStatus::kServing))
        << service;
  }

  grpc::GenericStub stub(server_->channel());
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  auto call = stub.PrepareCall(
      &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      &cq);
  void* tag;
  bool ok;
  auto step = [&](int want) {
    ASSERT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(tag, reinterpret_cast<void*>(want));
  };
  call->StartCall(reinterpret_cast<void*>(1));
  step(1);
  // ServerReflectionRequest{list_services = 7: ""}.
  grpc::Slice list(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request(&list, 1), response;
  call->Write(request, reinterpret_cast<void*>(2));
  step(2);
  call->Read(&response, reinterpret_cast<void*>(3));
  step(3);
  ASSERT_TRUE(ok);
  const std::string listed = Bytes(response);
  for (const char* service :
       {"mediagen.v1.MediaService", "mediagen.v1.VideoService",
        "mediagen.v1.AudioService", "mediagen.v1.ElevenLabsService",
        "mediagen.v1.StableAudioService", "mediagen.v1.JobService"}) {
    EXPECT_NE(listed.find(service), std::string::npos) << service;
  }
  ctx.TryCancel();
  call->Finish(&finish_status_, reinterpret_cast<void*>(4));
  step(4);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// ---- resources ----------------------------------------------------------------

TEST_F(ServerTest, AQuarterGigabyteUploadDoesNotGrowServerMemory) {
#if defined(__SANITIZE_ADDRESS__)
  // ASan keeps freed blocks in a quarantine (256 MiB by default), so RSS
  // under ASan says nothing about what the server holds on to.
  GTEST_SKIP() << "memory growth is measured in the plain build";
#endif
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=0.01"}, ServerConfig{}));
  auto video = v1::VideoService::NewStub(server_->channel());
  grpc::ClientContext ctx;
  v1::UploadVideoResponse resp;
  auto writer = video->UploadVideo(&ctx, &resp);
  constexpr int64_t kChunk = 1 << 20, kChunks = 256;
  v1::UploadVideoRequest m;
  m.mutable_metadata()->set_file_name("big.mp4");
  m.mutable_metadata()->set_content_type("video/mp4");
  m.mutable_metadata()->set_size_bytes(kChunk * kChunks);
  ASSERT_TRUE(writer->Write(m));
  v1::UploadVideoRequest c;
  c.set_chunk(std::string(kChunk, 'q'));
  // Warm up (allocator arenas, gRPC buffers), then measure the rest.
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(writer->Write(c));
  const long rss_start = server_->process().RssKiB();
  long rss_peak = rss_start;
  for (int i = 16; i < kChunks; ++i) {
    ASSERT_TRUE(writer->Write(c));
    if (i % 16 == 0) rss_peak = std::max(rss_peak, server_->process().RssKiB());
  }
  writer->WritesDone();
  ASSERT_THAT(writer->Finish(), IsOk());
  json r = LastRequest(*emu_, "POST /v2/video");
  EXPECT_EQ(r["parts"][0]["size"], kChunk * kChunks);
  std::cout << "256 MiB upload: server RSS " << rss_start << " KiB -> peak "
            << rss_peak << " KiB\n";
  EXPECT_LT(rss_peak - rss_start, 64 * 1024);
}


TEST_F(ServerTest, ThreadCountDoesNotGrowWithOpenWatchStreams) {
  ASSERT_NO_FATAL_FAILURE(StartBoth({"--time_scale=1", "--job_seconds=600"}, ServerConfig{}));
  auto media = v1::MediaService::NewStub(server_->channel());
  auto jobs = v1::JobService::NewStub(server_->channel());
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) {
    v1::CreateMediaRequest cm;
    cm.set_prompt(absl::StrCat("long job ", i));
    v1::CreateMediaResponse resp;
    ASSERT_THAT(media->CreateMedia(Ctx().get(), cm, &resp), IsOk());
    names.push_back(resp.media().name());
  }
  // Warm up: one stream per job, so every lazily started thread exists.
  std::vector<std::unique_ptr<WatchClient>> streams;
  for (const auto& n : names) {
    streams.push_back(std::make_unique<WatchClient>(jobs.get(), n));
  }
  for (auto& s : streams) ASSERT_TRUE(s->WaitMessages(1, absl::Seconds(10)));
  const int baseline = server_->process().ThreadCount();
  const long rss_before = server_->process().RssKiB();
  for (int i = 0; i < 990; ++i) {
    streams.push_back(
        std::make_unique<WatchClient>(jobs.get(), names[i % names.size()]));
  }
  for (auto& s : streams) ASSERT_TRUE(s->WaitMessages(1, absl::Seconds(20)));
  const int with_streams = server_->process().ThreadCount();
  const long rss_after = server_->process().RssKiB();
  std::cout << "server threads: " << baseline << " with 10 streams, "
            << with_streams << " with " << streams.size()
            << " streams; RSS +" << (rss_after - rss_before) << " KiB ("
            << (rss_after - rss_before) * 1024 / 990 << " bytes/stream)\n";
  EXPECT_LE(with_streams, baseline + 4);
  for (auto& s : streams) s->Cancel();
  for (auto& s : streams) s->WaitDone(absl::Seconds(10));
}

}  // namespace
}  // namespace mediagen::testing
