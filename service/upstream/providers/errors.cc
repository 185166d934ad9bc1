#include "service/upstream/providers/errors.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "service/upstream/providers/endpoints.h"
#include "service/upstream/providers/json_codec.h"

namespace mediagen::upstream {
namespace {

using ::google::rpc::BadRequest;
using ::google::rpc::ErrorInfo;
using ::google::rpc::RetryInfo;

constexpr size_t kMaxCodeBytes = 64;
constexpr size_t kMaxReasonBytes = 63;
constexpr size_t kMaxRequestIdBytes = 128;
constexpr size_t kMaxViolations = 20;

// What an error body said, whatever its shape.
struct UpstreamError {
  std::string code;  // as upstream spelled it
  std::string message;
  std::string request_id;
  std::vector<BadRequest::FieldViolation> violations;
};

bool LooksLikeCode(absl::string_view s) {
  if (s.size() < 3 || !absl::ascii_isupper(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isupper(c) || absl::ascii_isdigit(c) || c == '_';
  });
}

std::string StringAt(const Json& obj, absl::string_view key) {
  const Json* v = Find(obj, key);
  if (v == nullptr || !v->is_string()) return "";
  return v->get<std::string>();
}

// FastAPI's loc, e.g. ["body", "media_items", 1, "url"] ->
// "media_items[1].url" (the location prefix dropped, indexes in brackets as
// google.rpc.BadRequest recommends).
std::string FieldPathFromLoc(const Json& loc) {
  if (!loc.is_array()) return "";
  std::string path;
  bool first = true;
  for (const Json& part : loc) {
    if (part.is_string()) {
      const std::string& s = part.get_ref<const std::string&>();
      if (first && (s == "body" || s == "query" || s == "path")) {
        first = false;
        continue;
      }
      if (!path.empty()) path.push_back('.');
      path += s;
    } else if (part.is_number_integer() || part.is_number_unsigned()) {
      absl::StrAppend(&path, "[", part.dump(), "]");
    }
    first = false;
  }
  if (path.empty() && !loc.empty() && loc[0].is_string()) {
    path = loc[0].get<std::string>();
  }
  return path;
}

UpstreamError ParseErrorBody(absl::string_view body) {
  UpstreamError out;
  std::optional<Json> parsed = ParseAny(body);
  if (!parsed || !parsed->is_object()) return out;
  const Json& obj = *parsed;

  if (const Json* detail = Find(obj, "detail")) {
    if (detail->is_array()) {  // FastAPI validation error
      for (const Json& item : *detail) {
        if (out.violations.size() >= kMaxViolations) break;
        if (!item.is_object()) continue;
        BadRequest::FieldViolation v;
        if (const Json* loc = Find(item, "loc")) {
          v.set_field(FieldPathFromLoc(*loc));
        }
        v.set_description(StringAt(item, "msg"));
        out.violations.push_back(std::move(v));
      }
      if (!out.violations.empty()) {
        const auto& v = out.violations.front();
        out.message = v.field().empty()
                          ? v.description()
                          : absl::StrCat(v.field(), ": ", v.description());
      }
    } else if (detail->is_object()) {  // ElevenLabs, both forms
      out.code = StringAt(*detail, "code");
      if (out.code.empty()) out.code = StringAt(*detail, "status");
      out.message = StringAt(*detail, "message");
      out.request_id = StringAt(*detail, "request_id");
      const std::string param = StringAt(*detail, "param");
      if (!param.empty()) {
        BadRequest::FieldViolation v;
        v.set_field(param);
        v.set_description(out.message);
        out.violations.push_back(std::move(v));
      }
    } else if (detail->is_string()) {  // FastAPI HTTPException
      out.message = detail->get<std::string>();
    }
  }

  if (const Json* message = Find(obj, "message")) {
    if (message->is_string()) {
      out.message = message->get<std::string>();
    } else if (message->is_array()) {  // AIMLAPI validation: list of texts
      std::vector<std::string> parts;
      for (const Json& m : *message) {
        if (m.is_string()) parts.push_back(m.get<std::string>());
      }
      out.message = absl::StrJoin(parts, "; ");
    }
  }
  if (out.code.empty()) out.code = StringAt(obj, "code");  // Vimmerse v2
  if (out.code.empty() && LooksLikeCode(out.message)) {
    out.code = out.message;  // Vimmerse v1: {"message": "INSUFFICIENT_CREDIT"}
  }
  if (out.request_id.empty()) out.request_id = StringAt(obj, "requestId");
  if (out.request_id.empty()) out.request_id = StringAt(obj, "request_id");
  return out;
}

std::string HeaderRequestId(const http::Headers& headers) {
  for (absl::string_view name : {"request-id", "x-request-id"}) {
    if (std::optional<std::string> v = http::FindHeader(headers, name)) {
      if (!v->empty()) return *v;
    }
  }
  return "";
}

ErrorInfo MakeErrorInfo(const ErrorContext& ctx, absl::string_view reason) {
  ErrorInfo info;
  info.set_domain(std::string(ProviderDomain(ctx.provider)));
  info.set_reason(std::string(reason));
  auto& md = *info.mutable_metadata();
  md["provider"] = std::string(ProviderId(ctx.provider));
  md["route"] = ctx.route;
  return info;
}

std::string Prefix(const ErrorContext& ctx) {
  return absl::StrCat(ProviderDisplayName(ctx.provider), " ", ctx.route);
}

struct Classified {
  absl::StatusCode code;
  std::string reason;
  std::optional<absl::Duration> retry_delay;
  bool bad_request = false;
};

Classified Classify(int status, v1::Provider provider,
                    const std::string& upstream_reason,
                    std::optional<absl::Duration> retry_after) {
  auto or_default = [&](absl::string_view fallback) {
    return upstream_reason.empty() ? std::string(fallback) : upstream_reason;
  };
  switch (status) {
    case 400:
      return {absl::StatusCode::kInvalidArgument, or_default("BAD_REQUEST"),
              std::nullopt, true};
    case 422:
      return {absl::StatusCode::kInvalidArgument,
              or_default("VALIDATION_ERROR"), std::nullopt, true};
    case 402:
      return {absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_CREDIT",
              std::nullopt};
    case 401:
      return {absl::StatusCode::kPermissionDenied, "UPSTREAM_KEY_REJECTED",
              std::nullopt};
    case 403:
      if (provider == v1::PROVIDER_AIMLAPI) {
        return {absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_CREDIT",
                std::nullopt};
      }
      return {absl::StatusCode::kPermissionDenied, "UPSTREAM_KEY_REJECTED",
              std::nullopt};
    case 404:
      return {absl::StatusCode::kNotFound, or_default("NOT_FOUND"),
              std::nullopt};
    case 409:
      return {absl::StatusCode::kAborted, or_default("CONFLICT"), std::nullopt};
    case 429:
      return {absl::StatusCode::kResourceExhausted,
              or_default("RATE_LIMIT_EXCEEDED"),
              retry_after.value_or(kDefaultRateLimitRetryDelay)};
    default:
      break;
  }
  if (status >= 400 && status < 500) {
    return {absl::StatusCode::kFailedPrecondition,
            or_default("UPSTREAM_REJECTED"), std::nullopt};
  }
  return {
      absl::StatusCode::kUnavailable,
      or_default(status == 504 ? "UPSTREAM_TIMEOUT" : "UPSTREAM_UNAVAILABLE"),
      retry_after.value_or(kDefaultUnavailableRetryDelay)};
}

// Appends one UTF-8 character starting at s[i] (advancing i), or a
// replacement for an invalid byte or a control character.
void AppendCleanChar(absl::string_view s, size_t* i, std::string* out) {
  const unsigned char c = static_cast<unsigned char>(s[*i]);
  if (c < 0x80) {
    out->push_back(c < 0x20 || c == 0x7F ? ' ' : static_cast<char>(c));
    ++*i;
    return;
  }
  size_t len = 0;
  uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  }
  bool ok = len != 0 && *i + len <= s.size();
  for (size_t k = 1; ok && k < len; ++k) {
    const unsigned char cc = static_cast<unsigned char>(s[*i + k]);
    if ((cc & 0xC0) != 0x80) ok = false;
    cp = (cp << 6) | (cc & 0x3F);
  }
  // Overlong forms, surrogates and out-of-range values are invalid too.
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (ok &&
      (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) {
    ok = false;
  }
  if (!ok) {
    out->push_back('?');
    ++*i;
    return;
  }
  if (cp >= 0x80 && cp <= 0x9F) {
    out->push_back(' ');  // C1 control characters
  } else {
    out->append(s.data() + *i, len);
  }
  *i += len;
}

absl::Status WithPayloadsOf(absl::Status out, const absl::Status& from) {
  from.ForEachPayload([&out](absl::string_view url, const absl::Cord& value) {
    if (!out.GetPayload(url).has_value()) out.SetPayload(url, value);
  });
  return out;
}

// The caller's keys and every other secret the server holds. Built only
// on the error path.
std::vector<std::string> AllSecrets(const ErrorContext& ctx) {
  std::vector<std::string> all = ctx.secrets;
  if (ctx.more_secrets != nullptr) {
    all.insert(all.end(), ctx.more_secrets->begin(), ctx.more_secrets->end());
  }
  return all;
}

}  // namespace

std::string ScrubUpstreamText(absl::string_view text, const ErrorContext& ctx,
                              size_t max_bytes) {
  return SanitizeUpstreamText(text, AllSecrets(ctx), max_bytes);
}

std::string UpstreamRequestId(const http::Headers& headers,
                              const ErrorContext& ctx) {
  return ScrubUpstreamText(HeaderRequestId(headers), ctx, kMaxRequestIdBytes);
}

ErrorContext ErrorContext::For(
    const Route& route, std::vector<std::string> secrets,
    std::shared_ptr<const std::vector<std::string>> more_secrets) {
  ErrorContext ctx;
  ctx.provider = route.provider;
  ctx.route = route.Label();
  ctx.idempotency = route.idempotency;
  ctx.secrets = std::move(secrets);
  ctx.more_secrets = std::move(more_secrets);
  return ctx;
}

absl::Status MapHttpError(const http::HttpResponse& response,
                          const ErrorContext& ctx, absl::Time now) {
  const int status = response.status;
  if (status < 400) {
    return BadResponseError(ctx, status, response.headers,
                            absl::StrCat("unexpected HTTP status ", status));
  }
  UpstreamError parsed = ParseErrorBody(response.body);
  const std::vector<std::string> secrets = AllSecrets(ctx);
  const std::string code =
      SanitizeUpstreamText(parsed.code, secrets, kMaxCodeBytes);
  std::string request_id =
      SanitizeUpstreamText(parsed.request_id, secrets, kMaxRequestIdBytes);
  if (request_id.empty()) {
    request_id = UpstreamRequestId(response.headers, ctx);
  }
  const std::optional<absl::Duration> retry_after =
      ParseRetryAfter(response.headers, now);
  const Classified c =
      Classify(status, ctx.provider, ToUpperSnakeCase(code), retry_after);

  std::string message = SanitizeUpstreamText(parsed.message, secrets);
  if (message.empty() && !response.body.empty() && !ParseAny(response.body)) {
    message = "(non-JSON error body)";
  }
  absl::Status out(c.code,
                   absl::StrCat(Prefix(ctx), ": HTTP ", status, " ", c.reason,
                                message.empty() ? "" : ": ", message));

  ErrorInfo info = MakeErrorInfo(ctx, c.reason);
  auto& md = *info.mutable_metadata();
  md["http_status"] = absl::StrCat(status);
  if (!code.empty()) md["upstream_code"] = code;
  if (!request_id.empty()) md["upstream_request_id"] = request_id;
  if (retry_after.has_value() && c.retry_delay.has_value()) {
    // Marks the RetryInfo as upstream's own demand (retry_policy.h honours
    // it); without it the RetryInfo is our default hint.
    md["retry_after"] = absl::StrCat(absl::ToDoubleSeconds(*retry_after));
  }
  rpc::SetErrorInfo(&out, info);
  if (c.retry_delay) rpc::SetRetryInfo(&out, *c.retry_delay);
  if (c.bad_request && !parsed.violations.empty()) {
    BadRequest br;
    for (auto& v : parsed.violations) {
      auto* added = br.add_field_violations();
      added->set_field(SanitizeUpstreamText(v.field(), secrets, 200));
      added->set_description(SanitizeUpstreamText(v.description(), secrets));
    }
    rpc::SetBadRequest(&out, br);
  }
  return out;
}

absl::Status MapTransportError(const absl::Status& status,
                               const ErrorContext& ctx) {
  if (status.ok()) return status;
  absl::StatusCode code = status.code();
  absl::string_view reason;
  switch (code) {
    case absl::StatusCode::kUnavailable:
      reason = "UPSTREAM_UNREACHABLE";
      break;
    case absl::StatusCode::kDeadlineExceeded:
      reason = "UPSTREAM_DEADLINE_EXCEEDED";
      break;
    case absl::StatusCode::kCancelled:
      reason = "CANCELLED";
      break;
    case absl::StatusCode::kResourceExhausted:
      // The answer outgrew max_response_bytes: an unusable response, not a
      // rate limit of ours.
      return WithPayloadsOf(
          BadResponseError(ctx, 0, {}, "response body too large"), status);
    case absl::StatusCode::kInvalidArgument:
      reason = "REQUEST_BODY_FAILED";
      break;
    default:
      reason = "UPSTREAM_TRANSPORT_ERROR";
      break;
  }
  absl::Status out(code, absl::StrCat(Prefix(ctx), ": ",
                                      SanitizeUpstreamText(status.message(),
                                                           AllSecrets(ctx))));
  rpc::SetErrorInfo(&out, MakeErrorInfo(ctx, reason));
  return WithPayloadsOf(std::move(out), status);
}

absl::Status BadResponseError(const ErrorContext& ctx, int http_status,
                              const http::Headers& headers,
                              absl::string_view why) {
  const bool read = ctx.idempotency == Idempotency::kIdempotent;
  absl::Status out(
      read ? absl::StatusCode::kUnavailable : absl::StatusCode::kUnknown,
      absl::StrCat(
          Prefix(ctx), ": unusable response",
          http_status > 0 ? absl::StrCat(" (HTTP ", http_status, ")") : "",
          ": ", why,
          read ? "" : "; the request may have taken effect upstream"));
  ErrorInfo info = MakeErrorInfo(ctx, "UPSTREAM_BAD_RESPONSE");
  if (http_status > 0) {
    (*info.mutable_metadata())["http_status"] = absl::StrCat(http_status);
  }
  const std::string request_id = UpstreamRequestId(headers, ctx);
  if (!request_id.empty()) {
    (*info.mutable_metadata())["upstream_request_id"] = request_id;
  }
  rpc::SetErrorInfo(&out, info);
  if (read) rpc::SetRetryInfo(&out, kDefaultUnavailableRetryDelay);
  return out;
}

absl::Status MissingKeyError(v1::Provider provider) {
  absl::Status out = absl::FailedPreconditionError(
      absl::StrCat("this tenant has no ", ProviderDisplayName(provider),
                   " API key configured, so ", ProviderDisplayName(provider),
                   " routes are not available to it"));
  ErrorInfo info;
  info.set_domain(std::string(ProviderDomain(provider)));
  info.set_reason("PROVIDER_NOT_CONFIGURED");
  (*info.mutable_metadata())["provider"] = std::string(ProviderId(provider));
  rpc::SetErrorInfo(&out, info);
  return out;
}

bool UpstreamRefused(const absl::Status& status) {
  if (status.ok()) return false;
  std::optional<ErrorInfo> info = rpc::GetErrorInfo(status);
  if (!info.has_value() || info->reason() == "UPSTREAM_BAD_RESPONSE") {
    return false;
  }
  auto it = info->metadata().find("http_status");
  int http_status = 0;
  return it != info->metadata().end() &&
         absl::SimpleAtoi(it->second, &http_status) && http_status >= 400 &&
         http_status < 500;
}

absl::Status InvalidArgumentError(
    std::vector<BadRequest::FieldViolation> violations) {
  if (violations.empty()) {
    return absl::InvalidArgumentError("invalid request");
  }
  std::string message = violations.front().description();
  if (violations.size() > 1) {
    absl::StrAppend(&message, " (and ", violations.size() - 1, " more)");
  }
  absl::Status out = absl::InvalidArgumentError(message);
  BadRequest br;
  for (auto& v : violations) *br.add_field_violations() = std::move(v);
  rpc::SetBadRequest(&out, br);
  return out;
}

absl::Status InvalidFieldError(absl::string_view field,
                               absl::string_view description) {
  BadRequest::FieldViolation v;
  v.set_field(std::string(field));
  v.set_description(std::string(description));
  return InvalidArgumentError({std::move(v)});
}

std::string SanitizeUpstreamText(absl::string_view text,
                                 const std::vector<std::string>& secrets,
                                 size_t max_bytes) {
  std::string scrubbed(text);
  std::vector<std::string> sorted = secrets;
  // Longest first, so a key that contains another is removed whole.
  std::sort(sorted.begin(), sorted.end(),
            [](const std::string& a, const std::string& b) {
              return a.size() > b.size();
            });
  for (const std::string& secret : sorted) {
    if (!secret.empty()) {
      absl::StrReplaceAll({{secret, "[REDACTED]"}}, &scrubbed);
    }
  }
  std::string clean;
  clean.reserve(std::min(scrubbed.size(), max_bytes + 8));
  size_t i = 0;
  while (i < scrubbed.size()) {
    const size_t before = clean.size();
    AppendCleanChar(scrubbed, &i, &clean);
    if (clean.size() > max_bytes) {
      clean.resize(before);
      absl::StrAppend(&clean, "...");
      break;
    }
  }
  return std::string(absl::StripAsciiWhitespace(clean));
}

std::string ToUpperSnakeCase(absl::string_view code) {
  std::string out;
  char prev = 0;
  for (char c : code) {
    if (absl::ascii_isalnum(c)) {
      if (absl::ascii_isupper(c) &&
          (absl::ascii_islower(prev) || absl::ascii_isdigit(prev)) &&
          !out.empty() && out.back() != '_') {
        out.push_back('_');
      }
      out.push_back(absl::ascii_toupper(c));
    } else if (!out.empty() && out.back() != '_') {
      out.push_back('_');
    }
    prev = c;
    if (out.size() >= kMaxCodeBytes) break;
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (!out.empty() && absl::ascii_isdigit(out[0])) {
    out = absl::StrCat("UPSTREAM_", out);
  }
  // google.rpc.ErrorInfo: a reason is at most 63 characters and ends with
  // a letter or digit (the camelCase split and the prefix above could make
  // it longer).
  if (out.size() > kMaxReasonBytes) out.resize(kMaxReasonBytes);
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.size() < 2) return "";
  return out;
}

std::optional<absl::Duration> ParseRetryAfter(const http::Headers& headers,
                                              absl::Time now) {
  std::optional<std::string> value = http::FindHeader(headers, "retry-after");
  if (!value.has_value()) return std::nullopt;
  absl::string_view v = absl::StripAsciiWhitespace(*value);
  std::optional<absl::Duration> delay;
  double seconds;
  if (absl::SimpleAtod(v, &seconds)) {
    if (!(seconds >= 0)) return std::nullopt;  // negative or NaN
    delay = seconds >= absl::ToDoubleSeconds(kMaxRetryAfter)
                ? kMaxRetryAfter
                : absl::Seconds(seconds);
  } else {
    absl::Time when;
    std::string err;
    if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(v), &when,
                         &err)) {
      return std::nullopt;
    }
    delay = std::max(when - now, absl::ZeroDuration());
  }
  return std::min(*delay, kMaxRetryAfter);
}

}  // namespace mediagen::upstream
