#include "service/server/config_file.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "service/quota/limits.h"
#include "service/quota/price_table.h"
#include "service/server/option_table.h"

namespace mediagen::server {
namespace {

using json = nlohmann::json;

absl::Status Bad(absl::string_view key, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("config: `", key, "` ", why));
}

absl::Status OnlyKeys(const json& obj, absl::string_view where,
                      std::initializer_list<const char*> allowed) {
  if (!obj.is_object()) return Bad(where, "must be an object");
  std::set<std::string> ok(allowed.begin(), allowed.end());
  for (const auto& [key, value] : obj.items()) {
    if (!ok.count(key)) {
      return Bad(absl::StrCat(where, where.empty() ? "" : ".", key),
                 "is not a known setting");
    }
  }
  return absl::OkStatus();
}

// True when some option's key lies below `path` (`grpc` for
// `grpc.keepalive_time_ms`): the file holds an object there.
bool IsSection(absl::string_view path) {
  const std::string below = absl::StrCat(path, ".");
  for (const OptionRow& row : OptionTable()) {
    if (absl::StartsWith(row.config_key, below)) return true;
  }
  return false;
}

struct Setting {
  const OptionRow* row;
  const json* value;
};

// Walks `obj` (at `path`, "" for the document), collecting each option it
// sets; the `tenants` list is left for ParseTenants. Unknown keys are
// errors before anything is applied.
absl::Status Collect(const json& obj, const std::string& path,
                     std::vector<Setting>& settings) {
  if (!obj.is_object()) return Bad(path, "must be an object");
  for (const auto& [key, value] : obj.items()) {
    const std::string at = path.empty() ? key : absl::StrCat(path, ".", key);
    if (at == "tenants" || at == "prices") continue;
    if (const OptionRow* row = FindConfigKey(at)) {
      settings.push_back({row, &value});
    } else if (IsSection(at)) {
      if (absl::Status s = Collect(value, at, settings); !s.ok()) return s;
    } else {
      return Bad(at, "is not a known setting");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> String(const json& obj, const char* key,
                                   absl::string_view where) {
  const json& v = obj.at(key);
  if (!v.is_string()) {
    return Bad(absl::StrCat(where, key), "must be a string");
  }
  return v.get<std::string>();
}

absl::StatusOr<std::string> Secret(const json& ref, absl::string_view where,
                                   const SecretSources& secrets) {
  absl::StatusOr<std::string> spec = SecretSpecFromJson(ref);
  if (!spec.ok()) return Bad(where, spec.status().message());
  absl::StatusOr<std::string> value = ResolveSecretSpec(*spec, secrets);
  if (!value.ok()) return Bad(where, value.status().message());
  return value;
}

#define MG_ASSIGN(lhs, expr)          \
  do {                                \
    auto _v = (expr);                 \
    if (!_v.ok()) return _v.status(); \
    lhs = *std::move(_v);             \
  } while (0)

// The `tenants` list: structured, so not a row of the option table.
absl::Status ParseTenants(const json& list, const SecretSources& secrets,
                          ServerOptions& options) {
  if (!list.is_array()) return Bad("tenants", "must be a list");
  options.tenants.clear();
  for (size_t n = 0; n < list.size(); ++n) {
    const json& t = list[n];
    const std::string where = absl::StrCat("tenants[", n, "]");
    if (absl::Status s =
            OnlyKeys(t, where, {"name", "token_sha256", "keys", "limits"});
        !s.ok()) {
      return s;
    }
    if (!t.contains("name") || !t.contains("token_sha256")) {
      return Bad(where, "needs `name` and `token_sha256`");
    }
    auth::TenantSpec spec;
    MG_ASSIGN(spec.name, String(t, "name", where + "."));
    MG_ASSIGN(spec.token_sha256, String(t, "token_sha256", where + "."));
    if (t.contains("keys")) {
      const json& k = t["keys"];
      if (absl::Status s = OnlyKeys(k, where + ".keys",
                                    {"vimmerse", "elevenlabs", "aimlapi"});
          !s.ok()) {
        return s;
      }
      // Resolve errors name the tenant and provider but never a value.
      if (k.contains("vimmerse"))
        MG_ASSIGN(spec.credentials.vimmerse_api_key,
                  Secret(k["vimmerse"], where + ".keys.vimmerse", secrets));
      if (k.contains("elevenlabs"))
        MG_ASSIGN(spec.credentials.elevenlabs_api_key,
                  Secret(k["elevenlabs"], where + ".keys.elevenlabs", secrets));
      if (k.contains("aimlapi"))
        MG_ASSIGN(spec.credentials.aimlapi_api_key,
                  Secret(k["aimlapi"], where + ".keys.aimlapi", secrets));
    }
    if (t.contains("limits")) {
      MG_ASSIGN(spec.limits,
                quota::LimitsFromJson(t["limits"], where + ".limits"));
    }
    options.tenants.push_back(std::move(spec));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyConfig(absl::string_view text, const SecretSources& secrets,
                         ServerOptions& options) {
  json doc = json::parse(text.begin(), text.end(), nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError("config: not valid JSON");
  }
  std::vector<Setting> settings;
  if (absl::Status s = Collect(doc, "", settings); !s.ok()) return s;
  for (const Setting& setting : settings) {
    const OptionRow& row = *setting.row;
    absl::Status s =
        row.value.from_json(*setting.value, row.config_key, secrets, options);
    if (!s.ok()) return Bad(row.config_key, s.message());
  }
  if (doc.contains("polling") &&
      options.jobs.max_poll_interval < options.jobs.min_poll_interval) {
    return Bad("polling.max_interval_ms", "is below min_interval_ms");
  }
  if (doc.contains("prices")) {
    // Structured like a tenant's limits, so not rows of the option table.
    MG_ASSIGN(options.prices,
              quota::PriceTableFromJson(doc["prices"], "prices"));
  }
  if (doc.contains("tenants")) {
    return ParseTenants(doc["tenants"], secrets, options);
  }
  return absl::OkStatus();
}

absl::Status ApplyConfigFile(const std::string& path,
                             const SecretSources& secrets,
                             ServerOptions& options) {
  absl::StatusOr<std::string> text = SecretSources::System().read_file(path);
  if (!text.ok()) {
    return absl::NotFoundError(
        absl::StrCat("config file ", path, " cannot be read"));
  }
  absl::Status s = ApplyConfig(*text, secrets, options);
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace mediagen::server
