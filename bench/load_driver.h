// RunLoad: drives any asynchronous call (a gRPC callback RPC, a libcurl
// multi request) in a closed loop (N calls always in flight) or an open
// loop (calls started on a fixed schedule), and records latencies.
//
//   bench::AsyncCall get = [&](bench::Done done) {
//     auto* call = new GetCall;  // context + response
//     stub->async()->GetMedia(&call->ctx, &req, &call->resp,
//         [call, done = std::move(done)](grpc::Status s) mutable {
//           delete call;
//           std::move(done)(s.ok());
//         });
//   };
//   bench::LoadOptions o;
//   o.concurrency = 32;
//   bench::LoadResult r = bench::RunLoad(get, o);
//   r.latency.Percentile(99); r.Throughput();
//
// The open loop measures each call from the time it was due, not from when
// it actually left, so a stalled system cannot hide its queueing delay
// (coordinated omission). `call` must not run `done` before it returns
// (completions come from the RPC system's own threads).
#ifndef MEDIAGEN_BENCH_LOAD_DRIVER_H_
#define MEDIAGEN_BENCH_LOAD_DRIVER_H_

#include <cstdint>
#include <functional>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "bench/histogram.h"

namespace mediagen::bench {

using Done = absl::AnyInvocable<void(bool ok) &&>;
using AsyncCall = std::function<void(Done done)>;

struct LoadOptions {
  // Closed loop: calls kept in flight.
  int concurrency = 1;
  // When > 0: open loop at this many calls per second instead.
  double rate = 0;
  // Open loop: a call that falls due while this many are in flight is not
  // started and is counted in `skipped` (the system is past saturation).
  int max_in_flight = 10000;
  // Calls started before `warmup` has passed are not recorded.
  absl::Duration warmup = absl::Seconds(1);
  // The measured window after the warmup.
  absl::Duration duration = absl::Seconds(5);
};

struct LoadResult {
  // Successful calls started inside the measured window.
  Histogram latency;
  uint64_t ok = 0;
  uint64_t failed = 0;
  uint64_t skipped = 0;
  absl::Duration window;
  // Successful calls per second of the window.
  double Throughput() const;
};

LoadResult RunLoad(const AsyncCall& call, const LoadOptions& options);

// A monotonic clock reading, for latencies measured outside RunLoad.
absl::Duration MonotonicNow();

}  // namespace mediagen::bench

#endif  // MEDIAGEN_BENCH_LOAD_DRIVER_H_
