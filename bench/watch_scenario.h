// The `watch` scenario of gateway_bench: 10,000 WatchJob streams over 100 jobs
// (callback client, several connections): upstream polls per interval, server
// memory per stream, server threads against stream count, and delivery of a
// change to every watcher after upstream's webhook.
#ifndef MEDIAGEN_BENCH_WATCH_SCENARIO_H_
#define MEDIAGEN_BENCH_WATCH_SCENARIO_H_

#include "bench/bench_util.h"

namespace mediagen::bench {

void RunWatchScenario(const Settings& settings);

}  // namespace mediagen::bench

#endif  // MEDIAGEN_BENCH_WATCH_SCENARIO_H_
