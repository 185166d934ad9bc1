// gateway_bench: mediagen against direct REST, side by side in one run, on
// the real binaries over loopback (the upstream is the emulator in
// tests/emulator for both paths). Run by bench/run_all, which builds with
// -c opt and records the output in bench/RESULTS.md.
//
//   gateway_bench --mode=quick --scenarios=unary,watch,upload,speech
//
// Must run in its runfiles tree (it starts //service:mediagen_server and
// //tests/emulator from there), as `bazel run` or bench/run_all do.
//
// Output on stdout, one line per figure and per target:
//   bench: unary_get_added_p50_us 41.3 us
//   target: unary_get_added_p50_us <= 60 us met
// Progress and details go to stderr.
//
// Scenarios (targets from the benchmark issue, 2-core machine):
//   unary   GetMedia and CreateMedia through mediagen vs the same REST call
//           by a libcurl multi client (bench/rest_client.h): latency at
//           concurrency 1, throughput at saturation (closed loop), p99 at
//           half of the gateway's saturation rate (open loop, both paths at
//           that rate), and mediagen's CPU per call.
//   watch   10,000 WatchJob streams over 100 jobs (callback client, several
//           connections): upstream polls per interval, server memory per
//           stream, server threads against stream count, and delivery of a
//           change to every watcher after upstream's webhook.
//   upload  1 GiB through UploadVideo vs a multipart libcurl upload to the
//           emulator: throughput and the server's peak RSS growth.
//   speech  streamed ElevenLabs speech: time to the first audio chunk at
//           the client vs time to the first body byte of the same request
//           sent directly (both on a fresh connection, as mediagen sends
//           every POST upstream).
//   replicas three replicas sharing one Redis: upstream reads per poll
//           interval for 10,000 watchers of 100 jobs spread over the
//           replicas (one poller per job cluster-wide), and delivery of a
//           webhook received by one replica to watchers on the others.
//
// Each scenario lives in its own file (bench/<name>_scenario.cc); what they
// share (output format, sizes, processes) is in bench/bench_util.h.
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_util.h"
#include "bench/replicas_scenario.h"
#include "bench/speech_scenario.h"
#include "bench/unary_scenario.h"
#include "bench/upload_scenario.h"
#include "bench/watch_scenario.h"

ABSL_FLAG(std::string, mode, "quick",
          "full (the issue's sizes), quick (same scenarios, shorter, < 3 "
          "min) or smoke (seconds; for the test that keeps this tool "
          "working)");
ABSL_FLAG(std::string, scenarios, "unary,watch,upload,speech,replicas",
          "comma-separated subset to run");
ABSL_FLAG(int, concurrency, 32,
          "closed-loop calls in flight for the saturation runs");
ABSL_FLAG(int, channels, 4, "gRPC channels (connections) for unary load");
ABSL_FLAG(std::string, server_wrapper, "",
          "a command to run mediagen_server under, space-separated (e.g. "
          "\"/usr/bin/heaptrack -o /tmp/ht\"); its figures are then the "
          "wrapper's");
ABSL_FLAG(std::string, server_flags, "",
          "extra mediagen_server flags, space-separated (e.g. "
          "\"--log_level=warning\" to see what logging costs)");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace mediagen::bench;  // NOLINT: main only
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode != "full" && mode != "quick" && mode != "smoke") {
    Die("--mode must be full, quick or smoke");
  }
  Settings settings;
  settings.sizes = SizesFor(mode);
  settings.concurrency = absl::GetFlag(FLAGS_concurrency);
  settings.channels = absl::GetFlag(FLAGS_channels);
  settings.server_wrapper = absl::StrSplit(absl::GetFlag(FLAGS_server_wrapper),
                                           ' ', absl::SkipEmpty());
  settings.server_flags =
      absl::StrSplit(absl::GetFlag(FLAGS_server_flags), ' ', absl::SkipEmpty());
  for (absl::string_view name :
       absl::StrSplit(absl::GetFlag(FLAGS_scenarios), ',', absl::SkipEmpty())) {
    const absl::Time start = absl::Now();
    Log("== %s (%s)", std::string(name), mode);
    if (name == "unary") {
      RunUnaryScenario(settings);
    } else if (name == "watch") {
      RunWatchScenario(settings);
    } else if (name == "upload") {
      RunUploadScenario(settings);
    } else if (name == "speech") {
      RunSpeechScenario(settings);
    } else if (name == "replicas") {
      RunReplicasScenario(settings);
    } else {
      Die(absl::StrCat("unknown scenario ", name));
    }
    Log("== %s took %.1f s", std::string(name),
        absl::ToDoubleSeconds(absl::Now() - start));
  }
  return 0;
}
