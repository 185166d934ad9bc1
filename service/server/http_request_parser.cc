#include "service/server/http_request_parser.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace mediagen::server {
namespace {

// RFC 9110 5.6.2 tchar.
bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar);
}

// Field values: visible characters, obs-text, SP and HTAB; no other CTL.
bool IsFieldValue(absl::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// A line without its LF or CRLF.
absl::string_view WithoutLineEnd(absl::string_view line) {
  if (absl::EndsWith(line, "\n")) line.remove_suffix(1);
  if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
  return line;
}

// The comma-separated elements of every `name` header, trimmed and
// lowercased, empty ones dropped.
std::vector<std::string> ListValues(const HttpRequest& r,
                                    absl::string_view name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : r.headers) {
    if (k != name) continue;
    for (absl::string_view e : absl::StrSplit(v, ',')) {
      e = TrimOws(e);
      if (!e.empty()) out.push_back(absl::AsciiStrToLower(e));
    }
  }
  return out;
}

// The value of hex digits `hex`, or UINT64_MAX past 8 significant digits
// (4 GiB: over any limit).
uint64_t HexValue(absl::string_view hex) {
  while (!hex.empty() && hex.front() == '0') hex.remove_prefix(1);
  if (hex.size() > 8) return UINT64_MAX;
  uint64_t v = 0;
  for (char c : hex) {
    v = v * 16 + static_cast<uint64_t>(absl::ascii_isdigit(c)
                                           ? c - '0'
                                           : absl::ascii_tolower(c) - 'a' + 10);
  }
  return v;
}

}  // namespace

const std::string* HttpRequest::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

void HttpRequestParser::Reset() {
  state_ = State::kHead;
  error_status_ = 0;
  error_reason_.clear();
  request_ = HttpRequest();
  head_.clear();
  head_scanned_ = 0;
  skipped_ = 0;
  body_kind_ = BodyKind::kNone;
  body_left_ = 0;
  chunk_state_ = ChunkState::kSize;
  line_.clear();
  trailer_bytes_ = 0;
}

void HttpRequestParser::Fail(int status, absl::string_view reason) {
  state_ = State::kError;
  error_status_ = status;
  error_reason_ = std::string(reason);
  request_.keep_alive = false;
}

size_t HttpRequestParser::Consume(absl::string_view data) {
  size_t used = 0;
  while (used < data.size() &&
         (state_ == State::kHead || state_ == State::kBody)) {
    const State before = state_;
    const size_t n = state_ == State::kHead ? ConsumeHead(data.substr(used))
                                            : ConsumeBody(data.substr(used));
    used += n;
    if (n == 0 && state_ == before) break;  // needs more than is here
  }
  return used;
}

size_t HttpRequestParser::ConsumeHead(absl::string_view data) {
  size_t used = 0;
  if (head_.empty()) {
    // Empty lines before a request line are ignored (RFC 9112 2.2), up to
    // a head's worth.
    while (used < data.size() && (data[used] == '\r' || data[used] == '\n')) {
      ++used;
      if (++skipped_ > limits_.max_head_bytes) {
        Fail(400, "empty lines instead of a request");
        return used;
      }
    }
    if (used == data.size()) return used;
  }
  const size_t room = limits_.max_head_bytes - head_.size();
  const absl::string_view chunk = data.substr(used, room);
  head_.append(chunk.data(), chunk.size());
  // The head ends at the first empty line: LF LF or LF CR LF.
  size_t end = std::string::npos;
  size_t pos = head_scanned_;
  while (true) {
    const size_t nl = head_.find('\n', pos);
    if (nl == std::string::npos) {
      head_scanned_ = head_.size();
      break;
    }
    if (nl + 1 >= head_.size()) {
      head_scanned_ = nl;
      break;
    }
    if (head_[nl + 1] == '\n') {
      end = nl + 2;
      break;
    }
    if (head_[nl + 1] == '\r') {
      if (nl + 2 >= head_.size()) {
        head_scanned_ = nl;
        break;
      }
      if (head_[nl + 2] == '\n') {
        end = nl + 3;
        break;
      }
    }
    pos = nl + 1;
  }
  if (end == std::string::npos) {
    used += chunk.size();
    if (head_.size() >= limits_.max_head_bytes) {
      Fail(431, "request head too large");
    }
    return used;
  }
  // Bytes after the head belong to the body or to the next request.
  used += chunk.size() - (head_.size() - end);
  head_.resize(end);
  ParseHead(head_);
  return used;
}

void HttpRequestParser::ParseHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, '\n');
  // The head ends with an empty line, so the split ends with two empties.
  lines.resize(lines.size() - 2);
  for (absl::string_view& line : lines) {
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
  }

  // Request line: method SP request-target SP HTTP-version.
  const std::vector<absl::string_view> parts =
      absl::StrSplit(lines.front(), ' ');
  if (parts.size() != 3 || !IsToken(parts[0])) {
    Fail(400, "malformed request line");
    return;
  }
  const absl::string_view target = parts[1];
  if (target.empty() || target.front() != '/' ||
      !std::all_of(target.begin(), target.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u != 0x7f;
      })) {
    Fail(400, "malformed request target");
    return;
  }
  const absl::string_view version = parts[2];
  if (version == "HTTP/1.1") {
    request_.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    request_.minor_version = 0;
  } else if (version.size() == 8 && absl::StartsWith(version, "HTTP/") &&
             absl::ascii_isdigit(version[5]) && version[6] == '.' &&
             absl::ascii_isdigit(version[7])) {
    Fail(505, "HTTP version not supported");
    return;
  } else {
    Fail(400, "malformed HTTP version");
    return;
  }
  request_.method = std::string(parts[0]);
  request_.target = std::string(target);
  request_.path = std::string(target.substr(0, target.find('?')));

  for (size_t i = 1; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    if (line.front() == ' ' || line.front() == '\t') {
      Fail(400, "obsolete line folding");
      return;
    }
    const size_t colon = line.find(':');
    // No whitespace may sit between a name and its colon (RFC 9112 5.1).
    if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon))) {
      Fail(400, "malformed header");
      return;
    }
    const absl::string_view value = TrimOws(line.substr(colon + 1));
    if (!IsFieldValue(value)) {
      Fail(400, "control character in a header");
      return;
    }
    if (request_.headers.size() == limits_.max_headers) {
      Fail(431, "too many headers");
      return;
    }
    request_.headers.emplace_back(absl::AsciiStrToLower(line.substr(0, colon)),
                                  std::string(value));
  }
  if (!ParseFraming()) return;
  state_ = body_kind_ == BodyKind::kNone ? State::kDone : State::kBody;
}

bool HttpRequestParser::ParseFraming() {
  HttpRequest& r = request_;
  bool close = false, keep_alive = false;
  for (const std::string& token : ListValues(r, "connection")) {
    close |= token == "close";
    keep_alive |= token == "keep-alive";
  }
  r.keep_alive = r.minor_version >= 1 ? !close : keep_alive && !close;
  for (const std::string& e : ListValues(r, "expect")) {
    r.expects_continue |= e == "100-continue" && r.minor_version >= 1;
  }

  const bool has_length = r.Header("content-length") != nullptr;
  if (r.Header("transfer-encoding") != nullptr) {
    // Two framings, or chunking in HTTP/1.0, is where a proxy and this
    // server could disagree on the request's end (RFC 9112 6.1, 6.3).
    if (has_length || r.minor_version == 0) {
      Fail(400, "ambiguous message framing");
      return false;
    }
    if (ListValues(r, "transfer-encoding") !=
        std::vector<std::string>{"chunked"}) {
      Fail(501, "transfer coding not implemented");
      return false;
    }
    body_kind_ = BodyKind::kChunked;
    return true;
  }
  if (!has_length) return true;
  std::string length;
  for (const auto& [k, v] : r.headers) {
    if (k != "content-length") continue;
    for (absl::string_view e : absl::StrSplit(v, ',')) {
      e = TrimOws(e);
      if (e.empty() || !std::all_of(e.begin(), e.end(), absl::ascii_isdigit) ||
          (!length.empty() && e != length)) {
        Fail(400, "malformed content-length");
        return false;
      }
      length = std::string(e);
    }
  }
  absl::string_view digits = length;
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  uint64_t n = UINT64_MAX;
  if (digits.size() <= 18) {
    n = 0;
    for (char c : digits) n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  // Refused from the header alone: nothing of the body is read.
  if (n > limits_.max_body_bytes) {
    Fail(413, "body too large");
    return false;
  }
  if (n > 0) {
    body_kind_ = BodyKind::kLength;
    body_left_ = n;
    r.body.reserve(static_cast<size_t>(n));
  }
  return true;
}

bool HttpRequestParser::TakeLine(absl::string_view data, size_t max,
                                 size_t* used, bool* complete) {
  const size_t nl = data.find('\n');
  const size_t take = nl == absl::string_view::npos ? data.size() : nl + 1;
  if (line_.size() + take > max) return false;
  line_.append(data.data(), take);
  *used += take;
  *complete = nl != absl::string_view::npos;
  return true;
}

size_t HttpRequestParser::ConsumeBody(absl::string_view data) {
  if (body_kind_ == BodyKind::kLength) {
    const size_t take =
        static_cast<size_t>(std::min<uint64_t>(body_left_, data.size()));
    request_.body.append(data.data(), take);
    body_left_ -= take;
    if (body_left_ == 0) state_ = State::kDone;
    return take;
  }
  size_t used = 0;
  while (used < data.size() && state_ == State::kBody) {
    const absl::string_view rest = data.substr(used);
    bool complete = false;
    switch (chunk_state_) {
      case ChunkState::kSize: {
        // chunk-size [ chunk-ext ] CRLF; extensions are ignored.
        if (!TakeLine(rest, 4096, &used, &complete)) {
          Fail(400, "chunk size line too long");
          return used;
        }
        if (!complete) break;
        const absl::string_view line = WithoutLineEnd(line_);
        size_t digits = 0;
        while (digits < line.size() && absl::ascii_isxdigit(line[digits])) {
          ++digits;
        }
        const absl::string_view ext = TrimOws(line.substr(digits));
        if (digits == 0 || (!ext.empty() && ext.front() != ';') ||
            !IsFieldValue(line)) {
          Fail(400, "malformed chunk size");
          return used;
        }
        const uint64_t size = HexValue(line.substr(0, digits));
        line_.clear();
        if (size == 0) {
          chunk_state_ = ChunkState::kTrailers;
        } else if (size > limits_.max_body_bytes - request_.body.size()) {
          // Refused before its data is read.
          Fail(413, "body too large");
          return used;
        } else {
          body_left_ = size;
          chunk_state_ = ChunkState::kData;
        }
        break;
      }
      case ChunkState::kData: {
        const size_t take =
            static_cast<size_t>(std::min<uint64_t>(body_left_, rest.size()));
        request_.body.append(rest.data(), take);
        body_left_ -= take;
        used += take;
        if (body_left_ == 0) chunk_state_ = ChunkState::kDataEnd;
        break;
      }
      case ChunkState::kDataEnd: {
        // Only CRLF (or LF) may follow; a wrong byte fails at once.
        if (!TakeLine(rest, 2, &used, &complete) ||
            !(line_ == "\r" || line_ == "\r\n" || line_ == "\n")) {
          Fail(400, "chunk data not followed by CRLF");
          return used;
        }
        if (complete) {
          line_.clear();
          chunk_state_ = ChunkState::kSize;
        }
        break;
      }
      case ChunkState::kTrailers: {
        if (!TakeLine(rest, limits_.max_head_bytes - trailer_bytes_, &used,
                      &complete)) {
          Fail(431, "trailers too large");
          return used;
        }
        if (!complete) break;
        const absl::string_view line = WithoutLineEnd(line_);
        trailer_bytes_ += line_.size();
        if (line.empty()) {
          state_ = State::kDone;
        } else {
          // Trailers are checked like headers, then dropped.
          const size_t colon = line.find(':');
          if (colon == absl::string_view::npos ||
              !IsToken(line.substr(0, colon)) ||
              !IsFieldValue(line.substr(colon + 1))) {
            Fail(400, "malformed trailer");
            return used;
          }
        }
        line_.clear();
        break;
      }
    }
  }
  return used;
}

}  // namespace mediagen::server
