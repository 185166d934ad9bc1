// TenantDirectory: who is calling. Callers send `authorization: Bearer
// <token>`; the directory holds only SHA-256 hashes of tokens and maps them
// to tenants, each with its own upstream keys. A single-tenant development
// mode (no token) serves the demo.
//
//   std::vector<TenantSpec> specs = ...;         // from the config file
//   TenantDirectory dir(std::move(specs), webhook_secret);
//   absl::StatusOr<std::shared_ptr<const Tenant>> t =
//       dir.Authenticate(metadata_authorization_value);
//   dir.Replace(new_specs);       // SIGHUP: calls in flight keep their Tenant
//
// Tenant names appear in logs and metrics; tokens and keys never do.
#ifndef MEDIAGEN_SERVICE_AUTH_TENANT_DIRECTORY_H_
#define MEDIAGEN_SERVICE_AUTH_TENANT_DIRECTORY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/common/mutex.h"
#include "service/quota/limits.h"
#include "service/upstream/providers/endpoints.h"

namespace mediagen::auth {

struct Tenant {
  // Stable, non-secret name: `[a-z0-9][a-z0-9_-]{0,62}`.
  std::string name;
  upstream::Credentials credentials;
  // Secret path segment of this tenant's webhook URL (see WebhookToken).
  std::string webhook_token;
  // Request rate and jobs in flight (service/quota/); absent = unlimited.
  quota::Limits limits;
};

// A tenant as configured: its token only as a hash.
struct TenantSpec {
  std::string name;
  // Lowercase hex SHA-256 of the bearer token (`sha256sum` of the token
  // without a newline).
  std::string token_sha256;
  upstream::Credentials credentials;
  quota::Limits limits;
};

class TenantDirectory {
 public:
  // The name of the development mode's only tenant.
  static constexpr absl::string_view kDevTenant = "dev";

  // Validates names (unique, well-formed) and hashes (64 hex, unique).
  // `webhook_secret` derives the webhook tokens; replicas that share it
  // accept each other's webhooks. Empty: a random secret for this process.
  static absl::StatusOr<std::unique_ptr<TenantDirectory>> Create(
      std::vector<TenantSpec> specs, std::string webhook_secret);

  // Development mode: every call is tenant `dev`, no token needed (a token,
  // if sent, is ignored), with `limits`.
  static std::unique_ptr<TenantDirectory> DevMode(
      upstream::Credentials credentials, std::string webhook_secret,
      quota::Limits limits = {});

  // Swaps in a new tenant list (a config reload), validated as Create does;
  // on error nothing changes. Calls in flight keep the Tenant they
  // resolved (shared_ptr). Webhook tokens stay derived from the same
  // secret. In development mode only the limits change: those of the
  // spec named `dev`, if any (none: unlimited).
  absl::Status Replace(std::vector<TenantSpec> specs);

  // `authorization` is the value of the request's `authorization` metadata
  // (nullopt when absent). UNAUTHENTICATED when missing, malformed or
  // unknown; the message never echoes the token.
  absl::StatusOr<std::shared_ptr<const Tenant>> Authenticate(
      std::optional<absl::string_view> authorization) const;

  // For webhooks: the tenant named `name` if `token` is its webhook token
  // (compared in constant time), else null.
  std::shared_ptr<const Tenant> FindByWebhookToken(absl::string_view name,
                                                   absl::string_view token) const;

  // The tenant named `name`, or null.
  std::shared_ptr<const Tenant> Find(absl::string_view name) const;

  // Every secret the directory holds: each tenant's upstream keys and
  // webhook token (for scrubbing upstream text; never for display).
  std::vector<std::string> AllSecrets() const;

  bool dev_mode() const;
  size_t size() const;

 private:
  TenantDirectory() = default;
  static std::string WebhookToken(absl::string_view secret,
                                  absl::string_view tenant);
  std::shared_ptr<const Tenant> DevTenant() const;

  std::string webhook_secret_;  // set once, before the directory is shared
  mutable Mutex mu_;
  std::shared_ptr<const Tenant> dev_tenant_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<const Tenant>> by_hash_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<const Tenant>> by_name_
      ABSL_GUARDED_BY(mu_);
};

// True for a valid tenant name.
bool IsValidTenantName(absl::string_view name);

}  // namespace mediagen::auth

#endif  // MEDIAGEN_SERVICE_AUTH_TENANT_DIRECTORY_H_
