#include "bench/watch_scenario.h"

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
#include "bench/watch_stream.h"
#include "grpcpp/grpcpp.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace mediagen::bench {
namespace {

using json = nlohmann::json;
using testing::EmulatorProcess;
using testing::ServerConfig;
using testing::ServerProcess;

}  // namespace

void RunWatchScenario(const Settings& settings) {
  const Sizes& sizes = settings.sizes;
  auto emu = Must(EmulatorProcess::Start(EmulatorFlags({})), "emulator");
  ServerConfig config = BenchServer(settings, emu->port());
  config.webhooks = true;
  config.env["BENCH_HOOK_SECRET"] = "bench-webhook-secret";
  const std::string interval =
      absl::StrCat(absl::ToInt64Milliseconds(sizes.poll_interval), "ms");
  config.flags.push_back("--webhook_secret=env:BENCH_HOOK_SECRET");
  config.flags.push_back("--poll_min_interval=" + interval);
  config.flags.push_back("--poll_max_interval=" + interval);
  auto server = Must(ServerProcess::Start(config), "server");
  testing::Process& proc = server->process();
  emu->Post("/_emulator/clock", {{"paused", true}});  // jobs move on request

  // Enough connections that no one carries more than the server's
  // max_concurrent_streams (2000).
  const int channels = std::max(4, sizes.streams / 1000);
  std::vector<std::unique_ptr<v1::JobService::Stub>> stubs;
  for (int i = 0; i < channels; ++i) {
    stubs.push_back(v1::JobService::NewStub(server->NewChannel()));
  }
  auto media = v1::MediaService::NewStub(server->channel());
  std::vector<std::string> names, ids;
  for (int j = 0; j < sizes.jobs; ++j) {
    v1::CreateMediaRequest req;
    req.set_prompt(absl::StrCat("watched clip ", j));
    v1::CreateMediaResponse resp;
    grpc::Status s =
        media->CreateMedia(Ctx(absl::Seconds(10)).get(), req, &resp);
    if (!s.ok()) Die("create failed: " + s.error_message());
    names.push_back(resp.media().name());
    ids.push_back(resp.media().id());
  }
  absl::SleepFor(absl::Milliseconds(500));
  const Threads threads_none = CountThreads(proc);

  WatchStats stats;
  std::vector<std::unique_ptr<WatchStream>> watches;
  watches.reserve(sizes.streams);
  auto open_until = [&](int n) {
    for (int i = watches.size(); i < n; ++i) {
      watches.push_back(std::make_unique<WatchStream>(
          stubs[i % stubs.size()].get(), names[i % names.size()], &stats));
    }
    if (!WaitFor(stats.snapshots, n, absl::Seconds(60))) {
      Die(absl::StrCat("only ", stats.snapshots.load(), " of ", n,
                       " watches got their snapshot"));
    }
    absl::SleepFor(absl::Milliseconds(500));  // let allocations settle
  };

  open_until(sizes.jobs);  // one per job: every poller exists
  const long rss_one_per_job = proc.RssKiB();
  const Threads threads_one_per_job = CountThreads(proc);
  const absl::Duration open_start = MonotonicNow();
  open_until(sizes.streams);
  const absl::Duration open_time = MonotonicNow() - open_start;
  const long rss_all = proc.RssKiB();
  const Threads threads_all = CountThreads(proc);
  Log("watch: %d streams open in %.1f s; rss %ld -> %ld KiB; threads own "
      "%d -> %d, gRPC pool %d -> %d (none open: %d + %d)",
      sizes.streams, absl::ToDoubleSeconds(open_time), rss_one_per_job, rss_all,
      threads_one_per_job.own, threads_all.own, threads_one_per_job.grpc_pool,
      threads_all.grpc_pool, threads_none.own, threads_none.grpc_pool);

  // Polls: counted over whole intervals with every stream open.
  emu->Delete("/_emulator/requests");
  const long reads_before = MediaReads(*emu);
  absl::SleepFor(sizes.poll_window);
  const long reads = MediaReads(*emu) - reads_before;
  std::map<std::string, int> per_job;
  for (const json& r : emu->Requests("GET", "/v2/media/")) {
    ++per_job[r.value("path", "")];
  }
  int job_min = INT32_MAX, job_max = 0;
  for (const std::string& id : ids) {
    const int n = per_job[absl::StrCat("/v2/media/", id)];
    job_min = std::min(job_min, n);
    job_max = std::max(job_max, n);
  }
  const double intervals = sizes.poll_window / sizes.poll_interval;

  // Delivery: each job moves one step (upstream then calls mediagen's
  // webhook); every watcher of it should see the new version.
  std::vector<absl::Duration> moved_at(sizes.jobs);
  for (int j = 0; j < sizes.jobs; ++j) {
    moved_at[j] = MonotonicNow();
    emu->Post(absl::StrCat("/_emulator/jobs/", ids[j], "/advance"),
              json::object());
    absl::SleepFor(absl::Milliseconds(20));
  }
  const bool all_changed =
      WaitFor(stats.changes, sizes.streams, absl::Seconds(30));
  Histogram delivery;
  for (size_t i = 0; i < watches.size(); ++i) {
    if (watches[i]->changed()) {
      delivery.Record(watches[i]->changed_at() - moved_at[i % names.size()]);
    }
  }
  Log("watch: %d of %d watchers saw the change; delivery p50 %.1f ms p99 "
      "%.1f ms max %.1f ms",
      stats.changes.load(), sizes.streams, Ms(delivery.Percentile(50)),
      Ms(delivery.Percentile(99)), Ms(delivery.Max()));

  for (auto& w : watches) w->Cancel();
  if (!WaitFor(stats.done, sizes.streams, absl::Seconds(60))) {
    Die("watch streams did not end after cancel");
  }
  absl::SleepFor(absl::Milliseconds(500));
  Log("watch: after cancel threads %d, rss %ld KiB, %d ended not OK",
      proc.ThreadCount(), proc.RssKiB(), stats.not_ok.load());

  Figure("watch_streams", sizes.streams, "streams");
  Figure("watch_jobs", sizes.jobs, "jobs");
  Figure("watch_poll_interval_ms", Ms(sizes.poll_interval), "ms");
  const double per_interval = reads / intervals;
  Figure("watch_polls_per_interval", per_interval, "polls");
  Target("watch_polls_per_interval", std::abs(per_interval - sizes.jobs),
         "<=", 0.02 * sizes.jobs, "polls off the job count");
  Figure("watch_polls_per_job_min", job_min, "polls");
  Figure("watch_polls_per_job_max", job_max, "polls");
  // One poller per job: no job is read more than once an interval (a
  // window of N intervals may catch N+1 reads of a job at its edges).
  Target("watch_polls_per_job_max", job_max, "<=", intervals + 1, "polls");
  const double per_stream =
      (rss_all - rss_one_per_job) * 1024.0 / (sizes.streams - sizes.jobs);
  Figure("watch_server_bytes_per_stream", per_stream, "bytes");
  Target("watch_server_bytes_per_stream", per_stream, "<=", 16384, "bytes");
  Figure("watch_server_threads_no_streams",
         threads_none.own + threads_none.grpc_pool, "threads");
  Figure("watch_server_threads_one_per_job",
         threads_one_per_job.own + threads_one_per_job.grpc_pool, "threads");
  Figure("watch_server_threads_all_streams",
         threads_all.own + threads_all.grpc_pool, "threads");
  Figure("watch_server_own_threads_all_streams", threads_all.own, "threads");
  Figure("watch_server_grpc_pool_threads_all_streams", threads_all.grpc_pool,
         "threads");
  // Independent of the stream count: 100 times the streams add none of
  // mediagen's threads, and gRPC's pool stays within its bound (two per
  // core over what it started with).
  Target("watch_server_added_own_threads",
         threads_all.own - threads_one_per_job.own, "<=", 0, "threads");
  const int pool_bound = threads_none.grpc_pool +
                         2 * static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  Target("watch_server_grpc_pool_threads", threads_all.grpc_pool,
         "<=", pool_bound, "threads");
  Figure("watch_delivered", stats.changes.load(), "watchers");
  Figure("watch_delivery_p50_ms", Ms(delivery.Percentile(50)), "ms");
  Figure("watch_delivery_p99_ms", Ms(delivery.Percentile(99)), "ms");
  Figure("watch_delivery_max_ms", Ms(delivery.Max()), "ms");
  Target("watch_delivery_p99_ms",
         all_changed ? Ms(delivery.Percentile(99)) : 1e9, "<=", 50, "ms");
}

}  // namespace mediagen::bench
