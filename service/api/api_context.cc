#include "service/api/api_context.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace mediagen::api {
namespace {

std::optional<absl::string_view> Metadata(const grpc::CallbackServerContext* ctx,
                                          absl::string_view key) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return std::nullopt;
  return absl::string_view(it->second.data(), it->second.size());
}

}  // namespace

size_t MetadataBytes(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  size_t bytes = 0;
  for (const auto& [key, value] : metadata) {
    bytes += key.size() + value.size() + 32;
  }
  return bytes;
}

absl::StatusOr<ResolvedCall> ResolveCall(const ApiContext& api,
                                         const grpc::CallbackServerContext* ctx) {
  // First, and for this call alone: the transport accepts up to twice as
  // much, so one caller's oversized header never ends a connection that a
  // mesh proxy shares among many callers.
  if (const size_t bytes = MetadataBytes(ctx->client_metadata());
      bytes > api.max_metadata_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "request metadata is ", bytes, " bytes, over the limit of ",
        api.max_metadata_bytes, " (name + value + 32 per entry)"));
  }
  absl::StatusOr<std::shared_ptr<const auth::Tenant>> tenant =
      api.tenants->Authenticate(Metadata(ctx, "authorization"));
  if (!tenant.ok()) return tenant.status();
  ResolvedCall call;
  call.record = api.calls != nullptr ? api.calls->Find(ctx) : nullptr;
  if (call.record == nullptr) {
    // No interceptor (unit tests): the same trace rule, nobody logs it.
    call.record = std::make_shared<CallRecord>(
        "", telemetry::TraceContext::ContinueOrStart(
                Metadata(ctx, "traceparent"), Metadata(ctx, "tracestate")),
        "");
  }
  call.tenant = *std::move(tenant);
  call.record->SetTenant(call.tenant->name);
  if (api.quota != nullptr) {
    absl::Status admitted =
        api.quota->AdmitCall(call.tenant->name, call.tenant->limits);
    if (!admitted.ok()) return admitted;
  }
  call.upstream.credentials = call.tenant->credentials;
  // gRPC reports "no deadline" as the far end of system_clock.
  const auto deadline = ctx->deadline();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    call.upstream.deadline =
        UpstreamDeadline(absl::FromChrono(deadline), absl::Now());
  }
  call.upstream.extra_headers = TraceHeaders(call.record->trace());
  call.upstream.observer = call.record;
  return call;
}

absl::Time UpstreamDeadline(absl::Time call_deadline, absl::Time now) {
  if (call_deadline == absl::InfiniteFuture()) return call_deadline;
  const absl::Duration left = call_deadline - now;
  if (left <= absl::ZeroDuration()) return call_deadline;
  return call_deadline -
         std::min(kMaxDeadlineReserve, left * kDeadlineReserveFraction);
}

http::Headers TraceHeaders(const telemetry::TraceContext& trace) {
  http::Headers headers = {{"traceparent", trace.Traceparent()}};
  if (!trace.tracestate.empty()) {
    headers.emplace_back("tracestate", trace.tracestate);
  }
  return headers;
}

std::string WebhookUrlFor(const ApiContext& api, const auth::Tenant& tenant) {
  if (api.webhook_base_url.empty()) return "";
  return absl::StrCat(absl::StripSuffix(api.webhook_base_url, "/"),
                      "/webhooks/vimmerse/", tenant.name, "/",
                      tenant.webhook_token);
}

}  // namespace mediagen::api
