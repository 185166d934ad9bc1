#include "service/server/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace mediagen::server {
namespace {

using Event = HttpServer::Event;

// A plain TCP client that sends exactly what it is told.
class Client {
 public:
  explicit Client(int port, bool connect_now = true, int rcvbuf = 0)
      : port_(port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (rcvbuf > 0) {
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    if (connect_now) Connect();
  }
  bool Connect() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return connected_;
  }
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return connected_; }

  // False once the server has closed or reset the connection.
  bool Send(absl::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until `until` returns true for what was read, the connection
  // closes, or `timeout` passes.
  std::string ReadUntil(const std::function<bool(const std::string&)>& until,
                        absl::Duration timeout = absl::Seconds(5)) {
    const absl::Time end = absl::Now() + timeout;
    while (!until(buf_) && !closed_) {
      const absl::Duration left = end - absl::Now();
      if (left <= absl::ZeroDuration()) break;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <=
          0) {
        continue;
      }
      char chunk[65536];
      const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      buf_.append(chunk, static_cast<size_t>(n));
    }
    return buf_;
  }

  struct Response {
    int status = 0;
    std::map<std::string, std::string> headers;  // lowercase names
    std::string body;
  };
  // The next whole response (Content-Length framed), or status 0.
  Response ReadResponse(absl::Duration timeout = absl::Seconds(5)) {
    Response r;
    ReadUntil(
        [](const std::string& b) { return absl::StrContains(b, "\r\n\r\n"); },
        timeout);
    const size_t end = buf_.find("\r\n\r\n");
    if (end == std::string::npos) return r;
    std::vector<std::string> lines =
        absl::StrSplit(buf_.substr(0, end), "\r\n");
    std::vector<std::string> status_line = absl::StrSplit(lines[0], ' ');
    if (status_line.size() < 2 ||
        !absl::SimpleAtoi(status_line[1], &r.status)) {
      return r;
    }
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      r.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    }
    size_t length = 0;
    if (r.headers.count("content-length")) {
      (void)absl::SimpleAtoi(r.headers["content-length"], &length);
    }
    const size_t total = end + 4 + length;
    ReadUntil([&](const std::string& b) { return b.size() >= total; }, timeout);
    if (buf_.size() < total) {
      r.status = 0;
      return r;
    }
    r.body = buf_.substr(end + 4, length);
    buf_.erase(0, total);
    return r;
  }

  // Whether the server closes the connection within `timeout`.
  bool WaitClosed(absl::Duration timeout) {
    ReadUntil([](const std::string&) { return false; }, timeout);
    return closed_;
  }
  void ShutdownWrite() { shutdown(fd_, SHUT_WR); }
  int fd() const { return fd_; }

 private:
  const int port_;
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string buf_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  // Echoes the request: "<method> <target> <body>".
  void StartServer(HttpServer::Options options = {}) {
    options.on_event = [this](Event e) {
      std::lock_guard<std::mutex> lock(mu_);
      ++events_[e];
    };
    server_ = std::make_unique<HttpServer>(
        std::move(options), [this](const HttpRequest& r) {
          ++handled_;
          HttpServer::Response res;
          res.content_type = "text/plain";
          if (r.path == "/big") {
            res.body = big_;
          } else if (r.path == "/empty") {
            res.status = 204;
          } else {
            res.body = absl::StrCat(r.method, " ", r.target, " ", r.body);
          }
          return res;
        });
    absl::StatusOr<int> port = server_->Start("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = *port;
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  int Events(Event e) {
    std::lock_guard<std::mutex> lock(mu_);
    return events_[e];
  }
  // Events are counted just after the socket closes: a client may see the
  // close first.
  int EventsAfter(Event e, int want) {
    const absl::Time end = absl::Now() + absl::Seconds(2);
    while (Events(e) < want && absl::Now() < end) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    return Events(e);
  }

  // More than the server's socket buffer and a small client one hold.
  const std::string big_ = std::string(8 << 20, 'b');
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  std::atomic<int> handled_{0};
  std::mutex mu_;
  std::map<Event, int> events_;
};

TEST_F(HttpServerTest, ServesKeepAliveAndPipelinedRequestsInOrder) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
  Client::Response r = c.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /a ");
  EXPECT_EQ(r.headers["content-type"], "text/plain");
  EXPECT_EQ(r.headers.count("connection"), 0u);
  // Three at once, one of them with a body, on the same connection.
  ASSERT_TRUE(c.Send(
      "GET /b HTTP/1.1\r\n\r\nPOST /c HTTP/1.1\r\nContent-Length: 3\r\n\r\n"
      "xyzGET /d?q=1 HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(c.ReadResponse().body, "GET /b ");
  EXPECT_EQ(c.ReadResponse().body, "POST /c xyz");
  EXPECT_EQ(c.ReadResponse().body, "GET /d?q=1 ");
  EXPECT_EQ(server_->open_connections(), 1u);
  // Many pipelined requests are all served, in order.
  std::string many;
  for (int i = 0; i < 40; ++i)
    absl::StrAppend(&many, "GET /p", i, " HTTP/1.1\r\n\r\n");
  Client d(port_);
  ASSERT_TRUE(d.Send(many));
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(d.ReadResponse().body, absl::StrCat("GET /p", i, " ")) << i;
  }
}

TEST_F(HttpServerTest, RequestsArrivingAByteAtATimeAreServed) {
  StartServer();
  Client c(port_);
  const std::string req =
      "POST /w HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: v\r\n\r\n";
  for (char ch : req) {
    ASSERT_TRUE(c.Send(std::string(1, ch)));
    absl::SleepFor(absl::Microseconds(200));
  }
  EXPECT_EQ(c.ReadResponse().body, "POST /w abcde");
}

TEST_F(HttpServerTest, HeadHttp10And204) {
  StartServer();
  {
    Client c(port_);
    ASSERT_TRUE(c.Send("HEAD /a HTTP/1.1\r\n\r\nGET /empty HTTP/1.1\r\n\r\n"));
    Client::Response head = c.ReadResponse();
    EXPECT_EQ(head.status, 200);
    // A HEAD answer has the GET's length and no body: the next response
    // follows at once.
    EXPECT_EQ(head.headers["content-length"], "8");
    Client::Response empty = c.ReadResponse();
    EXPECT_EQ(empty.status, 204);
    EXPECT_EQ(empty.headers.count("content-length"), 0u);
  }
  {
    Client c(port_);
    ASSERT_TRUE(c.Send("GET /a HTTP/1.0\r\n\r\n"));
    Client::Response r = c.ReadResponse();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["connection"], "close");
    EXPECT_TRUE(c.WaitClosed(absl::Seconds(2)));
  }
  {
    Client c(port_);
    ASSERT_TRUE(c.Send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    EXPECT_EQ(c.ReadResponse().headers["connection"], "keep-alive");
    ASSERT_TRUE(c.Send("GET /b HTTP/1.1\r\nConnection: close\r\n\r\n"));
    EXPECT_EQ(c.ReadResponse().headers["connection"], "close");
    EXPECT_TRUE(c.WaitClosed(absl::Seconds(2)));
  }
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterimAnswerBeforeTheBody) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send(
      "POST /w HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  const std::string interim = c.ReadUntil(
      [](const std::string& b) { return absl::StrContains(b, "\r\n\r\n"); });
  EXPECT_TRUE(absl::StartsWith(interim, "HTTP/1.1 100 Continue\r\n\r\n"))
      << interim;
  EXPECT_EQ(c.ReadResponse().status, 100);
  ASSERT_TRUE(c.Send("body"));
  EXPECT_EQ(c.ReadResponse().body, "POST /w body");
  // Refused from its length: no 100, a 413 at once.
  Client d(port_);
  ASSERT_TRUE(
      d.Send("POST /w HTTP/1.1\r\nExpect: 100-continue\r\n"
             "Content-Length: 1000000\r\n\r\n"));
  EXPECT_EQ(d.ReadResponse().status, 413);
}

TEST_F(HttpServerTest, MalformedRequestsGetTheirStatusAndTheConnectionCloses) {
  StartServer();
  const std::vector<std::pair<std::string, int>> cases = {
      {"GARBAGE\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nA : b\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n"
       "\r\n",
       400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"GET / HTTP/3.0\r\n\r\n", 505},
      {"GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n", 431},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd", 400},
  };
  for (const auto& [input, status] : cases) {
    Client c(port_);
    c.Send(input);
    Client::Response r = c.ReadResponse();
    EXPECT_EQ(r.status, status) << input.substr(0, 60);
    EXPECT_EQ(r.headers["connection"], "close");
    EXPECT_TRUE(c.WaitClosed(absl::Seconds(3))) << input.substr(0, 60);
  }
  EXPECT_EQ(handled_, 0);
  EXPECT_EQ(EventsAfter(Event::kRefused, cases.size()),
            static_cast<int>(cases.size()));
}

TEST_F(HttpServerTest, BodiesOverTheLimitAreRefusedWithoutBeingRead) {
  HttpServer::Options o;
  o.limits.max_body_bytes = 64 << 10;
  StartServer(o);
  {
    // From the Content-Length alone.
    Client c(port_);
    ASSERT_TRUE(
        c.Send("POST /w HTTP/1.1\r\nContent-Length: 134217728\r\n\r\n"));
    EXPECT_EQ(c.ReadResponse().status, 413);
    EXPECT_TRUE(c.WaitClosed(absl::Seconds(3)));
  }
  {
    // Chunked, sent without pause: refused at the chunk that crosses the
    // limit; the sender finds the connection closed long before 128 MiB.
    Client c(port_);
    ASSERT_TRUE(
        c.Send("POST /w HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk = "4000\r\n" + std::string(16 << 10, 'x') + "\r\n";
    int64_t sent = 0;
    while (sent < (int64_t{128} << 20) && c.Send(chunk)) sent += chunk.size();
    EXPECT_LT(sent, int64_t{64} << 20) << "the server kept reading";
    EXPECT_EQ(c.ReadResponse().status, 413);
  }
  {
    // A client that sends all of a refused 8 MiB body before it reads still
    // gets its answer, not a reset.
    Client c(port_);
    ASSERT_TRUE(c.Send("POST /w HTTP/1.1\r\nContent-Length: 8388608\r\n\r\n"));
    EXPECT_TRUE(c.Send(std::string(8 << 20, 'z')));
    EXPECT_EQ(c.ReadResponse().status, 413);
  }
  {
    // Exactly the limit is served.
    Client c(port_);
    ASSERT_TRUE(
        c.Send("POST /w HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
               "10000\r\n" +
               std::string(64 << 10, 'y') + "\r\n0\r\n\r\n"));
    Client::Response r = c.ReadResponse();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.size(), 8 + (64u << 10));
  }
  EXPECT_EQ(handled_, 1);
}

TEST_F(HttpServerTest, DeadlinesCoverTheWholeHeadAndBodyNotEachRead) {
  HttpServer::Options o;
  o.head_timeout = absl::Milliseconds(400);
  o.body_timeout = absl::Milliseconds(400);
  StartServer(o);
  auto drip = [&](const std::string& prefix, absl::string_view slow) {
    Client c(port_);
    c.Send(prefix);
    const absl::Time start = absl::Now();
    // One byte every 50 ms: each read is quick, the whole is too slow.
    for (char ch : slow) {
      if (!c.Send(std::string(1, ch))) break;
      if (c.WaitClosed(absl::Milliseconds(50))) break;
    }
    c.WaitClosed(absl::Seconds(3));
    return absl::Now() - start;
  };
  const absl::Duration head =
      drip("", "GET / HTTP/1.1\r\nA: " + std::string(200, 'a'));
  EXPECT_GE(head, absl::Milliseconds(350));
  EXPECT_LT(head, absl::Milliseconds(1500));
  EXPECT_EQ(EventsAfter(Event::kHeadTimeout, 1), 1);
  const absl::Duration body = drip(
      "POST / HTTP/1.1\r\nContent-Length: 200\r\n\r\n", std::string(200, 'b'));
  EXPECT_GE(body, absl::Milliseconds(350));
  EXPECT_LT(body, absl::Milliseconds(1500));
  EXPECT_EQ(EventsAfter(Event::kBodyTimeout, 1), 1);
  // An idle connection, and an idle keep-alive one after its response.
  Client idle(port_);
  EXPECT_TRUE(idle.WaitClosed(absl::Seconds(2)));
  Client kept(port_);
  kept.Send("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(kept.ReadResponse().status, 200);
  EXPECT_TRUE(kept.WaitClosed(absl::Seconds(2)));
  EXPECT_EQ(EventsAfter(Event::kHeadTimeout, 3), 3);
  EXPECT_EQ(handled_, 1);
}

TEST_F(HttpServerTest, AReaderThatNeverReadsIsClosedAndHoldsNobodyUp) {
  HttpServer::Options o;
  o.write_timeout = absl::Milliseconds(500);
  StartServer(o);
  Client stuck(port_, true, /*rcvbuf=*/4096);
  stuck.Send("GET /big HTTP/1.1\r\n\r\n");
  absl::SleepFor(absl::Milliseconds(100));
  // Meanwhile others are served at once.
  const absl::Time start = absl::Now();
  Client other(port_);
  other.Send("GET /a HTTP/1.1\r\n\r\n");
  EXPECT_EQ(other.ReadResponse().status, 200);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(300));
  absl::SleepFor(absl::Milliseconds(800));
  EXPECT_EQ(EventsAfter(Event::kWriteTimeout, 1), 1);
  EXPECT_EQ(server_->open_connections(), 1u);  // `other` only
}

TEST_F(HttpServerTest, SlowClientsDoNotDelayOthers) {
  StartServer();
  std::vector<std::unique_ptr<Client>> slow;
  for (int i = 0; i < 50; ++i) {
    slow.push_back(std::make_unique<Client>(port_));
    slow.back()->Send("POST /w HTTP/1.1\r\nX-Slow: ");
  }
  for (int i = 0; i < 20; ++i) {
    const absl::Time start = absl::Now();
    Client c(port_);
    c.Send("GET /healthz HTTP/1.1\r\n\r\n");
    EXPECT_EQ(c.ReadResponse().status, 200);
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(100));
    for (auto& s : slow) s->Send("a");
  }
}

TEST_F(HttpServerTest, TheConnectionCapShedsTheOldestIdleOrTheNewcomer) {
  HttpServer::Options o;
  o.max_connections = 4;
  StartServer(o);
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(std::make_unique<Client>(port_));
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(server_->open_connections(), 4u);
  // A fifth is served: the oldest idle one made room.
  Client fifth(port_);
  fifth.Send("GET /a HTTP/1.1\r\n\r\n");
  EXPECT_EQ(fifth.ReadResponse().status, 200);
  EXPECT_TRUE(idle[0]->WaitClosed(absl::Seconds(1)));
  EXPECT_FALSE(idle[1]->WaitClosed(absl::Milliseconds(50)));
  EXPECT_EQ(server_->open_connections(), 4u);
  EXPECT_EQ(EventsAfter(Event::kShedAtLimit, 1), 1);

  // Four connections in the middle of a body: nobody can be shed, so a
  // newcomer is closed at once.
  fifth.Send("POST /w HTTP/1.1\r\nContent-Length: 10\r\n\r\nab");
  for (int i = 1; i < 4; ++i) {
    idle[i]->Send("POST /w HTTP/1.1\r\nContent-Length: 10\r\n\r\nab");
  }
  absl::SleepFor(absl::Milliseconds(100));
  Client sixth(port_);
  EXPECT_TRUE(sixth.WaitClosed(absl::Seconds(1)));
  EXPECT_EQ(EventsAfter(Event::kShedAtLimit, 2), 2);
  EXPECT_EQ(server_->open_connections(), 4u);
  // The busy ones go on.
  fifth.Send("cdefghij");
  EXPECT_EQ(fifth.ReadResponse().body, "POST /w abcdefghij");
}

TEST_F(HttpServerTest, KeepAliveEndsAfterMaxRequests) {
  HttpServer::Options o;
  o.max_requests_per_connection = 3;
  StartServer(o);
  Client c(port_);
  c.Send(
      "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n"
      "GET /4 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(c.ReadResponse().headers.count("connection"), 0u);
  EXPECT_EQ(c.ReadResponse().headers.count("connection"), 0u);
  Client::Response third = c.ReadResponse();
  EXPECT_EQ(third.body, "GET /3 ");
  EXPECT_EQ(third.headers["connection"], "close");
  EXPECT_TRUE(c.WaitClosed(absl::Seconds(2)));
  EXPECT_EQ(handled_, 3);
}

TEST_F(HttpServerTest, AHalfClosedClientStillGetsItsAnswer) {
  StartServer();
  Client c(port_);
  c.Send("GET /a HTTP/1.1\r\n\r\n");
  c.ShutdownWrite();
  EXPECT_EQ(c.ReadResponse().status, 200);
  EXPECT_TRUE(c.WaitClosed(absl::Seconds(2)));
  // A request cut short by the close is dropped.
  Client d(port_);
  d.Send("GET /a HTTP/1.1\r\nHost:");
  d.ShutdownWrite();
  EXPECT_TRUE(d.WaitClosed(absl::Seconds(2)));
  EXPECT_EQ(handled_, 1);
}

TEST_F(HttpServerTest, StopReturnsAtOnceWhateverClientsDo) {
  StartServer();
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 100; ++i) {
    clients.push_back(std::make_unique<Client>(port_));
    switch (i % 4) {
      case 0:
        break;  // idle
      case 1:
        clients.back()->Send("GET / HTTP/1.1\r\nX: ");
        break;
      case 2:
        clients.back()->Send("POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n");
        break;
      case 3:
        clients.back()->Send(i < 10 ? "GET /big HTTP/1.1\r\n\r\n"
                                    : "GET /a HTTP/1.1\r\n\r\n");
        break;
    }
  }
  absl::SleepFor(absl::Milliseconds(200));
  const absl::Time start = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(100));
  EXPECT_EQ(server_->open_connections(), 0u);
  for (auto& c : clients) EXPECT_TRUE(c->WaitClosed(absl::Seconds(1)));
  server_->Stop();  // idempotent
}

TEST_F(HttpServerTest, OutOfFileDescriptorsAcceptingPausesAndResumes) {
  StartServer();
  // Client sockets made first; then the limit is lowered to what is open,
  // so the server can accept nothing while they connect.
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<Client>(port_, /*connect_now=*/false));
  }
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  // A new descriptor takes the lowest free number, which must be below the
  // limit: the lowest free number as the limit leaves none.
  const int lowest_free = dup(0);
  ASSERT_GE(lowest_free, 0);
  close(lowest_free);
  rlimit low = saved;
  low.rlim_cur = lowest_free;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  for (auto& c : clients) EXPECT_TRUE(c->Connect());
  absl::SleepFor(absl::Milliseconds(300));
  // They wait in the backlog, holding none of the server's descriptors.
  EXPECT_EQ(server_->open_connections(), 0u);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  // With descriptors back, accepting resumes and they are served.
  for (auto& c : clients) {
    ASSERT_TRUE(c->Send("GET /a HTTP/1.1\r\n\r\n"));
    EXPECT_EQ(c->ReadResponse(absl::Seconds(3)).status, 200);
  }
}

}  // namespace
}  // namespace mediagen::server
