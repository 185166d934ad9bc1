#include "service/upstream/providers/route.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mediagen::upstream {

Route RouteSpec::ToRoute() const {
  return Route{provider, std::string(method), std::string(path), idempotency};
}

std::string PercentEncode(absl::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::pair<std::string, std::string> AuthHeader(v1::Provider provider,
                                               absl::string_view key) {
  switch (provider) {
    case v1::PROVIDER_ELEVENLABS:
      return {"xi-api-key", std::string(key)};
    case v1::PROVIDER_AIMLAPI:
      return {"Authorization", absl::StrCat("Bearer ", key)};
    default:
      return {"X-Api-Key", std::string(key)};
  }
}

UpstreamRequest MakeRequest(Route route, std::string url, absl::string_view key,
                            absl::string_view accept,
                            const std::string* json_body) {
  UpstreamRequest out;
  out.http.method = route.method;
  out.http.url = std::move(url);
  out.http.headers.push_back(AuthHeader(route.provider, key));
  out.http.headers.emplace_back("Accept", std::string(accept));
  if (json_body != nullptr) {
    out.http.headers.emplace_back("Content-Type", "application/json");
    out.http.body = *json_body;
  }
  out.route = std::move(route);
  return out;
}

std::string BuildUrl(absl::string_view base, absl::string_view path,
                     const QueryParams& query) {
  while (absl::EndsWith(base, "/")) base.remove_suffix(1);
  std::string url = absl::StrCat(base, path);
  char sep = '?';
  for (const auto& [name, value] : query) {
    absl::StrAppend(&url, std::string(1, sep), PercentEncode(name), "=",
                    PercentEncode(value));
    sep = '&';
  }
  return url;
}

}  // namespace mediagen::upstream
