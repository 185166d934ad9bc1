// The `unary` scenario of gateway_bench: GetMedia and CreateMedia through
// mediagen vs the same REST call by a libcurl multi client
// (bench/rest_client.h): latency at concurrency 1, throughput at saturation
// (closed loop), p99 at half of the gateway's saturation rate (open loop, both
// paths at that rate), and mediagen's CPU per call.
#ifndef MEDIAGEN_BENCH_UNARY_SCENARIO_H_
#define MEDIAGEN_BENCH_UNARY_SCENARIO_H_

#include "bench/bench_util.h"

namespace mediagen::bench {

void RunUnaryScenario(const Settings& settings);

}  // namespace mediagen::bench

#endif  // MEDIAGEN_BENCH_UNARY_SCENARIO_H_
