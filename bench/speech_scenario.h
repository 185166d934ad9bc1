// The `speech` scenario of gateway_bench: streamed ElevenLabs speech: time to
// the first audio chunk at the client vs time to the first body byte of the
// same request sent directly (both on a fresh connection, as mediagen sends
// every POST upstream).
#ifndef MEDIAGEN_BENCH_SPEECH_SCENARIO_H_
#define MEDIAGEN_BENCH_SPEECH_SCENARIO_H_

#include "bench/bench_util.h"

namespace mediagen::bench {

void RunSpeechScenario(const Settings& settings);

}  // namespace mediagen::bench

#endif  // MEDIAGEN_BENCH_SPEECH_SCENARIO_H_
