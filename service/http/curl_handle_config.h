// How one request becomes the options of a libcurl easy handle: its URL,
// method and body, its timeouts, the connection policy (no redirects; a
// fresh connection for non-idempotent methods, see below), HTTP/2 and
// keep-alive from the transport's options, the request headers, and the
// Transfer's callbacks (service/http/curl_transfer.h).
//
// The choice is made as data first (EasyConfigFor: every curl_easy_setopt
// call in order, plus the header lines), so a test can read what a request
// would set without a socket; ConfigureEasy then applies it to the
// Transfer's handle.
//
//   t->easy = easy;  // a fresh or curl_easy_reset handle
//   if (absl::Status s = internal::ConfigureEasy(t, options, remaining);
//       !s.ok()) {
//     ...  // the request was not sent
//   }
//
// Fresh connections: libcurl 7.88 resends a request on its own when a
// reused connection dies before the first response byte, even if the whole
// request had gone out (the upstream may have acted on it). On a new
// connection it never does, so POST, PATCH and every other non-idempotent
// method (creates, which spend credits) get CURLOPT_FRESH_CONNECT: each
// reaches the upstream at most once per Start. The connection joins the
// pool afterwards for later requests.
#ifndef MEDIAGEN_SERVICE_HTTP_CURL_HANDLE_CONFIG_H_
#define MEDIAGEN_SERVICE_HTTP_CURL_HANDLE_CONFIG_H_

#include <curl/curl.h>

#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "service/http/curl_transfer.h"
#include "service/http/curl_transport_options.h"

namespace mediagen::http::internal {

// A curl_off_t value (the *_LARGE options), kept apart from long, which is
// the same type on some platforms.
struct LargeValue {
  curl_off_t value;
};

// One curl_easy_setopt call as data. The value has the type libcurl reads
// for the option: long, curl_off_t, a char pointer (a string libcurl
// copies, or CURLOPT_POSTFIELDS, which points into the Transfer's request),
// userdata or a buffer (void*), or a callback.
struct EasyOption {
  using Value =
      std::variant<long, LargeValue, const char*, void*, curl_write_callback>;
  CURLoption option;
  Value value;
};

// Everything a request sets on its easy handle.
struct EasyConfig {
  // In the order they are set. Pointers refer to the Transfer and to the
  // options, which outlive the transfer.
  std::vector<EasyOption> options;
  // CURLOPT_HTTPHEADER's lines, set after `options`.
  std::vector<std::string> header_lines;
};

// The configuration of `t`'s request under `options`, given the time left
// until its deadline (`remaining` > 0). Touches no handle; `t.easy` may be
// null.
EasyConfig EasyConfigFor(Transfer& t, const CurlTransportOptions& options,
                         absl::Duration remaining);

// The request's headers as libcurl header lines, in order, with libcurl's
// own additions turned off: no "Expect: 100-continue" (a round trip, or a
// one-second stall against servers that ignore it, before every upload)
// unless the caller sets Expect, and no form-urlencoded Content-Type on a
// body (`sends_body`) whose caller set none.
std::vector<std::string> HeaderLines(const Headers& headers, bool sends_body);

// Sets `options` on `easy` in order. Returns the first failure; the options
// after it are still set (as a run of curl_easy_setopt calls would).
CURLcode SetEasyOptions(CURL* easy, const std::vector<EasyOption>& options);

// Applies EasyConfigFor(*t, options, remaining) to t->easy and builds
// t->header_list. INVALID_ARGUMENT when libcurl refuses an option (the
// message has the method and redacted URL, no header values);
// RESOURCE_EXHAUSTED when the header list cannot be allocated.
absl::Status ConfigureEasy(Transfer* t, const CurlTransportOptions& options,
                           absl::Duration remaining);

}  // namespace mediagen::http::internal

#endif  // MEDIAGEN_SERVICE_HTTP_CURL_HANDLE_CONFIG_H_
