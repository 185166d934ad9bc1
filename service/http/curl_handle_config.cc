#include "service/http/curl_handle_config.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/http/request_checks.h"

namespace mediagen::http::internal {
namespace {

// Appends options with the value type each one takes, spelled out so a
// literal never picks the wrong alternative of EasyOption::Value.
class OptionList {
 public:
  explicit OptionList(std::vector<EasyOption>* out) : out_(out) {}
  void Long(CURLoption option, long value) {
    out_->push_back(EasyOption{option, EasyOption::Value(value)});
  }
  void Large(CURLoption option, curl_off_t value) {
    out_->push_back(EasyOption{option, EasyOption::Value(LargeValue{value})});
  }
  void String(CURLoption option, const char* value) {
    out_->push_back(EasyOption{option, EasyOption::Value(value)});
  }
  void Pointer(CURLoption option, void* value) {
    out_->push_back(EasyOption{option, EasyOption::Value(value)});
  }
  void Callback(CURLoption option, curl_write_callback value) {
    out_->push_back(EasyOption{option, EasyOption::Value(value)});
  }

 private:
  std::vector<EasyOption>* out_;
};

// What every transfer sets: where it goes and the transport's fixed
// policy. Redirects are not followed (a 3xx is the response).
void AddBasics(Transfer& t, OptionList& set) {
  set.Pointer(CURLOPT_PRIVATE, &t);
  set.String(CURLOPT_URL, t.request.url.c_str());
  set.String(CURLOPT_PROTOCOLS_STR, "http,https");
  set.Long(CURLOPT_NOSIGNAL, 1L);
  set.Pointer(CURLOPT_ERRORBUFFER, t.errbuf);
  set.Long(CURLOPT_FOLLOWLOCATION, 0L);
  set.Long(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
}

// HTTP version, keep-alive, identity and trust, from the transport's
// options.
void AddConnection(const HttpRequest& r, const CurlTransportOptions& options,
                   OptionList& set) {
  set.Long(CURLOPT_HTTP_VERSION,
           options.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
  if (options.http2 && absl::StartsWithIgnoreCase(r.url, "https://")) {
    // While the first TLS connection to a host is still negotiating,
    // wait to learn whether it speaks HTTP/2 (and can carry this request
    // too) instead of opening another. Not on cleartext: that is never
    // HTTP/2 here, and waiting would serialise the first burst behind
    // the first response.
    set.Long(CURLOPT_PIPEWAIT, 1L);
  }
  if (options.tcp_keepalive) {
    long idle =
        std::max<long>(1, absl::ToInt64Seconds(options.tcp_keepalive_idle));
    set.Long(CURLOPT_TCP_KEEPALIVE, 1L);
    set.Long(CURLOPT_TCP_KEEPIDLE, idle);
    set.Long(CURLOPT_TCP_KEEPINTVL, idle);
  }
  set.String(CURLOPT_USERAGENT, options.user_agent.c_str());
  if (!options.ca_file.empty()) {
    set.String(CURLOPT_CAINFO, options.ca_file.c_str());
  }
}

// The whole transfer ends when the deadline passes (`remaining`, rounded
// up to a whole millisecond, at least 1); connecting must also finish
// within connect_timeout.
void AddTimeouts(absl::Duration remaining, const CurlTransportOptions& options,
                 OptionList& set) {
  const long timeout_ms = static_cast<long>(std::max<int64_t>(
      1,
      absl::ToInt64Milliseconds(absl::Ceil(remaining, absl::Milliseconds(1)))));
  set.Long(CURLOPT_TIMEOUT_MS, timeout_ms);
  set.Long(CURLOPT_CONNECTTIMEOUT_MS,
           std::max<long>(1, static_cast<long>(absl::ToInt64Milliseconds(
                                 options.connect_timeout))));
}

// The response goes to the Transfer's callbacks.
void AddResponseCallbacks(Transfer& t, OptionList& set) {
  set.Callback(CURLOPT_HEADERFUNCTION, &OnHeader);
  set.Pointer(CURLOPT_HEADERDATA, &t);
  set.Callback(CURLOPT_WRITEFUNCTION, &OnWrite);
  set.Pointer(CURLOPT_WRITEDATA, &t);
}

// The method, the body and the connection policy that follows from the
// method. Returns whether a body is sent.
bool AddMethodAndBody(Transfer& t, OptionList& set) {
  const HttpRequest& r = t.request;
  const std::string& m = r.method;
  if (!IsIdempotent(m)) {
    // libcurl resends a request on its own when a reused connection dies
    // before the first response byte, even if the request had gone out
    // whole (the upstream may have acted on it). On a new connection it
    // never does, so a create (which spends credits) gets one: it then
    // reaches the upstream at most once per Start.
    set.Long(CURLOPT_FRESH_CONNECT, 1L);
  }
  const bool has_body = r.body_source != nullptr || !r.body.empty();
  const bool body_method = m == "POST" || m == "PUT" || m == "PATCH";
  if (m == "HEAD" && !has_body) {
    set.Long(CURLOPT_NOBODY, 1L);
    return false;
  }
  if (!has_body && !body_method) {
    set.Long(CURLOPT_HTTPGET, 1L);
    if (m != "GET") set.String(CURLOPT_CUSTOMREQUEST, m.c_str());
    return false;
  }
  set.Long(CURLOPT_POST, 1L);
  if (r.body_source != nullptr) {
    std::optional<int64_t> size = r.body_source->size();
    // -1: unknown, so HTTP/1.1 sends it chunked (HTTP/2 needs neither).
    set.Large(CURLOPT_POSTFIELDSIZE_LARGE,
              static_cast<curl_off_t>(size.value_or(-1)));
    set.Callback(CURLOPT_READFUNCTION, &OnRead);
    set.Pointer(CURLOPT_READDATA, &t);
  } else {
    set.Large(CURLOPT_POSTFIELDSIZE_LARGE,
              static_cast<curl_off_t>(r.body.size()));
    // Not copied: the string lives in the Transfer until completion.
    set.String(CURLOPT_POSTFIELDS, r.body.data());
  }
  if (m != "POST") set.String(CURLOPT_CUSTOMREQUEST, m.c_str());
  return true;
}

}  // namespace

EasyConfig EasyConfigFor(Transfer& t, const CurlTransportOptions& options,
                         absl::Duration remaining) {
  EasyConfig config;
  OptionList set(&config.options);
  AddBasics(t, set);
  AddConnection(t.request, options, set);
  AddTimeouts(remaining, options, set);
  AddResponseCallbacks(t, set);
  const bool sends_body = AddMethodAndBody(t, set);
  config.header_lines = HeaderLines(t.request.headers, sends_body);
  return config;
}

std::vector<std::string> HeaderLines(const Headers& headers, bool sends_body) {
  std::vector<std::string> lines;
  lines.reserve(headers.size() + 2);
  bool has_expect = false;
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    if (absl::EqualsIgnoreCase(name, "Expect")) has_expect = true;
    if (absl::EqualsIgnoreCase(name, "Content-Type")) has_content_type = true;
    // "Name:" would tell libcurl to remove the header; "Name;" sends it
    // with an empty value.
    lines.push_back(value.empty() ? absl::StrCat(name, ";")
                                  : absl::StrCat(name, ": ", value));
  }
  // Expect: 100-continue costs a round trip (or a one-second stall
  // against servers that ignore it) before every upload.
  if (!has_expect) lines.push_back("Expect:");
  // Without this libcurl labels a POST body form-urlencoded.
  if (sends_body && !has_content_type) lines.push_back("Content-Type:");
  return lines;
}

CURLcode SetEasyOptions(CURL* easy, const std::vector<EasyOption>& options) {
  CURLcode first_error = CURLE_OK;
  for (const EasyOption& o : options) {
    const CURLcode rc = std::visit(
        [&](auto value) -> CURLcode {
          if constexpr (std::is_same_v<decltype(value), LargeValue>) {
            return curl_easy_setopt(easy, o.option, value.value);
          } else {
            return curl_easy_setopt(easy, o.option, value);
          }
        },
        o.value);
    if (first_error == CURLE_OK) first_error = rc;
  }
  return first_error;
}

absl::Status ConfigureEasy(Transfer* t, const CurlTransportOptions& options,
                           absl::Duration remaining) {
  const EasyConfig config = EasyConfigFor(*t, options, remaining);
  if (CURLcode rc = SetEasyOptions(t->easy, config.options); rc != CURLE_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot configure request: ", curl_easy_strerror(rc), ": ",
                     t->request.method, " ", t->redacted_url));
  }
  for (const std::string& line : config.header_lines) {
    curl_slist* next = curl_slist_append(t->header_list, line.c_str());
    if (next == nullptr) return absl::ResourceExhaustedError("out of memory");
    t->header_list = next;
  }
  if (curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->header_list) !=
      CURLE_OK) {
    return absl::InternalError("cannot set request headers");
  }
  return absl::OkStatus();
}

}  // namespace mediagen::http::internal
