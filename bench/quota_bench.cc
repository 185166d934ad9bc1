// quota_bench: CPU per call of the tenant quota checks (issue 17), in
// memory: what a read pays (one token of the request rate) and what a
// create pays (the token, a place among the jobs in flight and its cost
// against a budget, settling the cost and holding the place for the job,
// and the read that sees the job end), with 8 tenants so the maps are not
// trivially small.
//
//   quota_bench [--benchmark_min_time=0.5]
//
// Besides Google Benchmark's table, prints one `bench: NAME VALUE ns` line
// per benchmark (CPU time per iteration) for bench/run_all.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "service/common/clock.h"
#include "service/quota/in_memory_store.h"

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
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  mediagen::bench::Reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
