#include "service/upstream/providers/elevenlabs.h"

#include "gtest/gtest.h"
#include "service/upstream/providers/route_table.h"
#include "service/upstream/providers/test_util.h"

namespace mediagen::upstream::elevenlabs {
namespace {

using ::mediagen::upstream::testing::Header;
using ::mediagen::upstream::testing::HeaderCount;
using ::mediagen::upstream::testing::JsonEquals;

constexpr char kKey[] = "el-key";

void ExpectCommon(const UpstreamRequest& up) {
  EXPECT_EQ(up.http.method, "POST");
  EXPECT_EQ(Header(up.http.headers, "xi-api-key"), kKey);
  EXPECT_EQ(HeaderCount(up.http.headers, "X-Api-Key"), 0);
  EXPECT_EQ(Header(up.http.headers, "Content-Type"), "application/json");
  EXPECT_EQ(Header(up.http.headers, "Accept"), "*/*");
  EXPECT_EQ(up.route.provider, v1::PROVIDER_ELEVENLABS);
  EXPECT_EQ(up.route.idempotency, Idempotency::kNonIdempotent);
}

TEST(ElevenLabsRequestTest, CurlExampleOnThePlainRoute) {
  v1::SynthesizeSpeechRequest r;
  r.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
  r.set_output_format("mp3_44100_128");
  r.set_stream(false);
  r.set_text("The first move is what sets everything in motion.");
  r.set_model_id("eleven_multilingual_v2");
  auto up = BuildRequest(Endpoints{}, kKey, r);
  ASSERT_TRUE(up.ok());
  ExpectCommon(*up);
  EXPECT_EQ(up->http.url,
            "https://api.elevenlabs.io/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb"
            "?output_format=mp3_44100_128");
  EXPECT_EQ(up->route.Label(), "POST /v1/text-to-speech/{voice_id}");
  EXPECT_TRUE(JsonEquals(up->http.body, R"({
    "text": "The first move is what sets everything in motion.",
    "model_id": "eleven_multilingual_v2"})"));
}

TEST(ElevenLabsRequestTest, StreamRouteIsTheDefaultAndUnsetQueryIsAbsent) {
  v1::SynthesizeSpeechRequest r;
  r.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
  r.set_text("Hi");
  auto up = BuildRequest(Endpoints{}, kKey, r);
  ASSERT_TRUE(up.ok());
  ExpectCommon(*up);
  EXPECT_EQ(up->http.url,
            "https://api.elevenlabs.io/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb/"
            "stream");
  EXPECT_EQ(up->route.Label(), "POST /v1/text-to-speech/{voice_id}/stream");
  EXPECT_TRUE(JsonEquals(up->http.body, R"({"text": "Hi"})"));
  EXPECT_EQ(OutputFormatOf(r), "mp3_44100_128");
}

TEST(ElevenLabsRequestTest, EveryFieldInItsPlace) {
  v1::SynthesizeSpeechRequest r;
  r.set_voice_id("voice id/1");
  r.set_stream(true);
  r.set_output_format("pcm_16000");
  r.set_enable_logging(false);
  r.set_optimize_streaming_latency(0);
  r.set_text("Hello");
  r.set_model_id("eleven_turbo_v2_5");
  r.set_language_code("en");
  r.mutable_voice_settings()->set_stability(0.5);
  r.mutable_voice_settings()->set_similarity_boost(0.75);
  r.mutable_voice_settings()->set_style(0);
  r.mutable_voice_settings()->set_use_speaker_boost(true);
  auto* l = r.add_pronunciation_dictionary_locators();
  l->set_pronunciation_dictionary_id("dict1");
  l->set_version_id("ver1");
  r.set_seed(0);
  r.set_previous_text("Before.");
  r.set_next_text("After.");
  r.add_previous_request_ids("req-a");
  r.add_next_request_ids("req-b");
  r.set_use_pvc_as_ivc(false);
  r.set_apply_text_normalization("off");
  auto up = BuildRequest(Endpoints{}, kKey, r);
  ASSERT_TRUE(up.ok());
  ExpectCommon(*up);
  EXPECT_EQ(up->http.url,
            "https://api.elevenlabs.io/v1/text-to-speech/voice%20id%2F1/stream"
            "?enable_logging=false&optimize_streaming_latency=0"
            "&output_format=pcm_16000");
  EXPECT_TRUE(JsonEquals(up->http.body, R"({
    "text": "Hello", "model_id": "eleven_turbo_v2_5", "language_code": "en",
    "voice_settings": {"stability": 0.5, "similarity_boost": 0.75, "style": 0,
                       "use_speaker_boost": true},
    "pronunciation_dictionary_locators": [
        {"pronunciation_dictionary_id": "dict1", "version_id": "ver1"}],
    "seed": 0, "previous_text": "Before.", "next_text": "After.",
    "previous_request_ids": ["req-a"], "next_request_ids": ["req-b"],
    "use_pvc_as_ivc": false, "apply_text_normalization": "off"})"));
  EXPECT_EQ(OutputFormatOf(r), "pcm_16000");
}

TEST(ElevenLabsRequestTest, SoundGenerationCurlExample) {
  v1::GenerateSoundEffectRequest r;
  r.set_text("Spacious braam suitable for high-impact movie trailer moments");
  auto up = BuildRequest(Endpoints{}, kKey, r);
  ASSERT_TRUE(up.ok());
  ExpectCommon(*up);
  EXPECT_EQ(up->http.url, "https://api.elevenlabs.io/v1/sound-generation");
  EXPECT_EQ(up->route.Label(), "POST /v1/sound-generation");
  EXPECT_TRUE(JsonEquals(up->http.body, R"({
    "text": "Spacious braam suitable for high-impact movie trailer moments"})"));
}

TEST(ElevenLabsRequestTest, SoundGenerationAllFields) {
  v1::GenerateSoundEffectRequest r;
  r.set_text("Door");
  r.set_duration_seconds(0.5);
  r.set_prompt_influence(0);
  r.set_output_format("mp3_22050_32");
  auto up = BuildRequest(Endpoints{}, kKey, r);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->http.url,
            "https://api.elevenlabs.io/v1/sound-generation"
            "?output_format=mp3_22050_32");
  EXPECT_TRUE(JsonEquals(up->http.body, R"({"text": "Door",
      "duration_seconds": 0.5, "prompt_influence": 0})"));
}

TEST(ElevenLabsResponseTest, StreamInfoFromHeaders) {
  v1::AudioStreamInfo info =
      StreamInfoFromHeaders({{"content-type", "audio/mpeg"},
                             {"request-id", "req-123"},
                             {"character-cost", "49"}},
                            "mp3_44100_128");
  EXPECT_EQ(info.content_type(), "audio/mpeg");
  EXPECT_EQ(info.output_format(), "mp3_44100_128");
  EXPECT_EQ(info.upstream_request_id(), "req-123");
  EXPECT_TRUE(info.has_character_cost());
  EXPECT_EQ(info.character_cost(), 49);

  v1::AudioStreamInfo bare = StreamInfoFromHeaders(
      {{"content-type", "audio/basic"}, {"character-cost", "lots"}},
      "ulaw_8000");
  EXPECT_FALSE(bare.has_character_cost());
  EXPECT_EQ(bare.upstream_request_id(), "");
}

TEST(ElevenLabsResponseTest, HeaderBytesReachTheCallerAsCleanUtf8) {
  // Found by //tests/fuzz:elevenlabs_stream_info_fuzzer: a header holding
  // invalid UTF-8 made an AudioStreamInfo the caller's stub cannot parse.
  v1::AudioStreamInfo info = StreamInfoFromHeaders(
      {{"content-type", "aud\xff\xffio/pcm"},
       {"request-id", "req\r\x01" + std::string(500, 'x')}},
      "pcm_16000");
  EXPECT_EQ(info.content_type(), "aud??io/pcm");
  EXPECT_EQ(info.upstream_request_id().substr(0, 6), "req  x");
  EXPECT_LE(info.upstream_request_id().size(), 131u);  // 128 + "..."
  std::string wire;
  ASSERT_TRUE(info.SerializeToString(&wire));
  v1::AudioStreamInfo back;
  EXPECT_TRUE(back.ParseFromString(wire));
}

}  // namespace
}  // namespace mediagen::upstream::elevenlabs
