#include "service/http/curl_transfer.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace mediagen::http::internal {

Transfer::~Transfer() {
  if (header_list != nullptr) curl_slist_free_all(header_list);
}

std::string Transfer::Scrub(std::string text) const {
  size_t query = request.url.find('?');
  if (query != std::string::npos) {
    absl::StrReplaceAll({{request.url.substr(query), "?<redacted>"}}, &text);
  }
  for (const auto& [name, value] : request.headers) {
    if (value.size() >= 4) {
      absl::StrReplaceAll({{value, "<redacted>"}}, &text);
    }
  }
  return text;
}

std::string Transfer::Describe(CURLcode code) const {
  std::string detail = Scrub(errbuf);
  return absl::StrCat(curl_easy_strerror(code),
                      detail.empty() ? "" : absl::StrCat(" (", detail, ")"),
                      ": ", request.method, " ", redacted_url);
}

namespace {

void FinishHeaderBlock(Transfer* t) {
  t->headers_done = true;
  if (t->block_status == 0) {
    long code = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    t->block_status = static_cast<int>(code);
  }
  t->response.status = t->block_status;
  t->response.headers = std::move(t->block_headers);
  t->block_headers.clear();
  const ResponseStream* stream = t->request.response_stream.get();
  if (stream != nullptr && stream->on_headers && stream->on_chunk &&
      stream->on_headers(t->response.status, t->response.headers)) {
    t->streaming = true;
  }
}

}  // namespace

size_t OnHeader(char* data, size_t size, size_t nitems, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  const size_t n = size * nitems;
  // After the final block only trailers can come; they are not part of
  // the response's headers.
  if (t->headers_done) return n;
  absl::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  if (absl::StartsWith(line, "HTTP/")) {
    // A new block: an interim 1xx was followed by another status line.
    t->block_headers.clear();
    t->block_status = 0;
    size_t space = line.find(' ');
    int status = 0;
    if (space != absl::string_view::npos &&
        absl::SimpleAtoi(line.substr(space + 1, 3), &status)) {
      t->block_status = status;
    }
    return n;
  }
  if (line.empty()) {
    if (t->block_status >= 100 && t->block_status < 200) {
      t->block_headers.clear();
      t->block_status = 0;
      return n;
    }
    FinishHeaderBlock(t);
    if (!t->streaming && t->request.method != "HEAD") {
      std::optional<std::string> length =
          FindHeader(t->response.headers, "content-length");
      uint64_t declared = 0;
      if (length.has_value() && absl::SimpleAtoi(*length, &declared)) {
        if (declared > t->request.max_response_bytes) {
          t->abort_status = absl::ResourceExhaustedError(absl::StrCat(
              "response body of ", declared, " bytes exceeds the limit of ",
              t->request.max_response_bytes, ": ", t->redacted_url));
          return 0;  // a short count aborts the transfer
        }
        t->response.body.reserve(declared);
      }
    }
    return n;
  }
  if ((line.front() == ' ' || line.front() == '\t') &&
      !t->block_headers.empty()) {
    // obs-fold continuation of the previous header's value.
    absl::StrAppend(&t->block_headers.back().second, " ",
                    absl::StripAsciiWhitespace(line));
    return n;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  t->block_headers.emplace_back(
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon))),
      std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  return n;
}

size_t OnWrite(char* data, size_t size, size_t nmemb, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  const size_t n = size * nmemb;
  if (!t->headers_done) FinishHeaderBlock(t);  // a response without headers
  if (t->streaming) {
    if (t->receive_pause_wanted) {
      // libcurl keeps this piece and stops reading the socket until
      // ResumeReceive unpauses; then it hands the piece over again.
      t->receive_paused = true;
      return CURL_WRITEFUNC_PAUSE;
    }
    if (!t->request.response_stream->on_chunk(absl::string_view(data, n))) {
      t->receive_pause_wanted = true;
    }
    return n;
  }
  if (t->response.body.size() + n > t->request.max_response_bytes) {
    t->abort_status = absl::ResourceExhaustedError(absl::StrCat(
        "response body exceeds the limit of ", t->request.max_response_bytes,
        " bytes: ", t->redacted_url));
    return CURL_WRITEFUNC_ERROR;
  }
  t->response.body.append(data, n);
  return n;
}

size_t OnRead(char* buf, size_t size, size_t nitems, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  BodySource& source = *t->request.body_source;
  size_t n = 0;
  switch (source.Read(buf, size * nitems, &n)) {
    case BodySource::ReadResult::kData:
      if (n > 0) return n;
      t->abort_status = absl::InternalError(
          "request body source returned kData with no bytes");
      return CURL_READFUNC_ABORT;
    case BodySource::ReadResult::kPause:
      t->send_paused = true;
      return CURL_READFUNC_PAUSE;
    case BodySource::ReadResult::kEnd:
      return 0;
    case BodySource::ReadResult::kError: {
      absl::Status error = source.error();
      t->abort_status = absl::InvalidArgumentError(absl::StrCat(
          "request body source failed (",
          absl::StatusCodeToString(error.code()), ": ", error.message(),
          "): ", t->request.method, " ", t->redacted_url));
      return CURL_READFUNC_ABORT;
    }
  }
  return CURL_READFUNC_ABORT;
}

absl::StatusOr<HttpResponse> TransferResponse(Transfer* t) {
  if (!t->headers_done) FinishHeaderBlock(t);
  return std::move(t->response);
}

absl::Status TransferFailure(const Transfer& t, CURLcode code) {
  if (!t.abort_status.ok()) return t.abort_status;
  const std::string what = t.Describe(code);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return MarkNotSent(absl::UnavailableError(what));
    case CURLE_OPERATION_TIMEDOUT: {
      // The same code serves the connect timeout, which is an upstream
      // that cannot be reached, not the caller's deadline.
      curl_off_t pretransfer = 0;
      curl_easy_getinfo(t.easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
      if (pretransfer == 0 && absl::Now() < t.deadline) {
        return absl::UnavailableError(what);
      }
      return absl::DeadlineExceededError(what);
    }
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return MarkNotSent(absl::InvalidArgumentError(what));
    default:
      return absl::UnavailableError(what);
  }
}

}  // namespace mediagen::http::internal
