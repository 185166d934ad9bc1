#include "bench/unary_scenario.h"

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
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace mediagen::bench {
namespace {

using json = nlohmann::json;
using testing::EmulatorProcess;
using testing::ServerConfig;
using testing::ServerProcess;

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
                  const Sizes& sizes, int concurrency) {
  const LoadOptions low = Closed(sizes, 1);
  const LoadOptions sat = Closed(sizes, concurrency);

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

}  // namespace

void RunUnaryScenario(const Settings& settings) {
  const Sizes& sizes = settings.sizes;
  auto emu =
      Must(EmulatorProcess::Start(EmulatorFlags({"--nowebhooks"})), "emulator");
  auto server =
      Must(ServerProcess::Start(BenchServer(settings, emu->port())), "server");
  const pid_t pid = server->process().pid();
  // Created jobs stay put: tens of thousands of them moving along their
  // timelines would load the emulator more and more as the run goes on.
  emu->Post("/_emulator/clock", {{"paused", true}});

  std::vector<std::unique_ptr<v1::MediaService::Stub>> stubs;
  for (int i = 0; i < settings.channels; ++i) {
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
  direct_create->body = json{
      {"prompt", create.prompt()},
      {"title", "bench"},
      {"duration", 5}}.dump();

  auto direct = [&rest](std::shared_ptr<RestClient::Request> r, long want) {
    return [&rest, r, want](Done done) {
      rest.Send(
          r, [want, done = std::move(done)](RestClient::Response resp) mutable {
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
    const LoadOptions sat = Closed(sizes, settings.concurrency);
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
  CompareUnary("get", get_pair, pid, sizes, settings.concurrency);
  CompareUnary("create", create_pair, pid, sizes, settings.concurrency);
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
  Log("unary: server threads %d, rss %ld KiB", server->process().ThreadCount(),
      server->process().RssKiB());
}

}  // namespace mediagen::bench
