#include "service/http/request_checks.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mediagen::http::internal {
namespace {

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) !=
             absl::string_view::npos;
}

bool IsToken(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar);
}

}  // namespace

std::string RedactUrl(absl::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) return "<malformed url>";
  absl::string_view scheme = url.substr(0, scheme_end);
  absl::string_view rest = url.substr(scheme_end + 3);
  size_t authority_end = rest.find_first_of("/?#");
  absl::string_view authority = rest.substr(0, authority_end);
  size_t at = authority.rfind('@');
  if (at != absl::string_view::npos) authority = authority.substr(at + 1);
  absl::string_view path;
  if (authority_end != absl::string_view::npos && rest[authority_end] == '/') {
    path = rest.substr(authority_end);
    path = path.substr(0, path.find_first_of("?#"));
  }
  return absl::StrCat(scheme, "://", authority, path);
}

bool IsIdempotent(absl::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" ||
         method == "PUT" || method == "DELETE" || method == "TRACE";
}

absl::Status ValidateRequest(const HttpRequest& request) {
  if (!IsToken(request.method)) {
    return absl::InvalidArgumentError("HTTP method is not a valid token");
  }
  if (!absl::StartsWithIgnoreCase(request.url, "http://") &&
      !absl::StartsWithIgnoreCase(request.url, "https://")) {
    return absl::InvalidArgumentError(
        "request URL must be absolute http:// or https://");
  }
  if (request.url.find_first_of("\r\n\0 \t", 0, 5) != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("request URL contains whitespace or control characters: ",
                     RedactUrl(request.url)));
  }
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name)) {
      return absl::InvalidArgumentError(
          "request header name is empty or not a valid token");
    }
    if (value.find_first_of("\r\n\0", 0, 3) != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "request header \"", name, "\" has a CR, LF or NUL in its value"));
    }
  }
  return absl::OkStatus();
}

}  // namespace mediagen::http::internal
