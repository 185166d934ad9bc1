#include "tests/emulator/context.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "tests/emulator/util.h"

namespace mediagen::emulator {

using json = nlohmann::json;

// ---- FileStore -------------------------------------------------------------

std::string FileStore::Add(FileSpec spec) {
  const std::string token = NewHexId();
  std::string path = absl::StrCat("/files/", token, "/", spec.name);
  std::lock_guard<std::mutex> lock(mu_);
  files_[token] = std::move(spec);
  return path;
}

std::optional<FileSpec> FileStore::Find(const std::string& token) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(token);
  if (it == files_.end()) return std::nullopt;
  return it->second;
}

size_t FileStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return files_.size();
}

void FileStore::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  files_.clear();
}

std::string FileStore::Render(const FileSpec& spec) {
  if (spec.kind == FileSpec::Kind::kAvi) return MakeAvi(spec.seconds);
  return MakeWav(spec.seconds, kWavSampleRate, spec.waveform);
}

std::string FileStore::ContentType(const FileSpec& spec) {
  return spec.kind == FileSpec::Kind::kAvi ? "video/x-msvideo" : "audio/wav";
}

// ---- Context -------------------------------------------------------------

namespace {

WebhookDispatcher::Options WebhookOptions(const EmulatorOptions& o) {
  WebhookDispatcher::Options w;
  w.enabled = o.webhooks;
  w.max_attempts = o.webhook_max_attempts;
  w.time_scale = o.time_scale;
  w.timeout = std::chrono::milliseconds(o.webhook_timeout_ms);
  return w;
}

JobStore::Options JobOptions(const EmulatorOptions& o) {
  JobStore::Options j;
  j.time_scale = o.time_scale;
  j.job_seconds = o.job_seconds;
  return j;
}

}  // namespace

Context::Context(EmulatorOptions options)
    : accounts(ResolvedAccounts(options)),
      log(options.request_log_max_entries, options.request_log_body_cap),
      webhooks(WebhookOptions(options)),
      jobs(JobOptions(options),
           [this](const JobStore::Change& c) { OnJobChange(c); }),
      options_(std::move(options)) {}

std::chrono::microseconds Context::Scaled(double seconds) const {
  const double us = std::max(0.0, seconds * options_.time_scale * 1e6);
  return std::chrono::microseconds(static_cast<int64_t>(us));
}

bool Context::SleepFor(std::chrono::microseconds d) {
  if (d.count() <= 0) return !stopping_.load();
  std::unique_lock<std::mutex> lock(stop_mu_);
  stop_cv_.wait_for(lock, d, [this] { return stopping_.load(); });
  return !stopping_.load();
}

void Context::RequestStop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
}

void Context::OnJobChange(const JobStore::Change& c) {
  if (c.webhook_url.empty()) return;
  // The docs give the media body; for assets they give none, so the asset
  // body mirrors it with `asset_id`. AIMLAPI has no webhooks.
  json body;
  switch (c.kind) {
    case JobKind::kMedia:
      body = {{"customer_id", c.customer_id},
              {"media_id", c.id},
              {"status", c.status}};
      break;
    case JobKind::kAsset:
      body = {{"customer_id", c.customer_id},
              {"asset_id", c.id},
              {"status", c.status}};
      break;
    case JobKind::kGeneration:
      return;
  }
  webhooks.Enqueue(c.id, c.webhook_url, std::move(body));
}

// ---- answers -------------------------------------------------------------

Reply JsonReply(int status, const json& body) {
  Reply r;
  r.status = status;
  r.body = DumpJson(body);
  return r;
}

Reply VimmerseError(int status, const std::string& code,
                    const std::string& message) {
  return JsonReply(status, {{"message", message}, {"code", code}});
}

Reply VimmerseV1Error(int status, const std::string& message) {
  return JsonReply(status, {{"message", message}});
}

Reply ValidationReply(const json& errors) {
  return JsonReply(422, {{"detail", errors}});
}

Reply ElevenLabsError(int status, const std::string& type,
                      const std::string& code, const std::string& message,
                      const json& param) {
  const std::string request_id = NewHexId();
  Reply r = JsonReply(status, {{"detail",
                                {{"type", type},
                                 {"code", code},
                                 {"message", message},
                                 {"status", code},
                                 {"request_id", request_id},
                                 {"param", param}}}});
  r.headers.emplace_back("request-id", request_id);
  return r;
}

Reply AimlapiError(int status, const std::string& message,
                   const std::string& path) {
  return JsonReply(status, {{"message", message},
                            {"path", path},
                            {"requestId", NewUuid()},
                            {"statusCode", status},
                            {"timestamp", IsoTimestamp()}});
}

namespace {

std::string DefaultMessage(int status) {
  switch (status) {
    case 400:
      return "Bad request.";
    case 401:
      return "Unauthorized.";
    case 402:
      return "Insufficient credit.";
    case 403:
      return "Forbidden.";
    case 404:
      return "Not found.";
    case 408:
      return "Request timeout.";
    case 409:
      return "Conflict.";
    case 422:
      return "Validation error.";
    case 429:
      return "Too many requests.";
    case 500:
      return "Internal server error.";
    case 502:
      return "Bad gateway.";
    case 503:
      return "Service unavailable.";
    case 504:
      return "Gateway timeout.";
    default:
      return absl::StrCat("Emulated error ", status, ".");
  }
}

std::string DefaultVimmerseCode(int status, const std::string& path) {
  switch (status) {
    case 400:
      return "BAD_REQUEST";
    case 401:
      return "UNAUTHORIZED";
    case 402:
      return "INSUFFICIENT_CREDIT";
    case 403:
      return "FORBIDDEN";
    case 404:
      return absl::StartsWith(path, "/v2/media") ? "MEDIA_NOT_FOUND"
                                                 : "NOT_FOUND";
    case 429:
      return "RATE_LIMIT_EXCEEDED";
    case 500:
      return "INTERNAL_SERVER_ERROR";
    case 503:
      return "SERVICE_UNAVAILABLE";
    default:
      if (status >= 500) return "INTERNAL_SERVER_ERROR";
      return absl::StrCat("HTTP_", status);
  }
}

std::string DefaultElevenLabsCode(int status) {
  switch (status) {
    case 400:
      return "invalid_request";
    case 401:
      return "invalid_api_key";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 422:
      return "validation_error";
    case 429:
      return "rate_limit_exceeded";
    case 503:
      return "service_unavailable";
    default:
      return status >= 500 ? "internal_server_error" : "error";
  }
}

std::string ElevenLabsType(int status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 429:
      return "rate_limit_error";
    default:
      return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

}  // namespace

Reply FaultErrorReply(const std::string& path, int status,
                      const std::string& code, const std::string& message) {
  const std::string msg = message.empty() ? DefaultMessage(status) : message;
  if (absl::StartsWith(path, "/v1/")) {
    return ElevenLabsError(status, ElevenLabsType(status),
                           code.empty() ? DefaultElevenLabsCode(status) : code,
                           msg);
  }
  if (absl::StartsWith(path, "/v2/generate/")) {
    return AimlapiError(status, msg, path);
  }
  if (status == 422 && code.empty()) {
    return ValidationReply(json::array(
        {ValidationErrorEntry(json::array({"body"}), msg, "value_error")}));
  }
  if (absl::StartsWith(path, "/asset/")) return VimmerseV1Error(status, msg);
  return VimmerseError(
      status, code.empty() ? DefaultVimmerseCode(status, path) : code, msg);
}

Reply ConcurrencyLimitReply(const std::string& path, int current, int limit) {
  Reply r;
  if (absl::StartsWith(path, "/v1/")) {
    r = ElevenLabsError(
        429, "rate_limit_error", "concurrent_limit_exceeded",
        absl::StrCat("Too many concurrent requests: ", current,
                     " in flight and your plan allows ", limit,
                     ". Wait for a request to finish before sending another."));
    r.headers.emplace_back("current-concurrent-requests",
                           std::to_string(current));
    r.headers.emplace_back("maximum-concurrent-requests",
                           std::to_string(limit));
  } else if (absl::StartsWith(path, "/v2/generate/")) {
    r = AimlapiError(429, "Too many concurrent requests.", path);
  } else {
    r = VimmerseError(429, "RATE_LIMIT_EXCEEDED",
                      "Rate or concurrency limit exceeded. Try again later.");
  }
  return r;
}

Reply NotFoundReply() { return JsonReply(404, {{"detail", "Not Found"}}); }

Reply MethodNotAllowedReply() {
  return JsonReply(405, {{"detail", "Method Not Allowed"}});
}

// ---- request helpers -----------------------------------------------------

std::optional<Reply> AuthVimmerse(Context& ctx, Call& call, bool v1_shape) {
  const std::string key = call.req.get_header_value("X-Api-Key");
  if (key.empty()) {
    // FastAPI's APIKeyHeader answers 403 "Not authenticated"; the v2 pages
    // promise {"message", "code"} for every error, so v2 gets that shape.
    if (v1_shape) return VimmerseV1Error(401, "API key is missing.");
    return VimmerseError(401, "MISSING_API_KEY",
                         "The X-Api-Key header is missing.");
  }
  std::optional<std::string> customer =
      ctx.accounts.CustomerFor(Provider::kVimmerse, key);
  if (!customer) {
    if (v1_shape) return VimmerseV1Error(401, "Invalid API key.");
    return VimmerseError(401, "INVALID_API_KEY", "The API key is not valid.");
  }
  call.customer_id = *customer;
  return std::nullopt;
}

std::optional<Reply> AuthElevenLabs(Context& ctx, Call& call) {
  const std::string key = call.req.get_header_value("xi-api-key");
  if (key.empty()) {
    return ElevenLabsError(401, "authentication_error", "needs_authorization",
                           "Neither authorization header nor xi-api-key "
                           "received, please provide one.");
  }
  std::optional<std::string> customer =
      ctx.accounts.CustomerFor(Provider::kElevenLabs, key);
  if (!customer) {
    return ElevenLabsError(401, "authentication_error", "invalid_api_key",
                           "Invalid API key");
  }
  call.customer_id = *customer;
  return std::nullopt;
}

std::optional<Reply> AuthAimlapi(Context& ctx, Call& call) {
  const std::string header = call.req.get_header_value("Authorization");
  absl::string_view token = header;
  if (!absl::ConsumePrefix(&token, "Bearer ")) {
    return AimlapiError(401, "Unauthorized: missing Bearer token.",
                        call.req.path);
  }
  std::optional<std::string> customer = ctx.accounts.CustomerFor(
      Provider::kAimlapi, std::string(absl::StripAsciiWhitespace(token)));
  if (!customer) {
    return AimlapiError(401, "Unauthorized: invalid API key.", call.req.path);
  }
  call.customer_id = *customer;
  return std::nullopt;
}

Reply ValidationErrorIn(ErrorStyle style, const json& errors,
                        const std::string& path) {
  if (style == ErrorStyle::kFastApi) return ValidationReply(errors);
  std::vector<std::string> parts;
  for (const json& e : errors) {
    std::vector<std::string> loc;
    for (const json& l : e["loc"]) {
      loc.push_back(l.is_string() ? l.get<std::string>() : l.dump());
    }
    parts.push_back(absl::StrCat(absl::StrJoin(loc, "."), ": ",
                                 e["msg"].get<std::string>()));
  }
  return AimlapiError(422, absl::StrJoin(parts, "; "), path);
}

std::optional<Reply> ParseJsonBody(const Context& ctx, const Call& call,
                                   json* out, ErrorStyle style) {
  const std::string content_type =
      absl::AsciiStrToLower(call.req.get_header_value("Content-Type"));
  const bool is_json = absl::StartsWith(content_type, "application/json");
  if (call.body.empty()) {
    return ValidationErrorIn(
        style,
        json::array({ValidationErrorEntry(json::array({"body"}),
                                          "Field required", "missing")}),
        call.req.path);
  }
  if (ctx.strict() && !is_json) {
    // FastAPI does not read a non-JSON body as JSON, so the model gets bytes.
    return ValidationErrorIn(
        style,
        json::array({ValidationErrorEntry(
            json::array({"body"}),
            absl::StrCat("Input should be a valid dictionary or object to "
                         "extract fields from (Content-Type must be "
                         "application/json, got '",
                         content_type, "')"),
            "model_attributes_type")}),
        call.req.path);
  }
  json parsed = json::parse(call.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    // pydantic reports the byte offset of the decode error; any offset in
    // the body is as useful to a client as the exact one.
    return ValidationErrorIn(
        style,
        json::array({ValidationErrorEntry(
            json::array({"body", 0}), "JSON decode error", "json_invalid")}),
        call.req.path);
  }
  *out = std::move(parsed);
  return std::nullopt;
}

std::optional<Reply> ValidateBody(const Context& ctx, const Schema& schema,
                                  const json& body, ErrorStyle style,
                                  const std::string& path) {
  json errors = Validate(schema, body, ctx.strict());
  if (errors.empty()) return std::nullopt;
  return ValidationErrorIn(style, errors, path);
}

std::optional<Reply> CheckQueryParams(const Context& ctx, const Call& call,
                                      const std::vector<std::string>& allowed,
                                      ErrorStyle style) {
  if (!ctx.strict()) return std::nullopt;
  json errors = json::array();
  for (const auto& [name, value] : call.req.params) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      errors.push_back(ValidationErrorEntry(json::array({"query", name}),
                                            "Extra inputs are not permitted",
                                            "extra_forbidden"));
    }
  }
  if (errors.empty()) return std::nullopt;
  return ValidationErrorIn(style, errors, call.req.path);
}

}  // namespace mediagen::emulator
