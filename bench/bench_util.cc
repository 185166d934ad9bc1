#include "bench/bench_util.h"

#include <unistd.h>

#include <fstream>
#include <iterator>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

namespace mediagen::bench {

using json = nlohmann::json;
using testing::EmulatorProcess;
using testing::ServerConfig;

// ---- output -----------------------------------------------------------------

void Figure(const std::string& name, double value, const std::string& unit) {
  std::printf("bench: %s %s %s\n", name.c_str(),
              absl::StrFormat("%.6g", value).c_str(), unit.c_str());
  std::fflush(stdout);
}

void Target(const std::string& name, double value, const std::string& op,
            double limit, const std::string& unit) {
  const bool met = op == "<=" ? value <= limit : value >= limit;
  std::printf("target: %s %s %s %s %s\n", name.c_str(), op.c_str(),
              absl::StrFormat("%.6g", limit).c_str(), unit.c_str(),
              met ? "met" : "MISSED");
  std::fflush(stdout);
}

double Us(absl::Duration d) { return absl::ToDoubleMicroseconds(d); }
double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// ---- sizes per mode ---------------------------------------------------------

Sizes SizesFor(const std::string& mode) {
  if (mode == "full") {
    return {absl::Seconds(1),  absl::Seconds(5),  100, 10000, absl::Seconds(1),
            absl::Seconds(10), uint64_t{1} << 30, 100, 100,   10000};
  }
  if (mode == "smoke") {
    return {absl::Milliseconds(100),
            absl::Milliseconds(300),
            5,
            50,
            absl::Milliseconds(500),
            absl::Seconds(2),
            uint64_t{4} << 20,
            3,
            6,
            60};
  }
  return {absl::Milliseconds(500),
          absl::Seconds(2),
          100,
          10000,
          absl::Seconds(1),
          absl::Seconds(5),
          uint64_t{256} << 20,
          30,
          100,
          10000};
}

// ---- processes --------------------------------------------------------------


std::vector<std::string> EmulatorFlags(std::vector<std::string> extra) {
  std::vector<std::string> flags = {
      absl::StrCat("--vimmerse_key=", kVimmerseKey, ":1000000000000"),
      // Concurrency far above what the speech scenario uses.
      absl::StrCat("--elevenlabs_key=", kElevenKey, ":bench-el:1000"),
  };
  flags.insert(flags.end(), extra.begin(), extra.end());
  return flags;
}

ServerConfig BenchServer(const Settings& settings, int emulator_port) {
  ServerConfig config;
  config.wrapper = settings.server_wrapper;
  config.emulator_port = emulator_port;
  config.dev_vimmerse_key = kVimmerseKey;
  config.dev_elevenlabs_key = kElevenKey;
  config.flags = settings.server_flags;
  return config;
}

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

std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return ctx;
}

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

}  // namespace mediagen::bench
