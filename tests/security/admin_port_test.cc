// The admin port under hostile clients (issue 16, findings 3 and 4): the
// real server binary, its admin port (webhooks, health, metrics) facing
// clients that send chunked bodies of 128 MiB, drip their headers, or open
// a thousand connections and send nothing.
//
//   - chunked webhook bodies are cut off at 64 KiB (413) like those with a
//     Content-Length, and memory stays flat;
//   - 8 connections dripping one header line a second do not delay
//     /healthz, /readyz, /metrics or webhooks, and SIGTERM still drains
//     in time and exits 0;
//   - 1,100 idle connections under a 1024 open-files limit do not take the
//     descriptors gRPC needs: creates keep working, health keeps answering;
//   - the soft open-files limit is raised to the hard one at start-up.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "tests/testing_util/harness.h"
#include "tests/security/two_tenants.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

// A TCP connection that sends exactly what it is told.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = fd_ >= 0 &&
          connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return ok_; }
  bool Send(absl::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Everything the server sends until it closes or `timeout` passes.
  std::string ReadAll(absl::Duration timeout) {
    std::string out;
    const absl::Time end = absl::Now() + timeout;
    while (absl::Now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

// A path that looks like a webhook receiver, of a tenant that does not
// exist: anybody can send to it.
const std::string kStrangerPath =
    "/webhooks/vimmerse/initech/" + std::string(64, 'a');

class AdminPortTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {},
             std::vector<std::string> wrapper = {}) {
    absl::Status s = t_.Start(std::move(flags), std::move(wrapper));
    ASSERT_TRUE(s.ok()) << s;
  }
  void TearDown() override {
    if (t_.started() && HasFailure()) {
      std::cerr << "--- server stderr (tail) ---\n"
                << Tail(t_.server().process().stderr_text());
    }
  }
  static std::string Tail(const std::string& s) {
    return s.size() > 6000 ? s.substr(s.size() - 6000) : s;
  }
  int admin_port() { return t_.server().admin_port(); }

  // One request on a fresh connection: its status (-1 if none came) and
  // how long it took.
  std::pair<int, absl::Duration> Timed(const std::string& method,
                                       const std::string& path,
                                       const std::string& body = "") {
    httplib::Client c("127.0.0.1", admin_port());
    c.set_connection_timeout(3, 0);
    c.set_read_timeout(3, 0);
    const absl::Time start = absl::Now();
    auto r = method == "GET" ? c.Get(path.c_str())
                             : c.Post(path.c_str(), body, "application/json");
    return {r ? r->status : -1, absl::Now() - start};
  }

  TwoTenants t_;
};

TEST_F(AdminPortTest, ChunkedWebhookBodiesAreCutOffAtTheLimit) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const long rss_before = t_.server().process().RssKiB();
  // Four senders at once, each trying 128 MiB in 16 KiB chunks.
  std::atomic<int64_t> accepted_bytes{0};
  std::vector<std::string> answers(4);
  std::vector<std::thread> senders;
  for (int i = 0; i < 4; ++i) {
    senders.emplace_back([&, i] {
      RawConnection c(admin_port());
      ASSERT_TRUE(c.ok());
      c.Send("POST " + kStrangerPath +
             " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
      const std::string chunk =
          "4000\r\n" + std::string(16 << 10, 'x') + "\r\n";
      int64_t sent = 0;
      while (sent < (int64_t{128} << 20) && c.Send(chunk)) sent += chunk.size();
      accepted_bytes += sent;
      answers[i] = c.ReadAll(absl::Seconds(3));
    });
  }
  for (auto& t : senders) t.join();
  for (const std::string& a : answers) {
    EXPECT_TRUE(absl::StartsWith(a, "HTTP/1.1 413")) << a.substr(0, 80);
  }
  // What the kernel buffered before the server closed, not the 512 MiB.
  EXPECT_LT(accepted_bytes.load(), int64_t{128} << 20);
  const long rss_after = t_.server().process().RssKiB();
  const long rss_peak = t_.server().process().PeakRssKiB();
  EXPECT_LT(rss_peak - rss_before, 20 << 10)
      << "RSS " << rss_before / 1024 << " MB -> peak " << rss_peak / 1024
      << " MB";
  std::cerr << "4 x 128 MiB chunked: senders got " << (accepted_bytes >> 20)
            << " MiB in; server RSS " << rss_before / 1024 << " MB -> "
            << rss_after / 1024 << " MB (peak " << rss_peak / 1024 << " MB)\n";

  // Just over the limit: 413. At the limit: read, and judged by its body.
  auto post_chunked = [&](size_t bytes) {
    RawConnection c(admin_port());
    c.Send(absl::StrCat("POST ", kStrangerPath,
                        " HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                        absl::Hex(bytes), "\r\n", std::string(bytes, ' '),
                        "\r\n0\r\n\r\n"));
    return c.ReadAll(absl::Seconds(2)).substr(0, 12);
  };
  EXPECT_EQ(post_chunked((64 << 10) + 1), "HTTP/1.1 413");
  EXPECT_EQ(post_chunked(64 << 10), "HTTP/1.1 404");
  EXPECT_EQ(Timed("GET", "/healthz").first, 200);
}

// Opens `n` connections that send a request head one line at a time, a line
// every `every`, until stopped; they never finish it.
class Drippers {
 public:
  Drippers(int port, int n, absl::Duration every) {
    for (int i = 0; i < n; ++i) {
      conns_.push_back(std::make_unique<RawConnection>(port));
      conns_.back()->Send("POST " + kStrangerPath + " HTTP/1.1\r\n");
    }
    thread_ = std::thread([this, every] {
      int line = 0;
      while (!stop_.load()) {
        for (auto& c : conns_)
          c->Send(absl::StrCat("X-Drip-", line, ": a\r\n"));
        ++line;
        const absl::Time next = absl::Now() + every;
        while (!stop_.load() && absl::Now() < next) {
          absl::SleepFor(absl::Milliseconds(20));
        }
      }
    });
  }
  ~Drippers() {
    stop_.store(true);
    thread_.join();
  }

 private:
  std::vector<std::unique_ptr<RawConnection>> conns_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(AdminPortTest, DrippingClientsDelayNeitherHealthChecksNorTheDrain) {
  // A short drain, so that one held up shows within the test: at most
  // 0.5 + 1 + 1 s from the signal to exit.
  ASSERT_NO_FATAL_FAILURE(Start(
      {"--drain_delay=500ms", "--shutdown_grace=1s", "--shutdown_timeout=1s"}));
  Drippers drippers(admin_port(), 8, absl::Seconds(1));
  absl::SleepFor(absl::Milliseconds(500));
  absl::Duration worst;
  const std::string webhook = TwoTenants::WebhookPath("acme");
  for (int round = 0; round < 3; ++round) {
    for (const auto& [method, path] :
         std::vector<std::pair<std::string, std::string>>{{"GET", "/healthz"},
                                                          {"GET", "/readyz"},
                                                          {"GET", "/metrics"},
                                                          {"POST", webhook}}) {
      const auto [status, took] =
          Timed(method, path, R"({"media_id":"m-1","status":"processing"})");
      EXPECT_EQ(status, method == "POST" ? 204 : 200) << path;
      EXPECT_LT(took, absl::Milliseconds(500)) << path;
      worst = std::max(worst, took);
    }
    absl::SleepFor(absl::Milliseconds(700));
  }
  std::cerr << "8 dripping connections: slowest admin answer "
            << absl::ToDoubleMilliseconds(worst) << " ms\n";
  // SIGTERM while they still drip: the drain ends in time, exit 0.
  const absl::Time start = absl::Now();
  absl::StatusOr<int> code =
      t_.server().process().Stop(SIGTERM, absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(2500));
  EXPECT_FALSE(
      absl::StrContains(t_.server().process().stderr_text(), "drain overran"));
  std::cerr << "SIGTERM under the drip: exit " << *code << " after "
            << absl::ToDoubleMilliseconds(absl::Now() - start) << " ms\n";
}

TEST_F(AdminPortTest, IdleConnectionsCannotTakeTheDescriptorsGrpcNeeds) {
  // Soft and hard limit 1024: nothing to raise, the admin cap must do it.
  ASSERT_NO_FATAL_FAILURE(
      Start({}, {"/usr/bin/prlimit", "--nofile=1024:1024", "--"}));
  const int fds_before = t_.server().process().OpenFdCount();
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 1100; ++i) {
    idle.push_back(std::make_unique<RawConnection>(admin_port()));
  }
  absl::SleepFor(absl::Milliseconds(500));
  const int fds = t_.server().process().OpenFdCount();
  std::cerr << "1100 idle admin connections: server fds " << fds_before
            << " -> " << fds << "\n";
  EXPECT_LT(fds, fds_before + 300);

  // gRPC on a new connection: creates go through.
  auto media = v1::MediaService::NewStub(t_.server().NewChannel());
  for (int i = 0; i < 10; ++i) {
    v1::CreateMediaRequest req;
    req.set_prompt("under an fd attack");
    v1::CreateMediaResponse resp;
    EXPECT_THAT(
        media->CreateMedia(
            TwoTenants::Ctx(TwoTenants::kAcmeToken, absl::Seconds(5)).get(),
            req, &resp),
        IsOk());
  }
  // And the admin port still answers (a newcomer displaces an idle one).
  const auto [status, took] = Timed("GET", "/healthz");
  EXPECT_EQ(status, 200);
  EXPECT_LT(took, absl::Milliseconds(500));
  httplib::Client c("127.0.0.1", admin_port());
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(
      metrics->body,
      ::testing::ContainsRegex(
          "mediagen_admin_connections_dropped_total\\{reason=\"limit\"\\} "
          "[1-9]"));
}

TEST_F(AdminPortTest, TheSoftOpenFilesLimitIsRaisedToTheHardOne) {
  ASSERT_NO_FATAL_FAILURE(
      Start({}, {"/usr/bin/prlimit", "--nofile=1024:8192", "--"}));
  std::ifstream limits(
      absl::StrCat("/proc/", t_.server().process().pid(), "/limits"));
  std::stringstream ss;
  ss << limits.rdbuf();
  EXPECT_THAT(ss.str(),
              ::testing::ContainsRegex("Max open files +8192 +8192 +files"));
  EXPECT_TRUE(absl::StrContains(t_.server().process().stderr_text(),
                                "\"admin_max_connections\":256"));
}

}  // namespace
}  // namespace mediagen::testing
