// The settings of a CurlTransport (service/http/curl_transport.h), which
// names them CurlTransport::Options. They live in a header of their own so
// that the transport's pieces (the easy-handle configuration, the loop) can
// read them without depending on the transport itself.
//
//   CurlTransport::Options options;  // the same type as CurlTransportOptions
//   options.threads = 2;
//   options.connect_timeout = absl::Seconds(5);
//   CurlTransport transport(options);
#ifndef MEDIAGEN_SERVICE_HTTP_CURL_TRANSPORT_OPTIONS_H_
#define MEDIAGEN_SERVICE_HTTP_CURL_TRANSPORT_OPTIONS_H_

#include <string>

#include "absl/time/time.h"

namespace mediagen::http {

struct CurlTransportOptions {
  // Event-loop threads, each with its own CURLM and connection cache.
  // Requests go to them round-robin. One thread carries many concurrent
  // transfers (no thread per request); more help with TLS-heavy load.
  int threads = 1;
  // Timeout of a request whose deadline is InfiniteFuture.
  absl::Duration default_timeout = absl::Minutes(5);
  // Connecting (DNS + TCP + TLS) must finish within this, and within the
  // request's deadline; a connect timeout is UNAVAILABLE.
  absl::Duration connect_timeout = absl::Seconds(10);
  // Per loop. Transfers over the limits wait inside libcurl for a free
  // connection (their deadline still runs). 0 means no limit.
  long max_connections_per_host = 32;
  long max_total_connections = 256;
  // HTTP/2 over TLS when the server offers it (ALPN); HTTP/1.1 with
  // keep-alive on cleartext http://.
  bool http2 = true;
  // TCP keep-alive probes on idle connections, so a NAT or load balancer
  // between us and the upstream does not silently drop pooled connections.
  bool tcp_keepalive = true;
  absl::Duration tcp_keepalive_idle = absl::Seconds(60);
  // Sent unless the request carries its own User-Agent header.
  std::string user_agent = "mediagen/0.1";
  // PEM bundle of trusted CAs; empty means the system's default store.
  std::string ca_file;
};

}  // namespace mediagen::http

#endif  // MEDIAGEN_SERVICE_HTTP_CURL_TRANSPORT_OPTIONS_H_
