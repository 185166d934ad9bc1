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
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/histogram.h"
#include "bench/load_driver.h"
#include "bench/rest_client.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "mediagen/v1/elevenlabs.grpc.pb.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "mediagen/v1/video.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/testing_util/harness.h"

ABSL_FLAG(std::string, mode, "quick",
          "full (the issue's sizes), quick (same scenarios, shorter, < 3 "
          "min) or smoke (seconds; for the test that keeps this tool "
          "working)");
ABSL_FLAG(std::string, scenarios, "unary,watch,upload,speech",
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

namespace mediagen::bench {
namespace {

using json = nlohmann::json;
using testing::EmulatorProcess;
using testing::ServerConfig;
using testing::ServerProcess;

// ---- output -----------------------------------------------------------------

void Figure(const std::string& name, double value, const std::string& unit) {
  std::printf("bench: %s %s %s\n", name.c_str(),
              absl::StrFormat("%.6g", value).c_str(), unit.c_str());
  std::fflush(stdout);
}

// A target line: `op` is "<=" or ">=".
void Target(const std::string& name, double value, const std::string& op,
            double limit, const std::string& unit) {
  const bool met = op == "<=" ? value <= limit : value >= limit;
  std::printf("target: %s %s %s %s %s\n", name.c_str(), op.c_str(),
              absl::StrFormat("%.6g", limit).c_str(), unit.c_str(),
              met ? "met" : "MISSED");
  std::fflush(stdout);
}

template <typename... Args>
void Log(const absl::FormatSpec<Args...>& format, const Args&... args) {
  std::fprintf(stderr, "%s\n", absl::StrFormat(format, args...).c_str());
}

double Us(absl::Duration d) { return absl::ToDoubleMicroseconds(d); }
double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// ---- sizes per mode ---------------------------------------------------------

struct Sizes {
  absl::Duration warmup, window;
  int jobs, streams;
  absl::Duration poll_interval, poll_window;
  uint64_t upload_bytes;
  int speech_runs;
};

Sizes SizesFor(const std::string& mode) {
  if (mode == "full") {
    return {absl::Seconds(1), absl::Seconds(5), 100, 10000, absl::Seconds(1),
            absl::Seconds(10), uint64_t{1} << 30, 100};
  }
  if (mode == "smoke") {
    return {absl::Milliseconds(100), absl::Milliseconds(300), 5, 50,
            absl::Milliseconds(500), absl::Seconds(2), uint64_t{4} << 20, 3};
  }
  return {absl::Milliseconds(500), absl::Seconds(2), 100, 10000,
          absl::Seconds(1), absl::Seconds(5), uint64_t{256} << 20, 30};
}

// ---- processes --------------------------------------------------------------

// Keys with balances no benchmark can spend.
constexpr char kVimmerseKey[] = "bench-vimmerse-key";
constexpr char kElevenKey[] = "bench-elevenlabs-key";

std::vector<std::string> EmulatorFlags(std::vector<std::string> extra) {
  std::vector<std::string> flags = {
      absl::StrCat("--vimmerse_key=", kVimmerseKey, ":1000000000000"),
      // Concurrency far above what the speech scenario uses.
      absl::StrCat("--elevenlabs_key=", kElevenKey, ":bench-el:1000"),
  };
  flags.insert(flags.end(), extra.begin(), extra.end());
  return flags;
}

ServerConfig BenchServer(int emulator_port) {
  ServerConfig config;
  config.wrapper = absl::StrSplit(absl::GetFlag(FLAGS_server_wrapper), ' ',
                                  absl::SkipEmpty());
  config.emulator_port = emulator_port;
  config.dev_vimmerse_key = kVimmerseKey;
  config.dev_elevenlabs_key = kElevenKey;
  for (absl::string_view f :
       absl::StrSplit(absl::GetFlag(FLAGS_server_flags), ' ',
                      absl::SkipEmpty())) {
    config.flags.emplace_back(f);
  }
  return config;
}

// User + system CPU time of a process.
absl::Duration CpuTime(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return absl::ZeroDuration();
  std::vector<std::string> f =
      absl::StrSplit(stat.substr(paren + 2), ' ', absl::SkipEmpty());
  // After ")": state is field 3 of the man page, utime 14, stime 15.
  if (f.size() < 13) return absl::ZeroDuration();
  const double ticks = std::stod(f[11]) + std::stod(f[12]);
  return absl::Seconds(ticks / sysconf(_SC_CLK_TCK));
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "gateway_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(absl::StrCat(what, ": ", v.status().ToString()));
  return *std::move(v);
}

std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return ctx;
}

// ---- unary ------------------------------------------------------------------

// An AsyncCall for one unary callback RPC: `start(ctx, response, done)`
// issues it; it succeeds when it ends with `want`.
template <typename Response, typename Start>
AsyncCall Unary(Start start, grpc::StatusCode want = grpc::StatusCode::OK) {
  return [start, want](Done done) {
    struct Call {
      grpc::ClientContext ctx;
      Response response;
      Done done;
    };
    auto* c = new Call;
    c->done = std::move(done);
    c->ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    start(&c->ctx, &c->response, [c, want](grpc::Status status) {
      Done d = std::move(c->done);
      delete c;
      std::move(d)(status.error_code() == want);
    });
  };
}

struct Pair {
  AsyncCall gateway;
  AsyncCall direct;
};

// A closed loop of `concurrency` calls over the mode's window.
LoadOptions Closed(const Sizes& sizes, int concurrency) {
  LoadOptions o;
  o.concurrency = concurrency;
  o.warmup = sizes.warmup;
  o.duration = sizes.window;
  return o;
}

// RunLoad, and the server's CPU time per successful call over the run.
LoadResult RunWithCpu(const AsyncCall& call, const LoadOptions& options,
                      pid_t server, double* cpu_us_per_call) {
  const absl::Duration before = CpuTime(server);
  LoadResult r = RunLoad(call, options);
  *cpu_us_per_call = r.ok > 0 ? Us(CpuTime(server) - before) / r.ok : 0;
  return r;
}

// One call kind through both paths: latency, saturation, half saturation.
void CompareUnary(const std::string& kind, const Pair& pair, pid_t server,
                  const Sizes& sizes) {
  const LoadOptions low = Closed(sizes, 1);
  const LoadOptions sat = Closed(sizes, absl::GetFlag(FLAGS_concurrency));

  // Direct first each time, so neither path always runs on a warmer system.
  const LoadResult direct_low = RunLoad(pair.direct, low);
  const LoadResult gateway_low = RunLoad(pair.gateway, low);
  const LoadResult direct_sat = RunLoad(pair.direct, sat);
  double gateway_cpu_us = 0;
  const LoadResult gateway_sat =
      RunWithCpu(pair.gateway, sat, server, &gateway_cpu_us);

  LoadOptions half = low;
  half.rate = gateway_sat.Throughput() / 2;
  const LoadResult direct_half = RunLoad(pair.direct, half);
  const LoadResult gateway_half = RunLoad(pair.gateway, half);

  for (const auto* r : {&direct_low, &gateway_low, &direct_sat, &gateway_sat,
                        &direct_half, &gateway_half}) {
    if (r->failed > 0 || r->ok == 0) {
      Log("unary %s: %d ok, %d failed", kind.c_str(), r->ok, r->failed);
    }
  }
  Log("unary %s: c=1 direct p50 %.1f us p99 %.1f us; gateway p50 %.1f us "
      "p99 %.1f us",
      kind, Us(direct_low.latency.Percentile(50)),
      Us(direct_low.latency.Percentile(99)),
      Us(gateway_low.latency.Percentile(50)),
      Us(gateway_low.latency.Percentile(99)));
  Log("unary %s: c=%d direct %.0f/s gateway %.0f/s (gateway p50 %.0f us); "
      "half rate %.0f/s: direct p99 %.0f us, gateway p99 %.0f us, skipped "
      "%d/%d",
      kind, sat.concurrency, direct_sat.Throughput(), gateway_sat.Throughput(),
      Us(gateway_sat.latency.Percentile(50)), half.rate,
      Us(direct_half.latency.Percentile(99)),
      Us(gateway_half.latency.Percentile(99)), direct_half.skipped,
      gateway_half.skipped);

  const std::string p = "unary_" + kind + "_";
  Figure(p + "direct_p50_us", Us(direct_low.latency.Percentile(50)), "us");
  Figure(p + "gateway_p50_us", Us(gateway_low.latency.Percentile(50)), "us");
  const double added_p50 = Us(gateway_low.latency.Percentile(50)) -
                           Us(direct_low.latency.Percentile(50));
  Figure(p + "added_p50_us", added_p50, "us");
  Target(p + "added_p50_us", added_p50, "<=", 60, "us");

  Figure(p + "direct_rps", direct_sat.Throughput(), "calls/s");
  Figure(p + "gateway_rps", gateway_sat.Throughput(), "calls/s");
  const double ratio = direct_sat.Throughput() > 0
                           ? gateway_sat.Throughput() / direct_sat.Throughput()
                           : 0;
  Figure(p + "throughput_ratio", ratio, "x");
  Target(p + "throughput_ratio", ratio, ">=", 0.7, "x");
  Figure(p + "gateway_cpu_us_per_call", gateway_cpu_us, "us");

  Figure(p + "half_rate", half.rate, "calls/s");
  Figure(p + "direct_p99_half_us", Us(direct_half.latency.Percentile(99)),
         "us");
  Figure(p + "gateway_p99_half_us", Us(gateway_half.latency.Percentile(99)),
         "us");
  const double added_p99 = Us(gateway_half.latency.Percentile(99)) -
                           Us(direct_half.latency.Percentile(99));
  Figure(p + "added_p99_half_us", added_p99, "us");
  Target(p + "added_p99_half_us", added_p99, "<=", 1000, "us");
}

void RunUnaryScenario(const Sizes& sizes) {
  auto emu = Must(EmulatorProcess::Start(EmulatorFlags({"--nowebhooks"})),
                  "emulator");
  auto server = Must(ServerProcess::Start(BenchServer(emu->port())), "server");
  const pid_t pid = server->process().pid();
  // Created jobs stay put: tens of thousands of them moving along their
  // timelines would load the emulator more and more as the run goes on.
  emu->Post("/_emulator/clock", {{"paused", true}});

  std::vector<std::unique_ptr<v1::MediaService::Stub>> stubs;
  for (int i = 0; i < absl::GetFlag(FLAGS_channels); ++i) {
    stubs.push_back(v1::MediaService::NewStub(server->NewChannel()));
  }
  std::atomic<uint64_t> next{0};
  auto stub = [&]() -> v1::MediaService::Stub* {
    return stubs[next++ % stubs.size()].get();
  };

  // A ~150-byte create, the shape of the docs' examples.
  v1::CreateMediaRequest create;
  create.set_prompt("A slow pan over a misty lake at sunrise, birds rising");
  create.set_title("bench");
  create.set_duration(5);
  v1::CreateMediaResponse created;
  grpc::Status s =
      stub()->CreateMedia(Ctx(absl::Seconds(10)).get(), create, &created);
  if (!s.ok()) Die("first create failed: " + s.error_message());
  v1::GetMediaRequest get;
  get.set_name(created.media().name());

  RestClient rest;
  const std::string base = emu->base_url();
  auto direct_get = std::make_shared<RestClient::Request>();
  direct_get->url = absl::StrCat(base, "/v2/media/", created.media().id());
  direct_get->headers = {absl::StrCat("X-Api-Key: ", kVimmerseKey)};
  auto direct_create = std::make_shared<RestClient::Request>();
  direct_create->method = "POST";
  direct_create->url = base + "/v2/media";
  direct_create->headers = {absl::StrCat("X-Api-Key: ", kVimmerseKey),
                            "Content-Type: application/json"};
  direct_create->body =
      json{{"prompt", create.prompt()}, {"title", "bench"}, {"duration", 5}}
          .dump();

  auto direct = [&rest](std::shared_ptr<RestClient::Request> r, long want) {
    return [&rest, r, want](Done done) {
      rest.Send(r, [want, done = std::move(done)](
                       RestClient::Response resp) mutable {
        std::move(done)(resp.status == want);
      });
    };
  };

  Pair get_pair;
  get_pair.direct = direct(direct_get, 200);
  get_pair.gateway = Unary<v1::GetMediaResponse>(
      [&](grpc::ClientContext* ctx, v1::GetMediaResponse* resp,
          std::function<void(grpc::Status)> done) {
        stub()->async()->GetMedia(ctx, &get, resp, std::move(done));
      });

  Pair create_pair;
  // The emulator answers a create 200 (Vimmerse documents no 201).
  create_pair.direct = direct(direct_create, 200);
  create_pair.gateway = Unary<v1::CreateMediaResponse>(
      [&](grpc::ClientContext* ctx, v1::CreateMediaResponse* resp,
          std::function<void(grpc::Status)> done) {
        stub()->async()->CreateMedia(ctx, &create, resp, std::move(done));
      });

  // mediagen's floor: a call it answers itself (INVALID_ARGUMENT, no
  // upstream call), so the gRPC hop and the handler's fixed costs show
  // apart from the upstream round trip.
  v1::GetMediaRequest invalid;
  const AsyncCall rejected = Unary<v1::GetMediaResponse>(
      [&](grpc::ClientContext* ctx, v1::GetMediaResponse* resp,
          std::function<void(grpc::Status)> done) {
        stub()->async()->GetMedia(ctx, &invalid, resp, std::move(done));
      },
      grpc::StatusCode::INVALID_ARGUMENT);
  // gRPC's own floor in the same process: the built-in health service
  // (grpc.health.v1.Health/Check for "", an empty request).
  grpc::GenericStub generic(server->channel());
  grpc::Slice no_bytes("");
  const grpc::ByteBuffer empty_request(&no_bytes, 1);
  const AsyncCall health = Unary<grpc::ByteBuffer>(
      [&](grpc::ClientContext* ctx, grpc::ByteBuffer* resp,
          std::function<void(grpc::Status)> done) {
        generic.UnaryCall(ctx, "/grpc.health.v1.Health/Check",
                          grpc::StubOptions(), &empty_request, resp,
                          std::move(done));
      });
  {
    const LoadOptions low = Closed(sizes, 1);
    const LoadOptions sat = Closed(sizes, absl::GetFlag(FLAGS_concurrency));
    const LoadResult grpc_floor = RunLoad(health, low);
    Log("unary grpc health check: c=1 p50 %.1f us p99 %.1f us, %d ok",
        Us(grpc_floor.latency.Percentile(50)),
        Us(grpc_floor.latency.Percentile(99)), grpc_floor.ok);
    Figure("unary_grpc_health_p50_us", Us(grpc_floor.latency.Percentile(50)),
           "us");
    double cpu_us = 0;
    const LoadResult grpc_sat = RunWithCpu(health, sat, pid, &cpu_us);
    Log("unary grpc health check: c=%d %.0f/s, %.1f us server CPU a call",
        sat.concurrency, grpc_sat.Throughput(), cpu_us);
    Figure("unary_grpc_health_rps", grpc_sat.Throughput(), "calls/s");
    Figure("unary_grpc_health_cpu_us_per_call", cpu_us, "us");
    const LoadResult rejected_sat = RunWithCpu(rejected, sat, pid, &cpu_us);
    Log("unary rejected (no upstream): c=%d %.0f/s, %.1f us server CPU a "
        "call",
        sat.concurrency, rejected_sat.Throughput(), cpu_us);
    Figure("unary_rejected_cpu_us_per_call", cpu_us, "us");
    const LoadResult floor = RunLoad(rejected, low);
    Log("unary rejected (no upstream): c=1 p50 %.1f us p99 %.1f us, %d ok",
        Us(floor.latency.Percentile(50)), Us(floor.latency.Percentile(99)),
        floor.ok);
    Figure("unary_rejected_gateway_p50_us", Us(floor.latency.Percentile(50)),
           "us");
  }

  // Both paths must be answered the same way before they are timed.
  if (rest.SendAndWait(direct_create).status != 200) {
    Die("direct create is not answered 200");
  }
  CompareUnary("get", get_pair, pid, sizes);
  CompareUnary("create", create_pair, pid, sizes);
  {
    // What mediagen's rule of a new connection for every POST costs by
    // itself (libcurl would otherwise resend a POST whose reused
    // connection died, and charge twice): the direct create, fresh.
    auto fresh = std::make_shared<RestClient::Request>(*direct_create);
    fresh->fresh_connection = true;
    const LoadResult r = RunLoad(direct(fresh, 200), Closed(sizes, 1));
    Log("unary create direct on a fresh connection: c=1 p50 %.1f us",
        Us(r.latency.Percentile(50)));
    Figure("unary_create_direct_fresh_connection_p50_us",
           Us(r.latency.Percentile(50)), "us");
  }
  Log("unary: server threads %d, rss %ld KiB",
      server->process().ThreadCount(), server->process().RssKiB());
}

// ---- watch ------------------------------------------------------------------

struct WatchStats {
  std::atomic<int> snapshots{0};
  std::atomic<int> changes{0};
  std::atomic<int> done{0};
  std::atomic<int> not_ok{0};
};

// One WatchJob stream: remembers the version of its first job message and
// when a different version first arrived.
class Watch : public grpc::ClientReadReactor<v1::WatchJobResponse> {
 public:
  Watch(v1::JobService::Stub* stub, const std::string& name,
        WatchStats* stats)
      : stats_(stats) {
    v1::WatchJobRequest req;
    req.set_name(name);
    stub->async()->WatchJob(&ctx_, &req, this);
    StartRead(&msg_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (msg_.has_job()) {
      if (first_version_ < 0) {
        first_version_ = msg_.job().version();
        stats_->snapshots.fetch_add(1);
      } else if (!changed_ && msg_.job().version() != first_version_) {
        changed_at_ = MonotonicNow();
        changed_ = true;
        stats_->changes.fetch_add(1);  // publishes changed_at_
      }
    }
    StartRead(&msg_);
  }
  void OnDone(const grpc::Status& status) override {
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
      stats_->not_ok.fetch_add(1);
    }
    stats_->done.fetch_add(1);
  }
  void Cancel() { ctx_.TryCancel(); }
  bool changed() const { return changed_; }
  absl::Duration changed_at() const { return changed_at_; }

 private:
  WatchStats* stats_;
  grpc::ClientContext ctx_;
  v1::WatchJobResponse msg_;
  int64_t first_version_ = -1;
  bool changed_ = false;
  absl::Duration changed_at_;
};

// The server's own threads and gRPC's pool threads (which gRPC grows on
// demand up to two per core and keeps).
struct Threads {
  int own = 0;
  int grpc_pool = 0;
};
Threads CountThreads(testing::Process& p) {
  Threads t;
  for (const std::string& name : p.ThreadNames()) {
    ++(testing::IsGrpcPoolThread(name) ? t.grpc_pool : t.own);
  }
  return t;
}

bool WaitFor(const std::atomic<int>& counter, int want,
             absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  while (counter.load() < want) {
    if (absl::Now() > end) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

long MediaReads(EmulatorProcess& emu) {
  json c = emu.Counters();
  const json* r = c.contains("requests") ? &c["requests"] : nullptr;
  if (r == nullptr || !r->contains("GET /v2/media/{id}")) return 0;
  return (*r)["GET /v2/media/{id}"].value("total", 0L);
}

void RunWatchScenario(const Sizes& sizes) {
  auto emu = Must(EmulatorProcess::Start(EmulatorFlags({})), "emulator");
  ServerConfig config = BenchServer(emu->port());
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
    grpc::Status s = media->CreateMedia(Ctx(absl::Seconds(10)).get(), req, &resp);
    if (!s.ok()) Die("create failed: " + s.error_message());
    names.push_back(resp.media().name());
    ids.push_back(resp.media().id());
  }
  absl::SleepFor(absl::Milliseconds(500));
  const Threads threads_none = CountThreads(proc);

  WatchStats stats;
  std::vector<std::unique_ptr<Watch>> watches;
  watches.reserve(sizes.streams);
  auto open_until = [&](int n) {
    for (int i = watches.size(); i < n; ++i) {
      watches.push_back(std::make_unique<Watch>(
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
      sizes.streams, absl::ToDoubleSeconds(open_time), rss_one_per_job,
      rss_all, threads_one_per_job.own, threads_all.own,
      threads_one_per_job.grpc_pool, threads_all.grpc_pool, threads_none.own,
      threads_none.grpc_pool);

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
      delivery.Record(watches[i]->changed_at() -
                      moved_at[i % names.size()]);
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
  const int pool_bound =
      threads_none.grpc_pool + 2 * static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  Target("watch_server_grpc_pool_threads", threads_all.grpc_pool, "<=",
         pool_bound, "threads");
  Figure("watch_delivered", stats.changes.load(), "watchers");
  Figure("watch_delivery_p50_ms", Ms(delivery.Percentile(50)), "ms");
  Figure("watch_delivery_p99_ms", Ms(delivery.Percentile(99)), "ms");
  Figure("watch_delivery_max_ms", Ms(delivery.Max()), "ms");
  Target("watch_delivery_p99_ms",
         all_changed ? Ms(delivery.Percentile(99)) : 1e9, "<=", 50, "ms");
}

// ---- upload -----------------------------------------------------------------

void RunUploadScenario(const Sizes& sizes) {
  auto emu = Must(EmulatorProcess::Start(EmulatorFlags({"--nowebhooks"})),
                  "emulator");
  auto server = Must(ServerProcess::Start(BenchServer(emu->port())), "server");
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
    piece.set_chunk(chunk.data(), std::min<uint64_t>(chunk.size(), total - sent));
    if (!writer->Write(piece)) break;
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  const absl::Duration gateway_time = MonotonicNow() - start;
  if (!s.ok()) Die("upload through mediagen failed: " + s.error_message());
  const long hwm_after = proc.PeakRssKiB();

  absl::StatusOr<UploadResult> direct = UploadMultipart(
      emu->base_url() + "/v2/video", {absl::StrCat("X-Api-Key: ", kVimmerseKey)},
      "video_file", "bench.mp4", "video/mp4", total);
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

// ---- speech -----------------------------------------------------------------

void RunSpeechScenario(const Sizes& sizes) {
  // First audio 6 ms after the request (0.3 s scaled), then paced chunks.
  auto emu = Must(EmulatorProcess::Start(
                      EmulatorFlags({"--nowebhooks", "--time_scale=0.02"})),
                  "emulator");
  auto server = Must(ServerProcess::Start(BenchServer(emu->port())), "server");
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

}  // namespace
}  // namespace mediagen::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace mediagen::bench;  // NOLINT: main only
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode != "full" && mode != "quick" && mode != "smoke") {
    Die("--mode must be full, quick or smoke");
  }
  const Sizes sizes = SizesFor(mode);
  for (absl::string_view name :
       absl::StrSplit(absl::GetFlag(FLAGS_scenarios), ',', absl::SkipEmpty())) {
    const absl::Time start = absl::Now();
    Log("== %s (%s)", std::string(name), mode);
    if (name == "unary") {
      RunUnaryScenario(sizes);
    } else if (name == "watch") {
      RunWatchScenario(sizes);
    } else if (name == "upload") {
      RunUploadScenario(sizes);
    } else if (name == "speech") {
      RunSpeechScenario(sizes);
    } else {
      Die(absl::StrCat("unknown scenario ", name));
    }
    Log("== %s took %.1f s", std::string(name),
        absl::ToDoubleSeconds(absl::Now() - start));
  }
  return 0;
}
