// Where the providers live and which keys a tenant holds for them.
//
//   Endpoints endpoints;                      // production defaults
//   endpoints.vimmerse = "http://127.0.0.1:8080";   // e.g. the emulator
//   Credentials keys;
//   keys.vimmerse_api_key = LoadKeyFromFile(...);
//   if (keys.KeyFor(v1::PROVIDER_VIMMERSE).empty()) { /* no access */ }
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ENDPOINTS_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ENDPOINTS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "mediagen/v1/common.pb.h"

namespace mediagen::upstream {

// The v2 docs do not document the media update method; v1 uses PUT
// (upstream README). Kept in one place so it is a one-line change.
inline constexpr absl::string_view kDefaultMediaUpdateMethod = "PUT";

// The v2 docs say "poll by asset id" without a path; the only documented
// asset route is v1's GET /asset/{asset_id}. `{asset_id}` is replaced by the
// percent-encoded id.
inline constexpr absl::string_view kDefaultAssetPathTemplate =
    "/asset/{asset_id}";

struct Endpoints {
  // Base URLs: scheme and host (and port), no trailing slash needed.
  std::string vimmerse = "https://api.vimmerse.net";
  std::string elevenlabs = "https://api.elevenlabs.io";
  std::string aimlapi = "https://api.aimlapi.com";
  // Path template of the asset poll (JobService on `assets/{id}`).
  std::string asset_path_template = std::string(kDefaultAssetPathTemplate);
  // HTTP method of MediaService.UpdateMedia.
  std::string media_update_method = std::string(kDefaultMediaUpdateMethod);

  // The base URL of `provider` (empty for PROVIDER_UNSPECIFIED).
  const std::string& BaseUrl(v1::Provider provider) const;
};

// One tenant's upstream keys. An empty key means the tenant has no access
// to that provider: calls to it fail with FAILED_PRECONDITION before
// anything is sent.
struct Credentials {
  std::string vimmerse_api_key;
  std::string elevenlabs_api_key;
  std::string aimlapi_api_key;

  const std::string& KeyFor(v1::Provider provider) const;
  // Every non-empty key, for scrubbing them out of upstream messages.
  std::vector<std::string> AllKeys() const;
};

// "Vimmerse", "ElevenLabs", "AIMLAPI": for messages.
absl::string_view ProviderDisplayName(v1::Provider provider);
// "vimmerse", "elevenlabs", "aimlapi": for ErrorInfo metadata.
absl::string_view ProviderId(v1::Provider provider);
// The inverse of ProviderId (as the config file names providers);
// PROVIDER_UNSPECIFIED for any other string.
v1::Provider ProviderFromId(absl::string_view id);
// The provider's public API host ("api.vimmerse.net", ...), used as the
// ErrorInfo domain. Fixed, not taken from Endpoints, so that clients can
// match on it whatever base URL (emulator, proxy) is configured.
absl::string_view ProviderDomain(v1::Provider provider);

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_ENDPOINTS_H_
