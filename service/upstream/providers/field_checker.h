// The field rules every request check is built from (validation.cc holds
// the checks themselves, one per request). A FieldChecker collects every
// violation of a request (required fields, URLs, ranges, closed lists,
// aspect ratios, decimal strings, plain text, resource names) and turns
// them into one INVALID_ARGUMENT carrying a google.rpc.BadRequest that
// names each bad field, so a caller fixes everything in one round. Also the
// URL rule on its own (UrlProblem).
//
//   FieldChecker c;
//   c.RequestId(r.request_id());
//   c.RequiredUrl("video_url", r.video_url());
//   c.OneOf("aspect_ratio", r.has_aspect_ratio(), r.aspect_ratio(),
//           {"16:9", "9:16"});
//   return c.Done();  // OK, or INVALID_ARGUMENT + BadRequest
//
// Descriptions name the field in backquotes and say why; a caller's value
// quoted in one is sanitized and cut (Quote). Optional fields are checked
// only when set (`has`).
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_FIELD_CHECKER_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_FIELD_CHECKER_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/rpc/error_details.pb.h"
#include "service/upstream/providers/resource_name.h"

namespace mediagen::upstream {

inline constexpr size_t kMaxRequestIdLength = 128;
inline constexpr size_t kMaxUrlLength = 2048;

// The URL rule: an absolute http(s) URL with a host, at most kMaxUrlLength
// bytes, printable ASCII only (no whitespace, no control characters; C1 and
// bidi controls are non-ASCII, so they are out too: percent-encode). "" when
// `url` is acceptable, else what it must be ("an absolute http(s) URL").
std::string UrlProblem(absl::string_view url);

class FieldChecker {
 public:
  using List = std::initializer_list<absl::string_view>;

  // `value` made safe and short (64 bytes) for a description, in quotes.
  static std::string Quote(absl::string_view value);
  // "field[index]": the path of an element of a repeated field.
  static std::string At(absl::string_view field, int index);

  // A violation of a rule of the caller's own.
  void Add(std::string field, std::string description);
  // Adds the BadRequest violations `status` carries; false when it carries
  // none.
  bool AddViolationsOf(const absl::Status& status);
  // Whether a violation on `field` was added.
  bool Names(absl::string_view field) const;
  // OK when nothing was added, else INVALID_ARGUMENT with every violation.
  absl::Status Done();

  // At most kMaxRequestIdLength printable ASCII characters.
  void RequestId(const std::string& id);
  // Not empty or only whitespace.
  void Required(const std::string& field, const std::string& value);
  // UrlProblem, when not empty (an empty optional URL is upstream's default).
  void Url(const std::string& field, const std::string& value);
  void RequiredUrl(const std::string& field, const std::string& value);
  void IntRange(const std::string& field, bool has, int64_t v, int64_t lo,
                int64_t hi);
  void AtLeast(const std::string& field, bool has, int64_t v, int64_t lo);
  // Finite and in [lo, hi].
  void DoubleRange(const std::string& field, bool has, double v, double lo,
                   double hi);
  // A finite number of seconds above 0.
  void Positive(const std::string& field, bool has, double v);
  // One of a closed list (exact, case-sensitive).
  void OneOf(const std::string& field, bool has, const std::string& v,
             List allowed);
  // `W:H` in whole numbers of at most 5 digits.
  void AspectRatio(const std::string& field, bool has, const std::string& v);
  // A decimal written as a string (upstream's type for these), in [lo, hi].
  void DecimalString(const std::string& field, bool has, const std::string& v,
                     double lo, double hi);
  // Text that goes into a header-like place (file names, ids): no control
  // characters, none of `also_forbidden`, at most `max_len` bytes.
  void PlainText(const std::string& field, bool has, const std::string& v,
                 size_t max_len, absl::string_view also_forbidden = "");
  // An id that becomes one segment of an upstream path (a voice id): as
  // PlainText with no space or `/`, at most kMaxResourceIdLength bytes, and
  // not `.` or `..` (IsDotSegment), which would name another path.
  void PathSegment(const std::string& field, const std::string& v);
  // A resource name of `kind` (resource_name.h), violations as it reports
  // them.
  void Name(const std::string& name, ResourceKind kind);
  // A resource name of any kind.
  void AnyName(const std::string& name);
  // At most `max` entries in a repeated field.
  void MaxCount(const std::string& field, int count, int max);

 private:
  // Adds the BadRequest violations of `status`, if any.
  void Merge(const absl::Status& status);

  std::vector<google::rpc::BadRequest::FieldViolation> violations_;
};

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_FIELD_CHECKER_H_
