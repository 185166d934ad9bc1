#include "tests/emulator/json_schema.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;

Field Make(std::string name, Field::Type type) {
  Field f;
  f.name = std::move(name);
  f.type = type;
  return f;
}

json Append(const json& loc, const json& part) {
  json out = loc;
  out.push_back(part);
  return out;
}

std::string QuoteList(const std::vector<std::string>& values) {
  // pydantic: "Input should be 'a', 'b' or 'c'".
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += (i + 1 == values.size()) ? " or " : ", ";
    out += "'" + values[i] + "'";
  }
  return out;
}

// Lax-mode coercions; return nullopt when the value cannot be coerced.
std::optional<json> CoerceInteger(const json& v, bool strict) {
  if (v.is_number_integer()) return v;
  if (strict) return std::nullopt;
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && std::floor(d) == d)
      return json(static_cast<int64_t>(d));
    return std::nullopt;
  }
  if (v.is_string()) {
    int64_t i;
    if (absl::SimpleAtoi(v.get<std::string>(), &i)) return json(i);
  }
  if (v.is_boolean()) return std::nullopt;
  return std::nullopt;
}

std::optional<json> CoerceNumber(const json& v, bool strict) {
  if (v.is_number()) return v;
  if (strict) return std::nullopt;
  if (v.is_string()) {
    double d;
    if (absl::SimpleAtod(v.get<std::string>(), &d) && std::isfinite(d))
      return json(d);
  }
  return std::nullopt;
}

std::optional<json> CoerceBoolean(const json& v, bool strict) {
  if (v.is_boolean()) return v;
  if (strict) return std::nullopt;
  if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (i == 0 || i == 1) return json(i == 1);
  }
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "true" || s == "1" || s == "yes" || s == "on") return json(true);
    if (s == "false" || s == "0" || s == "no" || s == "off") return json(false);
  }
  return std::nullopt;
}

void CheckRange(const Field& f, double value, const json& loc, json* errors) {
  if (f.min && value < *f.min) {
    errors->push_back(ValidationErrorEntry(
        loc, "Input should be greater than or equal to " + FormatNumber(*f.min),
        "greater_than_equal"));
  } else if (f.max && value > *f.max) {
    errors->push_back(ValidationErrorEntry(
        loc, "Input should be less than or equal to " + FormatNumber(*f.max),
        "less_than_equal"));
  }
}

void CheckString(const Field& f, const std::string& s, const json& loc,
                 json* errors) {
  if (!f.allowed.empty() &&
      std::find(f.allowed.begin(), f.allowed.end(), s) == f.allowed.end()) {
    errors->push_back(ValidationErrorEntry(
        loc, "Input should be " + QuoteList(f.allowed), "enum"));
    return;
  }
  if (f.matches && !f.matches(s)) {
    errors->push_back(ValidationErrorEntry(
        loc, "String should match pattern '" + f.pattern + "'",
        "string_pattern_mismatch"));
  }
}

void CheckItems(const Field& f, size_t n, const json& loc, json* errors) {
  if (f.min_items && n < *f.min_items) {
    errors->push_back(ValidationErrorEntry(
        loc,
        absl::StrCat("List should have at least ", *f.min_items, " item",
                     *f.min_items == 1 ? "" : "s", " after validation, not ",
                     n),
        "too_short"));
  } else if (f.max_items && n > *f.max_items) {
    errors->push_back(ValidationErrorEntry(
        loc,
        absl::StrCat("List should have at most ", *f.max_items, " item",
                     *f.max_items == 1 ? "" : "s", " after validation, not ",
                     n),
        "too_long"));
  }
}

void ValidateValue(const Field& f, const json& v, bool strict, const json& loc,
                   json* errors) {
  if (v.is_null()) {
    if (f.nullable || f.type == Field::Type::kAny) return;
    // pydantic reports a null for a non-optional field as a type error.
  }
  switch (f.type) {
    case Field::Type::kAny:
      return;
    case Field::Type::kString:
      if (!v.is_string()) {
        errors->push_back(ValidationErrorEntry(
            loc, "Input should be a valid string", "string_type"));
        return;
      }
      CheckString(f, v.get<std::string>(), loc, errors);
      return;
    case Field::Type::kInteger: {
      std::optional<json> i = CoerceInteger(v, strict);
      if (!i) {
        if (v.is_number_float()) {
          errors->push_back(ValidationErrorEntry(
              loc,
              "Input should be a valid integer, got a number with a fractional "
              "part",
              "int_from_float"));
        } else {
          errors->push_back(ValidationErrorEntry(
              loc, "Input should be a valid integer", "int_type"));
        }
        return;
      }
      CheckRange(f, i->get<double>(), loc, errors);
      return;
    }
    case Field::Type::kNumber: {
      std::optional<json> d = CoerceNumber(v, strict);
      if (!d) {
        errors->push_back(ValidationErrorEntry(
            loc, "Input should be a valid number", "float_type"));
        return;
      }
      CheckRange(f, d->get<double>(), loc, errors);
      return;
    }
    case Field::Type::kBoolean:
      if (!CoerceBoolean(v, strict)) {
        errors->push_back(ValidationErrorEntry(
            loc, "Input should be a valid boolean", "bool_type"));
      }
      return;
    case Field::Type::kObject:
      if (!v.is_object()) {
        errors->push_back(ValidationErrorEntry(
            loc,
            "Input should be a valid dictionary or object to extract fields "
            "from",
            "model_attributes_type"));
        return;
      }
      if (f.fields) {
        json nested = Validate(*f.fields, v, strict, loc);
        for (auto& e : nested) errors->push_back(std::move(e));
      }
      return;
    case Field::Type::kStringArray:
    case Field::Type::kObjectArray: {
      if (!v.is_array()) {
        errors->push_back(ValidationErrorEntry(
            loc, "Input should be a valid list", "list_type"));
        return;
      }
      for (size_t i = 0; i < v.size(); ++i) {
        const json item_loc = Append(loc, static_cast<int64_t>(i));
        if (f.type == Field::Type::kStringArray) {
          if (!v[i].is_string()) {
            errors->push_back(ValidationErrorEntry(
                item_loc, "Input should be a valid string", "string_type"));
          }
        } else if (!v[i].is_object()) {
          errors->push_back(ValidationErrorEntry(
              item_loc,
              "Input should be a valid dictionary or object to extract fields "
              "from",
              "model_attributes_type"));
        } else if (f.fields) {
          json nested = Validate(*f.fields, v[i], strict, item_loc);
          for (auto& e : nested) errors->push_back(std::move(e));
        }
      }
      CheckItems(f, v.size(), loc, errors);
      return;
    }
  }
}

json CoercedValue(const Field& f, const json& v) {
  if (v.is_null()) return v;
  switch (f.type) {
    case Field::Type::kInteger:
      if (auto i = CoerceInteger(v, false)) return *i;
      return v;
    case Field::Type::kNumber:
      if (auto d = CoerceNumber(v, false)) return *d;
      return v;
    case Field::Type::kBoolean:
      if (auto b = CoerceBoolean(v, false)) return *b;
      return v;
    case Field::Type::kObject:
      if (f.fields && v.is_object()) return WithDefaults(*f.fields, v);
      return v;
    case Field::Type::kObjectArray:
      if (f.fields && v.is_array()) {
        json out = json::array();
        for (const auto& item : v) {
          out.push_back(item.is_object() ? WithDefaults(*f.fields, item)
                                         : item);
        }
        return out;
      }
      return v;
    default:
      return v;
  }
}

}  // namespace

Field Str(std::string name) {
  return Make(std::move(name), Field::Type::kString);
}
Field Int(std::string name) {
  return Make(std::move(name), Field::Type::kInteger);
}
Field Num(std::string name) {
  return Make(std::move(name), Field::Type::kNumber);
}
Field Bool(std::string name) {
  return Make(std::move(name), Field::Type::kBoolean);
}
Field Any(std::string name) { return Make(std::move(name), Field::Type::kAny); }
Field StrList(std::string name) {
  return Make(std::move(name), Field::Type::kStringArray);
}
Field Obj(std::string name, Schema fields) {
  Field f = Make(std::move(name), Field::Type::kObject);
  f.fields = std::make_shared<const Schema>(std::move(fields));
  return f;
}
Field ObjList(std::string name, Schema fields) {
  Field f = Make(std::move(name), Field::Type::kObjectArray);
  f.fields = std::make_shared<const Schema>(std::move(fields));
  return f;
}

json ValidationErrorEntry(json loc, std::string msg, std::string type) {
  return json{{"loc", std::move(loc)},
              {"msg", std::move(msg)},
              {"type", std::move(type)}};
}

bool IsRatio(const std::string& s) {
  const size_t colon = s.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i != colon && (s[i] < '0' || s[i] > '9')) return false;
  }
  return true;
}

std::string FormatNumber(double v) {
  if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 1e18) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return absl::StrFormat("%g", v);
}

json Validate(const Schema& schema, const json& body, bool strict,
              const json& loc) {
  json errors = json::array();
  if (!body.is_object()) {
    errors.push_back(ValidationErrorEntry(
        loc,
        "Input should be a valid dictionary or object to extract fields from",
        "model_attributes_type"));
    return errors;
  }
  for (const Field& f : schema) {
    auto it = body.find(f.name);
    const json field_loc = Append(loc, f.name);
    if (it == body.end()) {
      if (f.required) {
        errors.push_back(
            ValidationErrorEntry(field_loc, "Field required", "missing"));
      }
      continue;
    }
    ValidateValue(f, *it, strict, field_loc, &errors);
  }
  if (strict) {
    for (auto it = body.begin(); it != body.end(); ++it) {
      bool known = false;
      for (const Field& f : schema) known = known || f.name == it.key();
      if (!known) {
        errors.push_back(ValidationErrorEntry(Append(loc, it.key()),
                                              "Extra inputs are not permitted",
                                              "extra_forbidden"));
      }
    }
  }
  return errors;
}

json WithDefaults(const Schema& schema, const json& body) {
  json out = body.is_object() ? body : json::object();
  for (const Field& f : schema) {
    auto it = out.find(f.name);
    if (it == out.end()) {
      if (!f.default_value.is_null()) out[f.name] = f.default_value;
      continue;
    }
    *it = CoercedValue(f, *it);
  }
  return out;
}

}  // namespace mediagen::emulator
