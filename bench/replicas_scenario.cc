#include "bench/replicas_scenario.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/histogram.h"
#include "bench/load_driver.h"
#include "bench/watch_stream.h"
#include "grpcpp/grpcpp.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/testing_util/redis_server.h"

namespace mediagen::bench {

using json = nlohmann::json;
using testing::EmulatorProcess;
using testing::RedisServer;
using testing::ServerConfig;
using testing::ServerProcess;

void RunReplicasScenario(const Settings& settings) {
  const Sizes& sizes = settings.sizes;
  constexpr int kReplicas = 3;
  auto redis = Must(RedisServer::Start(), "redis-server");
  auto emu = Must(EmulatorProcess::Start(EmulatorFlags({})), "emulator");
  const std::string interval =
      absl::StrCat(absl::ToInt64Milliseconds(sizes.poll_interval), "ms");
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  for (int i = 0; i < kReplicas; ++i) {
    ServerConfig config = BenchServer(settings, emu->port());
    config.flags.push_back("--redis_url=" + redis->url());
    config.flags.push_back("--poll_min_interval=" + interval);
    config.flags.push_back("--poll_max_interval=" + interval);
    if (i == 0) {
      // Jobs are created through replica 0, so upstream's webhooks reach
      // it alone; the others learn of changes through Redis.
      config.webhooks = true;
      config.env["BENCH_HOOK_SECRET"] = "bench-webhook-secret";
      config.flags.push_back("--webhook_secret=env:BENCH_HOOK_SECRET");
    }
    replicas.push_back(Must(ServerProcess::Start(config), "server replica"));
  }
  emu->Post("/_emulator/clock", {{"paused", true}});  // jobs move on request

  auto media = v1::MediaService::NewStub(replicas[0]->channel());
  std::vector<std::string> names, ids;
  for (int j = 0; j < sizes.replicas_jobs; ++j) {
    v1::CreateMediaRequest req;
    req.set_prompt(absl::StrCat("clip watched from every replica ", j));
    v1::CreateMediaResponse resp;
    grpc::Status s =
        media->CreateMedia(Ctx(absl::Seconds(10)).get(), req, &resp);
    if (!s.ok()) Die("create failed: " + s.error_message());
    names.push_back(resp.media().name());
    ids.push_back(resp.media().id());
  }

  // Several connections per replica, none above max_concurrent_streams.
  const int per_replica =
      std::max(2, sizes.replicas_streams / kReplicas / 1000 + 1);
  std::vector<std::vector<std::unique_ptr<v1::JobService::Stub>>> stubs(
      kReplicas);
  for (int r = 0; r < kReplicas; ++r) {
    for (int c = 0; c < per_replica; ++c) {
      stubs[r].push_back(v1::JobService::NewStub(replicas[r]->NewChannel()));
    }
  }
  // Watcher i watches job i % jobs on replica i % 3: every job has
  // watchers on every replica (with 3 not dividing the job count).
  WatchStats stats;
  std::vector<std::unique_ptr<WatchStream>> watches;
  const absl::Duration open_start = MonotonicNow();
  for (int i = 0; i < sizes.replicas_streams; ++i) {
    const int r = i % kReplicas;
    watches.push_back(std::make_unique<WatchStream>(
        stubs[r][(i / kReplicas) % per_replica].get(), names[i % names.size()],
        &stats));
  }
  if (!WaitFor(stats.snapshots, sizes.replicas_streams, absl::Seconds(120))) {
    Die(absl::StrCat("only ", stats.snapshots.load(), " of ",
                     sizes.replicas_streams, " watches got their snapshot"));
  }
  Log("replicas: %d streams over %d replicas open in %.1f s",
      sizes.replicas_streams, kReplicas,
      absl::ToDoubleSeconds(MonotonicNow() - open_start));
  absl::SleepFor(sizes.poll_interval);  // pollers settle on their owners

  // Upstream reads over whole intervals with every stream open.
  const long reads_before = MediaReads(*emu);
  absl::SleepFor(sizes.poll_window);
  const long reads = MediaReads(*emu) - reads_before;
  const double intervals = sizes.poll_window / sizes.poll_interval;
  const double per_interval = reads / intervals;

  // Delivery: each job moves one step; upstream's webhook reaches replica
  // 0, and the watchers on replicas 1 and 2 see it through Redis.
  std::vector<absl::Duration> moved_at(sizes.replicas_jobs);
  for (int j = 0; j < sizes.replicas_jobs; ++j) {
    moved_at[j] = MonotonicNow();
    emu->Post(absl::StrCat("/_emulator/jobs/", ids[j], "/advance"),
              json::object());
    absl::SleepFor(absl::Milliseconds(20));
  }
  const bool all_changed =
      WaitFor(stats.changes, sizes.replicas_streams, absl::Seconds(30));
  Histogram local, remote;
  for (size_t i = 0; i < watches.size(); ++i) {
    if (!watches[i]->changed()) continue;
    const absl::Duration d =
        watches[i]->changed_at() - moved_at[i % names.size()];
    (i % kReplicas == 0 ? local : remote).Record(d);
  }
  Log("replicas: %.1f upstream reads per interval for %d jobs; %d of %d "
      "watchers saw the change; delivery on the webhook's replica p50 %.1f "
      "ms p99 %.1f ms, on the others p50 %.1f ms p99 %.1f ms",
      per_interval, sizes.replicas_jobs, stats.changes.load(),
      sizes.replicas_streams, Ms(local.Percentile(50)),
      Ms(local.Percentile(99)), Ms(remote.Percentile(50)),
      Ms(remote.Percentile(99)));

  for (auto& w : watches) w->Cancel();
  if (!WaitFor(stats.done, sizes.replicas_streams, absl::Seconds(60))) {
    Die("watch streams did not end after cancel");
  }

  // A create with a request_id: claimed in Redis (and marked sent before
  // it leaves) on replica 0, against the same create on a replica with the
  // in-memory store, one at a time, alternating so neither runs warmer.
  auto memory = Must(ServerProcess::Start(BenchServer(settings, emu->port())),
                     "in-memory server");
  auto via_redis = v1::MediaService::NewStub(replicas[0]->channel());
  auto in_memory = v1::MediaService::NewStub(memory->channel());
  Histogram redis_create, memory_create;
  const int creates = std::max(20, sizes.replicas_jobs * 2);
  for (int i = 0; i < creates; ++i) {
    for (bool redis_side : {true, false}) {
      v1::CreateMediaRequest req;
      req.set_prompt("a clip created once");
      req.set_request_id(absl::StrCat("bench-", redis_side ? "r" : "m", "-", i,
                                      "-", absl::ToUnixNanos(absl::Now())));
      v1::CreateMediaResponse resp;
      const absl::Duration start = MonotonicNow();
      grpc::Status s =
          (redis_side ? via_redis : in_memory)
              ->CreateMedia(Ctx(absl::Seconds(10)).get(), req, &resp);
      if (!s.ok()) Die("create with request_id failed: " + s.error_message());
      (redis_side ? redis_create : memory_create)
          .Record(MonotonicNow() - start);
    }
  }
  const double redis_p50 = Us(redis_create.Percentile(50));
  const double memory_p50 = Us(memory_create.Percentile(50));
  Log("replicas: %d creates with a request_id each way: p50 %.0f us through "
      "Redis, %.0f us in memory",
      creates, redis_p50, memory_p50);

  Figure("replicas_count", kReplicas, "replicas");
  Figure("replicas_streams", sizes.replicas_streams, "streams");
  Figure("replicas_jobs", sizes.replicas_jobs, "jobs");
  Figure("replicas_polls_per_interval", per_interval, "polls");
  Target("replicas_polls_per_interval",
         std::abs(per_interval - sizes.replicas_jobs),
         "<=", 0.02 * sizes.replicas_jobs, "polls off the job count");
  Figure("replicas_delivered", stats.changes.load(), "watchers");
  Figure("replicas_delivery_webhook_replica_p99_ms", Ms(local.Percentile(99)),
         "ms");
  Figure("replicas_delivery_other_replicas_p50_ms", Ms(remote.Percentile(50)),
         "ms");
  Figure("replicas_delivery_other_replicas_p99_ms", Ms(remote.Percentile(99)),
         "ms");
  Target("replicas_delivery_other_replicas_p99_ms",
         all_changed ? Ms(remote.Percentile(99)) : 1e9, "<=", 50, "ms");
  Figure("replicas_create_request_id_redis_p50_us", redis_p50, "us");
  Figure("replicas_create_request_id_memory_p50_us", memory_p50, "us");
  Figure("replicas_create_request_id_added_p50_us", redis_p50 - memory_p50,
         "us");
  Target("replicas_create_request_id_added_p50_us", redis_p50 - memory_p50,
         "<=", 300, "us");
}

}  // namespace mediagen::bench
