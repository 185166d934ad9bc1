#include "bench/upload_scenario.h"

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
#include "mediagen/v1/video.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace mediagen::bench {
namespace {

using json = nlohmann::json;
using testing::EmulatorProcess;
using testing::ServerConfig;
using testing::ServerProcess;

}  // namespace

void RunUploadScenario(const Settings& settings) {
  const Sizes& sizes = settings.sizes;
  auto emu =
      Must(EmulatorProcess::Start(EmulatorFlags({"--nowebhooks"})), "emulator");
  auto server =
      Must(ServerProcess::Start(BenchServer(settings, emu->port())), "server");
  testing::Process& proc = server->process();
  auto video = v1::VideoService::NewStub(server->channel());
  const uint64_t total = sizes.upload_bytes;
  const std::string chunk(1 << 20, 'v');

  absl::SleepFor(absl::Milliseconds(300));
  const long rss_before = proc.RssKiB();
  const long hwm_before = proc.PeakRssKiB();
  const absl::Duration start = MonotonicNow();
  grpc::ClientContext ctx;
  v1::UploadVideoResponse resp;
  auto writer = video->UploadVideo(&ctx, &resp);
  v1::UploadVideoRequest first;
  first.mutable_metadata()->set_file_name("bench.mp4");
  first.mutable_metadata()->set_content_type("video/mp4");
  first.mutable_metadata()->set_size_bytes(total);
  writer->Write(first);
  v1::UploadVideoRequest piece;
  for (uint64_t sent = 0; sent < total; sent += chunk.size()) {
    piece.set_chunk(chunk.data(),
                    std::min<uint64_t>(chunk.size(), total - sent));
    if (!writer->Write(piece)) break;
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  const absl::Duration gateway_time = MonotonicNow() - start;
  if (!s.ok()) Die("upload through mediagen failed: " + s.error_message());
  const long hwm_after = proc.PeakRssKiB();

  absl::StatusOr<UploadResult> direct =
      UploadMultipart(emu->base_url() + "/v2/video",
                      {absl::StrCat("X-Api-Key: ", kVimmerseKey)}, "video_file",
                      "bench.mp4", "video/mp4", total);
  if (!direct.ok() || direct->status != 200) {
    Die("direct upload failed: " +
        (direct.ok() ? direct->body : direct.status().ToString()));
  }
  // The emulator saw both files whole.
  int whole = 0;
  for (const json& r : emu->Requests("POST", "/v2/video")) {
    for (const json& part : r.value("parts", json::array())) {
      whole += part.value("size", uint64_t{0}) == total;
    }
  }
  if (whole != 2) Die(absl::StrCat(whole, " of 2 uploads arrived whole"));

  const double mib = total / 1048576.0;
  const double gw = mib / absl::ToDoubleSeconds(gateway_time);
  const double dr = mib / absl::ToDoubleSeconds(direct->elapsed);
  const double growth = (hwm_after - rss_before) / 1024.0;
  Log("upload: %.0f MiB; mediagen %.2f s, direct %.2f s; server rss before "
      "%ld KiB (peak so far %ld), peak after %ld KiB",
      mib, absl::ToDoubleSeconds(gateway_time),
      absl::ToDoubleSeconds(direct->elapsed), rss_before, hwm_before,
      hwm_after);
  Figure("upload_mib", mib, "MiB");
  Figure("upload_gateway_mib_per_s", gw, "MiB/s");
  Figure("upload_direct_mib_per_s", dr, "MiB/s");
  Figure("upload_throughput_ratio", gw / dr, "x");
  Target("upload_throughput_ratio", gw / dr, ">=", 0.5, "x");
  Figure("upload_server_rss_growth_mib", growth, "MiB");
  Target("upload_server_rss_growth_mib", growth, "<=", 64, "MiB");
}

}  // namespace mediagen::bench
