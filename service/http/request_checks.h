// Checks and views of an HttpRequest that CurlTransport needs before (and
// apart from) any libcurl call: whether the request is safe to hand to
// libcurl, how its URL may appear in an error message, and whether its
// method may be resent. Pure functions, so each rule is tested alone.
//
//   if (absl::Status s = internal::ValidateRequest(request); !s.ok()) {
//     return MarkNotSent(s);  // header injection, a non-HTTP URL, ...
//   }
//   LOG(INFO) << internal::RedactUrl(request.url);  // no query, no user info
//   if (!internal::IsIdempotent(request.method)) { /* fresh connection */ }
#ifndef MEDIAGEN_SERVICE_HTTP_REQUEST_CHECKS_H_
#define MEDIAGEN_SERVICE_HTTP_REQUEST_CHECKS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "service/http/transport.h"

namespace mediagen::http::internal {

// scheme://host[:port]/path of `url`: no user info, query or fragment, so
// an error message never carries credentials or ids from a query string.
// "<malformed url>" when `url` has no scheme.
std::string RedactUrl(absl::string_view url);

// RFC 9110 section 9.2.2: GET, HEAD, OPTIONS, PUT, DELETE and TRACE.
bool IsIdempotent(absl::string_view method);

// INVALID_ARGUMENT for what libcurl would send verbatim and a server would
// misparse (header injection): a method or header name that is not an
// RFC 9110 token, a header value with CR, LF or NUL, a URL that is not
// absolute http(s) or that contains whitespace or control characters.
// Messages name the header, never its value.
absl::Status ValidateRequest(const HttpRequest& request);

}  // namespace mediagen::http::internal

#endif  // MEDIAGEN_SERVICE_HTTP_REQUEST_CHECKS_H_
