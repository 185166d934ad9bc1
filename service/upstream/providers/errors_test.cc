#include "service/upstream/providers/errors.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "service/http/transport.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::upstream {
namespace {

using ::mediagen::testing::StatusIs;

constexpr char kKey[] = "vim-SECRET-key-123456";
constexpr char kOtherKey[] = "el-OTHER-secret-9876";

const absl::Time kNow = absl::FromUnixSeconds(1750000000);

ErrorContext Ctx(v1::Provider p, std::string route,
                 Idempotency i = Idempotency::kNonIdempotent) {
  ErrorContext ctx;
  ctx.provider = p;
  ctx.route = std::move(route);
  ctx.idempotency = i;
  ctx.secrets = {kKey, kOtherKey};
  return ctx;
}

absl::Status Map(int status, std::string body,
                 v1::Provider p = v1::PROVIDER_VIMMERSE,
                 http::Headers headers = {}) {
  http::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return MapHttpError(r, Ctx(p, "POST /v2/media"), kNow);
}

std::string Md(const absl::Status& s, const std::string& key) {
  auto info = rpc::GetErrorInfo(s);
  if (!info.has_value()) return "<no ErrorInfo>";
  auto it = info->metadata().find(key);
  return it == info->metadata().end() ? "<absent>" : it->second;
}

std::string Reason(const absl::Status& s) {
  auto info = rpc::GetErrorInfo(s);
  return info.has_value() ? info->reason() : "<no ErrorInfo>";
}

TEST(MapHttpErrorTest, VimmerseV2InsufficientCredit) {
  absl::Status s = Map(402, R"({"message": "Not enough credits for this job.",
                               "code": "INSUFFICIENT_CREDIT"})");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Reason(s), "INSUFFICIENT_CREDIT");
  auto info = rpc::GetErrorInfo(s);
  EXPECT_EQ(info->domain(), "api.vimmerse.net");
  EXPECT_EQ(Md(s, "provider"), "vimmerse");
  EXPECT_EQ(Md(s, "http_status"), "402");
  EXPECT_EQ(Md(s, "upstream_code"), "INSUFFICIENT_CREDIT");
  EXPECT_EQ(Md(s, "route"), "POST /v2/media");
  EXPECT_EQ(s.message(),
            "Vimmerse POST /v2/media: HTTP 402 INSUFFICIENT_CREDIT: Not enough "
            "credits for this job.");
  EXPECT_FALSE(rpc::GetRetryInfo(s).has_value());
}

TEST(MapHttpErrorTest, VimmerseV2NotFoundKeepsItsCode) {
  absl::Status s = Map(
      404,
      R"({"message": "The requested media was not found or you do not have access.", "code": "MEDIA_NOT_FOUND"})");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Reason(s), "MEDIA_NOT_FOUND");
}

TEST(MapHttpErrorTest, VimmerseV1MessageOnlyShapes) {
  absl::Status credit = Map(402, R"({"message": "INSUFFICIENT_CREDIT"})");
  EXPECT_THAT(credit, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Md(credit, "upstream_code"), "INSUFFICIENT_CREDIT");
  absl::Status bad = Map(400, R"({"message": "BAD_REQUEST"})");
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Reason(bad), "BAD_REQUEST");
  EXPECT_FALSE(rpc::GetBadRequest(bad).has_value());
  absl::Status nf = Map(404, R"({"message": "NOT_FOUND"})");
  EXPECT_THAT(nf, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Reason(nf), "NOT_FOUND");
  // A sentence is not a code.
  absl::Status prose = Map(400, R"({"message": "ERROR CODE"})");
  EXPECT_EQ(Reason(prose), "BAD_REQUEST");
  EXPECT_EQ(Md(prose, "upstream_code"), "<absent>");
}

TEST(MapHttpErrorTest, FastApiValidationBecomesFieldViolations) {
  absl::Status s = Map(422, R"({"detail": [
      {"loc": ["body", "media_items", 1, "url"], "msg": "invalid url", "type": "value_error"},
      {"loc": ["query", "fields"], "msg": "bad key", "type": "value_error"},
      {"loc": ["body", "audio_option", "narrator"], "msg": "unknown voice", "type": "enum"}]})");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Reason(s), "VALIDATION_ERROR");
  auto br = rpc::GetBadRequest(s);
  ASSERT_TRUE(br.has_value());
  ASSERT_EQ(br->field_violations_size(), 3);
  EXPECT_EQ(br->field_violations(0).field(), "media_items[1].url");
  EXPECT_EQ(br->field_violations(0).description(), "invalid url");
  EXPECT_EQ(br->field_violations(1).field(), "fields");
  EXPECT_EQ(br->field_violations(2).field(), "audio_option.narrator");
  EXPECT_TRUE(
      absl::StrContains(s.message(), "media_items[1].url: invalid url"));
}

TEST(MapHttpErrorTest, ElevenLabsValidationDetailArray) {
  absl::Status s = Map(
      422,
      R"({"detail": [{"loc": ["body", "text"], "msg": "field required", "type": "missing"}]})",
      v1::PROVIDER_ELEVENLABS);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(rpc::GetErrorInfo(s)->domain(), "api.elevenlabs.io");
  EXPECT_EQ(rpc::GetBadRequest(s)->field_violations(0).field(), "text");
}

TEST(MapHttpErrorTest, ElevenLabsDetailObjectWithParam) {
  absl::Status s = Map(400, R"({"detail": {"type": "validation_error",
      "code": "invalid_voice_settings", "message": "stability must be <= 1",
      "status": "invalid_voice_settings", "request_id": "req-77",
      "param": "voice_settings.stability"}})",
                       v1::PROVIDER_ELEVENLABS);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Reason(s), "INVALID_VOICE_SETTINGS");
  EXPECT_EQ(Md(s, "upstream_code"), "invalid_voice_settings");
  EXPECT_EQ(Md(s, "upstream_request_id"), "req-77");
  auto br = rpc::GetBadRequest(s);
  ASSERT_TRUE(br.has_value());
  EXPECT_EQ(br->field_violations(0).field(), "voice_settings.stability");
  EXPECT_EQ(br->field_violations(0).description(), "stability must be <= 1");
}

TEST(MapHttpErrorTest, ElevenLabsOlderShapeOn401IsPermissionDenied) {
  absl::Status s = Map(
      401,
      R"({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}})",
      v1::PROVIDER_ELEVENLABS);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(s, ::testing::Not(StatusIs(absl::StatusCode::kUnauthenticated)));
  EXPECT_EQ(Reason(s), "UPSTREAM_KEY_REJECTED");
  EXPECT_EQ(Md(s, "upstream_code"), "invalid_api_key");
}

TEST(MapHttpErrorTest, ElevenLabs429KeepsItsCodeAndRetryAfter) {
  absl::Status conc = Map(
      429,
      R"({"detail": {"status": "concurrent_limit_exceeded", "message": "Too many concurrent requests"}})",
      v1::PROVIDER_ELEVENLABS);
  EXPECT_THAT(conc, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(Reason(conc), "CONCURRENT_LIMIT_EXCEEDED");
  EXPECT_EQ(rpc::RetryDelay(conc), kDefaultRateLimitRetryDelay);

  absl::Status rate = Map(
      429,
      R"({"detail": {"code": "rate_limit_exceeded", "message": "slow down"}})",
      v1::PROVIDER_ELEVENLABS, {{"retry-after", "7"}});
  EXPECT_EQ(Reason(rate), "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(rpc::RetryDelay(rate), absl::Seconds(7));
  EXPECT_EQ(Md(rate, "retry_after"), "7");
  EXPECT_EQ(Md(conc, "retry_after"), "<absent>");

  absl::Status bare = Map(429, "", v1::PROVIDER_VIMMERSE);
  EXPECT_EQ(Reason(bare), "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(rpc::RetryDelay(bare), kDefaultRateLimitRetryDelay);
}

TEST(MapHttpErrorTest, AimlapiEnvelope) {
  const std::string envelope =
      R"({"message": "Insufficient balance", "path": "/v2/generate/audio",
      "requestId": "aiml-req-1", "statusCode": 403, "timestamp": "2025-01-01T00:00:00Z"})";
  absl::Status credit = Map(403, envelope, v1::PROVIDER_AIMLAPI);
  EXPECT_THAT(credit, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Reason(credit), "INSUFFICIENT_CREDIT");
  EXPECT_EQ(rpc::GetErrorInfo(credit)->domain(), "api.aimlapi.com");
  EXPECT_EQ(Md(credit, "upstream_request_id"), "aiml-req-1");
  EXPECT_EQ(Md(credit, "provider"), "aimlapi");

  absl::Status key = Map(
      401,
      R"({"message": "Unauthorized", "requestId": "r2", "statusCode": 401})",
      v1::PROVIDER_AIMLAPI);
  EXPECT_THAT(key, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Reason(key), "UPSTREAM_KEY_REJECTED");

  absl::Status timeout =
      Map(504, R"({"message": "Generation timed out", "statusCode": 504})",
          v1::PROVIDER_AIMLAPI);
  EXPECT_THAT(timeout, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Reason(timeout), "UPSTREAM_TIMEOUT");
  EXPECT_EQ(rpc::RetryDelay(timeout), kDefaultUnavailableRetryDelay);

  absl::Status list = Map(
      400,
      R"({"message": ["prompt must be a string", "steps must not be greater than 1000"], "statusCode": 400})",
      v1::PROVIDER_AIMLAPI);
  EXPECT_THAT(list, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(
      absl::StrContains(list.message(), "prompt must be a string; steps"));
}

TEST(MapHttpErrorTest, OtherStatuses) {
  EXPECT_THAT(Map(403, R"({"message": "forbidden"})"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  absl::Status conflict = Map(409, "");
  EXPECT_THAT(conflict, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Reason(conflict), "CONFLICT");
  absl::Status big = Map(413, "");
  EXPECT_THAT(big, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Reason(big), "UPSTREAM_REJECTED");
  absl::Status job = Map(
      500, R"({"message": "could not queue", "code": "JOB_CREATE_FAILED"})");
  EXPECT_THAT(job, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Reason(job), "JOB_CREATE_FAILED");
  EXPECT_TRUE(rpc::RetryDelay(job).has_value());
}

TEST(MapHttpErrorTest, GarbageAndHtmlBodiesDoNotCrash) {
  absl::Status html =
      Map(502, "<html><body><h1>502 Bad Gateway</h1></body></html>");
  EXPECT_THAT(html, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Reason(html), "UPSTREAM_UNAVAILABLE");
  EXPECT_TRUE(absl::StrContains(html.message(), "non-JSON"));
  EXPECT_FALSE(absl::StrContains(html.message(), "<html>"));
  for (const char* body : {"", "null", "[]", "42", "{\"detail\": 5}",
                           "{\"detail\": [1, {\"loc\": 7}]}",
                           "{\"message\": {\"x\": 1}}", "\xff\xfe"}) {
    absl::Status s = Map(400, body);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument)) << body;
    EXPECT_EQ(Reason(s), "BAD_REQUEST") << body;
  }
}

TEST(MapHttpErrorTest, RequestIdFromHeadersWhenTheBodyHasNone) {
  absl::Status s =
      Map(500, "", v1::PROVIDER_ELEVENLABS, {{"request-id", "hdr-req-9"}});
  EXPECT_EQ(Md(s, "upstream_request_id"), "hdr-req-9");
  absl::Status x =
      Map(500, "", v1::PROVIDER_VIMMERSE, {{"x-request-id", "xr-1"}});
  EXPECT_EQ(Md(x, "upstream_request_id"), "xr-1");
}

TEST(MapHttpErrorTest, ConfiguredKeysAreScrubbedAndHeadersNeverShown) {
  absl::Status s = Map(
      401,
      absl::StrCat(R"({"message": "key )", kKey, R"( is invalid; also )",
                   kOtherKey, R"(", "code": ")", kKey, R"("})"),
      v1::PROVIDER_VIMMERSE, {{"x-echo-api-key", kKey}, {"request-id", kKey}});
  EXPECT_FALSE(absl::StrContains(s.message(), kKey)) << s.message();
  EXPECT_FALSE(absl::StrContains(s.message(), kOtherKey)) << s.message();
  EXPECT_TRUE(absl::StrContains(s.message(), "[REDACTED]")) << s.message();
  auto info = rpc::GetErrorInfo(s);
  for (const auto& [k, v] : info->metadata()) {
    EXPECT_FALSE(absl::StrContains(v, kKey)) << k;
  }
  EXPECT_FALSE(absl::StrContains(s.ToString(), kKey));
}

TEST(MapHttpErrorTest, EverySecretTheServerHoldsIsScrubbedNotOnlyTheCallers) {
  ErrorContext ctx = Ctx(v1::PROVIDER_VIMMERSE, "POST /v2/media");
  ctx.more_secrets = std::make_shared<const std::vector<std::string>>(
      std::vector<std::string>{"globex-key-ABC123", "whtoken-0f0f0f"});
  http::HttpResponse r;
  r.status = 401;
  r.headers = {{"request-id", "globex-key-ABC123"}};
  r.body = absl::StrCat(R"({"message": "key globex-key-ABC123 is not )",
                        kKey, R"(, see whtoken-0f0f0f", "code": "globex-key-ABC123"})");
  absl::Status s = MapHttpError(r, ctx, kNow);
  for (const char* secret : {"globex-key-ABC123", "whtoken-0f0f0f", kKey}) {
    EXPECT_FALSE(absl::StrContains(s.message(), secret)) << s.message();
    EXPECT_FALSE(
        absl::StrContains(rpc::GetErrorInfo(s)->DebugString(), secret));
  }
  absl::Status t = MapTransportError(
      absl::UnavailableError("reset while sending globex-key-ABC123"), ctx);
  EXPECT_FALSE(absl::StrContains(t.message(), "globex-key-ABC123"));
}

TEST(MapHttpErrorTest, LongMessagesAreCutAfterScrubbing) {
  // The key straddles the cut: it must not leak as a prefix.
  std::string msg(290, 'x');
  absl::StrAppend(&msg, kKey, std::string(200, 'y'));
  absl::Status s = Map(400, absl::StrCat(R"({"message": ")", msg, R"("})"));
  EXPECT_FALSE(absl::StrContains(s.message(), "vim-SECRET")) << s.message();
  EXPECT_LT(s.message().size(), 400u);
}

TEST(MapHttpErrorTest, UnexpectedStatusClassIsABadResponse) {
  absl::Status s = Map(302, "");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnknown));
  EXPECT_EQ(Reason(s), "UPSTREAM_BAD_RESPONSE");
}

TEST(MapTransportErrorTest, PassesCodesThroughWithErrorInfo) {
  const ErrorContext ctx = Ctx(v1::PROVIDER_AIMLAPI, "POST /v2/generate/audio");
  absl::Status refused = MapTransportError(
      http::MarkNotSent(absl::UnavailableError("connection refused")), ctx);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Reason(refused), "UPSTREAM_UNREACHABLE");
  EXPECT_TRUE(http::RequestNotSent(refused));  // marker kept
  EXPECT_EQ(rpc::GetErrorInfo(refused)->domain(), "api.aimlapi.com");

  absl::Status reset =
      MapTransportError(absl::UnavailableError("connection reset"), ctx);
  EXPECT_FALSE(http::RequestNotSent(reset));

  absl::Status late =
      MapTransportError(absl::DeadlineExceededError("timeout"), ctx);
  EXPECT_THAT(late, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(Reason(late), "UPSTREAM_DEADLINE_EXCEEDED");

  absl::Status gone = MapTransportError(absl::CancelledError("cancel"), ctx);
  EXPECT_THAT(gone, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(Reason(gone), "CANCELLED");

  absl::Status body =
      MapTransportError(absl::InvalidArgumentError("short upload"), ctx);
  EXPECT_THAT(body, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Reason(body), "REQUEST_BODY_FAILED");
}

TEST(MapTransportErrorTest, OversizedAnswerIsABadResponse) {
  absl::Status create =
      MapTransportError(absl::ResourceExhaustedError("too big"),
                        Ctx(v1::PROVIDER_VIMMERSE, "POST /v2/media"));
  EXPECT_THAT(create, StatusIs(absl::StatusCode::kUnknown));
  EXPECT_EQ(Reason(create), "UPSTREAM_BAD_RESPONSE");
  absl::Status read =
      MapTransportError(absl::ResourceExhaustedError("too big"),
                        Ctx(v1::PROVIDER_VIMMERSE, "GET /v2/media/{id}",
                            Idempotency::kIdempotent));
  EXPECT_THAT(read, StatusIs(absl::StatusCode::kUnavailable));
}

TEST(BadResponseErrorTest, ReadsAreRetryableCreatesAreUnknown) {
  absl::Status read =
      BadResponseError(Ctx(v1::PROVIDER_VIMMERSE, "GET /v2/media/{id}",
                           Idempotency::kIdempotent),
                       200, {}, "the body is not a JSON object");
  EXPECT_THAT(read, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(rpc::RetryDelay(read).has_value());
  absl::Status create = BadResponseError(
      Ctx(v1::PROVIDER_VIMMERSE, "POST /v2/media"), 200, {}, "no id");
  EXPECT_THAT(create, StatusIs(absl::StatusCode::kUnknown));
  EXPECT_EQ(Reason(create), "UPSTREAM_BAD_RESPONSE");
  EXPECT_TRUE(absl::StrContains(create.message(), "may have taken effect"));
  EXPECT_EQ(Md(create, "http_status"), "200");
}

TEST(UpstreamRefusedTest, OnlyA4xxAnswerIsARefusal) {
  for (int status : {400, 401, 402, 403, 404, 409, 422, 429}) {
    EXPECT_TRUE(UpstreamRefused(Map(status, R"({"message": "no"})"))) << status;
  }
  // A 5xx may come after upstream did the work (a proxy's 502/503/504).
  for (int status : {500, 502, 503, 504}) {
    EXPECT_FALSE(UpstreamRefused(Map(status, R"({"message": "no"})")))
        << status;
  }
  const ErrorContext create = Ctx(v1::PROVIDER_VIMMERSE, "POST /v2/media");
  EXPECT_FALSE(UpstreamRefused(BadResponseError(create, 200, {}, "garbled")));
  EXPECT_FALSE(UpstreamRefused(Map(302, "")));
  EXPECT_FALSE(UpstreamRefused(
      MapTransportError(absl::UnavailableError("reset"), create)));
  EXPECT_FALSE(UpstreamRefused(
      MapTransportError(absl::DeadlineExceededError("slow"), create)));
  EXPECT_FALSE(UpstreamRefused(MissingKeyError(v1::PROVIDER_VIMMERSE)));
  EXPECT_FALSE(UpstreamRefused(absl::OkStatus()));
  EXPECT_FALSE(UpstreamRefused(absl::InvalidArgumentError("no details")));
}

TEST(MissingKeyErrorTest, NamesTheProvider) {
  absl::Status s = MissingKeyError(v1::PROVIDER_ELEVENLABS);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(absl::StrContains(s.message(), "ElevenLabs"));
  EXPECT_EQ(Reason(s), "PROVIDER_NOT_CONFIGURED");
  EXPECT_EQ(Md(s, "provider"), "elevenlabs");
}

TEST(TextTest, ToUpperSnakeCase) {
  EXPECT_EQ(ToUpperSnakeCase("concurrent_limit_exceeded"),
            "CONCURRENT_LIMIT_EXCEEDED");
  EXPECT_EQ(ToUpperSnakeCase("invalidApiKey"), "INVALID_API_KEY");
  EXPECT_EQ(ToUpperSnakeCase("quota-exceeded "), "QUOTA_EXCEEDED");
  EXPECT_EQ(ToUpperSnakeCase("MEDIA_NOT_FOUND"), "MEDIA_NOT_FOUND");
  EXPECT_EQ(ToUpperSnakeCase("404"), "UPSTREAM_404");
  EXPECT_EQ(ToUpperSnakeCase("!!"), "");
  // Found by //tests/fuzz:error_body_fuzzer: a camelCase split at the cut,
  // or the digit prefix, made reasons longer than ErrorInfo's 63.
  const std::string camel = ToUpperSnakeCase(std::string(63, 'e') + "Eeee");
  EXPECT_EQ(camel.size(), 63u);
  EXPECT_EQ(camel, std::string(63, 'E'));
  const std::string digits = ToUpperSnakeCase(std::string(70, '7'));
  EXPECT_EQ(digits.size(), 63u);
  EXPECT_EQ(digits.substr(0, 9), "UPSTREAM_");
  // Never ending with the separator after the cut.
  EXPECT_NE(ToUpperSnakeCase(std::string(62, 'a') + "_b").back(), '_');
}

TEST(TextTest, SanitizeReplacesControlAndInvalidBytes) {
  EXPECT_EQ(SanitizeUpstreamText("a\nb\x01"
                                 "c\xff"
                                 "d \xc3\xa9",
                                 {}),
            "a b c?d \xc3\xa9");
  EXPECT_EQ(SanitizeUpstreamText(std::string(10, 'z'), {}, 4), "zzzz...");
  // A multi-byte character is never split.
  EXPECT_EQ(SanitizeUpstreamText("ab\xc3\xa9", {}, 3), "ab...");
}

TEST(RetryAfterTest, SecondsDatesAndGarbage) {
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "12"}}, kNow), absl::Seconds(12));
  EXPECT_EQ(ParseRetryAfter({{"Retry-After", " 0 "}}, kNow),
            absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "999999"}}, kNow), kMaxRetryAfter);
  EXPECT_FALSE(ParseRetryAfter({{"retry-after", "-3"}}, kNow).has_value());
  EXPECT_FALSE(ParseRetryAfter({{"retry-after", "soon"}}, kNow).has_value());
  EXPECT_FALSE(ParseRetryAfter({}, kNow).has_value());
  const absl::Time t = absl::FromCivil(
      absl::CivilSecond(2015, 10, 21, 7, 28, 0), absl::UTCTimeZone());
  EXPECT_EQ(
      ParseRetryAfter({{"retry-after", "Wed, 21 Oct 2015 07:28:30 GMT"}}, t),
      absl::Seconds(30));
}

// ---- Through the one gRPC conversion (proto/rpc/grpc_status.h) ----

// What a client gets back from a mapped upstream failure: every detail the
// mapping attached (moved here from grpc_status_test when the conversion
// left this package).
TEST(GrpcConversionTest, MappedErrorRoundTripsWithItsDetails) {
  http::HttpResponse r;
  r.status = 422;
  r.body =
      R"({"detail": [{"loc": ["body", "prompt"], "msg": "field required", "type": "missing"}]})";
  ErrorContext ctx;
  ctx.provider = v1::PROVIDER_VIMMERSE;
  ctx.route = "POST /v2/media";
  const absl::Status mapped = MapHttpError(r, ctx, absl::UnixEpoch());
  grpc::Status g = rpc::ToGrpcStatus(mapped);
  EXPECT_THAT(g, StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(g.error_message(), std::string(mapped.message()));
  absl::Status back = rpc::FromGrpcStatus(g);
  EXPECT_THAT(back, StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_TRUE(rpc::GetErrorInfo(back).has_value());
  EXPECT_EQ(rpc::GetErrorInfo(back)->domain(), "api.vimmerse.net");
  EXPECT_EQ(rpc::GetErrorInfo(back)->reason(), "VALIDATION_ERROR");
  EXPECT_EQ(rpc::GetErrorInfo(back)->metadata().at("http_status"), "422");
  ASSERT_TRUE(rpc::GetBadRequest(back).has_value());
  EXPECT_EQ(rpc::GetBadRequest(back)->field_violations(0).field(), "prompt");
}

// The transport's request-not-sent marker drives the server's retries and
// idempotency; it never reaches a caller.
TEST(GrpcConversionTest, NotSentMarkerStaysOnTheServer) {
  absl::Status s = http::MarkNotSent(absl::UnavailableError("refused"));
  grpc::Status g = rpc::ToGrpcStatus(s);
  EXPECT_THAT(g, StatusIs(grpc::StatusCode::UNAVAILABLE));
  EXPECT_TRUE(g.error_details().empty());
  EXPECT_FALSE(http::RequestNotSent(rpc::FromGrpcStatus(g)));
}

}  // namespace
}  // namespace mediagen::upstream
