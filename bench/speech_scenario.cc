#include "bench/speech_scenario.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_util.h"
#include "bench/histogram.h"
#include "bench/load_driver.h"
#include "bench/rest_client.h"
#include "grpcpp/grpcpp.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace mediagen::bench {
namespace {

using json = nlohmann::json;
using testing::EmulatorProcess;
using testing::ServerConfig;
using testing::ServerProcess;

}  // namespace

void RunSpeechScenario(const Settings& settings) {
  const Sizes& sizes = settings.sizes;
  // First audio 6 ms after the request (0.3 s scaled), then paced chunks.
  auto emu = Must(EmulatorProcess::Start(
                      EmulatorFlags({"--nowebhooks", "--time_scale=0.02"})),
                  "emulator");
  auto server =
      Must(ServerProcess::Start(BenchServer(settings, emu->port())), "server");
  auto eleven = v1::ElevenLabsService::NewStub(server->channel());
  const std::string voice = "JBFqnCBsd6RMkjVDRZzb";
  const std::string text = "The first move is what sets everything in motion.";

  v1::SynthesizeSpeechRequest req;
  req.set_voice_id(voice);
  req.set_text(text);
  req.set_model_id("eleven_multilingual_v2");
  req.set_output_format("mp3_44100_128");
  auto direct = std::make_shared<RestClient::Request>();
  direct->method = "POST";
  direct->url = absl::StrCat(emu->base_url(), "/v1/text-to-speech/", voice,
                             "/stream?output_format=mp3_44100_128");
  direct->headers = {absl::StrCat("xi-api-key: ", kElevenKey),
                     "Content-Type: application/json"};
  direct->body =
      json{{"text", text}, {"model_id", "eleven_multilingual_v2"}}.dump();
  direct->fresh_connection = true;

  RestClient rest;
  Histogram direct_ttfb, gateway_ttfa;
  uint64_t gateway_bytes = 0, direct_bytes = 0;
  for (int i = 0; i < sizes.speech_runs + 2; ++i) {  // the first two warm up
    RestClient::Response r = rest.SendAndWait(direct);
    if (r.status != 200) Die(absl::StrCat("direct speech: HTTP ", r.status));

    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    const absl::Duration start = MonotonicNow();
    auto reader = eleven->SynthesizeSpeech(&ctx, req);
    v1::SynthesizeSpeechResponse msg;
    absl::Duration first = absl::ZeroDuration();
    uint64_t bytes = 0;
    while (reader->Read(&msg)) {
      if (!msg.audio_chunk().empty() && bytes == 0) {
        first = MonotonicNow() - start;
      }
      bytes += msg.audio_chunk().size();
    }
    grpc::Status s = reader->Finish();
    if (!s.ok()) Die("speech through mediagen: " + s.error_message());
    if (i >= 2) {
      direct_ttfb.Record(r.first_byte);
      gateway_ttfa.Record(first);
      gateway_bytes += bytes;
      direct_bytes += r.body_bytes;
    }
  }
  if (gateway_bytes != direct_bytes) {
    Die(absl::StrCat("audio differs: ", gateway_bytes, " bytes via mediagen, ",
                     direct_bytes, " direct"));
  }
  Log("speech: %d runs; direct first byte p50 %.2f ms p90 %.2f ms; mediagen "
      "first chunk p50 %.2f ms p90 %.2f ms",
      sizes.speech_runs, Ms(direct_ttfb.Percentile(50)),
      Ms(direct_ttfb.Percentile(90)), Ms(gateway_ttfa.Percentile(50)),
      Ms(gateway_ttfa.Percentile(90)));
  Figure("speech_direct_ttfb_p50_ms", Ms(direct_ttfb.Percentile(50)), "ms");
  Figure("speech_gateway_ttfa_p50_ms", Ms(gateway_ttfa.Percentile(50)), "ms");
  const double added =
      Ms(gateway_ttfa.Percentile(50)) - Ms(direct_ttfb.Percentile(50));
  Figure("speech_added_p50_ms", added, "ms");
  Target("speech_added_p50_ms", added, "<=", 2, "ms");
}

}  // namespace mediagen::bench
