// A small request-body validator that answers like FastAPI/pydantic v2:
// every problem becomes one `{"loc", "msg", "type"}` entry, so the emulator's
// 422 bodies have the shape the providers document.
//
//   const Schema schema = {
//       Str("prompt").Required(),
//       Int("quantity").Range(1, 4).Default(1),
//       Str("aspect_ratio").Pattern(kRatioPattern, IsRatio).Default("16:9"),
//   };
//   nlohmann::json errors = Validate(schema, body, /*strict=*/true);
//   if (!errors.empty()) { /* 422 {"detail": errors} */ }
//   nlohmann::json args = WithDefaults(schema, body);
//
// Strict mode rejects unknown fields and any JSON type other than the
// field's (no "5" for an integer, no 5.0 either). Lax mode ignores unknown
// fields and coerces the way pydantic's lax mode does (numeric strings to
// numbers, integral floats to integers, "true"/"false" to booleans). Ranges,
// allowed values, patterns and required fields apply in both modes.
#ifndef MEDIAGEN_TESTS_EMULATOR_JSON_SCHEMA_H_
#define MEDIAGEN_TESTS_EMULATOR_JSON_SCHEMA_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"

namespace mediagen::emulator {

struct Field;
using Schema = std::vector<Field>;

struct Field {
  enum class Type {
    kString,
    kInteger,
    kNumber,
    kBoolean,
    kObject,  // nested schema in `fields`
    kStringArray,
    kObjectArray,  // items follow `fields`
    kAny,          // anything, including null
  };

  std::string name;
  Type type = Type::kString;
  bool required = false;
  bool nullable = false;
  std::optional<double> min;
  std::optional<double> max;
  std::vector<std::string> allowed;  // strings only; empty = any
  // Strings only: `matches` decides, `pattern` is the regex it implements,
  // quoted in the error message as pydantic would.
  std::string pattern;
  std::function<bool(const std::string&)> matches;
  std::optional<size_t> min_items;
  std::optional<size_t> max_items;
  std::shared_ptr<const Schema> fields;
  nlohmann::json default_value;  // null: no default

  Field& Required() {
    required = true;
    return *this;
  }
  Field& Nullable() {
    nullable = true;
    return *this;
  }
  Field& Range(double lo, double hi) {
    min = lo;
    max = hi;
    return *this;
  }
  Field& Min(double lo) {
    min = lo;
    return *this;
  }
  Field& Enum(std::vector<std::string> values) {
    allowed = std::move(values);
    return *this;
  }
  Field& Pattern(std::string re,
                 std::function<bool(const std::string&)> match) {
    pattern = std::move(re);
    matches = std::move(match);
    return *this;
  }
  Field& Items(size_t lo, size_t hi) {
    min_items = lo;
    max_items = hi;
    return *this;
  }
  Field& MinItems(size_t lo) {
    min_items = lo;
    return *this;
  }
  Field& MaxItems(size_t hi) {
    max_items = hi;
    return *this;
  }
  Field& Default(nlohmann::json v) {
    default_value = std::move(v);
    return *this;
  }
};

Field Str(std::string name);
Field Int(std::string name);
Field Num(std::string name);
Field Bool(std::string name);
Field Any(std::string name);
Field StrList(std::string name);
Field Obj(std::string name, Schema fields);
Field ObjList(std::string name, Schema fields);

// FastAPI-style error entry.
nlohmann::json ValidationErrorEntry(nlohmann::json loc, std::string msg,
                                    std::string type);

// Validates `body` (expected to be an object) against `schema`. Returns a
// JSON array of error entries, empty when valid. `loc` prefixes every
// entry's location (FastAPI uses ["body"] for request bodies).
nlohmann::json Validate(
    const Schema& schema, const nlohmann::json& body, bool strict,
    const nlohmann::json& loc = nlohmann::json::array({"body"}));

// `body` with lax-mode coercions applied and every absent field that has a
// default filled in (top level and nested objects). Call after Validate().
nlohmann::json WithDefaults(const Schema& schema, const nlohmann::json& body);

// The docs' aspect-ratio pattern and a matcher for it (std::regex is
// avoided: GCC 12 warns inside <regex> under the sanitizer builds).
inline constexpr char kRatioPattern[] = R"(^(\d+):(\d+)$)";
bool IsRatio(const std::string& s);

// Formats a number the way pydantic prints limits: 1, 0.5, 4294967295.
std::string FormatNumber(double v);

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_JSON_SCHEMA_H_
