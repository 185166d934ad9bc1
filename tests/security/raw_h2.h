// RawH2Connection: a deliberately minimal HTTP/2 client over a plaintext TCP
// socket, for attacks no real gRPC client will make: streams opened and
// reset at once (rapid reset, CVE-2023-44487), header blocks of any size.
// It writes frames by hand (HPACK literals only, no Huffman, no dynamic
// table) and reads just enough of what the server sends to keep the
// connection flowing and to see RST_STREAM and GOAWAY.
//
//   auto conn = RawH2Connection::Connect("127.0.0.1", port);
//   (*conn)->OpenAndReset(20000, "/mediagen.v1.MediaService/GetMedia");
//   RawH2Connection::Counts seen = (*conn)->Drain(absl::Seconds(1));
//
// Test-only: it trusts the server's frames and never sends DATA.
#ifndef MEDIAGEN_TESTS_SECURITY_RAW_H2_H_
#define MEDIAGEN_TESTS_SECURITY_RAW_H2_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mediagen::testing {

class RawH2Connection {
 public:
  // What the server has sent so far.
  struct Counts {
    int settings = 0;
    int rst_stream = 0;
    int goaway = 0;
    int headers = 0;
    int64_t bytes_read = 0;
    bool closed = false;  // the server closed the connection
  };

  // Connects and sends the preface and an empty SETTINGS frame.
  static absl::StatusOr<std::unique_ptr<RawH2Connection>> Connect(
      const std::string& host, int port);
  ~RawH2Connection();

  // Opens `streams` new streams (a gRPC HEADERS frame each, to `path`,
  // with `metadata` as extra headers) and resets each (RST_STREAM CANCEL)
  // right after its HEADERS, in batches, reading what the server sends in
  // between. Returns the bytes written.
  absl::StatusOr<int64_t> OpenAndReset(
      int streams, const std::string& path,
      const std::vector<std::pair<std::string, std::string>>& metadata = {});

  // Reads (and answers pings and settings) for `d`, or until the server
  // closes the connection.
  Counts Drain(absl::Duration d);
  const Counts& counts() const { return counts_; }

  // HPACK header block with `headers` as literals without indexing.
  static std::string EncodeHeaderBlock(
      const std::vector<std::pair<std::string, std::string>>& headers);
  // One frame: 9-byte header + payload.
  static std::string Frame(uint8_t type, uint8_t flags, uint32_t stream_id,
                           const std::string& payload);

 private:
  explicit RawH2Connection(int fd) : fd_(fd) {}
  absl::Status WriteAll(const std::string& bytes);
  // Non-blocking read of whatever has arrived; parses whole frames.
  void Pump(int timeout_ms);

  int fd_;
  uint32_t next_stream_id_ = 1;
  std::string in_;
  Counts counts_;
};

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_SECURITY_RAW_H2_H_
