// The Engine over FakeTransport and FakeScheduler, route by route: every
// RPC reaches its upstream route and parses its answer, errors come back
// mapped, streamed audio, and GetJob.
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "service/http/fake_transport.h"
#include "service/upstream/engine/engine.h"
#include "service/upstream/engine/engine_test_util.h"
#include "service/upstream/providers/errors.h"
#include "service/upstream/providers/test_util.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::upstream {
namespace {

using engine_testing::EngineTest;
using engine_testing::Header;
using engine_testing::HeaderCount;
using engine_testing::HoldingTransport;
using engine_testing::kAimlKey;
using engine_testing::kAssetJson;
using engine_testing::kElKey;
using engine_testing::kMediaJson;
using engine_testing::kVimKey;
using engine_testing::Outcome;
using engine_testing::R;
using engine_testing::RecordingSink;
using engine_testing::StatusIs;
using engine_testing::TestOptions;

// ---- Every RPC reaches its route and parses its answer ----

TEST_F(EngineTest, EveryAssetRouteIsWired) {
  struct RouteCase {
    std::string url;
    std::function<Engine::Handle(
        std::function<void(absl::StatusOr<v1::Asset>)>)>
        start;
  };
  std::vector<RouteCase> routes;
  auto asset_of = [](auto done) {
    return [done](auto r) {
      done(r.ok() ? absl::StatusOr<v1::Asset>(r->asset())
                  : absl::StatusOr<v1::Asset>(r.status()));
    };
  };
  const std::string base = "https://api.vimmerse.net";
  routes.push_back({base + "/v2/video/crop-to-aspect-ratio", [&](auto done) {
                      v1::CropToAspectRatioRequest r;
                      r.set_video_url("https://e/v.mp4");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/reframe", [&](auto done) {
                      v1::ReframeVideoRequest r;
                      r.set_video_url("https://e/v.mp4");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/enhance", [&](auto done) {
                      v1::EnhanceVideoRequest r;
                      r.set_video_url("https://e/v.mp4");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/sound-effect", [&](auto done) {
                      v1::AddSoundEffectRequest r;
                      r.set_video_url("https://e/v.mp4");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/avatars/lip-sync", [&](auto done) {
                      return engine_.Call(Ctx(), v1::AvatarLipSyncRequest(),
                                          asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/lip-sync", [&](auto done) {
                      v1::LipSyncRequest r;
                      r.set_image_url("https://e/f.png");
                      r.set_prompt("hi");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/video-effects", [&](auto done) {
                      v1::GenerateVideoEffectRequest r;
                      r.set_image_url("https://e/a.png");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/replace-background", [&](auto done) {
                      v1::ReplaceBackgroundRequest r;
                      r.set_video_url("https://e/v.mp4");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/reference-to-video", [&](auto done) {
                      v1::ReferenceToVideoRequest r;
                      r.add_image_urls("https://e/a.png");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/video-to-video", [&](auto done) {
                      v1::VideoToVideoRequest r;
                      r.set_video_url("https://e/v.mp4");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/audio", [&](auto done) {
                      v1::AttachAudioRequest r;
                      r.set_video_url("https://e/v.mp4");
                      r.set_audio_url("https://e/a.mp3");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/audio/text-2-speech", [&](auto done) {
                      v1::TextToSpeechRequest r;
                      r.set_prompt("hi");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/audio/text-2-sound-effect", [&](auto done) {
                      v1::TextToSoundEffectRequest r;
                      r.set_prompt("boom");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/audio/text-2-music", [&](auto done) {
                      v1::TextToMusicRequest r;
                      r.set_prompt("calm");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});

  for (size_t i = 0; i < routes.size(); ++i) {
    fake_.Push(R{200, {}, kAssetJson});
    std::optional<absl::StatusOr<v1::Asset>> got;
    routes[i].start(
        [&got](absl::StatusOr<v1::Asset> a) { got = std::move(a); });
    ASSERT_EQ(fake_.call_count(), i + 1);
    const auto req = fake_.requests().back();
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.url, routes[i].url);
    EXPECT_EQ(Header(req.headers, "X-Api-Key"), kVimKey);
    ASSERT_TRUE(got.has_value()) << routes[i].url;
    ASSERT_TRUE(got->ok()) << got->status();
    EXPECT_EQ((*got)->name(), "assets/as1");
    EXPECT_EQ((*got)->state(), v1::JOB_STATE_RUNNING);
  }
}

TEST_F(EngineTest, MediaEstimateAndStableAudioRoutes) {
  fake_.Push(R{200, {}, kMediaJson});
  Outcome<v1::CreateMediaResponse> create;
  engine_.Call(Ctx(), CreateMediaReq(), create.Callback());
  EXPECT_EQ(fake_.requests().back().url, "https://api.vimmerse.net/v2/media");
  EXPECT_EQ((*create.value)->media().state(), v1::JOB_STATE_QUEUED);

  fake_.Push(
      R{200, {}, R"({"processing_status": "success", "result": ["u"]})"});
  Outcome<v1::UpdateMediaResponse> update;
  v1::UpdateMediaRequest u;
  u.set_name("media/m7");
  u.set_title("t");
  engine_.Call(Ctx(), u, update.Callback());
  EXPECT_EQ(fake_.requests().back().method, "PUT");
  ASSERT_TRUE(update.value->ok()) << update.status();
  EXPECT_EQ((*update.value)->media().name(), "media/m7");  // id from the name

  fake_.Push(R{200, {}, R"({"total_credits": 12, "breakdown": {"a": 1}})"});
  Outcome<v1::EstimateVideoCreditsResponse> ev;
  v1::EstimateVideoCreditsRequest e;
  e.set_option("KlingO");
  engine_.Call(Ctx(), e, ev.Callback());
  EXPECT_EQ((*ev.value)->total_credits(), 12);

  fake_.Push(R{200, {}, R"({"total_credits": "3", "breakdown": {}})"});
  Outcome<v1::EstimateAudioCreditsResponse> ea;
  v1::EstimateAudioCreditsRequest a;
  a.set_app_name("text-to-music");
  a.set_option("Lyria");
  engine_.Call(Ctx(), a, ea.Callback());
  EXPECT_EQ(fake_.requests().back().url,
            "https://api.vimmerse.net/v2/audio/estimate-credits");
  EXPECT_EQ((*ea.value)->total_credits(), 3);

  fake_.Push(R{201, {}, R"({"generation_id": "g1:stable-audio"})"});
  Outcome<v1::GenerateAudioResponse> gen;
  v1::GenerateAudioRequest g;
  g.set_prompt("lofi");
  engine_.Call(Ctx(), g, gen.Callback());
  EXPECT_EQ(Header(fake_.requests().back().headers, "Authorization"),
            std::string("Bearer ") + kAimlKey);
  ASSERT_TRUE(gen.value->ok()) << gen.status();
  EXPECT_EQ((*gen.value)->generation().name(), "generations/g1:stable-audio");
  EXPECT_EQ((*gen.value)->generation().state(), v1::JOB_STATE_QUEUED);

  fake_.Push(
      R{200, {}, R"({"id": "g1:stable-audio", "status": "generating"})"});
  Outcome<v1::GetGenerationResponse> poll;
  v1::GetGenerationRequest p;
  p.set_name("generations/g1:stable-audio");
  engine_.Call(Ctx(), p, poll.Callback());
  EXPECT_EQ(fake_.requests().back().url,
            "https://api.aimlapi.com/v2/generate/"
            "audio?generation_id=g1%3Astable-audio");
  EXPECT_EQ((*poll.value)->generation().state(), v1::JOB_STATE_RUNNING);
}

TEST_F(EngineTest, ErrorsComeBackMappedAndConvertibleToGrpc) {
  fake_.Push(
      R{402,
        {},
        absl::StrCat(R"({"message": "key )", kVimKey,
                     R"( has no credit", "code": "INSUFFICIENT_CREDIT"})")});
  Outcome<v1::CreateMediaResponse> out;
  engine_.Call(Ctx(), CreateMediaReq(), out.Callback());
  EXPECT_THAT(out.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(absl::StrContains(out.status().message(), kVimKey));
  grpc::Status g = rpc::ToGrpcStatus(out.status());
  EXPECT_THAT(g, StatusIs(grpc::StatusCode::FAILED_PRECONDITION));
  absl::Status back = rpc::FromGrpcStatus(g);
  auto info = rpc::GetErrorInfo(back);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "INSUFFICIENT_CREDIT");
  EXPECT_EQ(info->metadata().at("route"), "POST /v2/media");
  EXPECT_EQ(fake_.call_count(), 1u);
}

TEST(EngineSecretsTest, OtherTenantsSecretsAreScrubbedFromErrorsToo) {
  // Found by tests/security: only the caller's keys were scrubbed, so an
  // upstream that quoted another tenant's key passed it on.
  http::FakeTransport fake;
  FakeScheduler sched;
  Engine::Options options = TestOptions();
  options.secrets = std::make_shared<const SecretSet>(
      std::vector<std::string>{"other-tenant-key-77", "webhook-token-88"});
  Engine engine(options, &fake, &sched);
  fake.Push(R{401,
              {{"request-id", "webhook-token-88"}},
              R"({"message": "other-tenant-key-77 is not yours",
                  "code": "other-tenant-key-77"})"});
  Outcome<v1::CreateMediaResponse> out;
  CallContext ctx;
  ctx.credentials.vimmerse_api_key = kVimKey;
  v1::CreateMediaRequest r;
  r.set_prompt("x");
  engine.Call(ctx, r, out.Callback());
  ASSERT_EQ(out.calls, 1);
  const std::string all = absl::StrCat(
      out.status().message(), rpc::GetErrorInfo(out.status())->DebugString());
  EXPECT_FALSE(absl::StrContains(all, "other-tenant-key-77")) << all;
  EXPECT_FALSE(absl::StrContains(all, "webhook-token-88")) << all;
}

TEST_F(EngineTest, ExtraHeadersForwardedReservedOnesDropped) {
  fake_.Push(R{200, {}, kMediaJson});
  CallContext ctx = Ctx();
  ctx.extra_headers = {{"traceparent", "00-abc-def-01"},
                       {"Authorization", "Bearer caller-token"},
                       {"X-Api-Key", "other"},
                       {"x-evil", "a\r\nInjected: 1"},
                       {"bad name", "v"}};
  Outcome<v1::GetMediaResponse> out;
  engine_.Call(ctx, GetMediaReq(), out.Callback());
  const auto req = fake_.requests().back();
  EXPECT_EQ(Header(req.headers, "traceparent"), "00-abc-def-01");
  EXPECT_EQ(HeaderCount(req.headers, "Authorization"), 0);
  EXPECT_EQ(HeaderCount(req.headers, "X-Api-Key"), 1);
  EXPECT_EQ(Header(req.headers, "X-Api-Key"), kVimKey);
  EXPECT_EQ(HeaderCount(req.headers, "x-evil"), 0);
  EXPECT_EQ(HeaderCount(req.headers, "bad name"), 0);
}

// ---- Streamed audio ----

TEST_F(EngineTest, SpeechStreamsInfoThenChunksThenDone) {
  R reply{200,
          {{"Content-Type", "audio/mpeg"},
           {"request-id", "el-req-1"},
           {"character-cost", "12"}},
          "",
          {"ID3", "frame1", "frame2"}};
  reply.body = "ID3frame1frame2";
  fake_.Push(reply);
  auto sink = std::make_shared<RecordingSink>();
  v1::SynthesizeSpeechRequest r;
  r.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
  r.set_text("Hello");
  engine_.Stream(Ctx(), r, sink);
  ASSERT_EQ(fake_.call_count(), 1u);
  const auto req = fake_.requests()[0];
  EXPECT_TRUE(req.streamed_response);
  EXPECT_EQ(req.url,
            "https://api.elevenlabs.io/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb/"
            "stream");
  EXPECT_EQ(Header(req.headers, "xi-api-key"), kElKey);
  EXPECT_EQ(sink->events, (std::vector<std::string>{"info", "chunk", "chunk",
                                                    "chunk", "done"}));
  ASSERT_EQ(sink->infos.size(), 1u);
  EXPECT_EQ(sink->infos[0].content_type(), "audio/mpeg");
  EXPECT_EQ(sink->infos[0].output_format(), "mp3_44100_128");
  EXPECT_EQ(sink->infos[0].upstream_request_id(), "el-req-1");
  EXPECT_EQ(sink->infos[0].character_cost(), 12);
  EXPECT_EQ(sink->audio, "ID3frame1frame2");
  EXPECT_TRUE(sink->done[0].ok());
}

TEST_F(EngineTest, SpeechInfoHeadersAreScrubbedOfKeys) {
  R reply{200,
          {{"Content-Type", absl::StrCat("audio/mpeg; k=", kElKey)},
           {"request-id", kElKey}},
          "",
          {"ID3"}};
  reply.body = "ID3";
  fake_.Push(reply);
  auto sink = std::make_shared<RecordingSink>();
  v1::SynthesizeSpeechRequest r;
  r.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
  r.set_text("Hello");
  engine_.Stream(Ctx(), r, sink);
  ASSERT_EQ(sink->infos.size(), 1u);
  EXPECT_EQ(sink->infos[0].content_type(), "audio/mpeg; k=[REDACTED]");
  EXPECT_EQ(sink->infos[0].upstream_request_id(), "[REDACTED]");
  EXPECT_EQ(sink->audio, "ID3");
}

TEST_F(EngineTest, SpeechErrorBodyIsParsedNeverStreamedNorRetried) {
  fake_.Push(R{
      429,
      {{"content-type", "application/json"}},
      R"({"detail": {"status": "concurrent_limit_exceeded", "message": "Too many concurrent requests"}})"});
  fake_.Push(R{200, {}, "audio"});
  auto sink = std::make_shared<RecordingSink>();
  v1::GenerateSoundEffectRequest r;
  r.set_text("boom");
  r.set_output_format("pcm_16000");
  engine_.Stream(Ctx(), r, sink);
  sched_.AdvanceBy(absl::Minutes(1));
  EXPECT_EQ(fake_.call_count(), 1u);
  EXPECT_TRUE(sink->infos.empty());
  EXPECT_TRUE(sink->audio.empty());
  ASSERT_EQ(sink->done.size(), 1u);
  EXPECT_THAT(sink->done[0], StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(rpc::GetErrorInfo(sink->done[0])->reason(),
            "CONCURRENT_LIMIT_EXCEEDED");
}

TEST_F(EngineTest, SpeechAnsweredWithSomethingElseThanAudioIsABadResponse) {
  // A 2xx JSON (or HTML) page is not passed on as sound, and the call,
  // which may have been billed, is not repeated.
  fake_.Push(R{200,
               {{"Content-Type", "application/json; charset=utf-8"}},
               R"({"status": "ok"})"});
  auto sink = std::make_shared<RecordingSink>();
  v1::SynthesizeSpeechRequest r;
  r.set_voice_id("v");
  r.set_text("t");
  engine_.Stream(Ctx(), r, sink);
  sched_.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(fake_.call_count(), 1u);
  EXPECT_TRUE(sink->infos.empty());
  EXPECT_TRUE(sink->audio.empty());
  ASSERT_EQ(sink->done.size(), 1u);
  EXPECT_THAT(sink->done[0], StatusIs(absl::StatusCode::kUnknown));
  EXPECT_EQ(rpc::GetErrorInfo(sink->done[0])->reason(),
            "UPSTREAM_BAD_RESPONSE");

  // Audio types with parameters, octet-stream and no type at all pass.
  for (const http::Headers& h :
       {http::Headers{{"Content-Type", "Audio/PCM; rate=16000"}},
        http::Headers{{"content-type", "application/octet-stream"}},
        http::Headers{}}) {
    fake_.Push(R{200, h, "pcm"});
    auto ok = std::make_shared<RecordingSink>();
    engine_.Stream(Ctx(), r, ok);
    ASSERT_EQ(ok->done.size(), 1u);
    EXPECT_TRUE(ok->done[0].ok()) << ok->done[0];
    EXPECT_EQ(ok->audio, "pcm");
  }
}

TEST_F(EngineTest, SpeechRetriedOnlyWhenNotSent) {
  fake_.Push(http::MarkNotSent(absl::UnavailableError("connection refused")));
  fake_.Push(R{200, {{"content-type", "audio/mpeg"}}, "abc"});
  auto sink = std::make_shared<RecordingSink>();
  v1::SynthesizeSpeechRequest r;
  r.set_voice_id("v");
  r.set_text("t");
  r.set_stream(false);
  engine_.Stream(Ctx(), r, sink);
  sched_.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(fake_.call_count(), 2u);
  EXPECT_EQ(fake_.requests()[1].url,
            "https://api.elevenlabs.io/v1/text-to-speech/v");
  EXPECT_EQ(sink->audio, "abc");
  ASSERT_EQ(sink->done.size(), 1u);
  EXPECT_TRUE(sink->done[0].ok());

  fake_.Push(absl::UnavailableError("connection reset"));
  auto sink2 = std::make_shared<RecordingSink>();
  engine_.Stream(Ctx(), r, sink2);
  sched_.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(fake_.call_count(), 3u);
  ASSERT_EQ(sink2->done.size(), 1u);
  EXPECT_THAT(sink2->done[0], StatusIs(absl::StatusCode::kUnavailable));
}

TEST(EngineHoldingTest, PausedStreamResumesThroughTheHandle) {
  HoldingTransport transport;
  FakeScheduler sched;
  Engine engine(TestOptions(), &transport, &sched);
  CallContext ctx;
  ctx.credentials.elevenlabs_api_key = kElKey;
  struct PausingSink : RecordingSink {
    bool OnChunk(absl::string_view chunk) override {
      RecordingSink::OnChunk(chunk);
      return false;
    }
  };
  auto sink = std::make_shared<PausingSink>();
  v1::SynthesizeSpeechRequest r;
  r.set_voice_id("v");
  r.set_text("t");
  Engine::Handle h = engine.Stream(ctx, r, sink);
  ASSERT_EQ(transport.requests.size(), 1u);
  auto stream = transport.requests[0].response_stream;
  ASSERT_NE(stream, nullptr);
  EXPECT_TRUE(stream->on_headers(200, {{"content-type", "audio/mpeg"}}));
  EXPECT_FALSE(stream->on_chunk("abc"));  // the sink is full
  h->ResumeReceive();
  EXPECT_EQ(transport.calls[0]->resumes, 1);
  http::HttpResponse done;
  done.status = 200;
  transport.Answer(0, done);
  ASSERT_EQ(sink->done.size(), 1u);
  EXPECT_TRUE(sink->done[0].ok());
  EXPECT_EQ(sink->audio, "abc");
}

// ---- GetJob ----

TEST_F(EngineTest, GetJobReadsEachKind) {
  fake_.Push(R{200, {}, R"({"id": "m1", "processing_status": "fail",
      "created_at": "2025-04-01 13:19:10.786297+00:00"})"});
  Outcome<v1::Job> media;
  engine_.GetJob(Ctx(), "media/m1", media.Callback());
  EXPECT_EQ(fake_.requests().back().url,
            "https://api.vimmerse.net/v2/media/m1");
  ASSERT_TRUE(media.value->ok()) << media.status();
  EXPECT_EQ((*media.value)->name(), "media/m1");
  EXPECT_EQ((*media.value)->state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ((*media.value)->upstream_status(), "fail");
  EXPECT_TRUE((*media.value)->has_create_time());
  EXPECT_EQ((*media.value)->version(), 0);

  fake_.Push(R{
      200,
      {},
      R"({"data": {"status": "success", "results": ["https://cdn/x.mp4"], "credits": 8}})"});
  Outcome<v1::Job> asset;
  engine_.GetJob(Ctx(), "assets/as9", asset.Callback());
  EXPECT_EQ(fake_.requests().back().url, "https://api.vimmerse.net/asset/as9");
  EXPECT_EQ(fake_.requests().back().method, "GET");
  ASSERT_TRUE(asset.value->ok()) << asset.status();
  EXPECT_EQ((*asset.value)->name(), "assets/as9");
  EXPECT_EQ((*asset.value)->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ((*asset.value)->result_urls(0), "https://cdn/x.mp4");
  EXPECT_EQ((*asset.value)->credits(), 8);

  fake_.Push(R{200, {}, R"({"id": "g1:stable-audio", "status": "error",
      "error": {"name": "TimeoutError", "message": "took too long"}})"});
  Outcome<v1::Job> gen;
  engine_.GetJob(Ctx(), "generations/g1:stable-audio", gen.Callback());
  EXPECT_EQ(Header(fake_.requests().back().headers, "Authorization"),
            std::string("Bearer ") + kAimlKey);
  ASSERT_TRUE(gen.value->ok()) << gen.status();  // a failed job, not an error
  EXPECT_EQ((*gen.value)->provider(), v1::PROVIDER_AIMLAPI);
  EXPECT_EQ((*gen.value)->state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ((*gen.value)->error_message(), "TimeoutError: took too long");

  fake_.Push(R{404, {}, R"({"message": "gone", "code": "MEDIA_NOT_FOUND"})"});
  Outcome<v1::Job> missing;
  engine_.GetJob(Ctx(), "media/zzz", missing.Callback());
  EXPECT_THAT(missing.status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(rpc::GetErrorInfo(missing.status())->reason(), "MEDIA_NOT_FOUND");
  EXPECT_EQ(fake_.call_count(), 4u);  // a 404 is not retried
}

}  // namespace
}  // namespace mediagen::upstream
