// HttpServer: a small event-driven HTTP/1.1 server for the admin port (one
// thread, epoll, non-blocking sockets). Built so that no client, however
// slow or numerous, can hold up the others or the process:
//
//   - every connection has deadlines for a whole request, not per read: the
//     head (from the connection's start or its previous response), then the
//     body, then writing the response. A client that drips one byte at a
//     time is closed when its deadline passes, whatever it sends meanwhile;
//   - at most max_connections are open. A connection over the cap makes room
//     by closing the oldest one that has not yet sent a whole request head
//     (idle or slow), or is closed at once when every one is busy;
//   - request heads and bodies are bounded (HttpRequestParser::Limits): a
//     body over the limit is answered 413 from its Content-Length, or from
//     the chunk size that would cross the limit, never read to its end;
//   - keep-alive and pipelining are served in order, one request at a time
//     per connection (nothing more is read while a response is going out),
//     up to max_requests_per_connection;
//   - Stop() closes every connection and returns at once, whatever the
//     clients do.
//
//   HttpServer server(options, [](const HttpRequest& r) {
//     HttpServer::Response res;
//     res.body = "ok\n";
//     return res;
//   });
//   absl::StatusOr<int> port = server.Start("127.0.0.1", 0);
//   ...
//   server.Stop();
//
// The handler runs on the server's thread and must not block: it holds up
// every other connection while it runs.
#ifndef MEDIAGEN_SERVICE_SERVER_HTTP_SERVER_H_
#define MEDIAGEN_SERVICE_SERVER_HTTP_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/server/http_request_parser.h"

namespace mediagen::server {

class HttpServer {
 public:
  struct Response {
    int status = 200;
    // Omitted when empty.
    std::string content_type;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
  };
  using Handler = std::function<Response(const HttpRequest&)>;

  // What happened to a connection, for metrics.
  enum class Event {
    kAccepted,
    kClosed,        // every connection ends with this, whatever the cause
    kShedAtLimit,   // closed to stay within max_connections
    kHeadTimeout,   // its request head did not arrive in time
    kBodyTimeout,   // its request body did not arrive in time
    kWriteTimeout,  // it did not read its response in time
    kRefused,       // malformed, or over a size limit (4xx/5xx, closed)
  };

  struct Options {
    size_t max_connections = 256;
    HttpRequestParser::Limits limits;
    // From a connection's start (or its previous response) to the end of
    // a request head: idle keep-alive connections included.
    absl::Duration head_timeout = absl::Seconds(10);
    // From the end of the head to the end of the body.
    absl::Duration body_timeout = absl::Seconds(10);
    // To send a whole response.
    absl::Duration write_timeout = absl::Seconds(10);
    // After an error response, request bytes still coming are read and
    // dropped for this long (at most 16 MiB, never kept) before closing, so
    // a client that sends its whole body before reading gets the answer
    // instead of a reset.
    absl::Duration linger_timeout = absl::Seconds(2);
    int max_requests_per_connection = 100;
    // Called on the server's thread; may be empty.
    std::function<void(Event)> on_event;
  };

  HttpServer(Options options, Handler handler);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (port 0: a free one), starts serving on a thread of
  // its own and returns the port. At most once.
  absl::StatusOr<int> Start(const std::string& host, int port);
  // Closes the listener and every connection and joins the thread.
  // Idempotent; returns within a few milliseconds.
  void Stop();

  size_t open_connections() const {
    return open_.load(std::memory_order_relaxed);
  }

 private:
  struct Connection;

  void Run();
  void Accept();
  void Drive(Connection& c);
  void Read(Connection& c);
  // Sends what is queued; false if the connection was closed.
  bool Flush(Connection& c);
  void StartResponse(Connection& c, Response response, bool refused);
  void NextRequest(Connection& c);
  void Linger(Connection& c);
  void Close(uint64_t id, Event why);
  void Watch(Connection& c);
  void ExpireDeadlines();
  int NextTimeoutMs() const;
  void Emit(Event e) const {
    if (options_.on_event) options_.on_event(e);
  }

  const Options options_;
  const Handler handler_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> open_{0};
  // Loop thread only. By id, so in accept order: the first one is the
  // oldest.
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
  uint64_t next_id_ = 2;  // 0: the listener, 1: the wake-up eventfd
  // Connections with buffered requests still to serve (pipelining).
  std::vector<uint64_t> ready_;
  // Accepting pauses while the process is out of file descriptors.
  absl::Time accept_paused_until_ = absl::InfinitePast();
  bool listening_ = false;
};

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_HTTP_SERVER_H_
