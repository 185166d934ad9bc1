// Fuzzes the one place where upstream failures become statuses: every error
// body shape (Vimmerse v2 {message, code}, v1 {message}, FastAPI detail[],
// ElevenLabs detail{}, AIMLAPI envelope), Retry-After and request-id
// headers, and transport error texts.
//
// Input: byte 0 picks the provider, byte 1 the HTTP status, byte 2 read or
// create; then header lines `name: value` up to an empty line; the rest is
// the body. The tenant's keys are fixed (and appear in the seeds, so the
// fuzzer mutates around them).
//
// Invariants: an error with ErrorInfo whose reason is what ErrorInfo
// allows (at most 63 characters, [A-Z][A-Z0-9_]+[A-Z0-9]) and whose domain
// is the provider's; no key in any text a caller receives
// (message, ErrorInfo metadata, BadRequest); messages valid UTF-8 without
// control characters and bounded; RetryInfo within 0-10 min; every detail
// survives protobuf's wire format.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "proto/rpc/error_details.h"
#include "service/http/transport.h"
#include "service/upstream/providers/endpoints.h"
#include "service/upstream/providers/errors.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

namespace rpc = mediagen::rpc;
namespace up = mediagen::upstream;
namespace v1 = mediagen::v1;
using mediagen::fuzz::HasNoControlCharacters;
using mediagen::fuzz::IsValidUtf8;
using mediagen::fuzz::SurvivesTheWire;

const std::vector<std::string>& Keys() {
  static const auto* keys = new std::vector<std::string>{
      "vim-live-Qx7Wm2Lp9Zk4", "el_key_Rt5Yh8Kd3Nv", "aiml-Bx6Tq1Ws0Jf"};
  return *keys;
}

void CheckText(absl::string_view text, size_t max_bytes) {
  for (const std::string& key : Keys()) {
    FUZZ_CHECK(!absl::StrContains(text, key), text);
  }
  FUZZ_CHECK(IsValidUtf8(text), text);
  FUZZ_CHECK(HasNoControlCharacters(text), text);
  FUZZ_CHECK(text.size() <= max_bytes, text);
}

void CheckStatus(const absl::Status& s, v1::Provider provider) {
  FUZZ_CHECK(!s.ok(), "");
  // Our prefix ("Provider ROUTE: HTTP 400 REASON: ") plus 300 bytes of
  // upstream text at most.
  CheckText(s.message(), 500);
  std::optional<google::rpc::ErrorInfo> info = rpc::GetErrorInfo(s);
  FUZZ_CHECK(info.has_value(), s.ToString());
  FUZZ_CHECK(info->domain() == up::ProviderDomain(provider), info->domain());
  // google.rpc.ErrorInfo: at most 63 characters of [A-Z][A-Z0-9_]+[A-Z0-9].
  const std::string& reason = info->reason();
  FUZZ_CHECK(reason.size() >= 2 && reason.size() <= 63, reason);
  FUZZ_CHECK(absl::ascii_isupper(reason.front()) && reason.back() != '_',
             reason);
  for (char c : reason) {
    FUZZ_CHECK(absl::ascii_isupper(c) || absl::ascii_isdigit(c) || c == '_',
               reason);
  }
  for (const auto& [k, v] : info->metadata()) CheckText(v, 300);
  FUZZ_CHECK(SurvivesTheWire(*info), info->ShortDebugString());
  if (auto delay = rpc::RetryDelay(s)) {
    FUZZ_CHECK(*delay >= absl::ZeroDuration() && *delay <= up::kMaxRetryAfter,
               absl::FormatDuration(*delay));
  }
  if (auto br = rpc::GetBadRequest(s)) {
    FUZZ_CHECK(br->field_violations_size() <= 20, br->ShortDebugString());
    for (const auto& v : br->field_violations()) {
      CheckText(v.field(), 300);
      CheckText(v.description(), 300);
    }
    FUZZ_CHECK(SurvivesTheWire(*br), br->ShortDebugString());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static constexpr v1::Provider kProviders[] = {
      v1::PROVIDER_VIMMERSE, v1::PROVIDER_ELEVENLABS, v1::PROVIDER_AIMLAPI};
  static constexpr int kStatuses[] = {400, 401, 402, 403, 404, 408, 409, 413,
                                      418, 422, 429, 500, 502, 503, 504, 599,
                                      100, 204, 302, 304};
  mediagen::fuzz::Input in(data, size);
  const v1::Provider provider = kProviders[in.Byte() % 3];
  const int status = kStatuses[in.Byte() % (sizeof(kStatuses) / sizeof(int))];
  const bool read = in.Byte() % 2 == 0;

  up::ErrorContext ctx;
  ctx.provider = provider;
  ctx.route = read ? "GET /v2/media/{id}" : "POST /v2/media";
  ctx.idempotency =
      read ? up::Idempotency::kIdempotent : up::Idempotency::kNonIdempotent;
  ctx.secrets = Keys();

  mediagen::http::HttpResponse response;
  response.status = status;
  while (!in.Rest().empty()) {
    const absl::string_view line = in.Line();
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    response.headers.emplace_back(
        absl::AsciiStrToLower(line.substr(0, colon)),
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  response.body = std::string(in.Rest());

  const absl::Time now = absl::FromUnixSeconds(1750000000);
  CheckStatus(up::MapHttpError(response, ctx, now), provider);
  if (auto after = up::ParseRetryAfter(response.headers, now)) {
    FUZZ_CHECK(*after >= absl::ZeroDuration() && *after <= up::kMaxRetryAfter,
               absl::FormatDuration(*after));
  }
  // A transport's error text (curl's, with the URL) takes the same path.
  CheckStatus(
      up::MapTransportError(absl::UnavailableError(response.body), ctx),
      provider);
  CheckStatus(
      up::BadResponseError(ctx, status, response.headers, "unusable"),
      provider);
  return 0;
}
