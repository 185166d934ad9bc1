// The one place where upstream failures become absl::Status. Rich details
// travel as absl::Status payloads keyed by their type URL
// (`type.googleapis.com/google.rpc.ErrorInfo`, `...RetryInfo`,
// `...BadRequest`, each a serialized proto); proto/rpc/grpc_status.h turns
// them into the `grpc-status-details-bin` of a grpc::Status.
//
//   ErrorContext ctx = ErrorContext::For(route, credentials.AllKeys());
//   if (response.status >= 300) return MapHttpError(response, ctx, now);
//   std::optional<google::rpc::ErrorInfo> info = rpc::GetErrorInfo(status);
//
// The table (one row per upstream outcome; README copy of this comment):
//
// clang-format off
// | upstream                                   | gRPC code                                   | ErrorInfo reason                                                  | other details                                                                 |
// |--------------------------------------------|---------------------------------------------|-------------------------------------------------------------------|-------------------------------------------------------------------------------|
// | 400                                        | INVALID_ARGUMENT                            | upstream code, else BAD_REQUEST                                   | BadRequest when the body names fields (ElevenLabs `detail.param`, FastAPI)   |
// | 422                                        | INVALID_ARGUMENT                            | upstream code, else VALIDATION_ERROR                              | BadRequest from FastAPI `detail[]` (loc minus body/query/path, `a[1].b`)     |
// | 402                                        | FAILED_PRECONDITION                         | INSUFFICIENT_CREDIT                                               |                                                                               |
// | 403 from AIMLAPI (out of credit)           | FAILED_PRECONDITION                         | INSUFFICIENT_CREDIT                                               |                                                                               |
// | 401, any other 403                         | PERMISSION_DENIED (never UNAUTHENTICATED)   | UPSTREAM_KEY_REJECTED (the tenant's upstream key, not the caller) |                                                                               |
// | 404                                        | NOT_FOUND                                   | upstream code (e.g. MEDIA_NOT_FOUND), else NOT_FOUND              |                                                                               |
// | 409                                        | ABORTED                                     | upstream code, else CONFLICT                                      |                                                                               |
// | 429                                        | RESOURCE_EXHAUSTED                          | upstream code (RATE_LIMIT_EXCEEDED, CONCURRENT_LIMIT_EXCEEDED), else RATE_LIMIT_EXCEEDED | RetryInfo: Retry-After, else 5 s                           |
// | other 4xx                                  | FAILED_PRECONDITION                         | upstream code, else UPSTREAM_REJECTED                             |                                                                               |
// | 5xx (incl. AIMLAPI 504 generation timeout) | UNAVAILABLE                                 | upstream code (e.g. JOB_CREATE_FAILED), else UPSTREAM_UNAVAILABLE (504: UPSTREAM_TIMEOUT) | RetryInfo: Retry-After, else 1 s                          |
// | 1xx/3xx; 2xx body unparseable or too big   | reads: UNAVAILABLE; creates: UNKNOWN        | UPSTREAM_BAD_RESPONSE                                             | reads: RetryInfo 1 s; creates: "may have taken effect upstream"              |
// | transport UNAVAILABLE (refused, reset, DNS)| UNAVAILABLE                                 | UPSTREAM_UNREACHABLE                                              | request-not-sent marker kept (drives retries)                                 |
// | transport DEADLINE_EXCEEDED                | DEADLINE_EXCEEDED                           | UPSTREAM_DEADLINE_EXCEEDED                                        |                                                                               |
// | transport CANCELLED (Cancel())             | CANCELLED                                   | CANCELLED                                                         |                                                                               |
// | transport INVALID_ARGUMENT (upload stream) | INVALID_ARGUMENT                            | REQUEST_BODY_FAILED                                               |                                                                               |
// | other transport errors                     | same code                                   | UPSTREAM_TRANSPORT_ERROR                                          |                                                                               |
// | AIMLAPI 200 with `status: "error"`         | OK: a Generation/Job in state FAILED with the upstream error name and message   |                                                         |                                                                               |
// | tenant has no key for the provider         | FAILED_PRECONDITION (nothing sent)          | PROVIDER_NOT_CONFIGURED                                           |                                                                               |
// clang-format on
//
// Every upstream error carries ErrorInfo with domain = the provider's API
// host (api.vimmerse.net, api.elevenlabs.io, api.aimlapi.com) and metadata
// `provider`, `route` ("POST /v2/media"), and when known `http_status`,
// `upstream_code` (as upstream spelled it), `upstream_request_id` (AIMLAPI
// `requestId`, ElevenLabs `detail.request_id`, or the `request-id` /
// `x-request-id` header), `retry_after` (seconds, when upstream sent a
// Retry-After). "upstream code" above is the body's code in
// UPPER_SNAKE_CASE: Vimmerse v2 `code`, a code-like Vimmerse v1 `message`
// ("INSUFFICIENT_CREDIT"), ElevenLabs `detail.code` or `detail.status`.
// Messages read "<Provider> <route>: HTTP <status> <reason>: <upstream
// message>"; the upstream message is cut to 300 bytes, has control
// characters and invalid UTF-8 replaced, and every secret the server
// holds scrubbed out (the calling tenant's keys, and through
// ErrorContext::more_secrets every other tenant's keys and webhook tokens).
// No header value ever appears in a message.
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ERRORS_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ERRORS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "mediagen/v1/common.pb.h"
#include "proto/rpc/error_details.h"
#include "service/http/transport.h"
#include "service/upstream/providers/route.h"

namespace mediagen::upstream {

// RetryInfo delays when upstream sends no Retry-After.
inline constexpr absl::Duration kDefaultRateLimitRetryDelay = absl::Seconds(5);
inline constexpr absl::Duration kDefaultUnavailableRetryDelay =
    absl::Seconds(1);
// A Retry-After beyond this is treated as this (a broken header must not
// park a caller for a day).
inline constexpr absl::Duration kMaxRetryAfter = absl::Minutes(10);

// What the mapper needs to know about the call that failed.
struct ErrorContext {
  v1::Provider provider = v1::PROVIDER_UNSPECIFIED;
  // Route label, "POST /v2/media".
  std::string route;
  // kNonIdempotent: a garbled 2xx means the create may have happened.
  Idempotency idempotency = Idempotency::kNonIdempotent;
  // The calling tenant's keys: scrubbed from every upstream text.
  std::vector<std::string> secrets;
  // Every other secret the server holds (the other tenants' keys, webhook
  // tokens), scrubbed as well: no upstream text may carry one to a caller
  // either. Shared by all calls; may be null.
  std::shared_ptr<const std::vector<std::string>> more_secrets;

  static ErrorContext For(
      const Route& route, std::vector<std::string> secrets,
      std::shared_ptr<const std::vector<std::string>> more_secrets = nullptr);
};

// A non-2xx HTTP response -> status (see the table). `now` resolves an
// HTTP-date Retry-After. 1xx/3xx responses map as BadResponseError.
absl::Status MapHttpError(const http::HttpResponse& response,
                          const ErrorContext& ctx, absl::Time now);

// A transport failure (no HTTP status) -> status. Payloads of `status`
// (such as the request-not-sent marker) are kept.
absl::Status MapTransportError(const absl::Status& status,
                               const ErrorContext& ctx);

// A response that could not be used: a 2xx body that does not parse, or an
// unexpected status class. UNAVAILABLE (with RetryInfo) for idempotent
// routes, UNKNOWN for the others. `why` is ours (never upstream text).
absl::Status BadResponseError(const ErrorContext& ctx, int http_status,
                              const http::Headers& headers,
                              absl::string_view why);

// The tenant has no key for `provider`.
absl::Status MissingKeyError(v1::Provider provider);

// True when upstream answered with a 4xx (MapHttpError): it refused the
// request, so nothing was created or charged. Idempotency forgets such an
// outcome, so a retry after a 429 (or a corrected 402/401 situation) can go
// through instead of replaying the refusal for 24 h. 5xx answers, unreadable
// answers and transport failures are never refusals: the request may have
// taken effect (a proxy's 502/503 can come after upstream did the work).
bool UpstreamRefused(const absl::Status& status);

// INVALID_ARGUMENT carrying a BadRequest with `violations` (at least one).
// The message names the first field and how many more there are.
absl::Status InvalidArgumentError(
    std::vector<google::rpc::BadRequest::FieldViolation> violations);
// One violation.
absl::Status InvalidFieldError(absl::string_view field,
                               absl::string_view description);

// Set/Get of ErrorInfo, RetryInfo and BadRequest payloads:
// proto/rpc/error_details.h (namespace mediagen::rpc).

// ---- Text hygiene (exposed for tests and other messages) ----

// `text` with every occurrence of each non-empty secret replaced by
// "[REDACTED]", control characters and invalid UTF-8 replaced, and cut to
// `max_bytes` (on a character boundary, "..." appended). Secrets are
// removed before cutting, so no prefix of a key survives at the cut.
std::string SanitizeUpstreamText(absl::string_view text,
                                 const std::vector<std::string>& secrets,
                                 size_t max_bytes = 300);

// SanitizeUpstreamText with every secret of `ctx` (the caller's keys and
// all others the server holds): for upstream text that leaves the engine
// other than in an error (logs, metrics, AudioStreamInfo).
std::string ScrubUpstreamText(absl::string_view text, const ErrorContext& ctx,
                              size_t max_bytes = 300);

// Upstream's request id from a response's `request-id` or `x-request-id`
// header, scrubbed as above and bounded; "" when there is none. Header
// values are whatever upstream (or a proxy) sent, so they are never logged
// or returned raw.
std::string UpstreamRequestId(const http::Headers& headers,
                              const ErrorContext& ctx);

// "concurrent_limit_exceeded" -> "CONCURRENT_LIMIT_EXCEEDED",
// "invalidApiKey" -> "INVALID_API_KEY"; "" when nothing usable is left.
std::string ToUpperSnakeCase(absl::string_view code);

// Seconds or an HTTP-date, relative to `now`; nullopt when absent or
// unreadable. Capped at kMaxRetryAfter; never negative.
std::optional<absl::Duration> ParseRetryAfter(const http::Headers& headers,
                                              absl::Time now);

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ERRORS_H_
