#include "tests/testing_util/harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "httplib.h"

namespace mediagen::testing {
namespace {

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

long ProcStatusField(pid_t pid, absl::string_view field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, field)) {
      std::vector<std::string> parts =
          absl::StrSplit(line, absl::ByAnyChar(" \t:"), absl::SkipEmpty());
      long v = 0;
      if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &v)) return v;
    }
  }
  return -1;
}

}  // namespace

std::string Runfile(const std::string& path) {
  // cc_test runs in its runfiles tree, main repository first.
  return path;
}

absl::StatusOr<std::unique_ptr<Process>> Process::Start(
    const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& env) {
  static int counter = 0;
  auto p = std::unique_ptr<Process>(new Process);
  p->stderr_path_ =
      absl::StrCat(TempDir(), "/proc-", getpid(), "-", ++counter, ".stderr");
  int out[2];
  if (pipe(out) != 0) return absl::InternalError("pipe failed");
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    // A test or benchmark that crashes or is killed takes its servers with
    // it instead of leaving them running (and holding CPU and ports).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(out[1], STDOUT_FILENO);
    int err = open(p->stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err >= 0) dup2(err, STDERR_FILENO);
    close(out[0]);
    close(out[1]);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  p->pid_ = pid;
  p->stdout_fd_ = out[0];
  return p;
}

Process::~Process() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

absl::StatusOr<std::string> Process::FirstLine(absl::Duration timeout) {
  std::string line;
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    pollfd pfd{stdout_fd_, POLLIN, 0};
    int ms = static_cast<int>(absl::ToInt64Milliseconds(end - absl::Now()));
    if (poll(&pfd, 1, std::max(ms, 1)) <= 0) continue;
    char c;
    ssize_t n = read(stdout_fd_, &c, 1);
    if (n <= 0) break;
    if (c == '\n') return line;
    line.push_back(c);
  }
  return absl::DeadlineExceededError(
      absl::StrCat("no first line from the process; stderr:\n", stderr_text()));
}

bool Process::Running() {
  if (reaped_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return false;
  }
  return true;
}

absl::StatusOr<int> Process::Stop(int sig, absl::Duration timeout) {
  if (!Running()) return exit_code_;
  kill(pid_, sig);
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (!Running()) return exit_code_;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError("process did not exit in time");
}

std::string Process::stderr_text() const {
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Process::ThreadCount() const {
  return static_cast<int>(ProcStatusField(pid_, "Threads:"));
}

long Process::RssKiB() const { return ProcStatusField(pid_, "VmRSS:"); }

long Process::PeakRssKiB() const { return ProcStatusField(pid_, "VmHWM:"); }

int Process::OpenFdCount() const {
  DIR* dir = opendir(absl::StrCat("/proc/", pid_, "/fd").c_str());
  if (dir == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

std::vector<std::string> Process::ThreadNames() const {
  std::vector<std::string> names;
  const std::string task = absl::StrCat("/proc/", pid_, "/task");
  DIR* dir = opendir(task.c_str());
  if (dir == nullptr) return names;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(absl::StrCat(task, "/", e->d_name, "/comm"));
    std::string name;
    std::getline(in, name);
    names.push_back(name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

int EstablishedConnectionsTo(int port) {
  int n = 0;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      // sl local_address rem_address st ...; addresses are HEXIP:HEXPORT.
      std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (f.size() < 4 || f[3] != "01") continue;  // 01 = ESTABLISHED
      const auto colon = f[2].rfind(':');
      if (colon == std::string::npos) continue;
      if (std::stoi(f[2].substr(colon + 1), nullptr, 16) == port) ++n;
    }
  }
  return n;
}

bool IsGrpcPoolThread(const std::string& name) {
  for (const char* prefix :
       {"default-executo", "event_engine", "grpc_global_tim", "grpcpp_sync_ser",
        "nexting_thread", "resolver-execut", "timer_manager"}) {
    if (absl::StartsWith(name, prefix)) return true;
  }
  return false;
}

int PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

absl::StatusOr<std::unique_ptr<EmulatorProcess>> EmulatorProcess::Start(
    std::vector<std::string> flags) {
  std::vector<std::string> argv = {Runfile("tests/emulator/emulator"),
                                   "--port=0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto e = std::unique_ptr<EmulatorProcess>(new EmulatorProcess);
  auto p = Process::Start(argv);
  if (!p.ok()) return p.status();
  e->process_ = *std::move(p);
  auto line = e->process_->FirstLine(absl::Seconds(20));
  if (!line.ok()) return line.status();
  const auto colon = line->rfind(':');
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(line->substr(colon + 1), &e->port_)) {
    return absl::InternalError(
        absl::StrCat("unexpected emulator line: ", *line));
  }
  return e;
}

std::string EmulatorProcess::base_url() const {
  return absl::StrCat("http://127.0.0.1:", port_);
}

nlohmann::json EmulatorProcess::Get(const std::string& path) {
  httplib::Client c("127.0.0.1", port_);
  auto res = c.Get(path.c_str());
  if (!res) return nlohmann::json();
  return nlohmann::json::parse(res->body, nullptr, false);
}

nlohmann::json EmulatorProcess::Post(const std::string& path,
                                     const nlohmann::json& body) {
  httplib::Client c("127.0.0.1", port_);
  auto res = c.Post(path.c_str(), body.dump(), "application/json");
  if (!res) return nlohmann::json();
  return nlohmann::json::parse(res->body, nullptr, false);
}

void EmulatorProcess::Delete(const std::string& path) {
  httplib::Client c("127.0.0.1", port_);
  c.Delete(path.c_str());
}

nlohmann::json EmulatorProcess::Requests(const std::string& method,
                                         const std::string& path_prefix) {
  httplib::Params params;
  if (!method.empty()) params.emplace("method", method);
  if (!path_prefix.empty()) params.emplace("path_prefix", path_prefix);
  params.emplace("limit", "100000");
  httplib::Client c("127.0.0.1", port_);
  auto res = c.Get("/_emulator/requests", params, httplib::Headers{});
  if (!res) return nlohmann::json::array();
  nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  if (!body.is_object() || !body.contains("requests")) {
    return nlohmann::json::array();
  }
  return body["requests"];
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const ServerConfig& config) {
  const std::string upstream =
      absl::StrCat("http://127.0.0.1:", config.emulator_port);
  std::vector<std::string> argv = config.wrapper;
  argv.insert(argv.end(), {
                              Runfile("service/server/mediagen_server"),
                              "--listen=127.0.0.1:0",
                              absl::StrCat("--vimmerse_url=", upstream),
                              absl::StrCat("--elevenlabs_url=", upstream),
                              absl::StrCat("--aimlapi_url=", upstream),
                          });
  std::map<std::string, std::string> env = config.env;
  if (config.dev) {
    argv.push_back("--dev");
    env["VIMMERSE_API_KEY"] = config.dev_vimmerse_key;
    env["ELEVENLABS_API_KEY"] = config.dev_elevenlabs_key;
    env["AIMLAPI_API_KEY"] = config.dev_aimlapi_key;
  }
  std::string config_path;
  if (!config.config_json.empty()) {
    static int n = 0;
    config_path =
        absl::StrCat(TempDir(), "/server-config-", getpid(), "-", ++n, ".json");
    std::ofstream(config_path) << config.config_json;
    argv.push_back(absl::StrCat("--config=", config_path));
  }
  if (config.webhooks) {
    const int admin = PickFreePort();
    argv.push_back(absl::StrCat("--admin_listen=127.0.0.1:", admin));
    argv.push_back(absl::StrCat("--public_base_url=http://127.0.0.1:", admin));
  } else {
    argv.push_back("--admin_listen=127.0.0.1:0");
  }
  argv.insert(argv.end(), config.flags.begin(), config.flags.end());

  auto s = std::unique_ptr<ServerProcess>(new ServerProcess);
  s->config_path_ = std::move(config_path);
  auto p = Process::Start(argv, env);
  if (!p.ok()) return p.status();
  s->process_ = *std::move(p);
  auto line = s->process_->FirstLine(absl::Seconds(30));
  if (!line.ok()) return line.status();
  // "mediagen listening grpc=<port> admin=<port>"
  for (absl::string_view part : absl::StrSplit(*line, ' ')) {
    if (absl::ConsumePrefix(&part, "grpc=")) {
      (void)absl::SimpleAtoi(part, &s->grpc_port_);
    } else if (absl::ConsumePrefix(&part, "admin=")) {
      (void)absl::SimpleAtoi(part, &s->admin_port_);
    }
  }
  if (s->grpc_port_ == 0) {
    return absl::InternalError(absl::StrCat("unexpected server line: ", *line));
  }
  s->channel_ = s->NewChannel();
  return s;
}

bool ServerProcess::Reload(const std::string& config_text,
                           const std::string& expect_msg) {
  if (config_path_.empty()) return false;
  std::ofstream(config_path_, std::ios::trunc) << config_text;
  const size_t before = process_->stderr_text().size();
  kill(process_->pid(), SIGHUP);
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (absl::Now() < give_up) {
    const std::string text = process_->stderr_text();
    if (text.size() > before &&
        text.find(expect_msg, before) != std::string::npos) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

std::shared_ptr<grpc::Channel> ServerProcess::NewChannel() const {
  grpc::ChannelArguments args;
  // Separate channels must not share one TCP connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", grpc_port_),
                                   grpc::InsecureChannelCredentials(), args);
}

}  // namespace mediagen::testing
