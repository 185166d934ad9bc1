#include "tests/testing_util/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace mediagen::testing {
namespace {

constexpr char kRedisServer[] = "/usr/bin/redis-server";

int PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// The process state letter from /proc/PID/stat ('T' when stopped).
char ProcessState(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2]
                                                               : '?';
}

}  // namespace

RedisServer::RedisServer(Options options, std::string dir, int port)
    : options_(std::move(options)), dir_(std::move(dir)), port_(port) {}

RedisServer::~RedisServer() { Kill(); }

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(
    Options options) {
  if (access(kRedisServer, X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        kRedisServer, " is missing: run scripts/install-deps (redis-server)"));
  }
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/redis-server-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, " failed"));
  }
  absl::Status last;
  // A free port can be taken by someone else before redis-server binds it
  // (other tests run beside this one): then try another.
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int port = PickFreePort();
    if (port <= 0) return absl::InternalError("no free loopback port");
    auto server =
        std::unique_ptr<RedisServer>(new RedisServer(options, pattern, port));
    last = server->Spawn();
    if (last.ok()) last = server->WaitUntilReady();
    if (last.ok()) return server;
    if (!absl::StrContains(server->log(), "Address already in use")) break;
  }
  return last;
}

std::string RedisServer::url() const {
  return absl::StrCat("redis://127.0.0.1:", port_);
}

absl::Status RedisServer::Spawn() {
  std::vector<std::string> args = {kRedisServer,
                                   "--port",
                                   absl::StrCat(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--daemonize",
                                   "no",
                                   "--dir",
                                   dir_,
                                   "--logfile",
                                   absl::StrCat(dir_, "/redis.log")};
  if (!options_.password.empty()) {
    args.push_back("--requirepass");
    args.push_back(options_.password);
  }
  args.insert(args.end(), options_.extra_args.begin(),
              options_.extra_args.end());
  // Everything the child needs is built before fork(): between fork and
  // exec only async-signal-safe calls are allowed in a threaded process.
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    // Dies with the test instead of holding a port and CPU afterwards.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    const int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  paused_ = false;
  return absl::OkStatus();
}

absl::Status RedisServer::WaitUntilReady() {
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  while (absl::Now() < deadline) {
    if (!running()) {
      return absl::InternalError(absl::StrCat("redis-server on port ", port_,
                                              " exited; its log:\n", log()));
    }
    const timeval connect_timeout = {0, 200 * 1000};
    redisContext* c =
        redisConnectWithTimeout("127.0.0.1", port_, connect_timeout);
    if (c != nullptr && c->err == 0) {
      const timeval io_timeout = {1, 0};
      redisSetTimeout(c, io_timeout);
      // Any reply counts, NOAUTH included: the server answers.
      void* reply = redisCommand(c, "PING");
      if (reply != nullptr) {
        freeReplyObject(reply);
        redisFree(c);
        return absl::OkStatus();
      }
    }
    if (c != nullptr) redisFree(c);
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("redis-server on port ", port_,
                   " did not answer PING in time; its log:\n", log()));
}

bool RedisServer::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    paused_ = false;
    return false;
  }
  return true;
}

absl::Status RedisServer::Stop() {
  if (!running()) return absl::OkStatus();
  if (paused_) Resume();
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (!running()) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(5));
  }
  Kill();
  return absl::DeadlineExceededError(
      "redis-server ignored SIGTERM for 10 s; killed it");
}

void RedisServer::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  Reap();
}

void RedisServer::Reap() {
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  paused_ = false;
}

absl::Status RedisServer::Restart() {
  if (absl::Status s = Stop(); !s.ok()) return s;
  if (absl::Status s = Spawn(); !s.ok()) return s;
  return WaitUntilReady();
}

void RedisServer::Pause() {
  if (!running()) return;
  kill(pid_, SIGSTOP);
  paused_ = true;
  // The signal is asynchronous: return once the process is really stopped.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (ProcessState(pid_) != 'T' && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
}

void RedisServer::Resume() {
  if (pid_ <= 0) return;
  kill(pid_, SIGCONT);
  paused_ = false;
}

std::string RedisServer::log() const {
  std::ifstream in(absl::StrCat(dir_, "/redis.log"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace mediagen::testing
