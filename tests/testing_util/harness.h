// Test harness for integration tests: runs the real emulator and the real
// mediagen_server binaries on loopback, on free ports, and stops them.
//
//   auto emulator = EmulatorProcess::Start({"--time_scale=0.02"});
//   ServerConfig config;
//   config.emulator_port = (*emulator)->port();
//   auto server = ServerProcess::Start(config);
//   auto stub = v1::MediaService::NewStub((*server)->channel());
//   nlohmann::json log = (*emulator)->Requests("POST", "/v2/media");
//
// Binaries come from the test's runfiles (data deps), so tests always run
// what Bazel just built.
#ifndef MEDIAGEN_TESTS_TESTING_UTIL_HARNESS_H_
#define MEDIAGEN_TESTS_TESTING_UTIL_HARNESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"

namespace mediagen::testing {

// A child process whose stdout's first line is read for its ports; stderr
// goes to a file under TEST_TMPDIR (shown on failure via stderr_text()).
class Process {
 public:
  static absl::StatusOr<std::unique_ptr<Process>> Start(
      const std::vector<std::string>& argv,
      const std::map<std::string, std::string>& env = {});
  ~Process();  // SIGKILL if still running

  pid_t pid() const { return pid_; }
  // The first stdout line, waiting up to `timeout`.
  absl::StatusOr<std::string> FirstLine(absl::Duration timeout);
  // Sends `sig`, waits up to `timeout`; returns the exit code (or -signal).
  absl::StatusOr<int> Stop(int sig, absl::Duration timeout);
  bool Running();
  std::string stderr_text() const;
  // Threads of the process (/proc/<pid>/status).
  int ThreadCount() const;
  // Resident set size in KiB (/proc/<pid>/status VmRSS).
  long RssKiB() const;
  // The largest RSS so far, in KiB (VmHWM).
  long PeakRssKiB() const;
  // Open file descriptors (entries of /proc/<pid>/fd): sockets included.
  int OpenFdCount() const;
  // The name of each thread (/proc/<pid>/task/*/comm), sorted.
  std::vector<std::string> ThreadNames() const;

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string stderr_path_;
  bool reaped_ = false;
  int exit_code_ = 0;
};

// Established TCP connections (this host) whose remote end is
// 127.0.0.1:`port`: e.g. the gateway's open connections to the emulator.
int EstablishedConnectionsTo(int port);

// A free TCP port on 127.0.0.1 (bound and released; used for addresses that
// must be known before a process starts, like the webhook base URL).
int PickFreePort();

class EmulatorProcess {
 public:
  static absl::StatusOr<std::unique_ptr<EmulatorProcess>> Start(
      std::vector<std::string> flags);
  int port() const { return port_; }
  std::string base_url() const;
  Process& process() { return *process_; }

  // Control API (/_emulator/...). Each returns the parsed JSON answer.
  nlohmann::json Get(const std::string& path);
  nlohmann::json Post(const std::string& path, const nlohmann::json& body);
  void Delete(const std::string& path);
  // The request log, filtered.
  nlohmann::json Requests(const std::string& method = "",
                          const std::string& path_prefix = "");
  nlohmann::json Counters() { return Get("/_emulator/counters"); }
  void Reset() { Post("/_emulator/reset", nlohmann::json::object()); }

 private:
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

struct ServerConfig {
  int emulator_port = 0;
  // Dev mode (no tokens) with these emulator keys; otherwise `config_json`.
  bool dev = true;
  std::string dev_vimmerse_key = "vimmerse-test-key";
  std::string dev_elevenlabs_key = "elevenlabs-test-key";
  std::string dev_aimlapi_key = "aimlapi-test-key";
  // A JSON config file's content (tenants etc.), written to a temp file.
  std::string config_json;
  // Extra flags, e.g. "--poll_min_interval=100ms".
  std::vector<std::string> flags;
  std::map<std::string, std::string> env;
  // When true, the admin port is chosen up front and passed as the public
  // base URL, so creates carry mediagen's webhook URL.
  bool webhooks = false;
  // A command the server runs under, e.g. {"/usr/bin/heaptrack", "-o",
  // "/tmp/ht"} (then pid() is the wrapper's).
  std::vector<std::string> wrapper;
};

class ServerProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const ServerConfig& config);
  int grpc_port() const { return grpc_port_; }
  int admin_port() const { return admin_port_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // A fresh channel (its own connection).
  std::shared_ptr<grpc::Channel> NewChannel() const;
  Process& process() { return *process_; }

  // Rewrites the config file the server was started with (from
  // `config_json`) to `config_text`, sends SIGHUP, and waits up to 10 s for
  // a stderr line containing `expect_msg` written after the signal. False
  // when the server has no config file or the line never came.
  bool Reload(const std::string& config_text, const std::string& expect_msg);

 private:
  std::unique_ptr<Process> process_;
  std::string config_path_;  // empty without `config_json`
  int grpc_port_ = 0;
  int admin_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

// Threads gRPC names and grows on demand up to a bound, keeping them for
// reuse (its executor allows two per core): not the server's own, and not
// its to give back.
bool IsGrpcPoolThread(const std::string& name);

// Path of a binary in the test's runfiles, e.g. "tests/emulator/emulator".
std::string Runfile(const std::string& path);

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_TESTING_UTIL_HARNESS_H_
