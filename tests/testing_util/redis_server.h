// RedisServer: a real redis-server (Debian's /usr/bin/redis-server) for
// tests, on a free loopback port, in a temporary directory, persisting
// nothing, and with the faults a Redis client must survive: stop, kill -9,
// restart on the same port, and a stuck server (SIGSTOP).
//
//   RedisServer::Options options;
//   options.password = "s3cret";                 // optional
//   absl::StatusOr<std::unique_ptr<RedisServer>> server =
//       RedisServer::Start(options);
//   ASSERT_THAT(server, IsOk());
//   options.endpoint.port = (*server)->port();
//   ...
//   (*server)->Pause();     // accepts connections, answers nothing
//   (*server)->Resume();
//   (*server)->Kill();      // SIGKILL: connections reset
//   (*server)->Restart();   // same port, empty data set
//
// The server dies with the test process (PR_SET_PDEATHSIG, tied to the
// thread that started it: start it from the test's main thread). Its log
// is in the temporary directory and is quoted when it fails to start.
#ifndef MEDIAGEN_TESTS_TESTING_UTIL_REDIS_SERVER_H_
#define MEDIAGEN_TESTS_TESTING_UTIL_REDIS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mediagen::testing {

class RedisServer {
 public:
  struct Options {
    // --requirepass; empty means none.
    std::string password;
    // More redis-server arguments, e.g. {"--maxclients", "10"}.
    std::vector<std::string> extra_args;
    // Until it answers PING.
    absl::Duration start_timeout = absl::Seconds(20);
  };

  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start() {
    return Start(Options());
  }

  // Kills the server (SIGKILL, also when paused) and waits for it.
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // "redis://127.0.0.1:PORT" (no password).
  std::string url() const;
  bool running();

  // SIGTERM (SIGCONT first if paused), then waits for it to exit.
  absl::Status Stop();
  // SIGKILL, then waits.
  void Kill();
  // Stops it if running, then starts a new one on the same port and
  // directory, waiting until it answers PING. Data does not survive.
  absl::Status Restart();
  // SIGSTOP / SIGCONT: the kernel still accepts connections, nothing is
  // answered.
  void Pause();
  void Resume();

  // The server's log (for failure messages).
  std::string log() const;

 private:
  RedisServer(Options options, std::string dir, int port);
  absl::Status Spawn();
  absl::Status WaitUntilReady();
  void Reap();

  const Options options_;
  const std::string dir_;
  const int port_;
  pid_t pid_ = -1;
  bool paused_ = false;
};

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_TESTING_UTIL_REDIS_SERVER_H_
