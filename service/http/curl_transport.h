// CurlTransport: the production HttpTransport, over libcurl's multi
// interface. A fixed number of event-loop threads (one by default) each own
// a CURLM; requests from any thread are queued to a loop, which runs every
// transfer without a thread of its own and keeps connections alive for
// reuse (HTTP/2 when a TLS upstream offers it, HTTP/1.1 keep-alive
// otherwise). Uploads stream from a BodySource and downloads can stream to a
// ResponseStream, both with backpressure, so neither sits whole in memory.
//
//   CurlTransport::Options options;
//   options.threads = 2;
//   CurlTransport transport(options);
//   HttpRequest req;
//   req.url = "https://api.elevenlabs.io/v1/voices";
//   req.headers = {{"xi-api-key", key}};
//   req.deadline = absl::Now() + absl::Seconds(10);
//   std::shared_ptr<HttpCall> call = transport.Start(
//       std::move(req), [](absl::StatusOr<HttpResponse> r) { ... });
//
// Flow control: a BodySource that says kPause pauses sending until its
// resume callback runs. When ResponseStream::on_chunk returns false, the
// piece it was given counts as delivered (it is never handed over twice);
// libcurl holds the next piece and stops reading the socket until
// HttpCall::ResumeReceive(). A paused transfer still ends at its deadline.
//
// Connections: GET, PUT, DELETE and other idempotent requests reuse
// pooled connections. POST and PATCH (creates, which spend credits) always
// get a new connection, because libcurl 7.88 silently resends a request
// whose reused connection dies before the first response byte, even when
// the upstream may already have acted on it; a fresh connection is never
// retried that way. The connection is pooled afterwards for later requests.
//
// Errors follow transport.h. Connection refused and DNS failures carry
// MarkNotSent; a connect timeout is UNAVAILABLE; a BodySource error is
// INVALID_ARGUMENT whose message includes the source's own status.
//
// Completions run on a loop thread with no transport lock held: they may
// start new requests or drop their HttpCall. They must stay short (they
// share the loop) and must not destroy the CurlTransport itself, whose
// destructor joins the loop threads: it cancels what is still in flight
// (those completions run with CANCELLED) and then waits for them.
#ifndef MEDIAGEN_SERVICE_HTTP_CURL_TRANSPORT_H_
#define MEDIAGEN_SERVICE_HTTP_CURL_TRANSPORT_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "service/http/curl_transport_options.h"
#include "service/http/transport.h"

namespace mediagen::http {

class CurlTransport : public HttpTransport {
 public:
  // Threads, timeouts, connection limits, HTTP/2, keep-alive, User-Agent
  // and CA file: see curl_transport_options.h.
  using Options = CurlTransportOptions;

  CurlTransport();
  explicit CurlTransport(Options options);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  std::shared_ptr<HttpCall> Start(HttpRequest request, Done done) override;

  // Name prefix of the loop threads ("mg-http-0", ...), as seen in
  // /proc/self/task/*/comm and by `top -H`.
  static constexpr const char* kThreadNamePrefix = "mg-http-";

 private:
  class Loop;

  const Options options_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<size_t> next_loop_{0};
};

}  // namespace mediagen::http

#endif  // MEDIAGEN_SERVICE_HTTP_CURL_TRANSPORT_H_
