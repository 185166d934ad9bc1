// Reply: one Redis reply as an owned, copyable value. The client converts
// hiredis's reply into this before hiredis frees its own, so a Reply can be
// kept, moved to another thread or compared in a test.
//
//   client.Command({"HGETALL", key}, [](absl::StatusOr<Reply> r) {
//     if (!r.ok()) return;               // not connected, timeout, stopping
//     if (r->is_error()) return;         // Redis said "-ERR ...": r->str()
//     for (const Reply& e : r->elements()) Use(e.str());
//   });
//
// Types are those of RESP2 (what hiredis 0.14 speaks): nil, integer, bulk
// string (binary safe), status ("+OK"), error ("-ERR ...") and array (of any
// of these, nested). A nil array ("*-1") is nil. hiredis 0.14 parses arrays
// nested at most 7 deep: a deeper reply (only a Lua script can produce one)
// is a protocol error that drops the connection.
#ifndef MEDIAGEN_SERVICE_REDIS_REPLY_H_
#define MEDIAGEN_SERVICE_REDIS_REPLY_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace mediagen::redis {

class Reply {
 public:
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };

  // Nil.
  Reply() = default;

  static Reply Nil() { return Reply(); }
  static Reply Integer(int64_t value);
  static Reply String(std::string value);
  static Reply Status(std::string value);
  static Reply Error(std::string message);
  static Reply Array(std::vector<Reply> elements);

  Type type() const { return type_; }
  bool is_nil() const { return type_ == Type::kNil; }
  bool is_integer() const { return type_ == Type::kInteger; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_status() const { return type_ == Type::kStatus; }
  bool is_error() const { return type_ == Type::kError; }
  bool is_array() const { return type_ == Type::kArray; }

  // The integer of an integer reply; 0 for other types.
  int64_t integer() const { return integer_; }
  // The bytes of a string, status or error reply; empty for other types.
  const std::string& str() const { return str_; }
  // The elements of an array reply; empty for other types.
  const std::vector<Reply>& elements() const { return elements_; }
  std::vector<Reply>& mutable_elements() { return elements_; }

  // For logs and test failures, e.g. `["message", "ch", "hi"]`, `(nil)`,
  // `(integer) 3`, `(error) ERR ...`. Strings are C-escaped and long ones
  // shortened, so binary payloads print safely.
  std::string DebugString() const;

  friend bool operator==(const Reply& a, const Reply& b);
  friend bool operator!=(const Reply& a, const Reply& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& os, const Reply& r) {
    return os << r.DebugString();
  }

 private:
  Type type_ = Type::kNil;
  int64_t integer_ = 0;
  std::string str_;
  std::vector<Reply> elements_;
};

absl::string_view ReplyTypeName(Reply::Type type);

}  // namespace mediagen::redis

#endif  // MEDIAGEN_SERVICE_REDIS_REPLY_H_
