// The `replicas` scenario of gateway_bench: three mediagen replicas sharing
// one Redis (a real redis-server on loopback) against the emulator.
// Watchers of every job are spread over the three replicas; the figures are
// the upstream reads per poll interval (one poller per job cluster-wide:
// the job count, as with one replica) and the delay from a job's change
// (whose webhook reaches replica 0 only) to the watchers on replicas 1 and
// 2, which learn it through Redis; and what a create with a request_id
// costs through the shared store (claim, then "sent" before it leaves)
// against the in-memory one.
#ifndef MEDIAGEN_BENCH_REPLICAS_SCENARIO_H_
#define MEDIAGEN_BENCH_REPLICAS_SCENARIO_H_

#include "bench/bench_util.h"

namespace mediagen::bench {

void RunReplicasScenario(const Settings& settings);

}  // namespace mediagen::bench

#endif  // MEDIAGEN_BENCH_REPLICAS_SCENARIO_H_
