// The optional JSON config file of the server, applied onto ServerOptions.
// Its keys are the config keys of option_table.h (a dot is one level of
// nesting), plus the `tenants` list. Secrets are never written in it: each
// is a reference to an environment variable or a file (a Kubernetes Secret
// mounted as a file, say).
//
//   {
//     "listen_address": "0.0.0.0:50051",
//     "admin_address": "0.0.0.0:8081",
//     "public_base_url": "https://mediagen.example.com",
//     "upstreams": {"vimmerse": "https://api.vimmerse.net",
//                   "elevenlabs": "https://api.elevenlabs.io",
//                   "aimlapi": "https://api.aimlapi.com",
//                   "asset_path_template": "/asset/{asset_id}"},
//     "polling": {"min_interval_ms": 1000, "max_interval_ms": 10000,
//                 "heartbeat_interval_ms": 15000},
//     "idempotency": {"ttl_seconds": 86400, "max_entries": 100000},
//     "webhook_secret": {"env": "MEDIAGEN_WEBHOOK_SECRET"},
//     "grpc": {"max_message_bytes": 8388608, "keepalive_time_ms": 30000,
//              "keepalive_timeout_ms": 10000,
//              "min_client_ping_interval_ms": 10000,
//              "max_connection_age_ms": 300000,
//              "max_connection_age_grace_ms": 600000,
//              "max_concurrent_streams": 2000,
//              "resource_quota_bytes": 536870912,
//              "stream_window_bytes": 4194304},
//     "drain": {"delay_ms": 5000, "grace_ms": 20000, "timeout_ms": 5000},
//     "log_level": "info",
//     "tenants": [
//       {"name": "acme", "token_sha256": "<64 hex>",
//        "keys": {"vimmerse": {"file": "/run/secrets/acme/vimmerse"},
//                 "elevenlabs": {"env": "ACME_ELEVENLABS_KEY"}},
//        "limits": {"requests_per_second": 50, "burst": 100,
//                   "concurrent_jobs": 20}}
//     ],
//     "prices": {"vimmerse": {"media_credits_per_block": 10}}
//   }
//
// `prices` is the price table of creates without an estimate route
// (service/quota/price_table.h). Unknown keys are errors (a typo must not silently drop a setting).
#ifndef MEDIAGEN_SERVICE_SERVER_CONFIG_FILE_H_
#define MEDIAGEN_SERVICE_SERVER_CONFIG_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "service/server/secret_source.h"
#include "service/server/server_options.h"

namespace mediagen::server {

// Applies the JSON document `text` onto `options`. Errors name the key.
absl::Status ApplyConfig(absl::string_view text, const SecretSources& secrets,
                         ServerOptions& options);

// Reads `path` and applies it.
absl::Status ApplyConfigFile(const std::string& path,
                             const SecretSources& secrets,
                             ServerOptions& options);

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_CONFIG_FILE_H_
