// The Engine over FakeTransport and FakeScheduler before any call leaves:
// a tenant without the provider's key, and invalid requests of every RPC,
// are refused and nothing is sent.
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
using engine_testing::Outcome;
using engine_testing::RecordingSink;
using engine_testing::StatusIs;

// ---- Before any call ----

TEST_F(EngineTest, MissingKeyFailsBeforeAnyCallNamingTheProvider) {
  CallContext ctx = Ctx();
  ctx.credentials.aimlapi_api_key.clear();
  Outcome<v1::GenerateAudioResponse> out;
  v1::GenerateAudioRequest r;
  r.set_prompt("x");
  engine_.Call(ctx, r, out.Callback());
  EXPECT_THAT(out.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(absl::StrContains(out.status().message(), "AIMLAPI"));
  // Marked as never sent, so an idempotency lease is released and the
  // retry, once the key is configured, goes upstream.
  EXPECT_TRUE(http::RequestNotSent(out.status()));
  EXPECT_EQ(fake_.call_count(), 0u);

  ctx = Ctx();
  ctx.credentials.vimmerse_api_key.clear();
  Outcome<v1::Job> job;
  engine_.GetJob(ctx, "assets/a1", job.Callback());
  EXPECT_THAT(job.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(absl::StrContains(job.status().message(), "Vimmerse"));

  ctx = Ctx();
  ctx.credentials.elevenlabs_api_key.clear();
  auto sink = std::make_shared<RecordingSink>();
  v1::GenerateSoundEffectRequest s;
  s.set_text("boom");
  engine_.Stream(ctx, s, sink);
  ASSERT_EQ(sink->done.size(), 1u);
  EXPECT_THAT(sink->done[0], StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(absl::StrContains(sink->done[0].message(), "ElevenLabs"));
  EXPECT_TRUE(http::RequestNotSent(sink->done[0]));
  EXPECT_EQ(fake_.call_count(), 0u);

  ctx = Ctx();
  ctx.credentials.vimmerse_api_key = "bad\nkey";
  Outcome<v1::GetMediaResponse> bad;
  engine_.Call(ctx, GetMediaReq(), bad.Callback());
  EXPECT_THAT(bad.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(absl::StrContains(bad.status().message(), "bad\nkey"));
  EXPECT_EQ(fake_.call_count(), 0u);
}

// One invalid request per RPC: INVALID_ARGUMENT naming the field, nothing
// sent.
TEST_F(EngineTest, InvalidRequestsAreNeverSent) {
  struct Case {
    std::string field;
    std::function<absl::Status()> run;
  };
  auto wait = [](auto& out) { return out.status(); };
  std::vector<Case> cases;
  auto add = [&](std::string field, std::function<absl::Status()> run) {
    cases.push_back({std::move(field), std::move(run)});
  };
  add("prompt", [&] {
    Outcome<v1::CreateMediaResponse> o;
    engine_.Call(Ctx(), v1::CreateMediaRequest(), o.Callback());
    return wait(o);
  });
  add("name", [&] {
    Outcome<v1::GetMediaResponse> o;
    v1::GetMediaRequest r;
    r.set_name("media/a/b");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("audio_option.narration_url", [&] {
    Outcome<v1::UpdateMediaResponse> o;
    v1::UpdateMediaRequest r;
    r.set_name("media/m1");
    r.mutable_audio_option()->set_narration_url("narration.mp3");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("file_name", [&] {
    Outcome<v1::UploadVideoResponse> o;
    v1::UploadVideoMetadata m;
    m.set_content_type("video/mp4");
    engine_.Upload(Ctx(), m, nullptr, o.Callback());
    return wait(o);
  });
  add("quantity", [&] {
    Outcome<v1::EstimateVideoCreditsResponse> o;
    v1::EstimateVideoCreditsRequest r;
    r.set_option("KlingO");
    r.set_quantity(5);
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("aspect_ratio", [&] {
    Outcome<v1::CropToAspectRatioResponse> o;
    v1::CropToAspectRatioRequest r;
    r.set_video_url("https://e/v.mp4");
    r.set_aspect_ratio("wide");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("video_url", [&] {
    Outcome<v1::ReframeVideoResponse> o;
    engine_.Call(Ctx(), v1::ReframeVideoRequest(), o.Callback());
    return wait(o);
  });
  add("enhance_mode", [&] {
    Outcome<v1::EnhanceVideoResponse> o;
    v1::EnhanceVideoRequest r;
    r.set_video_url("https://e/v.mp4");
    r.set_enhance_mode("3X");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("webhook_url", [&] {
    Outcome<v1::AddSoundEffectResponse> o;
    v1::AddSoundEffectRequest r;
    r.set_video_url("https://e/v.mp4");
    r.set_webhook_url("hooks.example/x");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("show_caption", [&] {
    Outcome<v1::AvatarLipSyncResponse> o;
    v1::AvatarLipSyncRequest r;
    r.set_show_caption("Yes");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("image_url", [&] {
    Outcome<v1::LipSyncResponse> o;
    v1::LipSyncRequest r;
    r.set_audio_url("https://e/a.mp3");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("option", [&] {
    Outcome<v1::GenerateVideoEffectResponse> o;
    v1::GenerateVideoEffectRequest r;
    r.set_image_url("https://e/a.png");
    r.set_option("Nope");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("chroma_tolerance", [&] {
    Outcome<v1::ReplaceBackgroundResponse> o;
    v1::ReplaceBackgroundRequest r;
    r.set_video_url("https://e/v.mp4");
    r.set_chroma_tolerance("5");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("duration", [&] {
    Outcome<v1::ReferenceToVideoResponse> o;
    v1::ReferenceToVideoRequest r;
    r.add_image_urls("https://e/a.png");
    r.set_duration(0);
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("image_url", [&] {
    Outcome<v1::VideoToVideoResponse> o;
    v1::VideoToVideoRequest r;
    r.set_video_url("https://e/v.mp4");
    r.set_image_url("ftp://e/a.png");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("audio_url", [&] {
    Outcome<v1::AttachAudioResponse> o;
    v1::AttachAudioRequest r;
    r.set_video_url("https://e/v.mp4");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("content_type", [&] {
    Outcome<v1::UploadAudioResponse> o;
    v1::UploadAudioMetadata m;
    m.set_file_name("a.mp3");
    engine_.Upload(Ctx(), m, nullptr, o.Callback());
    return wait(o);
  });
  add("app_name", [&] {
    Outcome<v1::EstimateAudioCreditsResponse> o;
    v1::EstimateAudioCreditsRequest r;
    r.set_option("AutoA");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("voice", [&] {
    Outcome<v1::TextToSpeechResponse> o;
    v1::TextToSpeechRequest r;
    r.set_prompt("hi");
    r.set_voice("Zed");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("request_id", [&] {
    Outcome<v1::TextToSoundEffectResponse> o;
    v1::TextToSoundEffectRequest r;
    r.set_prompt("boom");
    r.set_request_id(std::string(129, 'x'));
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("prompt", [&] {
    Outcome<v1::TextToMusicResponse> o;
    engine_.Call(Ctx(), v1::TextToMusicRequest(), o.Callback());
    return wait(o);
  });
  add("optimize_streaming_latency", [&] {
    auto sink = std::make_shared<RecordingSink>();
    v1::SynthesizeSpeechRequest r;
    r.set_voice_id("v");
    r.set_text("t");
    r.set_optimize_streaming_latency(9);
    engine_.Stream(Ctx(), r, sink);
    EXPECT_TRUE(sink->infos.empty());
    return sink->done.size() == 1 ? sink->done[0]
                                  : absl::InternalError("no OnDone");
  });
  add("duration_seconds", [&] {
    auto sink = std::make_shared<RecordingSink>();
    v1::GenerateSoundEffectRequest r;
    r.set_text("t");
    r.set_duration_seconds(30);
    engine_.Stream(Ctx(), r, sink);
    return sink->done.size() == 1 ? sink->done[0]
                                  : absl::InternalError("no OnDone");
  });
  add("seconds_total", [&] {
    Outcome<v1::GenerateAudioResponse> o;
    v1::GenerateAudioRequest r;
    r.set_prompt("p");
    r.set_seconds_total(60);
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("name", [&] {
    Outcome<v1::GetGenerationResponse> o;
    v1::GetGenerationRequest r;
    r.set_name("media/x");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("name", [&] {
    Outcome<v1::Job> o;
    engine_.GetJob(Ctx(), "jobs/1", o.Callback());
    return wait(o);
  });

  EXPECT_EQ(cases.size(), 26u);  // every RPC the engine serves
  for (const Case& c : cases) {
    absl::Status s = c.run();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument))
        << c.field << ": " << s;
    auto br = rpc::GetBadRequest(s);
    ASSERT_TRUE(br.has_value()) << c.field;
    bool named = false;
    for (const auto& v : br->field_violations()) named |= v.field() == c.field;
    EXPECT_TRUE(named) << c.field << ": " << br->DebugString();
    EXPECT_EQ(fake_.call_count(), 0u) << c.field;
  }
}

}  // namespace
}  // namespace mediagen::upstream
