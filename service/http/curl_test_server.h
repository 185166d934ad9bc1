// Test support for the CurlTransport tests (test-only): a raw-socket HTTP/1.1
// server whose every byte and pause a test scripts (TestServer), an
// independent server (cpp-httplib) to check what the transport sends, a port
// that refuses connections, a position-sensitive stream hash, and the
// completion a test waits on.
//
//   TestServer server;
//   server.Start([](const TestServer::Request& r, TestServer::Conn& c) {
//     return c.Send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
//   });
//   Completion done;
//   transport.Start(Get(server.url("/x")), done.callback());
#ifndef MEDIAGEN_SERVICE_HTTP_CURL_TEST_SERVER_H_
#define MEDIAGEN_SERVICE_HTTP_CURL_TEST_SERVER_H_

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

namespace mediagen::http::curl_testing {

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
inline std::string Block(uint64_t index, size_t size = 64 * 1024) {
  std::string b(size, '\0');
  for (size_t i = 0; i < size; ++i)
    b[i] = static_cast<char>((i * 131 + 7) & 0xff);
  std::memcpy(b.data(), &index, std::min<size_t>(8, size));
  return b;
}

inline size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Threads of this process whose name starts with `prefix` ("" = all).
inline int CountThreads(const std::string& prefix) {
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

inline absl::StatusOr<HttpResponse> Fetch(HttpTransport& transport,
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

inline HttpRequest Get(const std::string& url) {
  HttpRequest r;
  r.method = "GET";
  r.url = url;
  r.deadline = absl::Now() + absl::Seconds(10);
  return r;
}

inline bool Ok(const TestServer::Request&, TestServer::Conn& conn) {
  return conn.Respond(200, "ok");
}

}  // namespace mediagen::http::curl_testing

#endif  // MEDIAGEN_SERVICE_HTTP_CURL_TEST_SERVER_H_
