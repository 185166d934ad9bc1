// HttpRequestParser: an incremental HTTP/1.1 request parser with hard
// limits, for the admin port's server (http_server.h). It takes bytes as
// they arrive, in pieces of any size, and holds at most the request head
// (max_head_bytes) and the body (max_body_bytes): a body over the limit is
// refused (413) as soon as its Content-Length or the chunk size that would
// cross the limit is read, never read to its end.
//
//   HttpRequestParser parser(limits);
//   size_t used = parser.Consume(bytes);   // may leave bytes of a next
//   if (parser.state() == HttpRequestParser::State::kDone) {
//     Serve(parser.request());             // pipelined request unconsumed
//     parser.Reset();
//   } else if (parser.state() == HttpRequestParser::State::kError) {
//     Reply(parser.error_status());        // 400, 413, 431, 501 or 505
//   }
//
// Strict where leniency lets two parsers disagree about where a request
// ends (request smuggling): both Content-Length and Transfer-Encoding,
// differing Content-Lengths, any transfer coding but `chunked`, obs-folded
// headers, whitespace before a header's colon and control characters are
// all refused. Bare LF line ends are accepted (RFC 9112 2.2), as are empty
// lines before a request line.
#ifndef MEDIAGEN_SERVICE_SERVER_HTTP_REQUEST_PARSER_H_
#define MEDIAGEN_SERVICE_SERVER_HTTP_REQUEST_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace mediagen::server {

struct HttpRequest {
  std::string method;
  // As sent (origin-form: path and query).
  std::string target;
  // `target` up to its '?'.
  std::string path;
  // 0 for HTTP/1.0, 1 for HTTP/1.1.
  int minor_version = 1;
  // Names lowercased, values without surrounding whitespace, in order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Whether the connection may carry another request after this one
  // (HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
  // `Connection: keep-alive`).
  bool keep_alive = true;
  // `Expect: 100-continue` was sent.
  bool expects_continue = false;

  // The first value of header `name` (lowercase), or nullptr.
  const std::string* Header(absl::string_view name) const;
};

class HttpRequestParser {
 public:
  struct Limits {
    // Request line and headers together, and (separately) the trailers of
    // a chunked body.
    size_t max_head_bytes = 16 << 10;
    size_t max_headers = 100;
    size_t max_body_bytes = 64 << 10;
  };

  enum class State {
    kHead,   // reading the request line and headers
    kBody,   // head complete, reading the body
    kDone,   // request() is complete
    kError,  // error_status() says why; the connection must close
  };

  explicit HttpRequestParser(Limits limits) : limits_(limits) {}

  // Takes bytes from the front of `data` and returns how many it used: all
  // of them unless the request ended (kDone) or an error was found (kError)
  // before their end. Nothing happens in kDone or kError.
  size_t Consume(absl::string_view data);

  State state() const { return state_; }
  // True from the end of the head on (kBody, kDone).
  bool head_complete() const {
    return state_ == State::kBody || state_ == State::kDone;
  }
  // The HTTP status to answer with in kError.
  int error_status() const { return error_status_; }
  // Short reason for the error (for logs; never echoes request bytes).
  absl::string_view error_reason() const { return error_reason_; }
  // Valid from head_complete() on; the body once kDone.
  const HttpRequest& request() const { return request_; }
  HttpRequest& mutable_request() { return request_; }

  // Ready for the next request on the same connection.
  void Reset();

 private:
  enum class BodyKind { kNone, kLength, kChunked };
  enum class ChunkState { kSize, kData, kDataEnd, kTrailers };

  size_t ConsumeHead(absl::string_view data);
  size_t ConsumeBody(absl::string_view data);
  // Appends to line_ up to and including a '\n' and returns the bytes
  // used. False when line_ would grow past `max` (nothing is taken then).
  bool TakeLine(absl::string_view data, size_t max, size_t* used,
                bool* complete);
  void ParseHead(absl::string_view head);
  bool ParseFraming();
  void Fail(int status, absl::string_view reason);

  const Limits limits_;
  State state_ = State::kHead;
  int error_status_ = 0;
  std::string error_reason_;
  HttpRequest request_;
  // The head as received so far (kHead), without leading empty lines.
  std::string head_;
  size_t head_scanned_ = 0;  // where to look for the head's end next
  size_t skipped_ = 0;       // empty lines skipped before the request line
  BodyKind body_kind_ = BodyKind::kNone;
  uint64_t body_left_ = 0;  // kLength: bytes still to come; kData: of chunk
  ChunkState chunk_state_ = ChunkState::kSize;
  std::string line_;  // a chunk-size or trailer line being received
  size_t trailer_bytes_ = 0;
};

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_HTTP_REQUEST_PARSER_H_
