// quota_bench: CPU per call of the tenant quota checks (issue 17), in
// memory: what a read pays (one token of the request rate) and what a
// create pays (the token, a place among the jobs in flight and its cost
// against a budget, settling the cost and holding the place for the job,
// and the read that sees the job end), with 8 tenants so the maps are not
// trivially small. Then the same through Redis (RedisQuotaStore against a
// local redis-server, one connection as in a replica): the latency a
// create waits for its reservation, what its answer waits for its job's
// place to be recorded, its whole cycle of Redis work, and
// that a read's rate check sends nothing to Redis.
//
//   quota_bench [--benchmark_min_time=0.5] [--redis_creates=5000]
//
// Besides Google Benchmark's table, prints one `bench: NAME VALUE ns` line
// per benchmark (CPU time per iteration) and `bench:`/`target:` lines for
// the Redis figures, for bench/run_all.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bench/bench_util.h"
#include "bench/histogram.h"
#include "benchmark/benchmark.h"
#include "service/common/clock.h"
#include "service/common/scheduler.h"
#include "service/quota/in_memory_store.h"
#include "service/quota/redis_store.h"
#include "service/redis/client.h"
#include "service/redis/url.h"
#include "tests/testing_util/redis_server.h"

namespace mediagen::bench {
namespace {

quota::Limits BenchLimits() {
  quota::Limits limits;
  // High enough never to refuse: the accepted path is what every call pays.
  limits.requests_per_second = 1e8;
  limits.burst = 100000000;
  limits.concurrent_jobs = 1000000;
  limits.budgets.push_back({"vimmerse", "credits", 1e15, quota::Period::kDay});
  return limits;
}

std::vector<std::string> Tenants() {
  std::vector<std::string> out;
  for (int i = 0; i < 8; ++i) out.push_back(absl::StrCat("tenant-", i));
  return out;
}

void BM_QuotaRead(benchmark::State& state) {
  quota::InMemoryQuotaStore store(&SystemClock());
  const quota::Limits limits = BenchLimits();
  const std::vector<std::string> tenants = Tenants();
  size_t i = 0;
  for (auto _ : state) {
    absl::Status s = store.AdmitCall(tenants[i++ % tenants.size()], limits);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_QuotaRead);

void BM_QuotaCreate(benchmark::State& state) {
  quota::InMemoryQuotaStore store(&SystemClock());
  const quota::Limits limits = BenchLimits();
  const std::vector<std::string> tenants = Tenants();
  size_t i = 0;
  for (auto _ : state) {
    const std::string& tenant = tenants[i % tenants.size()];
    const std::string name = absl::StrCat("media/", i++);
    absl::Status admitted = store.AdmitCall(tenant, limits);
    benchmark::DoNotOptimize(admitted);
    auto reserved = store.ReserveNow(
        {tenant, limits, true, quota::Cost{"vimmerse", "credits", 20}});
    (*reserved)->Settle(18);
    (*reserved)->Hold(name);
    reserved->reset();
    store.JobEnded(tenant, name);
  }
}
BENCHMARK(BM_QuotaCreate);

// ---- through Redis ----------------------------------------------------------

absl::StatusOr<redis::Reply> CommandAndWait(redis::Client& client,
                                            std::vector<std::string> argv) {
  absl::Notification done;
  absl::StatusOr<redis::Reply> out;
  client.Command(std::move(argv), [&](absl::StatusOr<redis::Reply> r) {
    out = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return out;
}

// Commands Redis has processed so far (INFO stats), -1 when unknown.
int64_t CommandsProcessed(redis::Client& client) {
  absl::StatusOr<redis::Reply> info = CommandAndWait(client, {"INFO", "stats"});
  if (!info.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(info->str(), "\r\n")) {
    if (absl::ConsumePrefix(&line, "total_commands_processed:")) {
      int64_t n = 0;
      if (absl::SimpleAtoi(line, &n)) return n;
    }
  }
  return -1;
}

void RedisScenario(int creates) {
  auto server = testing::RedisServer::Start();
  if (!server.ok()) {
    Log("quota_bench: no redis-server, Redis figures skipped: %s",
        server.status().ToString());
    return;
  }
  redis::Client::Options client_options;
  client_options.endpoint = *redis::ParseRedisUrl((*server)->url());
  redis::Client client(client_options);
  if (!client.Start().ok() || !client.WaitUntilUp(absl::Seconds(10))) {
    Log("quota_bench: Redis not up, Redis figures skipped");
    return;
  }
  ThreadScheduler scheduler;
  Histogram reserve, hold, cycle;
  double read_ns = 0;
  int64_t read_commands = -1;
  constexpr int kReads = 1000000;
  {
    quota::RedisQuotaStore store(quota::RedisQuotaStore::Options{}, &client,
                                 &scheduler, &SystemClock());
    const quota::Limits limits = BenchLimits();
    const std::vector<std::string> tenants = Tenants();
    for (int i = -200; i < creates; ++i) {  // the first 200 warm up
      const std::string& tenant = tenants[(i + 200) % tenants.size()];
      const std::string name = absl::StrCat("media/", i);
      const absl::Time start = absl::Now();
      absl::Status admitted = store.AdmitCall(tenant, limits);
      benchmark::DoNotOptimize(admitted);
      absl::Notification reserved;
      std::unique_ptr<quota::Reservation> r;
      store.Reserve(
          {tenant, limits, true, quota::Cost{"vimmerse", "credits", 20}},
          [&](absl::StatusOr<std::unique_ptr<quota::Reservation>> got) {
            if (got.ok()) r = *std::move(got);
            reserved.Notify();
          });
      reserved.WaitForNotification();
      const absl::Time upstream = absl::Now();  // the create may leave now
      if (r == nullptr) {
        Log("quota_bench: a reservation was refused; Redis figures skipped");
        return;
      }
      // What the create does once upstream answered: it answers its caller
      // once the job's place is recorded (Hold's callback). Then the read
      // that later sees the job end; a usage read, ordered after it on the
      // one connection, tells when Redis has done it all.
      r->Settle(18);
      const absl::Time answered = absl::Now();
      absl::Notification held;
      r->Hold(name, [&] { held.Notify(); });
      held.WaitForNotification();
      const absl::Duration hold_wait = absl::Now() - answered;
      r.reset();
      store.JobEnded(tenant, name);
      absl::Notification read;
      store.GetUsage(tenant, limits,
                     [&](absl::StatusOr<quota::Usage>) { read.Notify(); });
      read.WaitForNotification();
      if (i < 0) continue;
      reserve.Record(upstream - start);
      hold.Record(hold_wait);
      cycle.Record(absl::Now() - start);
    }
    const int64_t before = CommandsProcessed(client);
    const absl::Time start = absl::Now();
    for (int i = 0; i < kReads; ++i) {
      absl::Status s = store.AdmitCall(tenants[i % tenants.size()], limits);
      benchmark::DoNotOptimize(s);
    }
    read_ns = absl::ToDoubleNanoseconds(absl::Now() - start) / kReads;
    const int64_t after = CommandsProcessed(client);
    // Minus the INFO that measured `before`; what is left is heartbeats.
    if (before >= 0 && after >= 0) read_commands = after - before - 1;
  }
  client.Stop();
  scheduler.Stop();
  const auto us = [](absl::Duration d) {
    return absl::ToDoubleMicroseconds(d);
  };
  Log("quota_bench: through Redis, %d creates: reserve p50 %.1f us p99 %.1f "
      "us; answer waits for its job's place p50 %.1f us p99 %.1f us; whole "
      "cycle p50 %.1f us p99 %.1f us; %d reads %.1f ns each, %d Redis "
      "commands meanwhile",
      creates, us(reserve.Percentile(50)), us(reserve.Percentile(99)),
      us(hold.Percentile(50)), us(hold.Percentile(99)),
      us(cycle.Percentile(50)), us(cycle.Percentile(99)), kReads, read_ns,
      static_cast<int>(read_commands));
  Figure("quota_create_redis_reserve_p50_us", us(reserve.Percentile(50)), "us");
  Figure("quota_create_redis_reserve_p99_us", us(reserve.Percentile(99)), "us");
  Figure("quota_create_redis_hold_p50_us", us(hold.Percentile(50)), "us");
  Figure("quota_create_redis_cycle_p50_us", us(cycle.Percentile(50)), "us");
  Figure("quota_read_redis_wall_ns", read_ns, "ns");
  Figure("quota_read_redis_commands_per_1m_reads",
         static_cast<double>(read_commands), "commands");
  Target("quota_create_redis_reserve_p50_us", us(reserve.Percentile(50)),
         "<=", 300, "us");
}

// Google Benchmark's table, plus a `bench:` line per run.
class Reporter : public benchmark::ConsoleReporter {
 public:
  Reporter() : ConsoleReporter(OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      std::string name = run.benchmark_name();
      const char* key =
          name == "BM_QuotaRead" ? "quota_read_cpu_ns" : "quota_create_cpu_ns";
      std::fprintf(stdout, "bench: %s %.0f ns\n", key,
                   run.GetAdjustedCPUTime());
    }
    std::fflush(stdout);
  }
};

}  // namespace
}  // namespace mediagen::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  int creates = 5000;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--redis_creates=")) {
      if (!absl::SimpleAtoi(arg, &creates) || creates < 1) {
        std::fprintf(stderr, "quota_bench: bad --redis_creates\n");
        return 1;
      }
    } else {
      rest.push_back(argv[i]);
    }
  }
  int rest_argc = static_cast<int>(rest.size());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 1;
  mediagen::bench::Reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  mediagen::bench::RedisScenario(creates);
  return 0;
}
