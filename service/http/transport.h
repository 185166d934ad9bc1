// The upstream HTTP seam: what a translator builds (HttpRequest), what comes
// back (HttpResponse), and the asynchronous transport that carries one to the
// other. Production uses CurlTransport (one libcurl multi event loop); unit
// tests substitute FakeTransport and never open a socket.
//
//   HttpRequest req;
//   req.method = "POST";
//   req.url = "https://api.vimmerse.net/v2/media";
//   req.headers = {{"X-Api-Key", key}, {"Content-Type", "application/json"}};
//   req.body = R"({"prompt":"..."})";
//   req.deadline = absl::Now() + absl::Seconds(30);   // from the gRPC deadline
//   std::shared_ptr<HttpCall> call = transport.Start(
//       std::move(req), [](absl::StatusOr<HttpResponse> r) { ... });
//   call->Cancel();                                     // if the RPC is cancelled
#ifndef MEDIAGEN_SERVICE_HTTP_TRANSPORT_H_
#define MEDIAGEN_SERVICE_HTTP_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mediagen::http {

// Header names keep the case they were given in a request; in a response
// they are lower-cased, so look-ups compare lower-case names.
using Headers = std::vector<std::pair<std::string, std::string>>;

// The value of the first header named `name` (case-insensitive), if any.
std::optional<std::string> FindHeader(const Headers& headers,
                                      absl::string_view name);

// A request body produced piece by piece (a streamed upload). The transport
// pulls from it on its event-loop thread; a source that has nothing yet says
// kPause and later calls the resume callback, so a slow producer pauses the
// transfer instead of the transport buffering anything.
class BodySource {
 public:
  enum class ReadResult {
    kData,   // *n > 0 bytes were written to buf
    kPause,  // nothing yet; call the resume callback when there is
    kEnd,    // the body is complete
    kError,  // the producer failed; the request fails (not sent whole)
  };

  virtual ~BodySource() = default;

  // Called by the transport once, before the first Read, with a callback
  // that is safe to call from any thread, any number of times.
  virtual void SetResumeCallback(std::function<void()> resume) = 0;

  // Copies up to `max` bytes into `buf`. Never blocks.
  virtual ReadResult Read(char* buf, size_t max, size_t* n) = 0;

  // Why Read returned kError.
  virtual absl::Status error() const = 0;

  // Total length when known in advance (sent as Content-Length); otherwise
  // the body goes out with chunked transfer encoding.
  virtual std::optional<int64_t> size() const = 0;
};

// Receives a response body as it arrives instead of in HttpResponse::body
// (ElevenLabs audio). Called on the transport's thread; keep it quick.
struct ResponseStream {
  // Called once, when the status line and headers are complete. Return
  // false to have the body buffered into HttpResponse::body instead (e.g.
  // for an error status, whose body is a JSON error to parse).
  std::function<bool(int status, const Headers& headers)> on_headers;
  // Called with each piece of the body, in order. Return false when the
  // receiver is full: the transfer pauses (this piece is kept) until
  // HttpCall::ResumeReceive().
  std::function<bool(absl::string_view chunk)> on_chunk;
};

struct HttpRequest {
  std::string method = "GET";
  // Absolute URL, query string included and already percent-encoded.
  std::string url;
  Headers headers;
  // The whole body for small requests. Ignored when `body_source` is set.
  std::string body;
  // A streamed body (uploads). The transport holds it until the call ends.
  std::shared_ptr<BodySource> body_source;
  // The transfer fails with DEADLINE_EXCEEDED at this time (from the caller's
  // gRPC deadline). InfiniteFuture means the transport's default timeout.
  absl::Time deadline = absl::InfiniteFuture();
  // A buffered response body larger than this fails the call (so a broken
  // or hostile upstream cannot exhaust memory). Not applied to bodies given
  // to a ResponseStream.
  size_t max_response_bytes = 16 << 20;
  // When set, the body goes to it as it arrives (see ResponseStream).
  std::shared_ptr<ResponseStream> response_stream;
};

struct HttpResponse {
  int status = 0;
  // Names lower-cased.
  Headers headers;
  // Empty when the body went to a ResponseStream.
  std::string body;
};

// A started request. Thread-safe; may outlive the transfer.
class HttpCall {
 public:
  virtual ~HttpCall() = default;
  // Aborts the transfer; the completion runs with CANCELLED unless it has
  // run already.
  virtual void Cancel() = 0;
  // Continues a transfer paused by ResponseStream::on_chunk returning false.
  virtual void ResumeReceive() = 0;
};

// Transport errors (no HTTP status at all) arrive as the completion's status:
//   UNAVAILABLE        connection refused or reset, DNS, TLS, body cut off
//   DEADLINE_EXCEEDED  the request's deadline passed
//   CANCELLED          HttpCall::Cancel()
//   RESOURCE_EXHAUSTED a buffered body over max_response_bytes
//   INVALID_ARGUMENT   a BodySource error or a malformed request
// An HTTP response of any status (404, 500, ...) is a success here; mapping
// it is the translator's job. Error messages never contain header values
// (API keys live there).
class HttpTransport {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<HttpResponse>) &&>;

  virtual ~HttpTransport() = default;

  // Starts `request`; `done` runs exactly once, on a transport thread, after
  // the transfer ended (or immediately, on the calling thread, if the
  // request could not be started).
  virtual std::shared_ptr<HttpCall> Start(HttpRequest request, Done done) = 0;
};

// True when a transport error proves the request never left this process
// (e.g. connection refused, DNS failure): only then may a create be
// retried without risking a second charge.
bool RequestNotSent(const absl::Status& status);

// Marks `status` as "the request never reached the upstream".
absl::Status MarkNotSent(absl::Status status);

}  // namespace mediagen::http

#endif  // MEDIAGEN_SERVICE_HTTP_TRANSPORT_H_
