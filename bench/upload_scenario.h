// The `upload` scenario of gateway_bench: 1 GiB through UploadVideo vs a
// multipart libcurl upload to the emulator: throughput and the server's peak
// RSS growth.
#ifndef MEDIAGEN_BENCH_UPLOAD_SCENARIO_H_
#define MEDIAGEN_BENCH_UPLOAD_SCENARIO_H_

#include "bench/bench_util.h"

namespace mediagen::bench {

void RunUploadScenario(const Settings& settings);

}  // namespace mediagen::bench

#endif  // MEDIAGEN_BENCH_UPLOAD_SCENARIO_H_
