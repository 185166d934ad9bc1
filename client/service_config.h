// The gRPC service config mediagen publishes
// (proto/mediagen/v1/mediagen_grpc_service_config.json) and the retry policy
// read from it.
//
// The channel applies the published config to the read RPCs it lists. The
// client library applies the same RetryPolicy itself to creates that carry a
// request_id, because only it can see whether a request carries one.
#ifndef MEDIAGEN_CLIENT_SERVICE_CONFIG_H_
#define MEDIAGEN_CLIENT_SERVICE_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mediagen::client {

// The contents of proto/mediagen/v1/mediagen_grpc_service_config.json, as
// built in.
absl::string_view PublishedServiceConfig();

struct RetryPolicy {
  int max_attempts = 4;  // including the first
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
  double backoff_multiplier = 2.0;

  // Upper bound of the wait before attempt `attempt` (2 = first retry),
  // before jitter: initial * multiplier^(attempt-2), capped at max_backoff.
  absl::Duration BackoffCap(int attempt) const;
};

// The retryPolicy of the first methodConfig in `service_config_json` that has
// one, with durations in the gRPC JSON form ("0.2s").
absl::StatusOr<RetryPolicy> ParseRetryPolicy(
    absl::string_view service_config_json);

// ParseRetryPolicy(PublishedServiceConfig()); the built-in file is checked by
// a test, so this cannot fail at run time.
const RetryPolicy& PublishedRetryPolicy();

}  // namespace mediagen::client

#endif  // MEDIAGEN_CLIENT_SERVICE_CONFIG_H_
