// json_bench: CPU per call of the gateway's JSON translation for a ~1 KB
// body in each direction (Google Benchmark), split into its parts so it is
// plain whether nlohmann/json or the protobuf reflection around it costs
// the time.
//
//   json_bench [--benchmark_min_time=0.5]
//
// Besides Google Benchmark's table, prints one `bench: NAME VALUE ns` line
// per benchmark (CPU time per iteration) for bench/run_all.
#include <cstdio>
#include <string>

#include "benchmark/benchmark.h"
#include "mediagen/v1/media.pb.h"
#include "nlohmann/json.hpp"
#include "service/upstream/providers/endpoints.h"
#include "service/upstream/providers/json_codec.h"
#include "service/upstream/providers/route_table.h"
#include "service/upstream/providers/validation.h"
#include "service/upstream/providers/vimmerse.h"

namespace mediagen::bench {
namespace {

// A create whose JSON body is about 1 KB: the documented fields, a long
// prompt, two media items and narration.
v1::CreateMediaRequest CreateRequest() {
  v1::CreateMediaRequest r;
  r.set_request_id("2f0c7d1e-5b4a-4c1e-9a51-6b8f3c2d9e70");
  r.set_title("Harbour at dawn");
  r.set_description("Opening shot for the spring campaign, first cut.");
  r.set_prompt(
      "A slow aerial pan over a fishing harbour at dawn: mist on the water, "
      "gulls lifting off the breakwater, boats rocking as the first light "
      "turns the hulls gold. The camera drifts from the lighthouse towards "
      "the market, where crates of fish are stacked and steam rises from "
      "a coffee stall. Warm, quiet, cinematic; no people facing the camera; "
      "gentle parallax, shallow depth of field on the foreground ropes.");
  r.set_video_tool("KlingAI");
  r.set_quantity(2);
  r.set_duration(10);
  r.set_loop(1);
  r.set_aspect_ratio("16:9");
  r.set_pipeline_mode("Advanced");
  auto* a = r.add_media_items();
  a->set_type("image");
  a->set_url("https://cdn.example.com/campaign/spring/harbour-first.jpg");
  a->set_position("First");
  auto* b = r.add_media_items();
  b->set_type("image");
  b->set_url("https://cdn.example.com/campaign/spring/harbour-last.jpg");
  b->set_position("Last");
  auto* audio = r.mutable_audio_option();
  audio->set_narrator("Charlotte");
  audio->set_narration("Every morning the harbour wakes before the town.");
  audio->set_bg_music_prompt("soft piano with distant strings");
  r.set_webhook_url(
      "https://mediagen-admin.example.internal/webhooks/vimmerse/acme/"
      "4b1f0e9c2d7a6b3e8f5c1d0a9e2b7c4f6a1d3e8b0c5f2a7d9e4b6c1f3a8d0e2b");
  return r;
}

// A media object as Vimmerse answers GetMedia, about 1 KB.
const std::string& MediaBody() {
  static const std::string* body = new std::string(nlohmann::json{
      {"id", "9f1c2a7e-3b5d-4e8f-a1c6-7d2e9b4f0a35"},
      {"title", "Harbour at dawn"},
      {"description", "Opening shot for the spring campaign, first cut."},
      {"customer_id", "acme-customer"},
      {"primary_user_id", "acme-customer"},
      {"media_items",
       {{{"type", "image"},
         {"url", "https://cdn.example.com/campaign/spring/harbour-first.jpg"},
         {"position", "First"}},
        {{"type", "image"},
         {"url", "https://cdn.example.com/campaign/spring/harbour-last.jpg"},
         {"position", "Last"}}}},
      {"duration_time", "10"},
      {"processing_status", "processing_bullet"},
      {"progress_percentage", 60},
      {"pose_preset",
       {{"motion_type", "KlingAI"},
        {"prompt", "A slow aerial pan over a fishing harbour at dawn"},
        {"quantity", 2},
        {"motion_length", 10},
        {"loop", 1}}},
      {"submit_params",
       {{"native_audio", false}, {"file_size", 0}, {"scale_factor", 1}}},
      {"result",
       {"https://storage.vimmerse.net/results/9f1c2a7e/video_1.mp4",
        "https://storage.vimmerse.net/results/9f1c2a7e/video_2.mp4"}},
      {"webhook_url", ""},
      {"created_at", "2025-04-01T18:57:37.355064+00:00"},
      {"updated_at", "2025-04-01T18:59:02.118230+00:00"},
      {"version", "3"},
  }.dump());
  return *body;
}

void Report(benchmark::State& state, size_t bytes) {
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["body_bytes"] = bytes;
}

// Request: validation plus proto -> upstream HTTP request (JSON body, URL,
// headers): everything the gateway does to a create before sending it.
void BM_CreateMediaRequestToHttp(benchmark::State& state) {
  const v1::CreateMediaRequest req = CreateRequest();
  const upstream::Endpoints endpoints;
  size_t bytes = 0;
  for (auto _ : state) {
    absl::Status valid = upstream::Validate(req);
    auto up = upstream::BuildRequest(endpoints, "k", req);
    benchmark::DoNotOptimize(valid);
    bytes = up->http.body.size();
    benchmark::DoNotOptimize(up);
  }
  Report(state, bytes);
}
BENCHMARK(BM_CreateMediaRequestToHttp);

void BM_CreateMediaValidateOnly(benchmark::State& state) {
  const v1::CreateMediaRequest req = CreateRequest();
  for (auto _ : state) benchmark::DoNotOptimize(upstream::Validate(req));
}
BENCHMARK(BM_CreateMediaValidateOnly);

// The reflection encoder and nlohmann's serializer, without the rest.
void BM_CreateMediaEncodeAndSerialize(benchmark::State& state) {
  const v1::CreateMediaRequest req = CreateRequest();
  for (auto _ : state) {
    std::string wire =
        upstream::Serialize(upstream::EncodeMessage(req, {"request_id"}));
    benchmark::DoNotOptimize(wire);
  }
}
BENCHMARK(BM_CreateMediaEncodeAndSerialize);

// Response: upstream JSON -> Media proto.
void BM_MediaJsonToProto(benchmark::State& state) {
  const std::string& body = MediaBody();
  for (auto _ : state) {
    auto media = upstream::vimmerse::ParseMedia(body);
    benchmark::DoNotOptimize(media);
  }
  Report(state, body.size());
}
BENCHMARK(BM_MediaJsonToProto);

// nlohmann's parse alone, to see its share of the above.
void BM_MediaJsonParseOnly(benchmark::State& state) {
  const std::string& body = MediaBody();
  for (auto _ : state) {
    auto parsed = upstream::ParseObject(body);
    benchmark::DoNotOptimize(parsed);
  }
  Report(state, body.size());
}
BENCHMARK(BM_MediaJsonParseOnly);

// For scale: protobuf's own binary serialization of the parsed Media (what
// gRPC then does with it).
void BM_MediaProtoSerialize(benchmark::State& state) {
  const v1::Media media = *upstream::vimmerse::ParseMedia(MediaBody());
  for (auto _ : state) {
    std::string wire = media.SerializeAsString();
    benchmark::DoNotOptimize(wire);
  }
}
BENCHMARK(BM_MediaProtoSerialize);

// Google Benchmark's table, plus a `bench:` line per run.
class Reporter : public benchmark::ConsoleReporter {
 public:
  // No colour codes: run_all keeps the table in RESULTS.md.
  Reporter() : ConsoleReporter(OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      std::string name = run.benchmark_name();
      if (name.rfind("BM_", 0) == 0) name = name.substr(3);
      std::string snake;
      for (char c : name) {
        if (std::isupper(static_cast<unsigned char>(c))) {
          if (!snake.empty()) snake += '_';
          snake += static_cast<char>(std::tolower(c));
        } else {
          snake += c;
        }
      }
      std::fprintf(stdout, "bench: json_%s_cpu_ns %.0f ns\n", snake.c_str(),
                   run.GetAdjustedCPUTime());
    }
    std::fflush(stdout);
  }
};

}  // namespace
}  // namespace mediagen::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  mediagen::bench::Reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
