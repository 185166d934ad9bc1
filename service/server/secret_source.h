// Secret references: where the server finds a key or secret without the
// value ever being written in a flag or the config file. A reference is
// `env:NAME` (an environment variable) or `file:PATH` (a file, e.g. a
// mounted Kubernetes Secret; a trailing newline is dropped).
//
//   SecretSources secrets = SecretSources::System();
//   absl::StatusOr<std::string> key =
//       ResolveSecretSpec("file:/run/secrets/acme/vimmerse", secrets);
//
// Errors name the variable or path, never the value.
#ifndef MEDIAGEN_SERVICE_SERVER_SECRET_SOURCE_H_
#define MEDIAGEN_SERVICE_SERVER_SECRET_SOURCE_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagen::server {

// Where secret references are looked up; tests substitute their own.
struct SecretSources {
  std::function<std::optional<std::string>(const std::string&)> env;
  std::function<absl::StatusOr<std::string>(const std::string&)> read_file;
  static SecretSources System();
};

// True when `spec` has the form of a reference (env:NAME or file:PATH),
// without looking it up.
bool IsSecretSpec(absl::string_view spec);

// Resolves one secret reference, `env:NAME` or `file:PATH`. The config
// file's {"env": NAME} / {"file": PATH} objects come here as the same text.
absl::StatusOr<std::string> ResolveSecretSpec(absl::string_view spec,
                                              const SecretSources& secrets);

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_SECRET_SOURCE_H_
