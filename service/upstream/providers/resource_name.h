// Resource names of jobs: `media/{id}`, `assets/{id}`, `generations/{id}`.
// Parsed strictly, because the id goes into an upstream URL.
//
//   absl::StatusOr<ResourceName> n = ParseResourceName("media/abc123");
//   n->kind == ResourceKind::kMedia; n->id == "abc123";
//   absl::StatusOr<std::string> id =
//       ParseResourceId(req.name(), ResourceKind::kGeneration);  //
//       GetGeneration
//   std::string name = FormatResourceName(ResourceKind::kAsset, asset.id());
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_RESOURCE_NAME_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_RESOURCE_NAME_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagen::upstream {

enum class ResourceKind { kMedia, kAsset, kGeneration };

struct ResourceName {
  ResourceKind kind;
  std::string id;
};

// Longest id accepted. Upstream ids seen are UUIDs (36) plus a suffix
// (`...:stable-audio`); 256 leaves room without letting a name be a payload.
inline constexpr size_t kMaxResourceIdLength = 256;

// "media", "assets", "generations".
absl::string_view CollectionOf(ResourceKind kind);

// True for `.` and `..`: as a path segment of an upstream URL they name
// another path (libcurl, like any URL resolver, removes dot segments:
// `/v2/media/..` is sent as `GET /v2/`), so no id that becomes a path
// segment may be one of them. The one rule for every such id field.
bool IsDotSegment(absl::string_view id);

// INVALID_ARGUMENT (with a BadRequest violation on `field`) unless `name` is
// `<collection>/<id>` with a known collection and an id that is non-empty,
// at most kMaxResourceIdLength bytes, only printable ASCII other than
// space and `/`, and not a dot segment (`.` or `..`). Also the check of
// every id upstream returns, which is polled the same way later.
absl::StatusOr<ResourceName> ParseResourceName(
    absl::string_view name, absl::string_view field = "name");

// As ParseResourceName, and the collection must be `expected`.
absl::StatusOr<std::string> ParseResourceId(absl::string_view name,
                                            ResourceKind expected,
                                            absl::string_view field = "name");

std::string FormatResourceName(ResourceKind kind, absl::string_view id);

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_RESOURCE_NAME_H_
