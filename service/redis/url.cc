#include "service/redis/url.h"

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mediagen::redis {
namespace {

constexpr absl::string_view kScheme = "redis://";

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("Redis URL: ", what));
}

// Parts of the URL that may be quoted in an error (never the userinfo),
// shortened so a pasted blob does not fill a log line.
std::string Shown(absl::string_view s) {
  constexpr size_t kMax = 64;
  if (s.size() <= kMax) return absl::StrCat("\"", s, "\"");
  return absl::StrCat("\"", s.substr(0, kMax), "...\"");
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<std::string> PercentDecode(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = HexValue(s[i + 1]);
    const int lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

}  // namespace

std::string RedisEndpoint::ToString() const {
  const bool v6 = absl::StrContains(host, ':');
  return absl::StrCat(v6 ? "[" : "", host, v6 ? "]" : "", ":", port, "/", db);
}

absl::StatusOr<RedisEndpoint> ParseRedisUrl(absl::string_view url) {
  if (!absl::StartsWithIgnoreCase(url, kScheme)) {
    const size_t sep = url.find("://");
    if (sep == absl::string_view::npos) {
      return Invalid("must start with \"redis://\"");
    }
    const absl::string_view scheme = url.substr(0, sep);
    if (absl::EqualsIgnoreCase(scheme, "rediss")) {
      return Invalid("TLS (rediss://) is not supported; use redis://");
    }
    return Invalid(absl::StrCat("scheme ", Shown(scheme),
                                " is not supported; use redis://"));
  }
  absl::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != absl::string_view::npos) {
    return Invalid("query strings and fragments are not supported");
  }
  const size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  const absl::string_view path =
      slash == absl::string_view::npos ? "" : rest.substr(slash + 1);

  RedisEndpoint endpoint;
  // The host cannot contain '@', the password can: split at the last one.
  const size_t at = authority.rfind('@');
  if (at != absl::string_view::npos) {
    const absl::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const size_t colon = userinfo.find(':');
    if (colon == absl::string_view::npos) {
      return Invalid("credentials must be written \"[username]:password@\"");
    }
    std::optional<std::string> user = PercentDecode(userinfo.substr(0, colon));
    std::optional<std::string> pass = PercentDecode(userinfo.substr(colon + 1));
    if (!user.has_value() || !pass.has_value()) {
      return Invalid("bad percent-encoding in the credentials");
    }
    endpoint.username = *std::move(user);
    endpoint.password = *std::move(pass);
  }

  absl::string_view port_text;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return Invalid(
          absl::StrCat("unterminated IPv6 address in host ", Shown(authority)));
    }
    endpoint.host = std::string(authority.substr(1, close - 1));
    const absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return Invalid(absl::StrCat("unexpected ", Shown(after),
                                    " after the IPv6 address"));
      }
      port_text = after.substr(1);
      if (port_text.empty()) return Invalid("empty port");
    }
  } else {
    const size_t colon = authority.rfind(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return Invalid("empty port");
    }
  }
  if (endpoint.host.empty()) return Invalid("missing host");
  if (endpoint.host.find_first_of(": ") != std::string::npos &&
      !absl::StartsWith(authority, "[")) {
    return Invalid(absl::StrCat("bad host ", Shown(endpoint.host)));
  }

  if (!port_text.empty()) {
    uint32_t port = 0;
    if (!AllDigits(port_text) || !absl::SimpleAtoi(port_text, &port) ||
        port < 1 || port > 65535) {
      return Invalid(absl::StrCat("port ", Shown(port_text),
                                  " is not a number in 1..65535"));
    }
    endpoint.port = static_cast<int>(port);
  }

  if (!path.empty()) {
    int32_t db = 0;
    if (!AllDigits(path) || !absl::SimpleAtoi(path, &db) || db < 0) {
      return Invalid(
          absl::StrCat("db ", Shown(path), " is not a non-negative integer"));
    }
    endpoint.db = db;
  }
  return endpoint;
}

}  // namespace mediagen::redis
