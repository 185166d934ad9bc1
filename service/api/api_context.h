// What every handler needs, and the per-call resolution of who is calling.
//
//   ApiContext api{&engine, &registry, &idempotency, &tenants, webhook_base};
//   absl::StatusOr<ResolvedCall> call = ResolveCall(api, server_context);
//   if (!call.ok()) return Finish(ToGrpcStatus(call.status()));
//   engine.Call(call->upstream, request, ...);
#ifndef MEDIAGEN_SERVICE_API_API_CONTEXT_H_
#define MEDIAGEN_SERVICE_API_API_CONTEXT_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "service/api/call_record.h"
#include "service/api/transfer_slots.h"
#include "service/auth/tenant_directory.h"
#include "service/common/scheduler.h"
#include "service/idempotency/idempotency_store.h"
#include "service/jobs/job_registry.h"
#include "service/quota/price_table.h"
#include "service/quota/quota_store.h"
#include "service/upstream/engine/engine.h"

namespace mediagen::api {

// The largest request metadata a call may carry, counted as HTTP/2 counts a
// header list (name + value + 32 bytes per entry). Sized to what an Istio
// sidecar forwards: Envoy's default cap of 60 KiB of names and values, 32
// bytes for each of its at most 100 headers, and room for the headers the
// sidecars add (x-forwarded-client-cert, peer metadata, tracing).
inline constexpr size_t kDefaultMaxMetadataBytes = 72 << 10;

struct ApiContext {
  upstream::Engine* engine = nullptr;
  jobs::JobRegistry* registry = nullptr;
  idempotency::IdempotencyStore* idempotency = nullptr;
  const auth::TenantDirectory* tenants = nullptr;
  // Each tenant's request rate and jobs in flight (its Tenant::limits);
  // null: no limits are enforced.
  quota::QuotaStore* quota = nullptr;
  // What creates without an estimate route cost (cost_estimate.h); null:
  // the defaults.
  const quota::PriceBook* prices = nullptr;
  // Externally reachable base URL of the admin port (e.g.
  // `https://mediagen.example.com`); when set, creates that accept a
  // `webhook_url` and were sent without one get this tenant's receiver URL.
  std::string webhook_base_url;
  // Upstream reads made for WatchJob/GetJob polling use this deadline.
  absl::Duration poll_timeout = absl::Seconds(30);
  // Each call's CallRecord (filled by the server's interceptor); may be
  // null, and then handlers use a record of their own that nobody logs.
  const CallTable* calls = nullptr;
  // For lines not tied to an RPC (job polls); may be null.
  const telemetry::Logger* log = nullptr;
  // Calls whose metadata is larger fail alone with RESOURCE_EXHAUSTED. The
  // gRPC transport's own limit must be above it (server.cc sets twice
  // this): over that one, gRPC 1.51 ends the whole HTTP/2 connection, and
  // with it every other caller's stream on it.
  size_t max_metadata_bytes = kDefaultMaxMetadataBytes;
  // Each tenant's share of long transfers (uploads, streamed audio) in
  // flight; null means no cap.
  TransferSlots* transfers = nullptr;
  // An upload whose caller sends no message for this long is cancelled
  // upstream (DEADLINE_EXCEEDED, UPLOAD_IDLE), so a stalled client cannot
  // hold an upstream connection. Needs `scheduler`; zero turns it off.
  absl::Duration upload_idle_timeout = absl::Seconds(30);
  Scheduler* scheduler = nullptr;
};

struct ResolvedCall {
  std::shared_ptr<const auth::Tenant> tenant;
  // Credentials, deadline (from the gRPC deadline), `traceparent` (the
  // caller's trace continued with this call's span, or a new trace) and
  // `tracestate`, and `record` as the observer of upstream attempts.
  upstream::CallContext upstream;
  // Never null.
  std::shared_ptr<CallRecord> record;
};

// The share of a call's remaining time kept back from upstream, at most
// kMaxDeadlineReserve: when upstream is too slow, the engine's own deadline
// fires first and the caller receives the mapped DEADLINE_EXCEEDED with its
// ErrorInfo (UPSTREAM_DEADLINE_EXCEEDED) before its own deadline, instead of
// a bare DEADLINE_EXCEEDED raised by its gRPC stack as the two race.
inline constexpr double kDeadlineReserveFraction = 0.1;
inline constexpr absl::Duration kMaxDeadlineReserve = absl::Milliseconds(500);

// The upstream deadline for a call whose gRPC deadline is `call_deadline`
// (InfiniteFuture when none), as seen at `now`.
absl::Time UpstreamDeadline(absl::Time call_deadline, absl::Time now);

// Size of `metadata` as HTTP/2 counts a header list: name + value + 32
// bytes per entry.
size_t MetadataBytes(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

// Authenticates the caller from `authorization` metadata, takes one token
// of the tenant's request rate, and builds the upstream call context
// (deadline: UpstreamDeadline of the gRPC deadline). RESOURCE_EXHAUSTED when
// the call's metadata is over api.max_metadata_bytes, or (with QuotaFailure,
// TENANT_RATE_LIMITED and RetryInfo) when the tenant is over its rate;
// UNAUTHENTICATED when the token is missing or unknown. The tenant's name
// goes into the call's record. Every RPC comes here once (a stream when it
// opens), so this is where the rate is counted.
absl::StatusOr<ResolvedCall> ResolveCall(
    const ApiContext& api, const grpc::CallbackServerContext* ctx);

// The headers that carry `trace` upstream.
http::Headers TraceHeaders(const telemetry::TraceContext& trace);

// The webhook receiver URL of `tenant`, or "" when no base URL is set.
std::string WebhookUrlFor(const ApiContext& api, const auth::Tenant& tenant);

// For creates that accept `webhook_url`: when the caller set none, use this
// tenant's receiver so WatchJob hears of changes at once. A caller's own URL
// is passed on untouched (that job is then watched by polling only).
template <typename Req>
void UseOwnWebhook(const ApiContext& api, const ResolvedCall& call, Req& req) {
  if (req.has_webhook_url()) return;
  std::string url = WebhookUrlFor(api, *call.tenant);
  if (!url.empty()) req.set_webhook_url(std::move(url));
}

}  // namespace mediagen::api

#endif  // MEDIAGEN_SERVICE_API_API_CONTEXT_H_
