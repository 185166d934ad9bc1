#include "service/server/http_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace mediagen::server {
namespace {

constexpr uint64_t kListenerId = 0;
constexpr uint64_t kWakeId = 1;
// Bytes read from one connection per wake-up, and what it may have
// buffered unparsed (the start of a pipelined request).
constexpr size_t kReadChunk = 16 << 10;
// Requests served in a row from one connection's buffer before the others
// get a turn.
constexpr int kPipelinedPerTurn = 8;
// A client that sends a refused body in full before it reads the answer
// (as many do) gets it if the body is under this: dropped, never kept.
constexpr size_t kMaxLingerBytes = 16 << 20;
constexpr absl::Duration kAcceptPause = absl::Milliseconds(100);

const char* Reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace

struct HttpServer::Connection {
  enum class Phase {
    kRequest,  // reading a request (or idle between requests)
    kRespond,  // sending a response; nothing is read meanwhile
    kLinger,   // sending done, dropping unread input before closing
  };

  Connection(uint64_t id, int fd, const HttpRequestParser::Limits& limits)
      : id(id), fd(fd), parser(limits) {}

  const uint64_t id;
  const int fd;
  Phase phase = Phase::kRequest;
  HttpRequestParser parser;
  std::string in;  // received, not yet given to the parser
  // To send: `out` then `out_body` (moved in, never copied), from
  // out_sent on.
  std::string out;
  std::string out_body;
  size_t out_sent = 0;
  absl::Time deadline;
  int requests = 0;
  bool close_after_response = false;
  bool linger_after_response = false;
  bool body_started = false;
  bool peer_closed = false;
  size_t lingered = 0;
  uint32_t watched = 0;  // the epoll events registered

  bool pending() const { return !out.empty() || !out_body.empty(); }
};

HttpServer::HttpServer(Options options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() { Stop(); }

absl::StatusOr<int> HttpServer::Start(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = absl::StrCat(port);
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(),
                  &hints, &found) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve ", host));
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 ||
        listen(fd, SOMAXCONN) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", host, ":",
                                               port, ": ", strerror(errno)));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  const int bound_port =
      ntohs(bound.ss_family == AF_INET6
                ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);

  listen_fd_ = fd;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    return absl::InternalError(absl::StrCat("epoll: ", strerror(errno)));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerId;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  listening_ = true;
  ev.data.u64 = kWakeId;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { Run(); });
  return bound_port;
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  thread_.join();
  for (auto& [id, c] : connections_) close(c->fd);
  connections_.clear();
  open_.store(0);
  close(listen_fd_);
  close(epoll_fd_);
  close(wake_fd_);
  listen_fd_ = epoll_fd_ = wake_fd_ = -1;
}

void HttpServer::Run() {
  epoll_event events[64];
  while (!stop_.load()) {
    const int n = epoll_wait(epoll_fd_, events, 64, NextTimeoutMs());
    if (stop_.load()) break;
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kWakeId) continue;
      if (id == kListenerId) {
        Accept();
        continue;
      }
      auto it = connections_.find(id);
      if (it == connections_.end()) continue;  // closed earlier in this batch
      Connection& c = *it->second;
      const uint32_t e = events[i].events;
      if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
        if (c.pending() && !Flush(c)) continue;
      }
      if (e & (EPOLLIN | EPOLLERR | EPOLLHUP)) Read(c);
      // Read may have closed it.
      it = connections_.find(id);
      if (it != connections_.end()) Drive(*it->second);
    }
    // Connections with requests still buffered get their next turn.
    std::vector<uint64_t> ready;
    ready.swap(ready_);
    for (uint64_t id : ready) {
      auto it = connections_.find(id);
      if (it != connections_.end()) Drive(*it->second);
    }
    if (!listening_ && absl::Now() >= accept_paused_until_) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = kListenerId;
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
      listening_ = true;
    }
    ExpireDeadlines();
  }
}

void HttpServer::Accept() {
  for (int i = 0; i < 64; ++i) {
    const int fd =
        accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM) {
        // Out of descriptors: waiting connections stay in the backlog
        // (they hold none of ours) until some close.
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        listening_ = false;
        accept_paused_until_ = absl::Now() + kAcceptPause;
      }
      return;
    }
    if (connections_.size() >= options_.max_connections) {
      // Make room by closing the oldest connection still waiting for its
      // request head (idle or slow); if every one is busy with a request,
      // the newcomer goes.
      uint64_t victim = 0;
      for (const auto& [id, c] : connections_) {
        if (c->phase == Connection::Phase::kLinger ||
            (c->phase == Connection::Phase::kRequest &&
             !c->parser.head_complete())) {
          victim = id;
          break;
        }
      }
      Emit(Event::kShedAtLimit);
      if (victim == 0) {
        close(fd);
        continue;
      }
      Close(victim, Event::kClosed);
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Connection>(next_id_++, fd, options_.limits);
    c->deadline = absl::Now() + options_.head_timeout;
    Connection& ref = *c;
    connections_.emplace(ref.id, std::move(c));
    open_.store(connections_.size(), std::memory_order_relaxed);
    Emit(Event::kAccepted);
    Watch(ref);
  }
}

void HttpServer::Read(Connection& c) {
  if (c.phase == Connection::Phase::kRespond) return;
  char buf[kReadChunk];
  while (c.phase == Connection::Phase::kLinger || c.in.size() < kReadChunk) {
    const ssize_t n = recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      if (c.phase == Connection::Phase::kLinger) {
        c.lingered += static_cast<size_t>(n);
        if (c.lingered > kMaxLingerBytes) {
          Close(c.id, Event::kClosed);
          return;
        }
      } else {
        c.in.append(buf, static_cast<size_t>(n));
      }
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    // End of input (or a reset): what is buffered may still be a whole
    // request to answer; anything else ends here.
    c.peer_closed = true;
    if (c.phase == Connection::Phase::kLinger || n < 0) {
      Close(c.id, Event::kClosed);
    }
    return;
  }
}

void HttpServer::Drive(Connection& c) {
  for (int served = 0; served < kPipelinedPerTurn;) {
    if (c.phase == Connection::Phase::kRequest) {
      const size_t used = c.parser.Consume(c.in);
      c.in.erase(0, used);
      switch (c.parser.state()) {
        case HttpRequestParser::State::kHead:
        case HttpRequestParser::State::kBody:
          if (c.parser.head_complete() && !c.body_started) {
            // The body's own deadline starts now.
            c.body_started = true;
            c.deadline = absl::Now() + options_.body_timeout;
            if (c.parser.request().expects_continue) {
              c.out += "HTTP/1.1 100 Continue\r\n\r\n";
              if (!Flush(c)) return;
            }
          }
          if (c.peer_closed) {
            Close(c.id, Event::kClosed);  // it will never be whole
            return;
          }
          Watch(c);
          return;
        case HttpRequestParser::State::kError: {
          Response r;
          r.status = c.parser.error_status();
          r.content_type = "text/plain";
          r.body = absl::StrCat(Reason(r.status), "\n");
          StartResponse(c, std::move(r), /*refused=*/true);
          break;
        }
        case HttpRequestParser::State::kDone:
          ++c.requests;
          StartResponse(c, handler_(c.parser.request()), /*refused=*/false);
          ++served;
          break;
      }
    }
    if (c.phase != Connection::Phase::kRespond) break;
    if (!Flush(c)) return;
    if (c.pending()) break;  // the rest when the socket takes it
    // The whole response is out.
    if (c.linger_after_response) {
      Linger(c);
      break;
    }
    if (c.close_after_response || c.peer_closed) {
      Close(c.id, Event::kClosed);
      return;
    }
    NextRequest(c);
    if (c.in.empty()) break;
  }
  if (c.phase == Connection::Phase::kRequest && !c.in.empty()) {
    ready_.push_back(c.id);  // more pipelined requests: after the others
  }
  Watch(c);
}

void HttpServer::StartResponse(Connection& c, Response r, bool refused) {
  const HttpRequest& req = c.parser.request();
  c.close_after_response = refused || !req.keep_alive || stop_.load() ||
                           c.requests >= options_.max_requests_per_connection;
  c.linger_after_response = refused;
  if (refused) Emit(Event::kRefused);
  const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
  std::string head =
      absl::StrCat("HTTP/1.1 ", r.status, " ", Reason(r.status), "\r\n");
  if (!r.content_type.empty()) {
    absl::StrAppend(&head, "Content-Type: ", r.content_type, "\r\n");
  }
  for (const auto& [k, v] : r.headers)
    absl::StrAppend(&head, k, ": ", v, "\r\n");
  if (!bodiless)
    absl::StrAppend(&head, "Content-Length: ", r.body.size(), "\r\n");
  if (c.close_after_response) {
    absl::StrAppend(&head, "Connection: close\r\n");
  } else if (req.minor_version == 0) {
    absl::StrAppend(&head, "Connection: keep-alive\r\n");
  }
  head += "\r\n";
  c.out += head;
  if (!bodiless && req.method != "HEAD") c.out_body = std::move(r.body);
  c.phase = Connection::Phase::kRespond;
  c.deadline = absl::Now() + options_.write_timeout;
}

void HttpServer::NextRequest(Connection& c) {
  c.phase = Connection::Phase::kRequest;
  c.parser.Reset();
  c.body_started = false;
  c.deadline = absl::Now() + options_.head_timeout;
}

void HttpServer::Linger(Connection& c) {
  // Stop sending, then drop what the client still sends for a moment:
  // closing with unread input would reset the connection, and the client
  // could lose the answer it has not read yet.
  shutdown(c.fd, SHUT_WR);
  c.phase = Connection::Phase::kLinger;
  c.in.clear();
  c.deadline = absl::Now() + options_.linger_timeout;
}

bool HttpServer::Flush(Connection& c) {
  while (true) {
    const size_t total = c.out.size() + c.out_body.size();
    if (c.out_sent >= total) break;
    iovec parts[2];
    int count = 0;
    if (c.out_sent < c.out.size()) {
      parts[count++] = {c.out.data() + c.out_sent, c.out.size() - c.out_sent};
      if (!c.out_body.empty()) {
        parts[count++] = {c.out_body.data(), c.out_body.size()};
      }
    } else {
      const size_t off = c.out_sent - c.out.size();
      parts[count++] = {c.out_body.data() + off, c.out_body.size() - off};
    }
    msghdr msg{};
    msg.msg_iov = parts;
    msg.msg_iovlen = count;
    const ssize_t n = sendmsg(c.fd, &msg, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    Close(c.id, Event::kClosed);
    return false;
  }
  c.out.clear();
  c.out_body.clear();
  c.out_body.shrink_to_fit();
  c.out_sent = 0;
  return true;
}

void HttpServer::Watch(Connection& c) {
  uint32_t want = 0;
  if (c.phase != Connection::Phase::kRespond && !c.peer_closed &&
      c.in.size() < kReadChunk) {
    want |= EPOLLIN;
  }
  if (c.pending()) want |= EPOLLOUT;
  if (c.watched == want && c.watched != 0) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = c.id;
  epoll_ctl(epoll_fd_, c.watched == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd,
            &ev);
  // An empty set stays registered (errors and hang-ups still arrive).
  c.watched = want == 0 ? EPOLLERR : want;
}

void HttpServer::Close(uint64_t id, Event why) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second->fd, nullptr);
  close(it->second->fd);
  connections_.erase(it);
  open_.store(connections_.size(), std::memory_order_relaxed);
  if (why != Event::kClosed) Emit(why);
  Emit(Event::kClosed);
}

void HttpServer::ExpireDeadlines() {
  const absl::Time now = absl::Now();
  std::vector<std::pair<uint64_t, Event>> expired;
  for (const auto& [id, c] : connections_) {
    if (c->deadline > now) continue;
    Event why = Event::kClosed;
    switch (c->phase) {
      case Connection::Phase::kRequest:
        why = c->parser.head_complete() ? Event::kBodyTimeout
                                        : Event::kHeadTimeout;
        break;
      case Connection::Phase::kRespond:
        why = Event::kWriteTimeout;
        break;
      case Connection::Phase::kLinger:
        break;
    }
    expired.emplace_back(id, why);
  }
  for (const auto& [id, why] : expired) Close(id, why);
}

int HttpServer::NextTimeoutMs() const {
  if (!ready_.empty()) return 0;
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [id, c] : connections_) next = std::min(next, c->deadline);
  if (!listening_) next = std::min(next, accept_paused_until_);
  if (next == absl::InfiniteFuture()) return -1;
  const absl::Duration left = next - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  // Rounded up, so a wake-up never comes just before the deadline.
  return static_cast<int>(std::min<int64_t>(
      INT_MAX, absl::ToInt64Milliseconds(left + absl::Milliseconds(1))));
}

}  // namespace mediagen::server
