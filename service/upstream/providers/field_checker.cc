#include "service/upstream/providers/field_checker.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proto/rpc/error_details.h"
#include "service/upstream/providers/errors.h"
#include "service/upstream/providers/json_codec.h"

namespace mediagen::upstream {

std::string UrlProblem(absl::string_view url) {
  if (url.size() > kMaxUrlLength) {
    return absl::StrCat("at most ", kMaxUrlLength, " characters long");
  }
  for (unsigned char ch : url) {
    if (ch <= 0x20 || ch == 0x7F) {
      return "a URL without whitespace or control characters";
    }
    // Raw UTF-8 would let C1 controls (U+0085), line separators (U+2028)
    // and bidi overrides (U+202E) through to upstream and to whatever logs
    // the URL; a URL is ASCII (RFC 3986), the rest is percent-encoded.
    if (ch >= 0x80) {
      return "a URL of ASCII characters only (percent-encode the others)";
    }
  }
  absl::string_view rest;
  if (absl::StartsWithIgnoreCase(url, "https://")) {
    rest = url.substr(8);
  } else if (absl::StartsWithIgnoreCase(url, "http://")) {
    rest = url.substr(7);
  } else {
    return "an absolute http(s) URL";
  }
  absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  const size_t at = authority.rfind('@');
  if (at != absl::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.empty() || authority[0] == ':') {
    return "an absolute http(s) URL with a host";
  }
  return "";
}

std::string FieldChecker::Quote(absl::string_view value) {
  return absl::StrCat("\"", SanitizeUpstreamText(value, {}, 64), "\"");
}

std::string FieldChecker::At(absl::string_view field, int index) {
  return absl::StrCat(field, "[", index, "]");
}

void FieldChecker::Add(std::string field, std::string description) {
  google::rpc::BadRequest::FieldViolation v;
  v.set_field(std::move(field));
  v.set_description(std::move(description));
  violations_.push_back(std::move(v));
}

bool FieldChecker::AddViolationsOf(const absl::Status& status) {
  std::optional<google::rpc::BadRequest> br = rpc::GetBadRequest(status);
  if (!br.has_value()) return false;
  for (const auto& v : br->field_violations()) violations_.push_back(v);
  return true;
}

bool FieldChecker::Names(absl::string_view field) const {
  for (const auto& v : violations_) {
    if (v.field() == field) return true;
  }
  return false;
}

absl::Status FieldChecker::Done() {
  if (violations_.empty()) return absl::OkStatus();
  return InvalidArgumentError(std::move(violations_));
}

void FieldChecker::RequestId(const std::string& id) {
  if (id.size() > kMaxRequestIdLength) {
    Add("request_id", absl::StrCat("`request_id` must be at most ",
                                   kMaxRequestIdLength, " characters"));
    return;
  }
  for (char c : id) {
    if (c < ' ' || c > '~') {
      Add("request_id",
          "`request_id` must hold printable ASCII characters only");
      return;
    }
  }
}

void FieldChecker::Required(const std::string& field,
                            const std::string& value) {
  if (absl::StripAsciiWhitespace(value).empty()) {
    Add(field, absl::StrCat("`", field, "` is required"));
  }
}

void FieldChecker::Url(const std::string& field, const std::string& value) {
  if (value.empty()) return;
  std::string problem = UrlProblem(value);
  if (!problem.empty()) {
    Add(field, absl::StrCat("`", field, "` must be ", problem));
  }
}

void FieldChecker::RequiredUrl(const std::string& field,
                               const std::string& value) {
  if (value.empty()) {
    Add(field, absl::StrCat("`", field, "` is required"));
    return;
  }
  Url(field, value);
}

void FieldChecker::IntRange(const std::string& field, bool has, int64_t v,
                            int64_t lo, int64_t hi) {
  if (has && (v < lo || v > hi)) {
    Add(field, absl::StrCat("`", field, "` must be between ", lo, " and ", hi,
                            " (got ", v, ")"));
  }
}

void FieldChecker::AtLeast(const std::string& field, bool has, int64_t v,
                           int64_t lo) {
  if (has && v < lo) {
    Add(field,
        absl::StrCat("`", field, "` must be at least ", lo, " (got ", v, ")"));
  }
}

void FieldChecker::DoubleRange(const std::string& field, bool has, double v,
                               double lo, double hi) {
  if (!has) return;
  if (!std::isfinite(v) || v < lo || v > hi) {
    Add(field, absl::StrCat("`", field, "` must be between ", FormatNumber(lo),
                            " and ", FormatNumber(hi), " (got ",
                            FormatNumber(v), ")"));
  }
}

void FieldChecker::Positive(const std::string& field, bool has, double v) {
  if (has && !(std::isfinite(v) && v > 0)) {
    Add(field,
        absl::StrCat("`", field, "` must be a positive number of seconds"));
  }
}

void FieldChecker::OneOf(const std::string& field, bool has,
                         const std::string& v, List allowed) {
  if (!has) return;
  if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return;
  Add(field,
      absl::StrCat("`", field, "` must be one of ",
                   absl::StrJoin(allowed, ", "), " (got ", Quote(v), ")"));
}

void FieldChecker::AspectRatio(const std::string& field, bool has,
                               const std::string& v) {
  if (!has) return;
  const size_t colon = v.find(':');
  auto digits = [](absl::string_view s) {
    return !s.empty() && s.size() <= 5 &&
           std::all_of(s.begin(), s.end(),
                       [](char c) { return absl::ascii_isdigit(c); });
  };
  if (colon == std::string::npos ||
      !digits(absl::string_view(v).substr(0, colon)) ||
      !digits(absl::string_view(v).substr(colon + 1))) {
    Add(field, absl::StrCat("`", field,
                            "` must be `W:H` in whole numbers, e.g. `16:9` "
                            "(got ",
                            Quote(v), ")"));
  }
}

void FieldChecker::DecimalString(const std::string& field, bool has,
                                 const std::string& v, double lo, double hi) {
  if (!has) return;
  double d;
  if (!absl::SimpleAtod(v, &d) || !std::isfinite(d) || d < lo || d > hi ||
      absl::StripAsciiWhitespace(v) != v) {
    Add(field, absl::StrCat("`", field, "` must be a decimal between ",
                            FormatNumber(lo), " and ", FormatNumber(hi),
                            " (got ", Quote(v), ")"));
  }
}

void FieldChecker::PlainText(const std::string& field, bool has,
                             const std::string& v, size_t max_len,
                             absl::string_view also_forbidden) {
  if (!has) return;
  if (v.size() > max_len) {
    Add(field,
        absl::StrCat("`", field, "` must be at most ", max_len, " characters"));
    return;
  }
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7F ||
        also_forbidden.find(static_cast<char>(c)) != absl::string_view::npos) {
      Add(field,
          absl::StrCat("`", field, "` must not contain control characters",
                       also_forbidden.empty()
                           ? ""
                           : absl::StrCat(" or any of ", also_forbidden)));
      return;
    }
  }
}

void FieldChecker::PathSegment(const std::string& field, const std::string& v) {
  if (IsDotSegment(v)) {
    Add(field, absl::StrCat("`", field, "` must not be `.` or `..`"));
    return;
  }
  PlainText(field, true, v, kMaxResourceIdLength, " /");
}

void FieldChecker::Name(const std::string& name, ResourceKind kind) {
  absl::StatusOr<std::string> id = ParseResourceId(name, kind);
  if (!id.ok()) Merge(id.status());
}

void FieldChecker::AnyName(const std::string& name) {
  absl::StatusOr<ResourceName> n = ParseResourceName(name);
  if (!n.ok()) Merge(n.status());
}

void FieldChecker::MaxCount(const std::string& field, int count, int max) {
  if (count > max) {
    Add(field, absl::StrCat("`", field, "` may hold at most ", max,
                            " entries (got ", count, ")"));
  }
}

void FieldChecker::Merge(const absl::Status& status) {
  AddViolationsOf(status);
}

}  // namespace mediagen::upstream
