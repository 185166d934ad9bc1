// gateway_bench at toy sizes (--mode=smoke): every scenario runs against
// the real server and emulator, exits 0, and prints each figure and target
// with a number. Figures are not judged here (that is RESULTS.md's job);
// what is checked is that the tool measures what it says.
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace mediagen::bench {
namespace {

struct Output {
  int exit_code = -1;
  std::map<std::string, double> figures;
  std::map<std::string, std::string> targets;  // name -> met / MISSED
  std::vector<std::string> malformed;
};

Output RunBench() {
  Output out;
  FILE* p = popen("bench/gateway_bench --mode=smoke 2>&1", "r");
  if (p == nullptr) return out;
  char buf[4096];
  while (fgets(buf, sizeof buf, p) != nullptr) {
    std::string line(buf);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    std::fprintf(stderr, "%s\n", line.c_str());  // shown on failure
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    if (f[0] == "bench:") {
      double v;
      if (f.size() != 4 || !absl::SimpleAtod(f[2], &v)) {
        out.malformed.push_back(line);
      } else {
        out.figures[f[1]] = v;
      }
    } else if (f[0] == "target:") {
      // target: NAME OP LIMIT UNIT... met|MISSED
      if (f.size() < 6 || (f.back() != "met" && f.back() != "MISSED")) {
        out.malformed.push_back(line);
      } else {
        out.targets[f[1]] = f.back();
      }
    }
  }
  const int status = pclose(p);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(GatewayBenchTest, EveryScenarioPrintsItsFiguresAndTargets) {
  const Output out = RunBench();
  ASSERT_EQ(out.exit_code, 0);
  EXPECT_TRUE(out.malformed.empty()) << out.malformed.front();

  for (const std::string kind : {"get", "create"}) {
    const std::string p = "unary_" + kind + "_";
    for (const char* name : {"direct_p50_us", "gateway_p50_us", "direct_rps",
                             "gateway_rps", "gateway_cpu_us_per_call",
                             "direct_p99_half_us", "gateway_p99_half_us"}) {
      ASSERT_TRUE(out.figures.count(p + name)) << p + name;
      EXPECT_GT(out.figures.at(p + name), 0) << p + name;
    }
    // Derived figures are what they are derived from. Each figure is printed
    // with six significant digits, so the slack scales with the operands: a
    // 13008.9 - 1009.66 printed as 11999.2 is right, not off by 0.04.
    const double gateway = out.figures.at(p + "gateway_p50_us");
    const double direct = out.figures.at(p + "direct_p50_us");
    const double added = out.figures.at(p + "added_p50_us");
    EXPECT_NEAR(
        added, gateway - direct,
        1e-5 * (std::abs(gateway) + std::abs(direct) + std::abs(added)));
    EXPECT_NEAR(
        out.figures.at(p + "throughput_ratio"),
        out.figures.at(p + "gateway_rps") / out.figures.at(p + "direct_rps"),
        1e-3);
    EXPECT_NEAR(out.figures.at(p + "half_rate"),
                out.figures.at(p + "gateway_rps") / 2, 1);
    for (const char* t :
         {"added_p50_us", "throughput_ratio", "added_p99_half_us"}) {
      EXPECT_TRUE(out.targets.count(p + t)) << p + t;
    }
  }

  // Replicas at smoke size: 60 streams over 6 jobs on 3 replicas, every
  // watcher saw its job move, and the pollers read upstream at all.
  EXPECT_EQ(out.figures.at("replicas_count"), 3);
  EXPECT_EQ(out.figures.at("replicas_streams"), 60);
  EXPECT_EQ(out.figures.at("replicas_delivered"), 60);
  EXPECT_GT(out.figures.at("replicas_polls_per_interval"), 0);
  EXPECT_GE(out.figures.at("replicas_delivery_other_replicas_p99_ms"),
            out.figures.at("replicas_delivery_other_replicas_p50_ms"));
  EXPECT_TRUE(out.targets.count("replicas_polls_per_interval"));
  EXPECT_GT(out.figures.at("replicas_create_request_id_redis_p50_us"), 0);
  EXPECT_GT(out.figures.at("replicas_create_request_id_memory_p50_us"), 0);
  EXPECT_NEAR(
      out.figures.at("replicas_create_request_id_added_p50_us"),
      out.figures.at("replicas_create_request_id_redis_p50_us") -
          out.figures.at("replicas_create_request_id_memory_p50_us"),
      1e-5 * (out.figures.at("replicas_create_request_id_redis_p50_us") +
              out.figures.at("replicas_create_request_id_memory_p50_us")) +
          0.01);
  EXPECT_TRUE(out.targets.count("replicas_delivery_other_replicas_p99_ms"));

  // Smoke sizes: 50 streams over 5 jobs; each one saw the job move.
  EXPECT_EQ(out.figures.at("watch_streams"), 50);
  EXPECT_EQ(out.figures.at("watch_delivered"), 50);
  EXPECT_GT(out.figures.at("watch_polls_per_interval"), 0);
  EXPECT_GE(out.figures.at("watch_polls_per_job_min"), 1);
  EXPECT_GE(out.figures.at("watch_polls_per_job_max"),
            out.figures.at("watch_polls_per_job_min"));
  EXPECT_GT(out.figures.at("watch_server_own_threads_all_streams"), 0);
  EXPECT_EQ(out.figures.at("watch_server_threads_all_streams"),
            out.figures.at("watch_server_own_threads_all_streams") +
                out.figures.at("watch_server_grpc_pool_threads_all_streams"));
  EXPECT_GE(out.figures.at("watch_delivery_p99_ms"),
            out.figures.at("watch_delivery_p50_ms"));
  EXPECT_GE(out.figures.at("watch_delivery_max_ms"),
            out.figures.at("watch_delivery_p99_ms"));
  for (const char* t :
       {"watch_polls_per_interval", "watch_polls_per_job_max",
        "watch_server_bytes_per_stream", "watch_server_added_own_threads",
        "watch_server_grpc_pool_threads", "watch_delivery_p99_ms"}) {
    EXPECT_TRUE(out.targets.count(t)) << t;
  }

  EXPECT_EQ(out.figures.at("upload_mib"), 4);
  EXPECT_GT(out.figures.at("upload_gateway_mib_per_s"), 0);
  EXPECT_GT(out.figures.at("upload_direct_mib_per_s"), 0);
  EXPECT_TRUE(out.figures.count("upload_server_rss_growth_mib"));
  EXPECT_TRUE(out.targets.count("upload_throughput_ratio"));
  EXPECT_TRUE(out.targets.count("upload_server_rss_growth_mib"));

  // The emulator's first audio comes 6 ms after the request: both sides
  // measured at least that.
  EXPECT_GE(out.figures.at("speech_direct_ttfb_p50_ms"), 5);
  EXPECT_GE(out.figures.at("speech_gateway_ttfa_p50_ms"), 5);
  EXPECT_TRUE(out.targets.count("speech_added_p50_ms"));
}

}  // namespace
}  // namespace mediagen::bench
