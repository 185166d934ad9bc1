// Calls to methods mediagen does not serve (issue 16, finding 1): 15,000
// unauthenticated calls to distinct, long, unknown method names under
// `/mediagen.v1.MediaService/` took RSS from 27 MB to 168 MB, grew /metrics
// to 82 MB, wrote the caller's text into error lines, and filled the metric
// families' 1,000-series cap so a real method called afterwards had no
// series. Metrics, logs and per-method state key only on the methods the
// server registers at start; anything else is one `unknown` label, logged
// briefly and rate-limited.
//
// kCalls is 15,000 here; MEDIAGEN_UNKNOWN_METHOD_CALLS=60000 runs the
// issue's long case (documented in README "Hardening").
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/prometheus.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

// Distinctive, so any copy of a caller's method name is easy to find.
constexpr char kMarker[] = "zqxUnknownMethodMarker";

int Calls() {
  const char* n = std::getenv("MEDIAGEN_UNKNOWN_METHOD_CALLS");
  return n != nullptr ? std::atoi(n) : 15000;
}

// One unary call of `method` with an empty message: its status code.
grpc::StatusCode CallUnknown(grpc::GenericStub& stub,
                             const std::string& method) {
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::ByteBuffer request;
  grpc::Slice empty("");
  request = grpc::ByteBuffer(&empty, 1);
  auto call = stub.PrepareUnaryCall(&ctx, method, request, &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status.error_code();
}

// The /metrics lines that are series (not comments).
std::vector<std::string> SeriesLines(int admin_port) {
  auto m = ScrapeMetrics(admin_port);
  EXPECT_THAT(m, IsOk());
  std::vector<std::string> out;
  if (!m.ok()) return out;
  for (const auto& [series, value] : *m) out.push_back(series);
  return out;
}

TEST(UnknownMethodsTest, ManyDistinctUnknownMethodsGrowNothing) {
  auto emu = EmulatorProcess::Start({"--time_scale=0.01"});
  ASSERT_THAT(emu, IsOk());
  ServerConfig config;
  config.emulator_port = (*emu)->port();
#if defined(__SANITIZE_ADDRESS__)
  // Under ASan the server keeps freed memory in a quarantine (256 MiB by
  // default) to catch use after free: 15,000 calls' worth of freed buffers
  // would show as RSS growth that is the tool's, not the server's. A small
  // quarantine keeps the measurement about the server; detection stays on.
  const char* inherited = std::getenv("ASAN_OPTIONS");
  config.env["ASAN_OPTIONS"] =
      absl::StrCat(inherited != nullptr ? inherited : "",
                   inherited != nullptr && *inherited != 0 ? ":" : "",
                   "quarantine_size_mb=4:thread_local_quarantine_size_kb=64");
#endif
  auto server = ServerProcess::Start(config);
  ASSERT_THAT(server, IsOk());
  ServerProcess& s = **server;
  const std::string padding(2000, 'x');
  auto method = [&](int i) {
    return absl::StrCat("/mediagen.v1.MediaService/", kMarker, i, padding);
  };

  // `count` calls to distinct unknown methods from `first` on, over four
  // connections at once: how many were UNIMPLEMENTED.
  auto run = [&](int first, int count) {
    std::atomic<int> next{first};
    std::atomic<int> unimplemented{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        grpc::GenericStub own(s.NewChannel());
        for (int i = next++; i < first + count; i = next++) {
          if (CallUnknown(own, method(i)) == grpc::StatusCode::UNIMPLEMENTED) {
            ++unimplemented;
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    return unimplemented.load();
  };

  // Warm up (gRPC's and the allocator's per-thread state, the one
  // `unknown` series).
  const long rss_start = s.process().RssKiB();
  ASSERT_EQ(run(-2000, 2000), 2000);
  const std::vector<std::string> before = SeriesLines(s.admin_port());
  const long rss_before = s.process().RssKiB();

  const int calls = Calls();
  const absl::Time start = absl::Now();
  EXPECT_EQ(run(0, calls), calls);
  const absl::Duration took = absl::Now() - start;
  // Let gRPC release what the closed calls held.
  absl::SleepFor(absl::Milliseconds(500));
  const long rss_after = s.process().RssKiB();
  const std::vector<std::string> after = SeriesLines(s.admin_port());
  std::cout << calls << " unknown methods (" << method(0).size()
            << "-byte names) in " << took << ": RSS " << rss_start / 1024
            << " MB at start, " << rss_before / 1024
            << " MB after 2,000 to warm up, " << rss_after / 1024
            << " MB after these; metric series " << before.size() << " -> "
            << after.size() << "\n";

  // Nothing keyed on the caller's name: no new series at all (the
  // `unknown` one exists since the warm-up), never the caller's text.
  EXPECT_EQ(after.size(), before.size());
  int named = 0;
  for (const std::string& series : after) {
    if (absl::StrContains(series, kMarker)) ++named;
  }
  EXPECT_EQ(named, 0) << "series named after the caller's methods";
  // Memory stays flat: gRPC's own caches may move a little, not by the
  // tens of MB 15,000 such calls cost before.
  EXPECT_LT(rss_after - rss_before, 16 * 1024)
      << "RSS grew by " << (rss_after - rss_before) / 1024 << " MB";

  // A real method called afterwards still gets its own series.
  auto jobs = v1::JobService::NewStub(s.channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::seconds(10));
  v1::GetJobRequest req;
  req.set_name("not-a-name");
  v1::GetJobResponse resp;
  EXPECT_EQ(jobs->GetJob(&ctx, req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bool own_series = false;
  for (const std::string& series : SeriesLines(s.admin_port())) {
    own_series |= absl::StrContains(
        series,
        "method=\"mediagen.v1.JobService/GetJob\",code=\"INVALID_ARGUMENT\"");
  }
  EXPECT_TRUE(own_series) << "GetJob got no series of its own";

  // Logs: never the caller's text, and a bounded number of lines however
  // many calls came.
  const std::string log = s.process().stderr_text();
  EXPECT_FALSE(absl::StrContains(log, kMarker));
  int unknown_lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "\"method\":\"unknown\"")) ++unknown_lines;
  }
  std::cout << "log: " << log.size() << " bytes, " << unknown_lines
            << " lines for unknown methods\n";
  EXPECT_LE(unknown_lines,
            2 + static_cast<int>(absl::ToInt64Seconds(took)) + 2);
  EXPECT_LT(log.size(), 64u << 10);
}

}  // namespace
}  // namespace mediagen::testing
