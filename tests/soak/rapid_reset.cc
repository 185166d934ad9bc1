// rapid_reset: HTTP/2 rapid reset (CVE-2023-44487) against a running
// mediagen server: on one unauthenticated plaintext connection, opens
// streams and resets each at once, then reports the server's RSS before,
// right after, after the connection closed and after a pause. Started by
// tests/soak/rapid_reset_run, which builds and starts the server.
//
//   rapid_reset --server=127.0.0.1:50051 --server_pid=1234
//               --streams=20000,60000
//
// One line per round; each round uses a new connection. Exits 1 if the
// server died.
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/security/raw_h2.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "mediagen gRPC address");
ABSL_FLAG(int, server_pid, 0, "the server's pid, for /proc sampling");
ABSL_FLAG(std::vector<std::string>, streams,
          std::vector<std::string>({"20000", "60000"}),
          "streams opened and reset per round (one connection per round)");
ABSL_FLAG(std::string, path, "/mediagen.v1.MediaService/GetMedia",
          "the :path of every stream");
ABSL_FLAG(absl::Duration, settle, absl::Seconds(5),
          "pause after the connection closed before the last sample");

namespace {

long RssKiB(int pid) {
  FILE* f = fopen(absl::StrFormat("/proc/%d/status", pid).c_str(), "r");
  if (f == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof line, f) != nullptr) {
    if (sscanf(line, "VmRSS: %ld", &kib) == 1) break;
  }
  fclose(f);
  return kib;
}

bool Alive(int pid) { return kill(pid, 0) == 0; }

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string server = absl::GetFlag(FLAGS_server);
  const int pid = absl::GetFlag(FLAGS_server_pid);
  const std::string host = server.substr(0, server.rfind(':'));
  int port = 0;
  if (!absl::SimpleAtoi(server.substr(server.rfind(':') + 1), &port)) {
    fprintf(stderr, "bad --server\n");
    return 2;
  }
  printf("%8s %10s %10s %10s %10s %10s %8s %s\n", "streams", "sent_KB",
         "rss0_MB", "rss1_MB", "closed_MB", "settled_MB", "secs",
         "server answer");
  for (const std::string& s : absl::GetFlag(FLAGS_streams)) {
    int n = 0;
    if (!absl::SimpleAtoi(s, &n)) continue;
    const long before = RssKiB(pid);
    const absl::Time start = absl::Now();
    auto conn = mediagen::testing::RawH2Connection::Connect(host, port);
    if (!conn.ok()) {
      fprintf(stderr, "%s\n", conn.status().ToString().c_str());
      return 1;
    }
    auto sent = (*conn)->OpenAndReset(n, absl::GetFlag(FLAGS_path));
    const auto counts = (*conn)->Drain(absl::Seconds(2));
    const double secs = absl::ToDoubleSeconds(absl::Now() - start);
    const long after = RssKiB(pid);
    conn->reset();
    absl::SleepFor(absl::Milliseconds(500));
    const long closed = RssKiB(pid);
    absl::SleepFor(absl::GetFlag(FLAGS_settle));
    const long settled = RssKiB(pid);
    printf(
        "%8d %10.0f %10.1f %10.1f %10.1f %10.1f %8.1f %s rst=%d goaway=%d "
        "closed=%d\n",
        n, sent.ok() ? *sent / 1024.0 : -1.0, before / 1024.0, after / 1024.0,
        closed / 1024.0, settled / 1024.0, secs,
        sent.ok() ? "ok" : std::string(sent.status().message()).c_str(),
        counts.rst_stream, counts.goaway, counts.closed ? 1 : 0);
    fflush(stdout);
    if (pid > 0 && !Alive(pid)) {
      printf("server died\n");
      return 1;
    }
  }
  return 0;
}
