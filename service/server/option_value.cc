#include "service/server/option_value.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mediagen::server {
namespace {

using json = nlohmann::json;

absl::Status Want(absl::string_view what) {
  return absl::InvalidArgumentError(std::string(what));
}

// "must be an integer >= 1" or "... from 1 to 10", as the config file
// has always said it.
std::string IntRange(int64_t min, int64_t max) {
  if (max == std::numeric_limits<int64_t>::max())
    return absl::StrCat("must be an integer >= ", min);
  return absl::StrCat("must be an integer from ", min, " to ", max);
}

// 8388608 -> "8388608 (8 MiB)": byte counts read better with a unit.
std::string ShowInt(int64_t v) {
  if (v >= (int64_t{1} << 20) && v % (int64_t{1} << 20) == 0) {
    return absl::StrCat(v, " (", v >> 20, " MiB)");
  }
  return absl::StrCat(v);
}

// The config file writes a duration as an integer count of the unit its
// key ends with.
absl::StatusOr<absl::Duration> UnitOf(absl::string_view key) {
  if (absl::EndsWith(key, "_ms")) return absl::Milliseconds(1);
  if (absl::EndsWith(key, "_seconds")) return absl::Seconds(1);
  return absl::InternalError(absl::StrCat("option table: duration key ", key,
                                          " must end in _ms or _seconds"));
}

}  // namespace

absl::StatusOr<std::string> SecretSpecFromJson(const json& ref) {
  if (!ref.is_object() || ref.size() != 1 ||
      !(ref.contains("env") || ref.contains("file")) ||
      !ref.begin()->is_string()) {
    return Want(
        "must be {\"env\": \"NAME\"} or {\"file\": \"/path\"} (secrets are "
        "never written in the config file itself)");
  }
  return absl::StrCat(ref.begin().key(), ":", ref.begin()->get<std::string>());
}

OptionValue Text(Field<std::string> field, std::string metavar) {
  OptionValue v;
  v.metavar = std::move(metavar);
  v.from_flag = [field](absl::string_view text, const SecretSources&,
                        ServerOptions& o) {
    field(o) = std::string(text);
    return absl::OkStatus();
  };
  v.from_json = [field](const json& value, absl::string_view,
                        const SecretSources&, ServerOptions& o) {
    if (!value.is_string()) return Want("must be a string");
    field(o) = value.get<std::string>();
    return absl::OkStatus();
  };
  v.show = [field](const ServerOptions& o) {
    return field(const_cast<ServerOptions&>(o));  // reads only
  };
  return v;
}

OptionValue IntValue(std::function<int64_t(const ServerOptions&)> get,
                     std::function<void(ServerOptions&, int64_t)> set,
                     int64_t min, int64_t max) {
  OptionValue v;
  v.metavar = "INT";
  v.from_flag = [set, min, max](absl::string_view text, const SecretSources&,
                                ServerOptions& o) {
    int64_t n;
    if (!absl::SimpleAtoi(text, &n) || n < min || n > max) {
      return Want(absl::StrCat(IntRange(min, max), ", not '", text, "'"));
    }
    set(o, n);
    return absl::OkStatus();
  };
  v.from_json = [set, min, max](const json& value, absl::string_view,
                                const SecretSources&, ServerOptions& o) {
    // Past int64_t only as unsigned: too large either way.
    if (!value.is_number_integer() ||
        (value.is_number_unsigned() &&
         value.get<uint64_t>() >
             uint64_t{std::numeric_limits<int64_t>::max()})) {
      return Want(IntRange(min, max));
    }
    const int64_t n = value.get<int64_t>();
    if (n < min || n > max) return Want(IntRange(min, max));
    set(o, n);
    return absl::OkStatus();
  };
  v.show = [get](const ServerOptions& o) { return ShowInt(get(o)); };
  return v;
}

OptionValue Bool(Field<bool> field) {
  OptionValue v;
  v.metavar = "BOOL";
  v.is_bool = true;
  v.from_flag = [field](absl::string_view text, const SecretSources&,
                        ServerOptions& o) {
    // What absl's boolean flags accepted.
    const std::string t = absl::AsciiStrToLower(text);
    if (t == "true" || t == "t" || t == "yes" || t == "y" || t == "1") {
      field(o) = true;
    } else if (t == "false" || t == "f" || t == "no" || t == "n" || t == "0") {
      field(o) = false;
    } else {
      return Want(absl::StrCat("must be true or false, not '", text, "'"));
    }
    return absl::OkStatus();
  };
  v.from_json = [field](const json& value, absl::string_view,
                        const SecretSources&, ServerOptions& o) {
    if (!value.is_boolean()) return Want("must be true or false");
    field(o) = value.get<bool>();
    return absl::OkStatus();
  };
  v.show = [field](const ServerOptions& o) {
    return std::string(field(const_cast<ServerOptions&>(o)) ? "true" : "false");
  };
  return v;
}

OptionValue Duration(Field<absl::Duration> field, absl::Duration min) {
  OptionValue v;
  v.metavar = "DURATION";
  v.from_flag = [field, min](absl::string_view text, const SecretSources&,
                             ServerOptions& o) {
    absl::Duration d;
    if (!absl::ParseDuration(text, &d) || d < min) {
      return Want(
          absl::StrCat("must be a duration >= ", absl::FormatDuration(min),
                       " such as 500ms, 30s or 5m, not '", text, "'"));
    }
    field(o) = d;
    return absl::OkStatus();
  };
  v.from_json = [field, min](const json& value, absl::string_view key,
                             const SecretSources&, ServerOptions& o) {
    absl::StatusOr<absl::Duration> unit = UnitOf(key);
    if (!unit.ok()) return unit.status();
    // The least whole count of the unit that is not below `min`.
    absl::Duration rest;
    int64_t least = absl::IDivDuration(min, *unit, &rest);
    if (rest > absl::ZeroDuration()) ++least;
    if (!value.is_number_integer() ||
        (value.is_number_unsigned() &&
         value.get<uint64_t>() >
             uint64_t{std::numeric_limits<int64_t>::max()}) ||
        value.get<int64_t>() < least) {
      return Want(absl::StrCat("must be an integer >= ", least));
    }
    field(o) = value.get<int64_t>() * *unit;
    return absl::OkStatus();
  };
  v.show = [field](const ServerOptions& o) {
    return absl::FormatDuration(field(const_cast<ServerOptions&>(o)));
  };
  return v;
}

OptionValue Level(Field<telemetry::LogLevel> field) {
  OptionValue v;
  v.metavar = "LEVEL";
  auto parse = [field](absl::string_view text, ServerOptions& o) {
    absl::StatusOr<telemetry::LogLevel> level = telemetry::ParseLogLevel(text);
    if (!level.ok()) return Want(level.status().message());
    field(o) = *level;
    return absl::OkStatus();
  };
  v.from_flag = [parse](absl::string_view text, const SecretSources&,
                        ServerOptions& o) { return parse(text, o); };
  v.from_json = [parse](const json& value, absl::string_view,
                        const SecretSources&, ServerOptions& o) {
    if (!value.is_string()) return Want("must be a string");
    return parse(value.get<std::string>(), o);
  };
  v.show = [field](const ServerOptions& o) {
    return std::string(
        telemetry::LogLevelName(field(const_cast<ServerOptions&>(o))));
  };
  return v;
}

OptionValue Secret(Field<std::string> field) {
  OptionValue v;
  v.metavar = "SECRET";
  // Resolve errors keep their code (NOT_FOUND for a missing variable).
  auto resolve = [field](absl::string_view spec, const SecretSources& secrets,
                         ServerOptions& o) {
    absl::StatusOr<std::string> value = ResolveSecretSpec(spec, secrets);
    if (!value.ok()) return value.status();
    field(o) = *std::move(value);
    return absl::OkStatus();
  };
  v.from_flag = resolve;
  v.from_json = [resolve](const json& value, absl::string_view,
                          const SecretSources& secrets, ServerOptions& o) {
    absl::StatusOr<std::string> spec = SecretSpecFromJson(value);
    if (!spec.ok()) return spec.status();
    return resolve(*spec, secrets, o);
  };
  v.show = [field](const ServerOptions& o) {
    return std::string(field(const_cast<ServerOptions&>(o)).empty() ? ""
                                                                    : "(set)");
  };
  return v;
}

OptionValue SecretRef(Field<std::string> field) {
  OptionValue v;
  v.metavar = "SECRET";
  v.from_flag = [field](absl::string_view text, const SecretSources&,
                        ServerOptions& o) {
    if (!IsSecretSpec(text)) {
      return Want("must be env:NAME or file:/path");
    }
    field(o) = std::string(text);
    return absl::OkStatus();
  };
  v.from_json = [field](const json& value, absl::string_view,
                        const SecretSources&, ServerOptions& o) {
    absl::StatusOr<std::string> spec = SecretSpecFromJson(value);
    if (!spec.ok()) return spec.status();
    field(o) = *std::move(spec);
    return absl::OkStatus();
  };
  v.show = [field](const ServerOptions& o) {
    return field(const_cast<ServerOptions&>(o));  // a reference, not a value
  };
  return v;
}

}  // namespace mediagen::server
