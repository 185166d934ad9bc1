#include "service/redis/reply.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mediagen::redis {
namespace {

// Long values (payloads, scripts) are cut so one reply cannot flood a log.
constexpr size_t kMaxShownBytes = 200;

std::string Quoted(const std::string& s) {
  if (s.size() <= kMaxShownBytes) {
    return absl::StrCat("\"", absl::CEscape(s), "\"");
  }
  return absl::StrCat("\"", absl::CEscape(s.substr(0, kMaxShownBytes)),
                      "\"... (", s.size(), " bytes)");
}

}  // namespace

Reply Reply::Integer(int64_t value) {
  Reply r;
  r.type_ = Type::kInteger;
  r.integer_ = value;
  return r;
}

Reply Reply::String(std::string value) {
  Reply r;
  r.type_ = Type::kString;
  r.str_ = std::move(value);
  return r;
}

Reply Reply::Status(std::string value) {
  Reply r;
  r.type_ = Type::kStatus;
  r.str_ = std::move(value);
  return r;
}

Reply Reply::Error(std::string message) {
  Reply r;
  r.type_ = Type::kError;
  r.str_ = std::move(message);
  return r;
}

Reply Reply::Array(std::vector<Reply> elements) {
  Reply r;
  r.type_ = Type::kArray;
  r.elements_ = std::move(elements);
  return r;
}

std::string Reply::DebugString() const {
  switch (type_) {
    case Type::kNil:
      return "(nil)";
    case Type::kInteger:
      return absl::StrCat("(integer) ", integer_);
    case Type::kString:
      return Quoted(str_);
    case Type::kStatus:
      return absl::StrCat("(status) ", absl::CEscape(str_));
    case Type::kError:
      return absl::StrCat("(error) ", absl::CEscape(str_));
    case Type::kArray:
      return absl::StrCat("[",
                          absl::StrJoin(elements_, ", ",
                                        [](std::string* out, const Reply& e) {
                                          out->append(e.DebugString());
                                        }),
                          "]");
  }
  return "(unknown)";
}

bool operator==(const Reply& a, const Reply& b) {
  return a.type_ == b.type_ && a.integer_ == b.integer_ && a.str_ == b.str_ &&
         a.elements_ == b.elements_;
}

absl::string_view ReplyTypeName(Reply::Type type) {
  switch (type) {
    case Reply::Type::kNil:
      return "nil";
    case Reply::Type::kInteger:
      return "integer";
    case Reply::Type::kString:
      return "string";
    case Reply::Type::kStatus:
      return "status";
    case Reply::Type::kError:
      return "error";
    case Reply::Type::kArray:
      return "array";
  }
  return "unknown";
}

}  // namespace mediagen::redis
