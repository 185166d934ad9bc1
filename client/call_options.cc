#include "client/call_options.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mediagen::client {

CallContext ResolveCallOptions(const CallOptions& options,
                               absl::Duration default_timeout,
                               absl::string_view default_token,
                               absl::Time now) {
  CallContext call;
  const absl::Duration timeout = options.timeout > absl::ZeroDuration()
                                     ? options.timeout
                                     : default_timeout;
  if (timeout > absl::ZeroDuration() && timeout != absl::InfiniteDuration()) {
    call.deadline = now + timeout;
  }
  call.bearer_token = options.bearer_token.empty() ? std::string(default_token)
                                                   : options.bearer_token;
  call.metadata = options.metadata;
  return call;
}

void ConfigureClientContext(const CallContext& call,
                            grpc::ClientContext* context) {
  if (call.deadline != absl::InfiniteFuture()) {
    context->set_deadline(absl::ToChronoTime(call.deadline));
  }
  if (!call.bearer_token.empty()) {
    context->AddMetadata("authorization",
                         absl::StrCat("Bearer ", call.bearer_token));
  }
  for (const auto& [key, value] : call.metadata) {
    context->AddMetadata(key, value);
  }
}

std::string NewRequestId() {
  // One generator per thread: absl::BitGen is seeded from the OS and is not
  // safe to share between threads.
  thread_local absl::BitGen gen;
  const uint64_t hi = absl::Uniform<uint64_t>(gen);
  const uint64_t lo = absl::Uniform<uint64_t>(gen);
  // Version 4 (random) and the RFC 4122 variant bits.
  const uint64_t h = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  const uint64_t l = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", h >> 32,
                         (h >> 16) & 0xffff, h & 0xffff, l >> 48,
                         l & 0xffffffffffffULL);
}

}  // namespace mediagen::client
