// The kinds of value a server option can hold, each bound to one member of
// ServerOptions: how it is read from a flag's text and from the config
// file's JSON, written into the member, and shown as a default. The rows of
// option_table.cc are built from these factories; nothing else reads flags
// or config values.
//
//   using O = ServerOptions;
//   OptionValue v = Int(Member(&O::grpc,
//   &O::GrpcOptions::max_concurrent_streams),
//                       /*min=*/1);
//   ServerOptions o;
//   absl::Status s = v.from_flag("100", secrets, o);   // o.grpc... == 100
//   std::string d = v.show(ServerOptions());            // "2000"
//
// Kind        flag text                     config file JSON
// Text        any string                    string
// Int         decimal integer in [min, max] integer in [min, max]
// Bool        (none), true/false, 1/0, ...  true or false
// Duration    absl syntax: 500ms, 30s, 5m   integer; unit from the key's
//                                           suffix: `_ms` or `_seconds`
// Level       debug, info, warning, error   the same, as a string
// Secret      env:NAME or file:PATH,        {"env": "NAME"} or
//             resolved at once              {"file": "PATH"}
// SecretRef   env:NAME or file:PATH, kept   the same objects, kept
//             unresolved (resolved later)   unresolved
#ifndef MEDIAGEN_SERVICE_SERVER_OPTION_VALUE_H_
#define MEDIAGEN_SERVICE_SERVER_OPTION_VALUE_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "service/server/secret_source.h"
#include "service/server/server_options.h"

namespace mediagen::server {

// How an option reaches its member of ServerOptions.
template <typename T>
using Field = std::function<T&(ServerOptions&)>;

// `Member(&ServerOptions::listen_address)` or, one level down,
// `Member(&ServerOptions::grpc, &ServerOptions::GrpcOptions::keepalive_time)`.
template <typename T>
Field<T> Member(T ServerOptions::*m) {
  return [m](ServerOptions& o) -> T& { return o.*m; };
}
template <typename S, typename T>
Field<T> Member(S ServerOptions::*outer, T S::*inner) {
  return [outer, inner](ServerOptions& o) -> T& { return (o.*outer).*inner; };
}

// One option's value kind, bound to its member. Errors say what was wanted
// but not where: callers prefix the flag (`--name: `) or the config key.
// No error and no `show` ever contains a secret's value.
struct OptionValue {
  // Placeholder of the value in --help: `--name=METAVAR`.
  std::string metavar;
  // Booleans may be given as a bare `--name` or `--noname`.
  bool is_bool = false;
  std::function<absl::Status(absl::string_view text,
                             const SecretSources& secrets, ServerOptions& o)>
      from_flag;
  // `key` is the row's config key (a Duration reads its unit from it).
  std::function<absl::Status(const nlohmann::json& value, absl::string_view key,
                             const SecretSources& secrets, ServerOptions& o)>
      from_json;
  // The member's value as --help and the README show it; "" when the
  // member is empty (the renderers say "none").
  std::function<std::string(const ServerOptions& o)> show;
};

// A string; `metavar` names what it holds (ADDRESS, URL, ...).
OptionValue Text(Field<std::string> field, std::string metavar = "TEXT");

// Integers of any width, checked against [min, max] from either source.
OptionValue IntValue(std::function<int64_t(const ServerOptions&)> get,
                     std::function<void(ServerOptions&, int64_t)> set,
                     int64_t min, int64_t max);
// The largest value of T that an int64_t holds.
template <typename T>
constexpr int64_t MaxOf() {
  constexpr uint64_t kMax = std::numeric_limits<T>::max();
  return kMax > uint64_t{std::numeric_limits<int64_t>::max()}
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(kMax);
}
template <typename T>
OptionValue Int(Field<T> field, int64_t min, int64_t max = MaxOf<T>()) {
  return IntValue(
      [field](const ServerOptions& o) {
        // Reads only: a Field takes a mutable ServerOptions.
        return static_cast<int64_t>(field(const_cast<ServerOptions&>(o)));
      },
      [field](ServerOptions& o, int64_t v) { field(o) = static_cast<T>(v); },
      min, max);
}

OptionValue Bool(Field<bool> field);

// At least `min` from either source.
OptionValue Duration(Field<absl::Duration> field, absl::Duration min);

OptionValue Level(Field<telemetry::LogLevel> field);

// A secret resolved while the option is read (a missing variable or file
// is an error then); the member holds the value.
OptionValue Secret(Field<std::string> field);

// A secret reference kept as text (`env:NAME`) for the caller to resolve
// later; the member holds the reference, its default is shown.
OptionValue SecretRef(Field<std::string> field);

// The config file's secret reference, {"env": "NAME"} or {"file": "PATH"},
// as the flag form "env:NAME" / "file:PATH" (not resolved).
absl::StatusOr<std::string> SecretSpecFromJson(const nlohmann::json& ref);

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_OPTION_VALUE_H_
