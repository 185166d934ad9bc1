#include "service/upstream/providers/resource_name.h"

#include "absl/strings/str_cat.h"
#include "service/upstream/providers/errors.h"

namespace mediagen::upstream {
namespace {

absl::Status Bad(absl::string_view field, absl::string_view why) {
  return InvalidFieldError(
      field, absl::StrCat("`", field, "` ", why,
                          " (expected `media/{id}`, `assets/{id}` or "
                          "`generations/{id}`)"));
}

}  // namespace

absl::string_view CollectionOf(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kMedia:
      return "media";
    case ResourceKind::kAsset:
      return "assets";
    case ResourceKind::kGeneration:
      return "generations";
  }
  return "";
}

bool IsDotSegment(absl::string_view id) { return id == "." || id == ".."; }

absl::StatusOr<ResourceName> ParseResourceName(absl::string_view name,
                                               absl::string_view field) {
  if (name.empty()) return Bad(field, "is required");
  const size_t slash = name.find('/');
  if (slash == absl::string_view::npos) {
    return Bad(field, "is not a resource name");
  }
  const absl::string_view collection = name.substr(0, slash);
  const absl::string_view id = name.substr(slash + 1);
  ResourceName out;
  if (collection == "media") {
    out.kind = ResourceKind::kMedia;
  } else if (collection == "assets") {
    out.kind = ResourceKind::kAsset;
  } else if (collection == "generations") {
    out.kind = ResourceKind::kGeneration;
  } else {
    return Bad(field, "names an unknown collection");
  }
  if (id.empty()) return Bad(field, "has an empty id");
  if (IsDotSegment(id)) return Bad(field, "has `.` or `..` as its id");
  if (id.size() > kMaxResourceIdLength) {
    return Bad(field, absl::StrCat("has an id longer than ",
                                   kMaxResourceIdLength, " characters"));
  }
  for (char c : id) {
    if (c == '/') return Bad(field, "has a `/` in its id");
    if (c <= ' ' || c > '~') {
      return Bad(field,
                 "has a space, control or non-ASCII character in its id");
    }
  }
  out.id = std::string(id);
  return out;
}

absl::StatusOr<std::string> ParseResourceId(absl::string_view name,
                                            ResourceKind expected,
                                            absl::string_view field) {
  absl::StatusOr<ResourceName> parsed = ParseResourceName(name, field);
  if (!parsed.ok()) return parsed.status();
  if (parsed->kind != expected) {
    return InvalidFieldError(
        field, absl::StrCat("`", field, "` must be `", CollectionOf(expected),
                            "/{id}`"));
  }
  return std::move(parsed->id);
}

std::string FormatResourceName(ResourceKind kind, absl::string_view id) {
  return absl::StrCat(CollectionOf(kind), "/", id);
}

}  // namespace mediagen::upstream
