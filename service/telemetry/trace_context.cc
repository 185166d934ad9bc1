#include "service/telemetry/trace_context.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mediagen::telemetry {
namespace {

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(absl::string_view s) {
  return s.find_first_not_of('0') == absl::string_view::npos;
}

// Tracestate is a list of key=value members, at most 512 characters; we
// only pass it on, so a shape check (printable ASCII) is enough.
bool PlausibleTracestate(absl::string_view s) {
  if (s.empty() || s.size() > 512) return false;
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

std::string RandomHexId(size_t bytes) {
  thread_local absl::BitGen gen;
  std::string out;
  do {
    out.clear();
    for (size_t i = 0; i < bytes; ++i) {
      const uint8_t b = absl::Uniform<uint8_t>(gen);
      constexpr char kHex[] = "0123456789abcdef";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xf]);
    }
  } while (AllZero(out));
  return out;
}

TraceContext TraceContext::Start() {
  TraceContext t;
  t.trace_id = RandomHexId(16);
  t.span_id = RandomHexId(8);
  return t;
}

TraceContext TraceContext::ContinueOrStart(
    std::optional<absl::string_view> traceparent,
    std::optional<absl::string_view> tracestate) {
  if (!traceparent.has_value()) return Start();
  absl::string_view h = absl::StripAsciiWhitespace(*traceparent);
  // version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 = 55.
  // Version 00 is exactly that; a later version may append "-..." fields.
  if (h.size() < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-') {
    return Start();
  }
  const absl::string_view version = h.substr(0, 2);
  const absl::string_view trace_id = h.substr(3, 32);
  const absl::string_view parent_id = h.substr(36, 16);
  const absl::string_view flags = h.substr(53, 2);
  if (!IsLowerHex(version) || version == "ff" || !IsLowerHex(trace_id) ||
      !IsLowerHex(parent_id) || !IsLowerHex(flags) || AllZero(trace_id) ||
      AllZero(parent_id)) {
    return Start();
  }
  if (version == "00" ? h.size() != 55 : (h.size() > 55 && h[55] != '-')) {
    return Start();
  }
  TraceContext t;
  t.trace_id = std::string(trace_id);
  t.parent_id = std::string(parent_id);
  t.span_id = RandomHexId(8);
  // Only the sampled bit is defined for version 00; keep just that.
  t.flags = (std::stoi(std::string(flags), nullptr, 16) & 1) ? "01" : "00";
  if (tracestate.has_value() && PlausibleTracestate(*tracestate)) {
    t.tracestate = std::string(*tracestate);
  }
  return t;
}

std::string TraceContext::Traceparent() const {
  return absl::StrCat("00-", trace_id, "-", span_id, "-", flags);
}

}  // namespace mediagen::telemetry
