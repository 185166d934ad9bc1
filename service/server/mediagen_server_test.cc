// The mediagen_server binary's first contact: --help prints every option
// and exits 0; an unknown flag or a bad value exits 2 naming the flag.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/server/option_table.h"

extern char** environ;

namespace mediagen::server {
namespace {

std::string BinaryPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/",
                      workspace ? workspace : "mediagen",
                      "/service/server/mediagen_server");
}

struct Result {
  int exit_code = -1;
  std::string out, err;
};

// Runs the binary to its end, collecting stdout and stderr.
Result RunServer(const std::vector<std::string>& args) {
  int out[2], err[2];
  if (pipe(out) != 0 || pipe(err) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, err[0]);
  std::vector<std::string> all = {BinaryPath()};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  const int rc =
      posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  Result r;
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    return r;
  }
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* into[2] = {&r.out, &r.err};
  int open_fds = 2;
  while (open_fds > 0 && poll(fds, 2, 30000) > 0) {
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        into[i]->append(buf, n);
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

TEST(MediagenServerTest, HelpListsEveryOptionAndExitsZero) {
  const Result r = RunServer({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.out, "mediagen_server:")) << r.out;
  for (const OptionRow& row : OptionTable()) {
    const std::string name =
        row.flag.empty() ? row.config_key : absl::StrCat("--", row.flag);
    EXPECT_TRUE(absl::StrContains(r.out, "\n  " + name)) << name;
  }
  EXPECT_FALSE(absl::StrContains(r.out, "No flags matched"));
}

TEST(MediagenServerTest, UnknownFlagExitsTwoNamingIt) {
  const Result r = RunServer({"--listen=127.0.0.1:0", "--lisen=127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "--lisen")) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(MediagenServerTest, BadValueExitsTwoNamingTheFlag) {
  const Result r =
      RunServer({"--listen=127.0.0.1:0", "--admin_listen=127.0.0.1:0",
                 "--keepalive_time=often"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "--keepalive_time")) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(MediagenServerTest, BadConfigFileExitsTwo) {
  const Result r = RunServer({"--config=/no/such/mediagen.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "/no/such/mediagen.json")) << r.err;
}

}  // namespace
}  // namespace mediagen::server
