// What every gateway_bench scenario shares: the output format (one `bench:`
// line per figure, one `target:` line per target, parsed by
// gateway_bench_test and bench/run_all), the sizes of each mode, and the
// processes under test (emulator and server through the integration
// harness).
//
//   const Settings settings = SettingsFor("quick");
//   auto emu = Must(EmulatorProcess::Start(EmulatorFlags({})), "emulator");
//   auto server = Must(ServerProcess::Start(BenchServer(settings,
//   emu->port())),
//                      "server");
//   Figure("unary_get_gateway_p50_us", 212.5, "us");
//   Target("unary_get_added_p50_us", 41.3, "<=", 60, "us");
#ifndef MEDIAGEN_BENCH_BENCH_UTIL_H_
#define MEDIAGEN_BENCH_BENCH_UTIL_H_

#include <sys/types.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tests/testing_util/harness.h"

namespace mediagen::bench {

// ---- output -----------------------------------------------------------------

void Figure(const std::string& name, double value, const std::string& unit);

// A target line: `op` is "<=" or ">=".
void Target(const std::string& name, double value, const std::string& op,
            double limit, const std::string& unit);

// Progress and details, on stderr.
template <typename... Args>
void Log(const absl::FormatSpec<Args...>& format, const Args&... args) {
  std::fprintf(stderr, "%s\n", absl::StrFormat(format, args...).c_str());
}

double Us(absl::Duration d);
double Ms(absl::Duration d);

// ---- sizes per mode ---------------------------------------------------------

struct Sizes {
  absl::Duration warmup, window;
  int jobs, streams;
  absl::Duration poll_interval, poll_window;
  uint64_t upload_bytes;
  int speech_runs;
  int replicas_jobs, replicas_streams;
};

// What a run was asked for on the command line.
struct Settings {
  Sizes sizes;
  int concurrency = 32;  // closed-loop calls in flight at saturation
  int channels = 4;      // gRPC channels for unary load
  std::vector<std::string> server_wrapper;  // e.g. valgrind, perf
  std::vector<std::string> server_flags;    // extra mediagen_server flags
};

// "full", "quick" or "smoke"; anything else is "quick".
Sizes SizesFor(const std::string& mode);

// ---- processes --------------------------------------------------------------

// Upstream keys with balances no benchmark can spend: the server's dev keys
// and the direct REST client's.
inline constexpr char kVimmerseKey[] = "bench-vimmerse-key";
inline constexpr char kElevenKey[] = "bench-elevenlabs-key";

// The emulator's flags for a run: keys with balances no benchmark can
// spend, then `extra`.
std::vector<std::string> EmulatorFlags(std::vector<std::string> extra);

// A server in dev mode against the emulator on `emulator_port`, with the
// run's wrapper and extra flags.
testing::ServerConfig BenchServer(const Settings& settings, int emulator_port);

// User + system CPU time of a process.
absl::Duration CpuTime(pid_t pid);

[[noreturn]] void Die(const std::string& what);

template <typename T>
T Must(absl::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(absl::StrCat(what, ": ", v.status().ToString()));
  return *std::move(v);
}

// A client context with a deadline `timeout` from now.
std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout);

// The server's own threads and gRPC's pool threads (which gRPC grows on
// demand up to two per core and keeps).
struct Threads {
  int own = 0;
  int grpc_pool = 0;
};
Threads CountThreads(testing::Process& p);

// Waits until `counter` reaches `want`; false on timeout.
bool WaitFor(const std::atomic<int>& counter, int want, absl::Duration timeout);

// GET /v2/media/{id} requests the emulator has answered so far.
long MediaReads(testing::EmulatorProcess& emu);

}  // namespace mediagen::bench

#endif  // MEDIAGEN_BENCH_BENCH_UTIL_H_
