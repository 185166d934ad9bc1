// The emulator binary itself: the port line, a route, and a clean exit on
// SIGTERM; --help and a bad flag.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace mediagen::emulator {
namespace {

std::string BinaryPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return std::string(srcdir ? srcdir : ".") + "/" +
         (workspace ? workspace : "mediagen") + "/tests/emulator/emulator";
}

struct Child {
  pid_t pid = -1;
  int out = -1;  // the child's stdout
};

Child Spawn(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<std::string> all = {BinaryPath()};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  Child c;
  const int rc =
      posix_spawn(&c.pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return {};
  }
  c.out = fds[0];
  return c;
}

// Reads the child's stdout until `stop` (a newline, or EOF when '\0') or
// the timeout.
std::string Read(int fd, char stop, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char ch;
    const ssize_t n = read(fd, &ch, 1);
    if (n <= 0) break;
    if (stop != '\0' && ch == stop) break;
    out.push_back(ch);
  }
  return out;
}

int WaitExit(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 1000; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

TEST(EmulatorBinaryTest, PrintsThePortServesAndExitsZeroOnSigterm) {
  Child c = Spawn({"--port=0", "--time_scale=0.01"});
  ASSERT_GT(c.pid, 0);
  const std::string line = Read(c.out, '\n', std::chrono::seconds(20));
  const std::string prefix = "emulator listening on 127.0.0.1:";
  ASSERT_EQ(line.rfind(prefix, 0), 0u) << "first line: '" << line << "'";
  const std::string digits = line.substr(prefix.size());
  ASSERT_FALSE(digits.empty());
  ASSERT_EQ(digits.find_first_not_of("0123456789"), std::string::npos) << line;
  const int port = std::stoi(digits);
  httplib::Client client("127.0.0.1", port);
  // The default customers work with no key flags.
  httplib::Headers demo = {{"X-Api-Key", "vimmerse-demo-key"}};
  httplib::Result missing = client.Get("/v2/media/none", demo);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing->body)["code"], "MEDIA_NOT_FOUND");
  httplib::Result created =
      client.Post("/v2/media", demo, R"({"prompt": "x"})", "application/json");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 200);
  ASSERT_EQ(kill(c.pid, SIGTERM), 0);
  EXPECT_EQ(WaitExit(c.pid), 0);
  EXPECT_EQ(Read(c.out, '\0', std::chrono::seconds(2)), "") << "one line only";
  close(c.out);
}

TEST(EmulatorBinaryTest, HelpExitsZeroAndBadFlagsExitTwo) {
  Child help = Spawn({"--help"});
  ASSERT_GT(help.pid, 0);
  const std::string text = Read(help.out, '\0', std::chrono::seconds(20));
  EXPECT_EQ(WaitExit(help.pid), 0);
  EXPECT_NE(text.find("/_emulator/faults"), std::string::npos);
  EXPECT_NE(text.find("--vimmerse_key"), std::string::npos);
  close(help.out);
  Child bad = Spawn({"--no_such_flag=1"});
  ASSERT_GT(bad.pid, 0);
  EXPECT_EQ(WaitExit(bad.pid), 2);
  close(bad.out);
}

}  // namespace
}  // namespace mediagen::emulator
