#include "service/server/secret_source.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace mediagen::server {

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

bool IsSecretSpec(absl::string_view spec) {
  return (absl::ConsumePrefix(&spec, "env:") ||
          absl::ConsumePrefix(&spec, "file:")) &&
         !spec.empty();
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

}  // namespace mediagen::server
