#include "service/auth/tenant_directory.h"

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/common/sha256.h"

namespace mediagen::auth {
namespace {

std::string RandomSecret() {
  absl::BitGen gen;
  std::string bytes(32, '\0');
  for (char& c : bytes) c = static_cast<char>(absl::Uniform<int>(gen, 0, 256));
  return bytes;
}

bool IsLowerHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

}  // namespace

bool IsValidTenantName(absl::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!absl::ascii_islower(name[0]) && !absl::ascii_isdigit(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

std::string TenantDirectory::WebhookToken(absl::string_view secret,
                                          absl::string_view tenant) {
  return HmacSha256Hex(secret, absl::StrCat("mediagen-webhook:", tenant));
}

absl::StatusOr<std::unique_ptr<TenantDirectory>> TenantDirectory::Create(
    std::vector<TenantSpec> specs, std::string webhook_secret) {
  if (webhook_secret.empty()) webhook_secret = RandomSecret();
  std::unique_ptr<TenantDirectory> dir(new TenantDirectory);
  dir->webhook_secret_ = webhook_secret;
  MutexLock lock(&dir->mu_);  // not shared yet; for the analysis
  for (TenantSpec& spec : specs) {
    if (!IsValidTenantName(spec.name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tenant name \"", absl::CEscape(spec.name),
          "\" is not valid: use 1-63 of a-z, 0-9, _ and -, starting with a "
          "letter or digit"));
    }
    const std::string hash = absl::AsciiStrToLower(spec.token_sha256);
    if (!IsLowerHex64(hash)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tenant ", spec.name,
          ": token_sha256 must be the 64 hex digits of SHA-256(token)"));
    }
    auto tenant = std::make_shared<Tenant>();
    tenant->name = spec.name;
    tenant->credentials = std::move(spec.credentials);
    tenant->webhook_token = WebhookToken(webhook_secret, spec.name);
    tenant->limits = spec.limits;
    if (!dir->by_name_.emplace(spec.name, tenant).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("tenant ", spec.name, " is configured twice"));
    }
    if (!dir->by_hash_.emplace(hash, tenant).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tenant ", spec.name, " has the same token as another tenant"));
    }
  }
  return dir;
}

std::unique_ptr<TenantDirectory> TenantDirectory::DevMode(
    upstream::Credentials credentials, std::string webhook_secret,
    quota::Limits limits) {
  if (webhook_secret.empty()) webhook_secret = RandomSecret();
  std::unique_ptr<TenantDirectory> dir(new TenantDirectory);
  dir->webhook_secret_ = webhook_secret;
  MutexLock lock(&dir->mu_);
  auto tenant = std::make_shared<Tenant>();
  tenant->name = std::string(kDevTenant);
  tenant->credentials = std::move(credentials);
  tenant->webhook_token = WebhookToken(webhook_secret, kDevTenant);
  tenant->limits = std::move(limits);
  dir->by_name_.emplace(tenant->name, tenant);
  dir->dev_tenant_ = std::move(tenant);
  return dir;
}

absl::Status TenantDirectory::Replace(std::vector<TenantSpec> specs) {
  if (dev_mode()) {
    quota::Limits limits;
    for (const TenantSpec& spec : specs) {
      if (spec.name == kDevTenant) limits = spec.limits;
    }
    MutexLock lock(&mu_);
    auto tenant = std::make_shared<Tenant>(*dev_tenant_);
    tenant->limits = std::move(limits);
    by_name_[tenant->name] = tenant;
    dev_tenant_ = std::move(tenant);
    return absl::OkStatus();
  }
  if (specs.empty()) {
    return absl::InvalidArgumentError("no tenants configured");
  }
  absl::StatusOr<std::unique_ptr<TenantDirectory>> fresh =
      Create(std::move(specs), webhook_secret_);
  if (!fresh.ok()) return fresh.status();
  MutexLock fresh_lock(&(*fresh)->mu_);
  MutexLock lock(&mu_);
  by_hash_.swap((*fresh)->by_hash_);
  by_name_.swap((*fresh)->by_name_);
  return absl::OkStatus();
}

std::shared_ptr<const Tenant> TenantDirectory::DevTenant() const {
  MutexLock lock(&mu_);
  return dev_tenant_;
}

bool TenantDirectory::dev_mode() const {
  MutexLock lock(&mu_);
  return dev_tenant_ != nullptr;
}

size_t TenantDirectory::size() const {
  MutexLock lock(&mu_);
  return by_name_.size();
}

absl::StatusOr<std::shared_ptr<const Tenant>> TenantDirectory::Authenticate(
    std::optional<absl::string_view> authorization) const {
  if (std::shared_ptr<const Tenant> dev = DevTenant()) return dev;
  if (!authorization.has_value()) {
    return absl::UnauthenticatedError(
        "missing `authorization: Bearer <token>` metadata");
  }
  absl::string_view value = absl::StripAsciiWhitespace(*authorization);
  if (value.size() < 7 || !absl::StartsWithIgnoreCase(value, "bearer ")) {
    return absl::UnauthenticatedError(
        "authorization metadata must be `Bearer <token>`");
  }
  absl::string_view token = absl::StripAsciiWhitespace(value.substr(7));
  if (token.empty()) {
    return absl::UnauthenticatedError("empty bearer token");
  }
  // Looking up the hash, not the token, keeps tokens out of memory dumps of
  // the map and makes the comparison independent of the token's bytes.
  const std::string hash = Sha256Hex(token);
  MutexLock lock(&mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) {
    return absl::UnauthenticatedError("unknown bearer token");
  }
  return it->second;
}

std::vector<std::string> TenantDirectory::AllSecrets() const {
  std::vector<std::string> out;
  MutexLock lock(&mu_);
  for (const auto& [name, tenant] : by_name_) {
    for (std::string& key : tenant->credentials.AllKeys()) {
      out.push_back(std::move(key));
    }
    if (!tenant->webhook_token.empty()) out.push_back(tenant->webhook_token);
  }
  return out;
}

std::shared_ptr<const Tenant> TenantDirectory::Find(
    absl::string_view name) const {
  MutexLock lock(&mu_);
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::shared_ptr<const Tenant> TenantDirectory::FindByWebhookToken(
    absl::string_view name, absl::string_view token) const {
  MutexLock lock(&mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return nullptr;
  if (!ConstantTimeEquals(it->second->webhook_token, token)) return nullptr;
  return it->second;
}

}  // namespace mediagen::auth
