#include "tests/faults/fault_matrix.h"

#include <string>

namespace mediagen::testing {
namespace {

using grpc::StatusCode;

constexpr StatusCode OK = StatusCode::OK;
constexpr StatusCode UNAVAILABLE = StatusCode::UNAVAILABLE;
constexpr StatusCode UNKNOWN = StatusCode::UNKNOWN;
constexpr StatusCode DEADLINE = StatusCode::DEADLINE_EXCEEDED;
constexpr StatusCode EXHAUSTED = StatusCode::RESOURCE_EXHAUSTED;

// README "Errors": 5xx -> UNAVAILABLE + RetryInfo (upstream code, else
// UPSTREAM_UNAVAILABLE); 429 -> RESOURCE_EXHAUSTED + RetryInfo; deadline ->
// DEADLINE_EXCEEDED UPSTREAM_DEADLINE_EXCEEDED; no connection (refused,
// reset) -> UNAVAILABLE UPSTREAM_UNREACHABLE; unreadable 2xx body -> reads
// UNAVAILABLE + RetryInfo, creates UNKNOWN, UPSTREAM_BAD_RESPONSE. Audio is
// streamed as it comes, never buffered or parsed, so a malformed or huge
// audio body reaches the caller as it is.
// clang-format off
constexpr Expect kMatrix[] = {
  // fault                 call          code         reason                        retry  http  creates/id replayed
  {Fault::k500,         Call::kCreate, UNAVAILABLE, "INTERNAL_SERVER_ERROR",      true,  500,  1, true},
  {Fault::k500,         Call::kGet,    UNAVAILABLE, "INTERNAL_SERVER_ERROR",      true,  500},
  {Fault::k500,         Call::kWatch,  UNAVAILABLE, "INTERNAL_SERVER_ERROR",      true,  500},
  {Fault::k500,         Call::kUpload, UNAVAILABLE, "INTERNAL_SERVER_ERROR",      true,  500,  1, true},
  {Fault::k500,         Call::kSpeech, UNAVAILABLE, "INTERNAL_SERVER_ERROR",      true,  500},
  {Fault::k502,         Call::kCreate, UNAVAILABLE, "UPSTREAM_UNAVAILABLE",       true,  502,  0, true},
  {Fault::k502,         Call::kGet,    UNAVAILABLE, "UPSTREAM_UNAVAILABLE",       true,  502},
  {Fault::k502,         Call::kWatch,  UNAVAILABLE, "UPSTREAM_UNAVAILABLE",       true,  502},
  {Fault::k502,         Call::kUpload, UNAVAILABLE, "UPSTREAM_UNAVAILABLE",       true,  502,  0, true},
  {Fault::k502,         Call::kSpeech, UNAVAILABLE, "UPSTREAM_UNAVAILABLE",       true,  502},
  {Fault::k503,         Call::kCreate, UNAVAILABLE, "SERVICE_UNAVAILABLE",        true,  503,  0, true},
  {Fault::k503,         Call::kGet,    UNAVAILABLE, "SERVICE_UNAVAILABLE",        true,  503},
  {Fault::k503,         Call::kWatch,  UNAVAILABLE, "SERVICE_UNAVAILABLE",        true,  503},
  {Fault::k503,         Call::kUpload, UNAVAILABLE, "SERVICE_UNAVAILABLE",        true,  503,  0, true},
  {Fault::k503,         Call::kSpeech, UNAVAILABLE, "SERVICE_UNAVAILABLE",        true,  503},
  {Fault::k429,         Call::kCreate, EXHAUSTED,   "RATE_LIMIT_EXCEEDED",        true,  429,  1, false},
  {Fault::k429,         Call::kGet,    EXHAUSTED,   "RATE_LIMIT_EXCEEDED",        true,  429},
  {Fault::k429,         Call::kWatch,  EXHAUSTED,   "RATE_LIMIT_EXCEEDED",        true,  429},
  {Fault::k429,         Call::kUpload, EXHAUSTED,   "RATE_LIMIT_EXCEEDED",        true,  429,  1, false},
  {Fault::k429,         Call::kSpeech, EXHAUSTED,   "RATE_LIMIT_EXCEEDED",        true,  429},
  {Fault::kTimeout,     Call::kCreate, DEADLINE,    "UPSTREAM_DEADLINE_EXCEEDED", false, 0,    1, true},
  {Fault::kTimeout,     Call::kGet,    DEADLINE,    "UPSTREAM_DEADLINE_EXCEEDED", false, 0},
  {Fault::kTimeout,     Call::kWatch,  DEADLINE,    "UPSTREAM_DEADLINE_EXCEEDED", false, 0},
  {Fault::kTimeout,     Call::kUpload, DEADLINE,    "UPSTREAM_DEADLINE_EXCEEDED", false, 0,    1, true},
  {Fault::kTimeout,     Call::kSpeech, DEADLINE,    "UPSTREAM_DEADLINE_EXCEEDED", false, 0},
  {Fault::kReset,       Call::kCreate, UNAVAILABLE, "UPSTREAM_UNREACHABLE",       false, 0,    1, true},
  {Fault::kReset,       Call::kGet,    UNAVAILABLE, "UPSTREAM_UNREACHABLE",       false, 0},
  {Fault::kReset,       Call::kWatch,  UNAVAILABLE, "UPSTREAM_UNREACHABLE",       false, 0},
  {Fault::kReset,       Call::kUpload, UNAVAILABLE, "UPSTREAM_UNREACHABLE",       false, 0,    1, true},
  {Fault::kReset,       Call::kSpeech, UNAVAILABLE, "UPSTREAM_UNREACHABLE",       false, 0},
  {Fault::kMalformed,   Call::kCreate, UNKNOWN,     "UPSTREAM_BAD_RESPONSE",      false, 200,  1, true},
  {Fault::kMalformed,   Call::kGet,    UNAVAILABLE, "UPSTREAM_BAD_RESPONSE",      true,  200},
  {Fault::kMalformed,   Call::kWatch,  UNAVAILABLE, "UPSTREAM_BAD_RESPONSE",      true,  200},
  {Fault::kMalformed,   Call::kUpload, UNKNOWN,     "UPSTREAM_BAD_RESPONSE",      false, 200,  1, true},
  {Fault::kMalformed,   Call::kSpeech, OK,          "",                           false, 0},
  {Fault::kDrip,        Call::kCreate, DEADLINE,    "UPSTREAM_DEADLINE_EXCEEDED", false, 0,    1, true},
  {Fault::kDrip,        Call::kGet,    DEADLINE,    "UPSTREAM_DEADLINE_EXCEEDED", false, 0},
  {Fault::kDrip,        Call::kWatch,  DEADLINE,    "UPSTREAM_DEADLINE_EXCEEDED", false, 0},
  {Fault::kDrip,        Call::kUpload, DEADLINE,    "UPSTREAM_DEADLINE_EXCEEDED", false, 0,    1, true},
  {Fault::kDrip,        Call::kSpeech, DEADLINE,    "UPSTREAM_DEADLINE_EXCEEDED", false, 0},
  {Fault::kOversize,    Call::kCreate, UNKNOWN,     "UPSTREAM_BAD_RESPONSE",      false, 0,    1, true},
  {Fault::kOversize,    Call::kGet,    UNAVAILABLE, "UPSTREAM_BAD_RESPONSE",      true,  0},
  {Fault::kOversize,    Call::kWatch,  UNAVAILABLE, "UPSTREAM_BAD_RESPONSE",      true,  0},
  {Fault::kOversize,    Call::kUpload, UNKNOWN,     "UPSTREAM_BAD_RESPONSE",      false, 0,    1, true},
  {Fault::kOversize,    Call::kSpeech, OK,          "",                           false, 0},
  {Fault::kContentType, Call::kCreate, UNKNOWN,     "UPSTREAM_BAD_RESPONSE",      false, 200,  1, true},
  {Fault::kContentType, Call::kGet,    UNAVAILABLE, "UPSTREAM_BAD_RESPONSE",      true,  200},
  {Fault::kContentType, Call::kWatch,  UNAVAILABLE, "UPSTREAM_BAD_RESPONSE",      true,  200},
  {Fault::kContentType, Call::kUpload, UNKNOWN,     "UPSTREAM_BAD_RESPONSE",      false, 200,  1, true},
  {Fault::kContentType, Call::kSpeech, UNKNOWN,     "UPSTREAM_BAD_RESPONSE",      false, 200},
};
// clang-format on

}  // namespace

const char* Name(Fault f) {
  switch (f) {
    case Fault::k500:
      return "500 after the work";
    case Fault::k502:
      return "502 proxy HTML page";
    case Fault::k503:
      return "503";
    case Fault::k429:
      return "429";
    case Fault::kTimeout:
      return "timeout";
    case Fault::kReset:
      return "reset mid-body";
    case Fault::kMalformed:
      return "malformed JSON";
    case Fault::kDrip:
      return "slow drip";
    case Fault::kOversize:
      return "oversized body";
    case Fault::kContentType:
      return "wrong content type";
  }
  return "?";
}

const char* Slug(Fault f) {
  switch (f) {
    case Fault::k500:
      return "f500";
    case Fault::k502:
      return "f502";
    case Fault::k503:
      return "f503";
    case Fault::k429:
      return "f429";
    case Fault::kTimeout:
      return "timeout";
    case Fault::kReset:
      return "reset";
    case Fault::kMalformed:
      return "malformed";
    case Fault::kDrip:
      return "drip";
    case Fault::kOversize:
      return "oversize";
    case Fault::kContentType:
      return "ctype";
  }
  return "x";
}

const char* Rpc(Call c) {
  switch (c) {
    case Call::kCreate:
      return "CreateMedia";
    case Call::kGet:
      return "GetJob";
    case Call::kWatch:
      return "WatchJob";
    case Call::kUpload:
      return "UploadVideo";
    case Call::kSpeech:
      return "SynthesizeSpeech";
  }
  return "Unknown";
}

const char* Name(Call c) {
  switch (c) {
    case Call::kCreate:
      return "create";
    case Call::kGet:
      return "get";
    case Call::kWatch:
      return "watch";
    case Call::kUpload:
      return "upload";
    case Call::kSpeech:
      return "speech";
  }
  return "?";
}

absl::Span<const Expect> Matrix() { return kMatrix; }

nlohmann::json RuleFor(Fault f, bool audio, bool read) {
  const std::string html =
      "<html><head><title>502 Bad Gateway</title></head>"
      "<body><center><h1>502 Bad Gateway</h1></center></body></html>";
  switch (f) {
    case Fault::k500:
      return {{"status", 500}, {"after_processing", true}};
    case Fault::k502:
      return {{"status", 502}, {"content_type", "text/html"}, {"body", html}};
    case Fault::k503:
      return {{"status", 503}};
    case Fault::k429:
      return {{"status", 429}};
    case Fault::kTimeout:
      return {{"latency_ms", read ? kReadLatencyMs : kLatencyMs}};
    case Fault::kReset:
      return {{"reset_after_bytes", audio ? 1000 : 10}};
    case Fault::kMalformed:
      return {{"malformed_json", true}};
    case Fault::kDrip:
      return {{"drip_bytes_per_sec", 50}};
    case Fault::kOversize:
      return {{"oversize_bytes", kOversizeBytes}};
    case Fault::kContentType:
      if (audio) {
        return {{"status", 200},
                {"after_processing", true},
                {"content_type", "application/json"},
                {"body", {{"status", "ok"}}}};
      }
      return {{"status", 200},
              {"after_processing", true},
              {"content_type", "text/html"},
              {"body", "<html><body>Please sign in to continue</body></html>"}};
  }
  return {};
}

}  // namespace mediagen::testing
