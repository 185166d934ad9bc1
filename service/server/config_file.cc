#include "service/server/config_file.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"

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

absl::StatusOr<std::string> String(const json& obj, const char* key,
                                   absl::string_view where) {
  const json& v = obj.at(key);
  if (!v.is_string()) {
    return Bad(absl::StrCat(where, key), "must be a string");
  }
  return v.get<std::string>();
}

absl::StatusOr<int64_t> Int(const json& obj, const char* key,
                            absl::string_view where, int64_t min) {
  const json& v = obj.at(key);
  if (!v.is_number_integer() || v.get<int64_t>() < min) {
    return Bad(absl::StrCat(where, key),
               absl::StrCat("must be an integer >= ", min));
  }
  return v.get<int64_t>();
}

absl::StatusOr<std::string> Secret(const json& ref, absl::string_view where,
                                   const SecretSources& secrets) {
  if (!ref.is_object() || ref.size() != 1 ||
      !(ref.contains("env") || ref.contains("file")) ||
      !ref.begin()->is_string()) {
    return Bad(where,
               "must be {\"env\": \"NAME\"} or {\"file\": \"/path\"} (secrets "
               "are never written in the config file itself)");
  }
  const std::string kind = ref.begin().key();
  absl::StatusOr<std::string> value = ResolveSecretSpec(
      absl::StrCat(kind, ":", ref.begin()->get<std::string>()), secrets);
  if (!value.ok()) return Bad(where, value.status().message());
  return value;
}

#define MG_ASSIGN(lhs, expr)            \
  do {                                  \
    auto _v = (expr);                   \
    if (!_v.ok()) return _v.status();   \
    lhs = *std::move(_v);               \
  } while (0)

}  // namespace

SecretSources SecretSources::System() {
  SecretSources s;
  s.env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  s.read_file = [](const std::string& path) -> absl::StatusOr<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  return s;
}

absl::StatusOr<std::string> ResolveSecretSpec(absl::string_view spec,
                                              const SecretSources& secrets) {
  std::string value;
  if (absl::ConsumePrefix(&spec, "env:")) {
    std::optional<std::string> v = secrets.env(std::string(spec));
    if (!v.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("secret: environment variable ", spec, " is not set"));
    }
    value = *std::move(v);
  } else if (absl::ConsumePrefix(&spec, "file:")) {
    absl::StatusOr<std::string> v = secrets.read_file(std::string(spec));
    if (!v.ok()) {
      return absl::NotFoundError(
          absl::StrCat("secret: cannot read file ", spec));
    }
    value = *std::move(v);
  } else {
    return absl::InvalidArgumentError(
        "secret references look like env:NAME or file:/path");
  }
  // Files written by `echo` end with a newline that is not part of the key.
  absl::string_view trimmed = absl::StripTrailingAsciiWhitespace(value);
  if (trimmed.empty()) {
    return absl::InvalidArgumentError("secret: the referenced value is empty");
  }
  return std::string(trimmed);
}

absl::Status ApplyConfig(absl::string_view text, const SecretSources& secrets,
                         ServerOptions& options) {
  json doc = json::parse(text.begin(), text.end(), nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError("config: not valid JSON");
  }
  if (absl::Status s = OnlyKeys(doc, "",
                                {"listen_address", "admin_address",
                                 "public_base_url", "upstreams", "polling",
                                 "idempotency", "webhook_secret", "tenants",
                                 "grpc", "drain", "log_level"});
      !s.ok()) {
    return s;
  }
  if (doc.contains("listen_address")) {
    MG_ASSIGN(options.listen_address, String(doc, "listen_address", ""));
  }
  if (doc.contains("admin_address")) {
    MG_ASSIGN(options.admin_address, String(doc, "admin_address", ""));
  }
  if (doc.contains("public_base_url")) {
    MG_ASSIGN(options.public_base_url, String(doc, "public_base_url", ""));
  }
  if (doc.contains("upstreams")) {
    const json& u = doc["upstreams"];
    if (absl::Status s = OnlyKeys(u, "upstreams",
                                  {"vimmerse", "elevenlabs", "aimlapi",
                                   "asset_path_template"});
        !s.ok()) {
      return s;
    }
    if (u.contains("vimmerse"))
      MG_ASSIGN(options.endpoints.vimmerse, String(u, "vimmerse", "upstreams."));
    if (u.contains("elevenlabs"))
      MG_ASSIGN(options.endpoints.elevenlabs,
                String(u, "elevenlabs", "upstreams."));
    if (u.contains("aimlapi"))
      MG_ASSIGN(options.endpoints.aimlapi, String(u, "aimlapi", "upstreams."));
    if (u.contains("asset_path_template"))
      MG_ASSIGN(options.endpoints.asset_path_template,
                String(u, "asset_path_template", "upstreams."));
  }
  if (doc.contains("polling")) {
    const json& p = doc["polling"];
    if (absl::Status s = OnlyKeys(p, "polling",
                                  {"min_interval_ms", "max_interval_ms",
                                   "heartbeat_interval_ms", "timeout_ms"});
        !s.ok()) {
      return s;
    }
    int64_t v;
    if (p.contains("min_interval_ms")) {
      MG_ASSIGN(v, Int(p, "min_interval_ms", "polling.", 1));
      options.jobs.min_poll_interval = absl::Milliseconds(v);
    }
    if (p.contains("max_interval_ms")) {
      MG_ASSIGN(v, Int(p, "max_interval_ms", "polling.", 1));
      options.jobs.max_poll_interval = absl::Milliseconds(v);
    }
    if (p.contains("heartbeat_interval_ms")) {
      MG_ASSIGN(v, Int(p, "heartbeat_interval_ms", "polling.", 1));
      options.jobs.heartbeat_interval = absl::Milliseconds(v);
    }
    if (p.contains("timeout_ms")) {
      MG_ASSIGN(v, Int(p, "timeout_ms", "polling.", 1));
      options.poll_timeout = absl::Milliseconds(v);
    }
    if (options.jobs.max_poll_interval < options.jobs.min_poll_interval) {
      return Bad("polling.max_interval_ms", "is below min_interval_ms");
    }
  }
  if (doc.contains("idempotency")) {
    const json& i = doc["idempotency"];
    if (absl::Status s =
            OnlyKeys(i, "idempotency", {"ttl_seconds", "max_entries"});
        !s.ok()) {
      return s;
    }
    int64_t v;
    if (i.contains("ttl_seconds")) {
      MG_ASSIGN(v, Int(i, "ttl_seconds", "idempotency.", 1));
      options.idempotency_ttl = absl::Seconds(v);
    }
    if (i.contains("max_entries")) {
      MG_ASSIGN(v, Int(i, "max_entries", "idempotency.", 1));
      options.idempotency_max_entries = static_cast<size_t>(v);
    }
  }
  if (doc.contains("grpc")) {
    const json& g = doc["grpc"];
    if (absl::Status s = OnlyKeys(
            g, "grpc",
            {"max_message_bytes", "keepalive_time_ms", "keepalive_timeout_ms",
             "min_client_ping_interval_ms", "max_connection_age_ms",
             "max_connection_age_grace_ms", "max_concurrent_streams",
             "resource_quota_bytes", "stream_window_bytes"});
        !s.ok()) {
      return s;
    }
    ServerOptions::GrpcOptions& o = options.grpc;
    int64_t v;
    struct {
      const char* key;
      absl::Duration* out;
    } durations[] = {
        {"keepalive_time_ms", &o.keepalive_time},
        {"keepalive_timeout_ms", &o.keepalive_timeout},
        {"min_client_ping_interval_ms", &o.min_client_ping_interval},
        {"max_connection_age_ms", &o.max_connection_age},
        {"max_connection_age_grace_ms", &o.max_connection_age_grace},
    };
    for (auto& d : durations) {
      if (!g.contains(d.key)) continue;
      MG_ASSIGN(v, Int(g, d.key, "grpc.", 1));
      *d.out = absl::Milliseconds(v);
    }
    if (g.contains("max_message_bytes")) {
      MG_ASSIGN(v, Int(g, "max_message_bytes", "grpc.", 1024));
      if (v > INT32_MAX) return Bad("grpc.max_message_bytes", "is too large");
      o.max_message_bytes = static_cast<int>(v);
    }
    if (g.contains("max_concurrent_streams")) {
      MG_ASSIGN(v, Int(g, "max_concurrent_streams", "grpc.", 1));
      if (v > INT32_MAX) {
        return Bad("grpc.max_concurrent_streams", "is too large");
      }
      o.max_concurrent_streams = static_cast<int>(v);
    }
    if (g.contains("resource_quota_bytes")) {
      MG_ASSIGN(o.resource_quota_bytes,
                Int(g, "resource_quota_bytes", "grpc.", 0));
    }
    if (g.contains("stream_window_bytes")) {
      MG_ASSIGN(v, Int(g, "stream_window_bytes", "grpc.", 0));
      if (v > INT32_MAX) {
        return Bad("grpc.stream_window_bytes", "is too large");
      }
      o.stream_window_bytes = v;
    }
  }
  if (doc.contains("drain")) {
    const json& d = doc["drain"];
    if (absl::Status s =
            OnlyKeys(d, "drain", {"delay_ms", "grace_ms", "timeout_ms"});
        !s.ok()) {
      return s;
    }
    int64_t v;
    if (d.contains("delay_ms")) {
      MG_ASSIGN(v, Int(d, "delay_ms", "drain.", 0));
      options.drain_delay = absl::Milliseconds(v);
    }
    if (d.contains("grace_ms")) {
      MG_ASSIGN(v, Int(d, "grace_ms", "drain.", 0));
      options.shutdown_grace = absl::Milliseconds(v);
    }
    if (d.contains("timeout_ms")) {
      MG_ASSIGN(v, Int(d, "timeout_ms", "drain.", 0));
      options.shutdown_timeout = absl::Milliseconds(v);
    }
  }
  if (doc.contains("log_level")) {
    std::string level;
    MG_ASSIGN(level, String(doc, "log_level", ""));
    absl::StatusOr<telemetry::LogLevel> parsed =
        telemetry::ParseLogLevel(level);
    if (!parsed.ok()) return Bad("log_level", parsed.status().message());
    options.log_level = *parsed;
  }
  if (doc.contains("webhook_secret")) {
    MG_ASSIGN(options.webhook_secret,
              Secret(doc["webhook_secret"], "webhook_secret", secrets));
  }
  if (doc.contains("tenants")) {
    const json& list = doc["tenants"];
    if (!list.is_array()) return Bad("tenants", "must be a list");
    options.tenants.clear();
    for (size_t n = 0; n < list.size(); ++n) {
      const json& t = list[n];
      const std::string where = absl::StrCat("tenants[", n, "]");
      if (absl::Status s = OnlyKeys(t, where, {"name", "token_sha256", "keys"});
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
      options.tenants.push_back(std::move(spec));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyConfigFile(const std::string& path,
                             const SecretSources& secrets,
                             ServerOptions& options) {
  absl::StatusOr<std::string> text = SecretSources::System().read_file(path);
  if (!text.ok()) {
    return absl::NotFoundError(absl::StrCat("config file ", path, " cannot be read"));
  }
  absl::Status s = ApplyConfig(*text, secrets, options);
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace mediagen::server
