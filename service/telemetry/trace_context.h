// W3C Trace Context (https://www.w3.org/TR/trace-context/) for one unit of
// work: the caller's `traceparent` continued, or a new trace started.
//
//   TraceContext trace = TraceContext::ContinueOrStart(
//       metadata("traceparent"), metadata("tracestate"));
//   request.headers.push_back({"traceparent", trace.Traceparent()});
//   log.Log(kInfo, "rpc", {{"trace_id", trace.trace_id}, ...});
//
// mediagen does not record spans itself; it keeps the trace id (so logs,
// the mesh's spans and upstream support tickets line up), gives its own work
// a new span id, and sends that as the parent of its upstream requests.
#ifndef MEDIAGEN_SERVICE_TELEMETRY_TRACE_CONTEXT_H_
#define MEDIAGEN_SERVICE_TELEMETRY_TRACE_CONTEXT_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace mediagen::telemetry {

struct TraceContext {
  std::string trace_id;   // 32 lower-case hex digits, never all zero
  std::string parent_id;  // the caller's span (16 hex), "" for a new trace
  std::string span_id;    // ours (16 hex), random
  std::string flags = "00";
  std::string tracestate;  // passed on untouched when valid-looking

  // A traceparent that is missing or malformed starts a new trace (the
  // spec's rule: a broken header is ignored, not an error).
  static TraceContext ContinueOrStart(
      std::optional<absl::string_view> traceparent,
      std::optional<absl::string_view> tracestate = std::nullopt);
  static TraceContext Start();

  // `00-<trace_id>-<span_id>-<flags>`: what goes on upstream requests.
  std::string Traceparent() const;
};

// Random lower-case hex of `bytes` bytes (never all zero): span and
// request ids.
std::string RandomHexId(size_t bytes);

}  // namespace mediagen::telemetry

#endif  // MEDIAGEN_SERVICE_TELEMETRY_TRACE_CONTEXT_H_
