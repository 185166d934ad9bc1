// Per-call options of the client library, and what a connection needs to
// make one call (CallContext: the options resolved against the connection's
// defaults at the moment the call starts).
#ifndef MEDIAGEN_CLIENT_CALL_OPTIONS_H_
#define MEDIAGEN_CLIENT_CALL_OPTIONS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"

namespace mediagen::client {

struct CallOptions {
  // Deadline, counted from the start of the call (retries included). Zero:
  // the connection's default for unary calls, none for streams.
  absl::Duration timeout = absl::ZeroDuration();
  // `authorization: Bearer <token>` for this call; empty: the connection's.
  std::string bearer_token;
  // Extra request metadata (lower-case keys), e.g. {"traceparent", "..."}.
  std::vector<std::pair<std::string, std::string>> metadata;
  // Creates only: give a request without a `request_id` a fresh one, so that
  // it can be retried without being charged twice. Turn off to send the
  // request as is (it is then never retried).
  bool generate_request_id = true;
};

// One call's resolved settings.
struct CallContext {
  absl::Time deadline = absl::InfiniteFuture();
  std::string bearer_token;
  std::vector<std::pair<std::string, std::string>> metadata;
};

// Resolves `options` at `now`: its timeout or `default_timeout` (zero: no
// deadline), its token or `default_token`.
CallContext ResolveCallOptions(const CallOptions& options,
                               absl::Duration default_timeout,
                               absl::string_view default_token, absl::Time now);

// Sets the deadline and metadata of a grpc::ClientContext.
void ConfigureClientContext(const CallContext& call,
                            grpc::ClientContext* context);

// A random (version 4) UUID in its 36-character text form.
std::string NewRequestId();

}  // namespace mediagen::client

#endif  // MEDIAGEN_CLIENT_CALL_OPTIONS_H_
