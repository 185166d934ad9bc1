// ElevenLabs routes over HTTP: audio in every output format, the streamed
// route's pacing, auth and validation errors, and the concurrency limit.
#include "tests/emulator/elevenlabs_routes.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/emulator/test_util.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// 45 characters: exactly 3 seconds of emulated speech.
const std::string kText(45, 'a');

void ExpectElevenLabsError(const Http& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  ASSERT_TRUE(r.json.contains("detail") && r.json["detail"].is_object())
      << r.body;
  const json& d = r.json["detail"];
  for (const char* k :
       {"type", "code", "message", "status", "request_id", "param"}) {
    EXPECT_TRUE(d.contains(k)) << k << " missing in " << r.body;
  }
  EXPECT_EQ(d.value("code", ""), code) << r.body;
  EXPECT_EQ(d.value("status", ""), code) << r.body;
  EXPECT_FALSE(r.Header("request-id").empty());
}

void Expect422(const Http& r, const json& loc, const std::string& type) {
  EXPECT_EQ(r.status, 422) << r.body;
  bool found = false;
  for (const json& e : r.json.value("detail", json::array())) {
    found = found || (e["loc"] == loc && e["type"] == type);
  }
  EXPECT_TRUE(found) << "no " << loc << " " << type << " in " << r.body;
}

class ElevenLabsTest : public EmulatorTest {};

TEST_F(ElevenLabsTest, SpeechDefaultsToMp3WithTheDocumentedHeaders) {
  Http r =
      PostJson("/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb",
               {{"text", kText}, {"model_id", "eleven_multilingual_v2"}}, El());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "audio/mpeg");
  EXPECT_EQ(r.Header("character-cost"), "45");
  EXPECT_EQ(r.Header("request-id").size(), 32u);
  EXPECT_EQ(r.Header("maximum-concurrent-requests"), "2");
  ASSERT_GT(r.body.size(), 4u);
  // MPEG-1 Layer III, 128 kbps, 44.1 kHz: 3 s is 115 frames of ~418 bytes.
  EXPECT_EQ(static_cast<uint8_t>(r.body[0]), 0xFF);
  EXPECT_EQ(static_cast<uint8_t>(r.body[1]), 0xFB);
  EXPECT_EQ(static_cast<uint8_t>(r.body[2]) >> 4,
            9);  // bitrate index: 128 kbps
  EXPECT_NEAR(static_cast<double>(r.body.size()), 3.0 * 128000 / 8, 1200);
  json c = Control("GET", "/counters");
  EXPECT_EQ(c["customers"][kElCustomer]["creates"]
             ["POST /v1/text-to-speech/{voice_id}"],
            1);
}

TEST_F(ElevenLabsTest, EveryOutputFormatHasTheRightSizeAndType) {
  struct Case {
    std::string format;
    std::string content_type;
    size_t bytes;
  };
  for (const Case& c :
       std::vector<Case>{{"pcm_16000", "audio/pcm", 3 * 16000 * 2},
                         {"pcm_22050", "audio/pcm", 3 * 22050 * 2},
                         {"pcm_24000", "audio/pcm", 3 * 24000 * 2},
                         {"pcm_44100", "audio/pcm", 3 * 44100 * 2},
                         {"ulaw_8000", "audio/basic", 3 * 8000}}) {
    Http r = PostJson("/v1/text-to-speech/v?output_format=" + c.format,
                      {{"text", kText}}, El());
    ASSERT_EQ(r.status, 200) << c.format << " " << r.body;
    EXPECT_EQ(r.Header("Content-Type"), c.content_type) << c.format;
    EXPECT_EQ(r.body.size(), c.bytes) << c.format;
  }
  for (const char* mp3 : {"mp3_22050_32", "mp3_44100_32", "mp3_44100_64",
                          "mp3_44100_96", "mp3_44100_192"}) {
    Http r = PostJson(std::string("/v1/text-to-speech/v?output_format=") + mp3,
                      {{"text", kText}}, El());
    ASSERT_EQ(r.status, 200) << mp3;
    EXPECT_EQ(static_cast<uint8_t>(r.body[0]), 0xFF) << mp3;
    // 22.05 kHz is MPEG-2 (0xF3); 44.1 kHz is MPEG-1 (0xFB).
    EXPECT_EQ(static_cast<uint8_t>(r.body[1]),
              std::string(mp3) == "mp3_22050_32" ? 0xF3 : 0xFB)
        << mp3;
  }
}

class SlowElevenLabsTest : public EmulatorTest {
  // 0.1: the stream's first bytes wait 30 ms, then a chunk every 10 ms.
  void Configure(EmulatorOptions& o) override { o.time_scale = 0.1; }
};

TEST_F(SlowElevenLabsTest, StreamRouteSendsChunksOverTime) {
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/text-to-speech/voice/stream?output_format=pcm_16000";
  req.headers = El();
  req.headers.emplace("Content-Type", "application/json");
  req.body = json{{"text", kText}}.dump();
  std::vector<Clock::time_point> arrivals;
  std::string audio;
  Clock::time_point headers_at;
  req.response_handler = [&](const httplib::Response&) {
    headers_at = Clock::now();
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    arrivals.push_back(Clock::now());
    audio.append(data, n);
    return true;
  };
  const Clock::time_point start = Clock::now();
  httplib::Result r = client_->send(req);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Transfer-Encoding"), "chunked");
  EXPECT_EQ(audio.size(), 3u * 16000 * 2);
  ASSERT_GE(arrivals.size(), 5u);
  // Headers come first; audio only after the synthesis delay, then spread.
  EXPECT_LE(headers_at, arrivals.front());
  EXPECT_GE(arrivals.front() - start, std::chrono::milliseconds(30));
  EXPECT_GE(arrivals.back() - arrivals.front(), std::chrono::milliseconds(30));
}

TEST_F(ElevenLabsTest, MissingOrInvalidKeyIs401) {
  Http missing = PostJson("/v1/text-to-speech/v", {{"text", "hi"}});
  ExpectElevenLabsError(missing, 401, "needs_authorization");
  ExpectElevenLabsError(
      PostJson("/v1/text-to-speech/v", {{"text", "hi"}}, El("nope")), 401,
      "invalid_api_key");
  ExpectElevenLabsError(
      PostJson("/v1/sound-generation", {{"text", "hi"}}, El("nope")), 401,
      "invalid_api_key");
  // The Vimmerse header is not an ElevenLabs key.
  ExpectElevenLabsError(
      PostJson("/v1/sound-generation", {{"text", "hi"}}, Vim()), 401,
      "needs_authorization");
}

TEST_F(ElevenLabsTest, ValidationErrorsUseFastApiShape) {
  Expect422(PostJson("/v1/text-to-speech/v", {{"model_id", "m"}}, El()),
            {"body", "text"}, "missing");
  Expect422(
      PostJson("/v1/text-to-speech/v", {{"text", "x"}, {"seed", -1}}, El()),
      {"body", "seed"}, "greater_than_equal");
  Expect422(
      PostJson("/v1/text-to-speech/v",
               {{"text", "x"}, {"voice_settings", {{"stability", "high"}}}},
               El()),
      {"body", "voice_settings", "stability"}, "float_type");
  Expect422(
      PostJson("/v1/text-to-speech/v",
               {{"text", "x"}, {"previous_request_ids", {"a", "b", "c", "d"}}},
               El()),
      {"body", "previous_request_ids"}, "too_long");
  Expect422(
      PostJson("/v1/text-to-speech/v",
               {{"text", "x"}, {"apply_text_normalization", "always"}}, El()),
      {"body", "apply_text_normalization"}, "enum");
  Expect422(
      PostJson("/v1/text-to-speech/v", {{"text", "x"}, {"stream", true}}, El()),
      {"body", "stream"}, "extra_forbidden");
  Expect422(PostJson("/v1/text-to-speech/v?output_format=wav_44100",
                     {{"text", "x"}}, El()),
            {"query", "output_format"}, "enum");
  Expect422(PostJson("/v1/text-to-speech/v?use_pvc_as_ivc=true",
                     {{"text", "x"}}, El()),
            {"query", "use_pvc_as_ivc"}, "extra_forbidden");
  Expect422(PostJson("/v1/text-to-speech/v?optimize_streaming_latency=5",
                     {{"text", "x"}}, El()),
            {"query", "optimize_streaming_latency"}, "less_than_equal");
  Expect422(PostJson("/v1/text-to-speech/v?enable_logging=maybe",
                     {{"text", "x"}}, El()),
            {"query", "enable_logging"}, "bool_parsing");
  Expect422(
      PostRaw("/v1/text-to-speech/v", R"({"text":"x"})", "text/plain", El()),
      {"body"}, "model_attributes_type");
  // Documented: language_code only with Turbo v2.5 and Flash v2.5.
  ExpectElevenLabsError(
      PostJson("/v1/text-to-speech/v", {{"text", "x"}, {"language_code", "de"}},
               El()),
      400, "unsupported_language_code");
  EXPECT_EQ(PostJson("/v1/text-to-speech/v",
                     {{"text", "x"},
                      {"language_code", "de"},
                      {"model_id", "eleven_flash_v2_5"},
                      {"use_pvc_as_ivc", false},
                      {"enable_logging", nullptr}},
                     El())
                .status,
            422);  // enable_logging is a query parameter, not a body field
  Http ok = PostJson(
      "/v1/text-to-speech/v?enable_logging=false&optimize_streaming_latency=3",
      {{"text", "x"},
       {"language_code", "de"},
       {"model_id", "eleven_flash_v2_5"},
       {"use_pvc_as_ivc", false},
       {"voice_settings", {{"stability", 0.5}, {"use_speaker_boost", true}}},
       {"pronunciation_dictionary_locators",
        {{{"pronunciation_dictionary_id", "d1"}, {"version_id", "v1"}}}},
       {"seed", 4294967295LL}},
      El());
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(ElevenLabsTest, SoundGenerationHonoursDurationAndRanges) {
  Http r = PostJson(
      "/v1/sound-generation?output_format=pcm_16000",
      {{"text", "braam"}, {"duration_seconds", 2.0}, {"prompt_influence", 0.7}},
      El());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.size(), 2u * 16000 * 2);
  EXPECT_FALSE(r.Header("request-id").empty());
  Http def = PostJson("/v1/sound-generation", {{"text", "braam"}}, El());
  ASSERT_EQ(def.status, 200);
  EXPECT_EQ(def.Header("Content-Type"), "audio/mpeg");
  Expect422(PostJson("/v1/sound-generation",
                     {{"text", "x"}, {"duration_seconds", 23}}, El()),
            {"body", "duration_seconds"}, "less_than_equal");
  Expect422(PostJson("/v1/sound-generation",
                     {{"text", "x"}, {"duration_seconds", 0.4}}, El()),
            {"body", "duration_seconds"}, "greater_than_equal");
  Expect422(PostJson("/v1/sound-generation",
                     {{"text", "x"}, {"prompt_influence", 1.5}}, El()),
            {"body", "prompt_influence"}, "less_than_equal");
  Expect422(PostJson("/v1/sound-generation?optimize_streaming_latency=1",
                     {{"text", "x"}}, El()),
            {"query", "optimize_streaming_latency"}, "extra_forbidden");
}

TEST_F(ElevenLabsTest,
       AboveTheConcurrencyLimitAnswers429ConcurrentLimitExceeded) {
  // Hold two streams open: the drip keeps them sending for a long time.
  ASSERT_TRUE(emulator_
                  ->AddFault(R"({"path": "/v1/text-to-speech/*/stream",
                                 "drip_bytes_per_sec": 1000})")
                  .ok());
  std::mutex mu;
  std::condition_variable cv;
  int receiving = 0;
  bool release = false;
  auto hold = [&] {
    httplib::Client c("127.0.0.1", port_);
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/text-to-speech/v/stream";
    req.headers = El();
    req.headers.emplace("Content-Type", "application/json");
    req.body = json{{"text", kText}}.dump();
    bool counted = false;
    req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) {
      std::unique_lock<std::mutex> lock(mu);
      if (!counted) {
        counted = true;
        ++receiving;
        cv.notify_all();
      }
      cv.wait(lock, [&] { return release; });
      return false;  // hang up
    };
    c.send(req);
  };
  std::thread a(hold), b(hold);
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10),
                            [&] { return receiving == 2; }));
  }
  Http third = PostJson("/v1/text-to-speech/v", {{"text", "x"}}, El());
  ExpectElevenLabsError(third, 429, "concurrent_limit_exceeded");
  EXPECT_EQ(third.json["detail"]["type"], "rate_limit_error");
  EXPECT_EQ(third.Header("current-concurrent-requests"), "2");
  EXPECT_EQ(third.Header("maximum-concurrent-requests"), "2");
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  a.join();
  b.join();
  json c = WaitFor([&] { return Control("GET", "/counters"); },
                   [](const json& j) {
                     return j["concurrency"][kElCustomer]["in_flight"] == 0;
                   });
  EXPECT_EQ(c["concurrency"][kElCustomer]["max_in_flight"], 2);
  EXPECT_EQ(c["concurrency"][kElCustomer]["rejected"], 1);
  EXPECT_EQ(PostJson("/v1/text-to-speech/v", {{"text", "x"}}, El()).status,
            200);
}

}  // namespace
}  // namespace mediagen::emulator
