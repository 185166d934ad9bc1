#include "service/http/curl_transport.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "service/http/body_pipe.h"
#include "service/http/multipart_body.h"
#include "service/http/transport.h"
#include "tests/testing_util/status_matchers.h"

#if defined(__SANITIZE_ADDRESS__)
// ASan parks freed memory in a quarantine (256 MiB by default) to catch use
// after free. The upload test frees 100 MiB of chunks as it goes and
// measures RSS, so a smaller quarantine keeps that measurement about the
// transport rather than about ASan; use-after-free detection stays on.
extern "C" __attribute__((used)) const char* __asan_default_options() {
  return "quarantine_size_mb=16";
}
#endif

namespace mediagen::http {
namespace {

using ::mediagen::testing::StatusIs;

// ---------------------------------------------------------------------------
// Helpers

// A position-sensitive 64-bit hash that can be fed in arbitrary pieces and
// gives the same value however the stream is split (8 bytes at a time keeps
// it fast under the sanitizers).
class StreamHash {
 public:
  void Update(const char* data, size_t n) {
    total_ += n;
    while (n > 0 && carry_n_ > 0) {
      carry_[carry_n_++] = *data++;
      --n;
      if (carry_n_ == 8) {
        Mix(carry_);
        carry_n_ = 0;
      }
    }
    while (n >= 8) {
      Mix(data);
      data += 8;
      n -= 8;
    }
    while (n > 0) {
      carry_[carry_n_++] = *data++;
      --n;
    }
  }
  void Update(absl::string_view s) { Update(s.data(), s.size()); }
  uint64_t Final() const {
    uint64_t h = h_;
    for (size_t i = 0; i < carry_n_; ++i) {
      h = (h ^ static_cast<unsigned char>(carry_[i])) * 0x100000001b3ULL;
    }
    return h ^ total_;
  }
  uint64_t total() const { return total_; }

 private:
  void Mix(const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h_ = (h_ ^ w) * 0x9E3779B97F4A7C15ULL;
    h_ ^= h_ >> 29;
  }
  uint64_t h_ = 0xcbf29ce484222325ULL;
  uint64_t total_ = 0;
  char carry_[8] = {};
  size_t carry_n_ = 0;
};

// Deterministic test data: a 64 KiB block whose first 8 bytes carry the
// block's index, so a lost, repeated or reordered block changes the hash.
std::string Block(uint64_t index, size_t size = 64 * 1024) {
  std::string b(size, '\0');
  for (size_t i = 0; i < size; ++i)
    b[i] = static_cast<char>((i * 131 + 7) & 0xff);
  std::memcpy(b.data(), &index, std::min<size_t>(8, size));
  return b;
}

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Threads of this process whose name starts with `prefix` ("" = all).
int CountThreads(const std::string& prefix) {
  int count = 0;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream comm(
        absl::StrCat("/proc/self/task/", entry->d_name, "/comm"));
    std::string name;
    std::getline(comm, name);
    if (absl::StartsWith(name, prefix)) ++count;
  }
  closedir(dir);
  return count;
}

// Collects one completion and counts how often it ran.
class Completion {
 public:
  HttpTransport::Done Callback() {
    return [this](absl::StatusOr<HttpResponse> r) {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_;
      if (!result_.has_value()) result_ = std::move(r);
      cv_.notify_all();
    };
  }
  // The result, or DEADLINE_EXCEEDED "test timeout" if none came in time.
  absl::StatusOr<HttpResponse> Wait(
      absl::Duration timeout = absl::Seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                      [&] { return result_.has_value(); })) {
      return absl::DeadlineExceededError("test timeout: no completion");
    }
    return *result_;
  }
  int calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<absl::StatusOr<HttpResponse>> result_;
  int calls_ = 0;
};

absl::StatusOr<HttpResponse> Fetch(HttpTransport& transport,
                                   HttpRequest request) {
  Completion c;
  transport.Start(std::move(request), c.Callback());
  return c.Wait();
}

// ---------------------------------------------------------------------------
// A small HTTP/1.1 server for the tests that need control over connections
// and bytes: one thread per connection, keep-alive, Content-Length and
// chunked request bodies, counted accepts and closes.

class TestServer {
 public:
  struct Request {
    std::string method;
    std::string target;
    Headers headers;   // names lower-cased
    std::string body;  // only when Options::store_body
    uint64_t body_bytes = 0;
    uint64_t body_hash = 0;
    bool complete = false;  // the body arrived whole
    int connection = 0;     // 1-based index of the accepted connection
  };

  class Conn {
   public:
    explicit Conn(int fd, std::atomic<uint64_t>* sent) : fd_(fd), sent_(sent) {}
    bool Write(absl::string_view data) {
      while (!data.empty()) {
        ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        sent_->fetch_add(n);
        data.remove_prefix(n);
      }
      return true;
    }
    bool Respond(int status, const std::string& body,
                 const std::string& extra_headers = "") {
      return Write(absl::StrCat("HTTP/1.1 ", status,
                                " X\r\nContent-Length: ", body.size(), "\r\n",
                                extra_headers, "\r\n", body));
    }
    // Waits up to `timeout` for the peer to close; true if it did.
    bool PeerClosed(absl::Duration timeout) {
      pollfd p{fd_, POLLRDHUP, 0};
      int r = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
      return r > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
    }
    int fd() const { return fd_; }

   private:
    int fd_;
    std::atomic<uint64_t>* sent_;
  };

  // Return false to close the connection after this response.
  using Handler = std::function<bool(const Request&, Conn&)>;

  struct Options {
    bool store_body = true;
    int send_buffer = 0;  // SO_SNDBUF of accepted sockets, 0 = default
  };

  explicit TestServer(Handler handler)
      : TestServer(std::move(handler), Options()) {}
  TestServer(Handler handler, Options options)
      : handler_(std::move(handler)), options_(options) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(
        bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(listen_fd_, 128), 0);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  ~TestServer() { Stop(); }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
      cv_.notify_all();
    }
    shutdown(listen_fd_, SHUT_RDWR);
    accept_thread_.join();
    close(listen_fd_);
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads.swap(conn_threads_);
    }
    for (auto& t : threads) t.join();
  }

  std::string Url(absl::string_view path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }
  int port() const { return port_; }
  uint64_t bytes_sent() const { return sent_.load(); }

  int accepted() const {
    std::lock_guard<std::mutex> lock(mu_);
    return accepted_;
  }
  int closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  // Waits until `pred` (called under the server's lock) holds.
  bool WaitFor(const std::function<bool()>& pred,
               absl::Duration timeout = absl::Seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), pred);
  }
  // For handlers: sleeps up to `d`, returning early (true) when stopping.
  bool SleepUnlessStopped(absl::Duration d) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoMilliseconds(d),
                        [&] { return stopping_; });
  }
  // Lets handlers share a counter with the test under the server's lock.
  template <typename F>
  auto Locked(F f) {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = f();
    cv_.notify_all();
    return r;
  }
  // Unlocked reads for use inside WaitFor predicates.
  int accepted_locked() const { return accepted_; }
  int closed_locked() const { return closed_; }
  const std::vector<Request>& requests_locked() const { return requests_; }

 private:
  void AcceptLoop() {
    for (;;) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) {
        close(fd);
        return;
      }
      if (options_.send_buffer > 0) {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &options_.send_buffer,
                   sizeof(options_.send_buffer));
      }
      int index = ++accepted_;
      open_fds_.push_back(fd);
      conn_threads_.emplace_back([this, fd, index] { Serve(fd, index); });
      cv_.notify_all();
    }
  }

  // Buffered reading from one connection.
  class Reader {
   public:
    explicit Reader(int fd) : fd_(fd) {}
    bool Fill() {
      if (pos_ > 0 && pos_ == buf_.size()) {
        buf_.clear();
        pos_ = 0;
      }
      char tmp[256 * 1024];
      ssize_t n = recv(fd_, tmp, sizeof(tmp), 0);
      if (n <= 0) return false;
      buf_.append(tmp, n);
      return true;
    }
    bool ReadLine(std::string* line) {
      for (;;) {
        size_t eol = buf_.find("\r\n", pos_);
        if (eol != std::string::npos) {
          *line = buf_.substr(pos_, eol - pos_);
          pos_ = eol + 2;
          return true;
        }
        if (!Fill()) return false;
      }
    }
    // Hands `n` bytes to `sink` in pieces.
    bool ReadN(uint64_t n,
               const std::function<void(const char*, size_t)>& sink) {
      while (n > 0) {
        if (pos_ == buf_.size() && !Fill()) return false;
        size_t take = std::min<uint64_t>(n, buf_.size() - pos_);
        sink(buf_.data() + pos_, take);
        pos_ += take;
        n -= take;
      }
      return true;
    }

   private:
    int fd_;
    std::string buf_;
    size_t pos_ = 0;
  };

  void Serve(int fd, int index) {
    Reader reader(fd);
    Conn conn(fd, &sent_);
    for (;;) {
      Request req;
      req.connection = index;
      std::string line;
      if (!reader.ReadLine(&line)) break;
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      if (parts.size() != 3) break;
      req.method = parts[0];
      req.target = parts[1];
      bool header_ok = true;
      while ((header_ok = reader.ReadLine(&line)) && !line.empty()) {
        size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        req.headers.emplace_back(
            absl::AsciiStrToLower(line.substr(0, colon)),
            std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
      }
      if (!header_ok) break;
      StreamHash hash;
      auto sink = [&](const char* data, size_t n) {
        hash.Update(data, n);
        if (options_.store_body) req.body.append(data, n);
      };
      bool body_ok = true;
      std::optional<std::string> te =
          FindHeader(req.headers, "transfer-encoding");
      std::optional<std::string> cl = FindHeader(req.headers, "content-length");
      if (te.has_value() && absl::EqualsIgnoreCase(*te, "chunked")) {
        for (;;) {
          uint64_t size = 0;
          if (!reader.ReadLine(&line) ||
              !absl::SimpleHexAtoi(line.substr(0, line.find(';')), &size)) {
            body_ok = false;
            break;
          }
          if (size == 0) {
            while ((body_ok = reader.ReadLine(&line)) && !line.empty()) {
            }
            break;
          }
          if (!reader.ReadN(size, sink) || !reader.ReadLine(&line)) {
            body_ok = false;
            break;
          }
        }
      } else if (cl.has_value()) {
        uint64_t size = 0;
        body_ok = absl::SimpleAtoi(*cl, &size) && reader.ReadN(size, sink);
      }
      req.body_bytes = hash.total();
      req.body_hash = hash.Final();
      req.complete = body_ok;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(req);
        cv_.notify_all();
      }
      if (!body_ok) break;
      bool keep = handler_(req, conn);
      std::optional<std::string> connection =
          FindHeader(req.headers, "connection");
      if (!keep ||
          (connection && absl::EqualsIgnoreCase(*connection, "close"))) {
        break;
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.erase(std::find(open_fds_.begin(), open_fds_.end(), fd));
    close(fd);
    ++closed_;
    cv_.notify_all();
  }

  Handler handler_;
  const Options options_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread accept_thread_;
  std::atomic<uint64_t> sent_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int accepted_ = 0;
  int closed_ = 0;
  std::vector<int> open_fds_;
  std::vector<std::thread> conn_threads_;
  std::vector<Request> requests_;
};

// cpp-httplib on a free loopback port: an independent HTTP implementation
// that parses what the transport sends.
class HttplibServer {
 public:
  HttplibServer() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the accept loop runs, so wait for it.
    absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (!server_.is_running() && absl::Now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~HttplibServer() {
    server_.stop();
    thread_.join();
  }
  httplib::Server& server() { return server_; }
  std::string Url(absl::string_view path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// A port with a bound socket that does not listen: connecting is refused,
// and no other process can take the port while the test runs.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

HttpRequest Get(const std::string& url) {
  HttpRequest r;
  r.method = "GET";
  r.url = url;
  r.deadline = absl::Now() + absl::Seconds(10);
  return r;
}

bool Ok(const TestServer::Request&, TestServer::Conn& conn) {
  return conn.Respond(200, "ok");
}

// ---------------------------------------------------------------------------
// Tests

TEST(CurlTransportTest, GetAndPostRoundTripThroughAnIndependentServer) {
  HttplibServer http;
  std::mutex mu;
  httplib::Request seen_get, seen_post;
  http.server().Get("/v1/voices",
                    [&](const httplib::Request& req, httplib::Response& res) {
                      {
                        std::lock_guard<std::mutex> lock(mu);
                        seen_get = req;
                      }
                      res.set_header("X-Request-Id", "req-42");
                      res.set_content(R"({"voices":[]})", "application/json");
                    });
  http.server().Post(
      "/v2/media", [&](const httplib::Request& req, httplib::Response& res) {
        {
          std::lock_guard<std::mutex> lock(mu);
          seen_post = req;
        }
        res.status = 422;
        res.set_content(R"({"detail":"bad"})", "application/json");
      });
  CurlTransport transport;

  HttpRequest get = Get(http.Url("/v1/voices?page_size=2&q=a%20b"));
  get.headers = {{"xi-api-key", "secret-key"}, {"Accept", "application/json"}};
  absl::StatusOr<HttpResponse> r = Fetch(transport, std::move(get));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"voices":[]})");
  EXPECT_EQ(FindHeader(r->headers, "x-request-id"), "req-42");
  for (const auto& [name, value] : r->headers) {
    EXPECT_EQ(name, absl::AsciiStrToLower(name));
  }

  HttpRequest post;
  post.method = "POST";
  post.url = http.Url("/v2/media");
  post.headers = {{"X-Api-Key", "k"}, {"Content-Type", "application/json"}};
  post.body = R"({"prompt":"a cat","quantity":2})";
  r = Fetch(transport, std::move(post));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 422);  // an HTTP error status is not a transport error
  EXPECT_EQ(r->body, R"({"detail":"bad"})");

  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen_get.method, "GET");
  EXPECT_EQ(seen_get.get_param_value("page_size"), "2");
  EXPECT_EQ(seen_get.get_param_value("q"), "a b");
  EXPECT_EQ(seen_get.get_header_value("xi-api-key"), "secret-key");
  EXPECT_EQ(seen_get.get_header_value("User-Agent"), "mediagen/0.1");
  EXPECT_EQ(seen_post.method, "POST");
  EXPECT_EQ(seen_post.body, R"({"prompt":"a cat","quantity":2})");
  EXPECT_EQ(seen_post.get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(seen_post.get_header_value("Content-Length"), "31");
  EXPECT_FALSE(seen_post.has_header("Expect"));
}

TEST(CurlTransportTest, MethodsAndEmptyBodies) {
  TestServer server(Ok);
  CurlTransport transport;
  for (const char* method : {"DELETE", "PUT", "PATCH", "POST", "HEAD"}) {
    HttpRequest r = Get(server.Url("/x"));
    r.method = method;
    absl::StatusOr<HttpResponse> resp = Fetch(transport, std::move(r));
    ASSERT_TRUE(resp.ok()) << method << ": " << resp.status();
    EXPECT_EQ(resp->status, 200);
    EXPECT_EQ(resp->body, std::string(method) == "HEAD" ? "" : "ok");
  }
  std::vector<TestServer::Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[0].method, "DELETE");
  EXPECT_FALSE(FindHeader(seen[0].headers, "content-length").has_value());
  EXPECT_EQ(seen[1].method, "PUT");
  EXPECT_EQ(FindHeader(seen[1].headers, "content-length"), "0");
  EXPECT_EQ(seen[2].method, "PATCH");
  EXPECT_EQ(seen[3].method, "POST");
  EXPECT_EQ(FindHeader(seen[3].headers, "content-length"), "0");
  // No form-urlencoded label invented for a body the caller did not type.
  EXPECT_FALSE(FindHeader(seen[3].headers, "content-type").has_value());
  EXPECT_EQ(seen[4].method, "HEAD");
}

TEST(CurlTransportTest, SequentialRequestsReuseOneConnection) {
  TestServer server(Ok);
  CurlTransport transport;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<HttpResponse> r =
        Fetch(transport, Get(server.Url(absl::StrCat("/poll/", i))));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status, 200);
  }
  EXPECT_EQ(server.accepted(), 1);
  std::vector<TestServer::Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 20u);
  for (const auto& req : seen) EXPECT_EQ(req.connection, 1);
}

TEST(CurlTransportTest, ConcurrentRequestsShareAFixedSetOfThreads) {
  constexpr int kRequests = 50;
  TestServer* server_ptr = nullptr;
  int in_flight = 0;
  int max_in_flight = 0;
  int transport_threads_during = -1;
  // Each handler holds its response until all 50 requests are in flight
  // at once, then records how many transport threads exist at that moment.
  TestServer server([&](const TestServer::Request&, TestServer::Conn& conn) {
    server_ptr->Locked([&] {
      ++in_flight;
      max_in_flight = std::max(max_in_flight, in_flight);
      if (in_flight == kRequests) {
        transport_threads_during =
            CountThreads(CurlTransport::kThreadNamePrefix);
      }
      return 0;
    });
    server_ptr->WaitFor([&] { return max_in_flight >= kRequests; },
                        absl::Seconds(10));
    server_ptr->Locked([&] { return --in_flight; });
    return conn.Respond(200, "ok");
  });
  server_ptr = &server;

  CurlTransport::Options options;
  options.threads = 2;
  options.max_connections_per_host = 0;
  CurlTransport transport(options);
  const int before = CountThreads(CurlTransport::kThreadNamePrefix);
  EXPECT_EQ(before, 2);

  std::vector<Completion> done(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    transport.Start(Get(server.Url(absl::StrCat("/c/", i))),
                    done[i].Callback());
  }
  for (int i = 0; i < kRequests; ++i) {
    absl::StatusOr<HttpResponse> r = done[i].Wait(absl::Seconds(20));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
    EXPECT_EQ(r->status, 200);
  }
  server.Locked([&] {
    EXPECT_EQ(max_in_flight, kRequests);
    EXPECT_EQ(transport_threads_during, 2);
    return 0;
  });
  EXPECT_EQ(CountThreads(CurlTransport::kThreadNamePrefix), 2);
  std::printf(
      "threads: %d transport threads for %d concurrent requests "
      "(process total now %d)\n",
      before, kRequests, CountThreads(""));
}

TEST(CurlTransportTest, DeadlineShorterThanServerDelayIsDeadlineExceeded) {
  TestServer* server_ptr = nullptr;
  TestServer server([&](const TestServer::Request&, TestServer::Conn& conn) {
    server_ptr->SleepUnlessStopped(absl::Seconds(10));
    return conn.Respond(200, "late");
  });
  server_ptr = &server;
  CurlTransport transport;
  HttpRequest r = Get(server.Url("/slow"));
  const absl::Time start = absl::Now();
  r.deadline = start + absl::Milliseconds(300);
  absl::StatusOr<HttpResponse> resp = Fetch(transport, std::move(r));
  const absl::Duration took = absl::Now() - start;
  EXPECT_THAT(resp, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_FALSE(RequestNotSent(resp.status()));  // it did reach the server
  EXPECT_GE(took, absl::Milliseconds(290));
  EXPECT_LT(took, absl::Seconds(2));
}

TEST(CurlTransportTest, DefaultTimeoutAppliesWithoutADeadline) {
  TestServer* server_ptr = nullptr;
  TestServer server([&](const TestServer::Request&, TestServer::Conn& conn) {
    server_ptr->SleepUnlessStopped(absl::Seconds(10));
    return conn.Respond(200, "late");
  });
  server_ptr = &server;
  CurlTransport::Options options;
  options.default_timeout = absl::Milliseconds(200);
  CurlTransport transport(options);
  HttpRequest r = Get(server.Url("/slow"));
  r.deadline = absl::InfiniteFuture();
  absl::StatusOr<HttpResponse> resp = Fetch(transport, std::move(r));
  EXPECT_THAT(resp, StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(CurlTransportTest, PastDeadlineFailsAtOnceWithoutSending) {
  TestServer server(Ok);
  CurlTransport transport;
  HttpRequest r = Get(server.Url("/x"));
  r.deadline = absl::Now() - absl::Milliseconds(1);
  std::optional<absl::StatusOr<HttpResponse>> result;
  transport.Start(std::move(r), [&](absl::StatusOr<HttpResponse> resp) {
    result = std::move(resp);
  });
  ASSERT_TRUE(result.has_value());  // synchronously, on this thread
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(RequestNotSent(result->status()));
  EXPECT_EQ(server.accepted(), 0);
}

TEST(CurlTransportTest, MalformedRequestsFailAtOnceWithoutLeakingValues) {
  CurlTransport transport;
  struct Case {
    std::string method, url;
    Headers headers;
  };
  const std::vector<Case> cases = {
      {"GET", "http://127.0.0.1:1/x", {{"X-Api-Key", "sec\r\nret-value"}}},
      {"GET", "http://127.0.0.1:1/x", {{"Bad Name", "v"}}},
      {"G ET", "http://127.0.0.1:1/x", {}},
      {"GET", "file:///etc/passwd", {}},
      {"GET", "http://127.0.0.1:1/x y", {}},
  };
  for (const Case& c : cases) {
    HttpRequest r = Get(c.url);
    r.method = c.method;
    r.headers = c.headers;
    std::optional<absl::StatusOr<HttpResponse>> result;
    transport.Start(std::move(r), [&](absl::StatusOr<HttpResponse> resp) {
      result = std::move(resp);
    });
    ASSERT_TRUE(result.has_value());
    EXPECT_THAT(*result, StatusIs(absl::StatusCode::kInvalidArgument))
        << c.method << " " << c.url;
    EXPECT_TRUE(RequestNotSent(result->status()));
    EXPECT_FALSE(absl::StrContains(result->status().message(), "ret-value"));
  }
}

TEST(CurlTransportTest, ConnectionRefusedIsUnavailableAndNotSent) {
  RefusingPort refusing;
  CurlTransport transport;
  HttpRequest r = Get(absl::StrCat(
      "http://127.0.0.1:", refusing.port(),
      "/v1/text-to-speech/v1?output_format=mp3&token=QUERYSECRET"));
  r.headers = {{"xi-api-key", "HEADERSECRET"}};
  absl::StatusOr<HttpResponse> resp = Fetch(transport, std::move(r));
  EXPECT_THAT(resp, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(RequestNotSent(resp.status()));
  const std::string message(resp.status().message());
  EXPECT_TRUE(absl::StrContains(
      message, absl::StrCat("http://127.0.0.1:", refusing.port(),
                            "/v1/text-to-speech/v1")))
      << message;
  EXPECT_FALSE(absl::StrContains(message, "QUERYSECRET")) << message;
  EXPECT_FALSE(absl::StrContains(message, "output_format")) << message;
  EXPECT_FALSE(absl::StrContains(message, "HEADERSECRET")) << message;
}

TEST(CurlTransportTest, CutOffResponsesAreUnavailable) {
  TestServer server([](const TestServer::Request& req, TestServer::Conn& conn) {
    if (req.target == "/short") {
      conn.Write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
    }
    return false;  // close: "/nothing" gets no response at all
  });
  CurlTransport transport;
  for (const char* path : {"/short", "/nothing"}) {
    absl::StatusOr<HttpResponse> r = Fetch(transport, Get(server.Url(path)));
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable)) << path;
    EXPECT_FALSE(RequestNotSent(r.status())) << path;
  }
}

// libcurl resends a request by itself when a reused keep-alive connection
// dies before any response byte, even after the whole request went out. A
// create (POST) must never be sent twice, so it gets a connection of its own.
TEST(CurlTransportTest, APostIsNeverResentSilentlyWhenTheConnectionDies) {
  TestServer server([](const TestServer::Request& req, TestServer::Conn& conn) {
    if (req.method == "GET") return conn.Respond(200, "ok");
    return false;  // read the create, then drop the connection unanswered
  });
  CurlTransport transport;
  ASSERT_TRUE(Fetch(transport, Get(server.Url("/warm"))).ok());
  for (const char* method : {"POST", "PATCH"}) {
    HttpRequest post = Get(server.Url("/v2/media"));
    post.method = method;
    post.headers = {{"Content-Type", "application/json"}};
    post.body = R"({"prompt":"x"})";
    absl::StatusOr<HttpResponse> r = Fetch(transport, std::move(post));
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable)) << method;
    EXPECT_FALSE(RequestNotSent(r.status()));
  }
  std::vector<TestServer::Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].method, "POST");
  EXPECT_EQ(seen[2].method, "PATCH");
  // Polls still share a connection.
  ASSERT_TRUE(Fetch(transport, Get(server.Url("/poll"))).ok());
  ASSERT_TRUE(Fetch(transport, Get(server.Url("/poll"))).ok());
  seen = server.requests();
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[3].connection, seen[4].connection);
}

TEST(CurlTransportTest, BufferedBodyOverTheLimitIsResourceExhausted) {
  const std::string big(1 << 20, 'b');
  TestServer server([&](const TestServer::Request& req,
                        TestServer::Conn& conn) {
    if (req.target == "/chunked") {
      // No Content-Length: the limit must be enforced while receiving.
      bool ok =
          conn.Write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      for (int i = 0; ok && i < 16; ++i) {
        ok = conn.Write(
            absl::StrCat("10000\r\n", std::string(0x10000, 'c'), "\r\n"));
      }
      return ok && conn.Write("0\r\n\r\n");
    }
    return conn.Respond(200, big);
  });
  CurlTransport transport;

  HttpRequest fits = Get(server.Url("/fixed"));
  fits.max_response_bytes = big.size();
  absl::StatusOr<HttpResponse> r = Fetch(transport, std::move(fits));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body.size(), big.size());

  for (const char* path : {"/fixed", "/chunked"}) {
    HttpRequest over = Get(server.Url(path));
    over.max_response_bytes = 64 * 1024;
    r = Fetch(transport, std::move(over));
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kResourceExhausted)) << path;
  }
}

TEST(CurlTransportTest,
     OnlyTheFinalHeaderBlockCountsAndRedirectsAreNotFollowed) {
  TestServer server([](const TestServer::Request&, TestServer::Conn& conn) {
    return conn.Write(
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
        "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n"
        "X-Final: Yes\r\nX-Folded: a\r\n  b\r\nContent-Length: 5\r\n\r\nmoved");
  });
  CurlTransport transport;
  auto stream = std::make_shared<ResponseStream>();
  int header_calls = 0;
  int seen_status = 0;
  stream->on_headers = [&](int status, const Headers&) {
    ++header_calls;
    seen_status = status;
    return false;  // buffer it (an error-ish status)
  };
  stream->on_chunk = [](absl::string_view) { return true; };
  HttpRequest req = Get(server.Url("/old"));
  req.response_stream = stream;
  absl::StatusOr<HttpResponse> r = Fetch(transport, std::move(req));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->body, "moved");
  EXPECT_EQ(header_calls, 1);
  EXPECT_EQ(seen_status, 302);
  EXPECT_EQ(FindHeader(r->headers, "location"), "/elsewhere");
  EXPECT_EQ(FindHeader(r->headers, "x-final"), "Yes");
  EXPECT_EQ(FindHeader(r->headers, "x-folded"), "a b");
  EXPECT_FALSE(FindHeader(r->headers, "link").has_value());
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(CurlTransportTest, CancelMidBodyEndsPromptlyAndClosesTheConnection) {
  TestServer server([](const TestServer::Request&, TestServer::Conn& conn) {
    if (!conn.Write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) {
      return false;
    }
    // A slow audio stream: a chunk every 20 ms until the client leaves.
    for (int i = 0; i < 500; ++i) {
      if (!conn.Write(
              absl::StrCat("400\r\n", std::string(0x400, 'a'), "\r\n"))) {
        return false;
      }
      if (conn.PeerClosed(absl::Milliseconds(20))) return false;
    }
    return conn.Write("0\r\n\r\n");
  });
  CurlTransport transport;
  std::mutex mu;
  std::condition_variable cv;
  size_t received = 0;
  auto stream = std::make_shared<ResponseStream>();
  stream->on_headers = [](int status, const Headers&) { return status == 200; };
  stream->on_chunk = [&](absl::string_view chunk) {
    std::lock_guard<std::mutex> lock(mu);
    received += chunk.size();
    cv.notify_all();
    return true;
  };
  HttpRequest req = Get(server.Url("/stream"));
  req.response_stream = stream;
  Completion done;
  std::shared_ptr<HttpCall> call =
      transport.Start(std::move(req), done.Callback());
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10),
                            [&] { return received > 0; }));
  }
  const absl::Time cancelled_at = absl::Now();
  call->Cancel();
  absl::StatusOr<HttpResponse> r = done.Wait();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_LT(absl::Now() - cancelled_at, absl::Seconds(1));
  EXPECT_TRUE(server.WaitFor([&] { return server.closed_locked() == 1; }));
  call->Cancel();  // again, after completion: harmless
  EXPECT_EQ(done.calls(), 1);
}

TEST(CurlTransportTest, CancelRacingCompletionCompletesExactlyOnce) {
  TestServer server(Ok);
  std::vector<Completion> done(200);
  {
    CurlTransport transport;
    std::vector<std::shared_ptr<HttpCall>> calls;
    // Each cancel comes a little later than the last (0 to ~2 ms after
    // its start), so some land before the response, some during, some
    // after the completion already ran. Odd ones from a second thread.
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::shared_ptr<HttpCall>> to_cancel;
    bool no_more = false;
    std::thread canceller([&] {
      for (;;) {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return no_more || !to_cancel.empty(); });
        if (to_cancel.empty()) return;
        std::shared_ptr<HttpCall> call = std::move(to_cancel.back());
        to_cancel.pop_back();
        lock.unlock();
        call->Cancel();
      }
    });
    for (size_t i = 0; i < done.size(); ++i) {
      calls.push_back(
          transport.Start(Get(server.Url("/race")), done[i].Callback()));
      const absl::Time until = absl::Now() + absl::Microseconds(10 * (i % 200));
      while (absl::Now() < until) {
      }
      if (i % 2 == 0) {
        calls.back()->Cancel();
      } else {
        std::lock_guard<std::mutex> lock(mu);
        to_cancel.push_back(calls.back());
        cv.notify_all();
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      no_more = true;
      cv.notify_all();
    }
    canceller.join();
    int ok = 0, cancelled = 0;
    for (auto& d : done) {
      absl::StatusOr<HttpResponse> r = d.Wait();
      if (r.ok()) {
        ++ok;
      } else {
        EXPECT_THAT(r, StatusIs(absl::StatusCode::kCancelled));
        ++cancelled;
      }
    }
    std::printf("cancel race: %d completed, %d cancelled\n", ok, cancelled);
  }  // destroying the transport would flush any stray second completion
  for (auto& d : done) EXPECT_EQ(d.calls(), 1);
}

// The receiver says "full" and the transfer stops reading until it is
// resumed; the body still arrives whole and in order.
TEST(CurlTransportTest, PausedStreamedResponseStopsReadingAndResumesInOrder) {
  constexpr int kBlocks = 128;  // 8 MiB
  constexpr uint64_t kTotal = kBlocks * 64 * 1024;
  StreamHash expected;
  for (int i = 0; i < kBlocks; ++i) expected.Update(Block(i));
  TestServer::Options server_options;
  server_options.send_buffer = 64 * 1024;
  TestServer server(
      [&](const TestServer::Request&, TestServer::Conn& conn) {
        if (!conn.Write(absl::StrCat(
                "HTTP/1.1 200 OK\r\nContent-Length: ", kTotal, "\r\n\r\n"))) {
          return false;
        }
        for (int i = 0; i < kBlocks; ++i) {
          if (!conn.Write(Block(i))) return false;
        }
        return true;
      },
      server_options);
  CurlTransport transport;

  std::mutex mu;
  std::condition_variable cv;
  StreamHash got;
  uint64_t received = 0;
  int chunk_calls = 0;
  bool paused = false;
  uint64_t next_pause_at = 1;  // pause at the very first piece
  auto stream = std::make_shared<ResponseStream>();
  stream->on_headers = [](int status, const Headers&) { return status == 200; };
  stream->on_chunk = [&](absl::string_view chunk) {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_FALSE(paused) << "a piece arrived while paused";
    got.Update(chunk);
    received += chunk.size();
    ++chunk_calls;
    if (received >= next_pause_at) {
      next_pause_at = received + 1024 * 1024;
      paused = true;
      cv.notify_all();
      return false;
    }
    return true;
  };
  HttpRequest req = Get(server.Url("/audio"));
  req.response_stream = stream;
  Completion done;
  std::shared_ptr<HttpCall> call =
      transport.Start(std::move(req), done.Callback());

  // First pause: watch for a while that nothing more is read.
  uint64_t at_pause;
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(10), [&] { return paused; }));
    at_pause = received;
  }
  // An observation window, not synchronization: if the transfer kept
  // reading, the server would finish its 8 MiB well within it.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const uint64_t sent_while_paused = server.bytes_sent();
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(received, at_pause);
    paused = false;
  }
  std::printf("paused after %llu bytes; server had sent %llu of %llu bytes\n",
              static_cast<unsigned long long>(at_pause),
              static_cast<unsigned long long>(sent_while_paused),
              static_cast<unsigned long long>(kTotal));
  EXPECT_LT(sent_while_paused, kTotal / 2);
  call->ResumeReceive();

  // Then pause every MiB and resume from this thread each time.
  int pauses = 1;
  for (;;) {
    std::unique_lock<std::mutex> lock(mu);
    bool woke = cv.wait_for(lock, std::chrono::milliseconds(50),
                            [&] { return paused; });
    if (woke) {
      paused = false;
      ++pauses;
      lock.unlock();
      call->ResumeReceive();
      continue;
    }
    lock.unlock();
    if (done.calls() > 0) break;
  }
  absl::StatusOr<HttpResponse> r = done.Wait();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(received, kTotal);
  EXPECT_EQ(got.Final(), expected.Final());
  EXPECT_GE(pauses, 8);
  std::printf("streamed %llu bytes in %d pieces with %d pauses\n",
              static_cast<unsigned long long>(received), chunk_calls, pauses);
}

struct UploadResult {
  uint64_t hash = 0;
  uint64_t bytes = 0;
};

// The 100 MiB upload: a producer thread feeds a BodyPipe (bounded at 1 MiB)
// wrapped in a MultipartBody; the server hashes what arrives and keeps
// nothing. Memory must not grow with the body.
TEST(CurlTransportTest, HundredMiBStreamedUploadKeepsMemoryBounded) {
  constexpr int kBlocks = 1600;  // 100 MiB of 64 KiB blocks
  constexpr int64_t kFileSize = int64_t{kBlocks} * 64 * 1024;
  constexpr size_t kPipeLimit = 1 << 20;
  TestServer::Options server_options;
  server_options.store_body = false;
  TestServer server(Ok, server_options);
  CurlTransport transport;
  // Warm up: curl's handles and buffers exist before the baseline is
  // taken.
  ASSERT_TRUE(Fetch(transport, Get(server.Url("/warmup"))).ok());

  auto pipe = std::make_shared<BodyPipe>(kPipeLimit, kFileSize);
  auto body =
      MultipartBody::Create({{"prompt", "a cat on a skateboard"}}, "video_file",
                            "clip.mp4", "video/mp4", pipe);
  ASSERT_TRUE(body.ok()) << body.status();

  StreamHash expected;
  expected.Update((*body)->preamble());
  std::mutex mu;
  std::condition_variable cv;
  bool space = false;
  pipe->SetSpaceCallback([&] {
    std::lock_guard<std::mutex> lock(mu);
    space = true;
    cv.notify_all();
  });

  HttpRequest req;
  req.method = "POST";
  req.url = server.Url("/v2/media/upload");
  req.headers = {{"Content-Type", (*body)->content_type()}};
  req.body_source = *body;
  req.deadline = absl::Now() + absl::Seconds(120);

  const size_t baseline = ResidentBytes();
  size_t peak = baseline;
  Completion done;
  const absl::Time start = absl::Now();
  transport.Start(std::move(req), done.Callback());
  for (int i = 0; i < kBlocks; ++i) {
    std::string block = Block(i);
    expected.Update(block);
    {
      std::lock_guard<std::mutex> lock(mu);
      space = false;
    }
    if (!pipe->Write(std::move(block))) {
      std::unique_lock<std::mutex> lock(mu);
      ASSERT_TRUE(
          cv.wait_for(lock, std::chrono::seconds(60), [&] { return space; }));
    }
    if (i % 16 == 0) peak = std::max(peak, ResidentBytes());
  }
  pipe->Finish();
  expected.Update((*body)->epilogue());
  absl::StatusOr<HttpResponse> r = done.Wait(absl::Seconds(120));
  const absl::Duration took = absl::Now() - start;
  peak = std::max(peak, ResidentBytes());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);

  std::vector<TestServer::Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  const TestServer::Request& upload = seen[1];
  EXPECT_TRUE(upload.complete);
  // A POST gets a connection of its own (see the test on silent resends).
  EXPECT_EQ(upload.connection, 2);
  EXPECT_EQ(static_cast<int64_t>(upload.body_bytes), *(*body)->size());
  EXPECT_EQ(upload.body_hash, expected.Final());
  EXPECT_EQ(FindHeader(upload.headers, "content-length"),
            absl::StrCat(*(*body)->size()));
  EXPECT_FALSE(FindHeader(upload.headers, "transfer-encoding").has_value());
  EXPECT_FALSE(FindHeader(upload.headers, "expect").has_value());

  const double growth_mib = static_cast<double>(peak - baseline) / (1 << 20);
  std::printf(
      "100 MiB upload: %.2f s, RSS baseline %.1f MiB, peak growth "
      "%.1f MiB, BodyPipe peak buffered %zu bytes\n",
      absl::ToDoubleSeconds(took), baseline / 1048576.0, growth_mib,
      pipe->peak_buffered_bytes());
  EXPECT_LT(peak - baseline, size_t{32} << 20);
  EXPECT_LE(pipe->peak_buffered_bytes(), kPipeLimit + 64 * 1024);
}

// Size unknown: the body goes out chunked, and an independent multipart
// parser (cpp-httplib's) reads back the fields and the file.
TEST(CurlTransportTest, ChunkedMultipartUploadParsedByAnIndependentServer) {
  HttplibServer http;
  std::mutex mu;
  std::vector<httplib::MultipartFormData> parts;
  std::string transfer_encoding;
  StreamHash file_hash;
  http.server().Post(
      "/upload", [&](const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& reader) {
        std::lock_guard<std::mutex> lock(mu);
        transfer_encoding = req.get_header_value("Transfer-Encoding");
        reader(
            [&](const httplib::MultipartFormData& part) {
              parts.push_back(part);
              return true;
            },
            [&](const char* data, size_t n) {
              if (parts.back().name == "audio_file") {
                file_hash.Update(data, n);
              } else {
                parts.back().content.append(data, n);
              }
              return true;
            });
        res.set_content("done", "text/plain");
      });
  CurlTransport transport;
  auto pipe = std::make_shared<BodyPipe>(256 * 1024, std::nullopt);
  auto body =
      MultipartBody::Create({{"model_id", "eleven_multilingual_sts_v2"},
                             {"remove_background_noise", "true"}},
                            "audio_file", "voice.mp3", "audio/mpeg", pipe);
  ASSERT_TRUE(body.ok());
  HttpRequest req;
  req.method = "POST";
  req.url = http.Url("/upload");
  req.headers = {{"Content-Type", (*body)->content_type()}};
  req.body_source = *body;
  req.deadline = absl::Now() + absl::Seconds(30);
  Completion done;
  transport.Start(std::move(req), done.Callback());
  StreamHash expected;
  std::mutex space_mu;
  std::condition_variable space_cv;
  bool space = false;
  pipe->SetSpaceCallback([&] {
    std::lock_guard<std::mutex> lock(space_mu);
    space = true;
    space_cv.notify_all();
  });
  std::thread producer([&] {
    for (int i = 0; i < 48; ++i) {
      std::string block = Block(i);
      expected.Update(block);
      {
        std::lock_guard<std::mutex> lock(space_mu);
        space = false;
      }
      if (!pipe->Write(std::move(block))) {
        std::unique_lock<std::mutex> lock(space_mu);
        space_cv.wait_for(lock, std::chrono::seconds(30),
                          [&] { return space; });
      }
      // Now and then slower than the transport, so it pauses and resumes.
      if (i % 8 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pipe->Finish();
  });
  absl::StatusOr<HttpResponse> r = done.Wait(absl::Seconds(30));
  producer.join();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done");
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(transfer_encoding, "chunked");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].name, "model_id");
  EXPECT_EQ(parts[0].content, "eleven_multilingual_sts_v2");
  EXPECT_EQ(parts[1].name, "remove_background_noise");
  EXPECT_EQ(parts[1].content, "true");
  EXPECT_EQ(parts[2].name, "audio_file");
  EXPECT_EQ(parts[2].filename, "voice.mp3");
  EXPECT_EQ(parts[2].content_type, "audio/mpeg");
  EXPECT_EQ(file_hash.total(), 48u * 64 * 1024);
  EXPECT_EQ(file_hash.Final(), expected.Final());
}

TEST(CurlTransportTest, BodySourceErrorMidUploadFailsTheRequest) {
  TestServer server(Ok);
  CurlTransport transport;
  auto pipe = std::make_shared<BodyPipe>(1 << 20, std::nullopt);
  HttpRequest req;
  req.method = "POST";
  req.url = server.Url("/upload");
  req.headers = {{"Content-Type", "application/octet-stream"}};
  req.body_source = pipe;
  req.deadline = absl::Now() + absl::Seconds(30);
  Completion done;
  transport.Start(std::move(req), done.Callback());
  for (int i = 0; i < 8; ++i) pipe->Write(Block(i));
  // Fail once the server has seen the request start, so this is mid-body.
  ASSERT_TRUE(server.WaitFor([&] { return server.accepted_locked() == 1; }));
  pipe->Fail(absl::CancelledError("client went away"));
  absl::StatusOr<HttpResponse> r = done.Wait();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "client went away"))
      << r.status();
  // The server never saw a complete body (no terminating chunk).
  ASSERT_TRUE(server.WaitFor([&] { return server.closed_locked() == 1; }));
  std::vector<TestServer::Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].complete);
}

TEST(CurlTransportTest, StalledUploadAndStalledReceiverHitTheDeadline) {
  TestServer server([](const TestServer::Request&, TestServer::Conn& conn) {
    return conn.Respond(200, std::string(1 << 20, 'r'));
  });
  CurlTransport transport;

  auto pipe = std::make_shared<BodyPipe>(1 << 20, std::nullopt);  // never fed
  HttpRequest upload;
  upload.method = "POST";
  upload.url = server.Url("/upload");
  upload.body_source = pipe;
  upload.deadline = absl::Now() + absl::Milliseconds(300);
  absl::StatusOr<HttpResponse> r = Fetch(transport, std::move(upload));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded));

  auto stream = std::make_shared<ResponseStream>();
  stream->on_headers = [](int, const Headers&) { return true; };
  stream->on_chunk = [](absl::string_view) { return false; };  // never resumed
  HttpRequest download = Get(server.Url("/download"));
  download.response_stream = stream;
  download.deadline = absl::Now() + absl::Milliseconds(300);
  r = Fetch(transport, std::move(download));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(CurlTransportTest, CompletionMayStartTheNextRequestAndDropItsCall) {
  TestServer server(Ok);
  CurlTransport transport;
  std::mutex mu;
  std::condition_variable cv;
  int finished = 0;
  std::shared_ptr<HttpCall> current;
  std::function<void(int)> start_next = [&](int i) {
    std::lock_guard<std::mutex> lock(mu);
    current = transport.Start(
        Get(server.Url(absl::StrCat("/chain/", i))),
        [&, i](absl::StatusOr<HttpResponse> r) {
          EXPECT_TRUE(r.ok()) << r.status();
          if (i < 5) {
            start_next(i + 1);  // from the loop thread, inside a completion
          } else {
            std::lock_guard<std::mutex> lock(mu);
            current.reset();  // drop the call from inside its own completion
            finished = i;
            cv.notify_all();
          }
        });
  };
  start_next(1);
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10),
                          [&] { return finished == 5; }));
  EXPECT_EQ(server.requests().size(), 5u);
}

TEST(CurlTransportTest, DestroyingTheTransportCancelsInFlightRequests) {
  TestServer* server_ptr = nullptr;
  TestServer server([&](const TestServer::Request&, TestServer::Conn& conn) {
    server_ptr->SleepUnlessStopped(absl::Seconds(30));
    return conn.Respond(200, "late");
  });
  server_ptr = &server;
  std::vector<Completion> done(3);
  Completion retried;
  std::shared_ptr<HttpCall> survivor;
  auto transport = std::make_unique<CurlTransport>();
  // unique_ptr::reset clears the pointer before deleting, so completions
  // that run during destruction use a raw pointer.
  CurlTransport* raw = transport.get();
  for (int i = 0; i < 3; ++i) {
    HttpTransport::Done inner = done[i].Callback();
    survivor = transport->Start(
        Get(server.Url("/hang")), [&, raw, i, inner = std::move(inner)](
                                      absl::StatusOr<HttpResponse> r) mutable {
          if (i == 0) {
            // A retry started from a completion during shutdown must not
            // deadlock; it is refused at once.
            raw->Start(Get(server.Url("/retry")), retried.Callback());
          }
          std::move(inner)(std::move(r));
        });
  }
  ASSERT_TRUE(
      server.WaitFor([&] { return server.requests_locked().size() == 3; }));
  const absl::Time start = absl::Now();
  transport.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  for (auto& d : done) {
    EXPECT_EQ(d.calls(), 1);
    EXPECT_THAT(d.Wait(absl::ZeroDuration()),
                StatusIs(absl::StatusCode::kCancelled));
  }
  EXPECT_EQ(retried.calls(), 1);
  absl::Status retry_status = retried.Wait(absl::ZeroDuration()).status();
  EXPECT_THAT(retry_status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_TRUE(RequestNotSent(retry_status));
  survivor->Cancel();  // the call outlives the transport: harmless
  survivor->ResumeReceive();
}

}  // namespace
}  // namespace mediagen::http
