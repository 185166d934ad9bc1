#include "service/upstream/providers/json_codec.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace mediagen::upstream {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;

constexpr int kMaxDepth = 32;

// Beyond 2^53 a double no longer holds every integer, so it stays a double.
constexpr double kMaxExactInteger = 9007199254740992.0;

Json EncodeDouble(double v) {
  if (std::isfinite(v) && std::trunc(v) == v &&
      std::fabs(v) < kMaxExactInteger) {
    return Json(static_cast<int64_t>(v));
  }
  return Json(v);
}

Json EncodeScalar(const Message& m, const Reflection& r,
                  const FieldDescriptor* f, int index) {
  const bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return Json(rep ? r.GetRepeatedInt32(m, f, index) : r.GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return Json(rep ? r.GetRepeatedInt64(m, f, index) : r.GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return Json(rep ? r.GetRepeatedUInt32(m, f, index) : r.GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return Json(rep ? r.GetRepeatedUInt64(m, f, index) : r.GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return EncodeDouble(rep ? r.GetRepeatedDouble(m, f, index)
                              : r.GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return EncodeDouble(rep ? r.GetRepeatedFloat(m, f, index)
                              : r.GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return Json(rep ? r.GetRepeatedBool(m, f, index) : r.GetBool(m, f));
    case FieldDescriptor::CPPTYPE_ENUM:
      return Json(rep ? r.GetRepeatedEnum(m, f, index)->name()
                      : r.GetEnum(m, f)->name());
    case FieldDescriptor::CPPTYPE_STRING:
      return Json(rep ? r.GetRepeatedString(m, f, index) : r.GetString(m, f));
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return EncodeMessage(rep ? r.GetRepeatedMessage(m, f, index)
                               : r.GetMessage(m, f));
  }
  return Json();
}

std::optional<absl::Time> TryFormats(const std::string& text) {
  static constexpr const char* kFormats[] = {
      "%Y-%m-%dT%H:%M:%E*S%Ez",
      "%Y-%m-%dT%H:%M:%E*S%z",
      "%Y-%m-%dT%H:%M:%E*SZ",
      "%Y-%m-%dT%H:%M:%E*S",
  };
  for (const char* format : kFormats) {
    absl::Time t;
    std::string err;
    if (absl::ParseTime(format, text, &t, &err)) return t;
  }
  return std::nullopt;
}

// A copy of `json` with everything nested deeper than kMaxDepth replaced by
// null.
Json Truncated(const Json& json, int depth) {
  if (depth > kMaxDepth) return Json(nullptr);
  if (json.is_object()) {
    Json out = Json::object();
    for (auto it = json.begin(); it != json.end(); ++it) {
      out[it.key()] = Truncated(it.value(), depth + 1);
    }
    return out;
  }
  if (json.is_array()) {
    Json out = Json::array();
    for (const Json& item : json) out.push_back(Truncated(item, depth + 1));
    return out;
  }
  return json;
}

// Fills a google.protobuf.Struct or Value. Through protobuf's own JSON
// parser rather than the map API: Struct holds a map field, and Debian's
// libprotobuf is built without TSan while MapFieldBase changes layout under
// TSan (map_field.h), so map code inlined into a TSan build of ours would
// read the library's Struct wrongly. Keeping map access inside libprotobuf
// avoids that in every build.
bool FillWellKnown(const Json& json, google::protobuf::Message* out,
                   int depth) {
  return google::protobuf::util::JsonStringToMessage(
             Serialize(Truncated(json, depth)), out)
      .ok();
}

template <typename T>
std::optional<T> InRange(std::optional<int64_t> v) {
  if (!v.has_value()) return std::nullopt;
  if (*v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
      (*v > 0 && static_cast<uint64_t>(*v) >
                     static_cast<uint64_t>(std::numeric_limits<T>::max()))) {
    return std::nullopt;
  }
  return static_cast<T>(*v);
}

void DecodeObject(const Json& object, Message* message, int depth);

// A JSON value a message field accepts: an object, or a string holding one
// (upstream sometimes JSON-encodes nested values as strings).
std::optional<Json> AsObjectLike(const Json& value, bool want_array) {
  if (want_array ? value.is_array() : value.is_object()) return value;
  if (value.is_string()) {
    std::optional<Json> inner = ParseAny(value.get_ref<const std::string&>());
    if (inner && (want_array ? inner->is_array() : inner->is_object())) {
      return inner;
    }
  }
  return std::nullopt;
}

// Sets a singular message-typed field. Returns false if nothing fit.
void DecodeMessageField(const Json& value, Message* message,
                        const FieldDescriptor* f, int depth) {
  const Reflection* r = message->GetReflection();
  const std::string& type = f->message_type()->full_name();
  if (type == "google.protobuf.Timestamp") {
    if (!value.is_string()) return;
    std::optional<absl::Time> t =
        ParseTimestamp(value.get_ref<const std::string&>());
    google::protobuf::Timestamp ts;
    if (t && ToTimestamp(*t, &ts)) r->MutableMessage(message, f)->CopyFrom(ts);
    return;
  }
  if (type == "google.protobuf.Struct") {
    google::protobuf::Struct s;
    if (value.is_object() && FillWellKnown(value, &s, depth + 1)) {
      r->MutableMessage(message, f)->CopyFrom(s);
    }
    return;
  }
  if (type == "google.protobuf.Value") {
    google::protobuf::Value v;
    if (FillWellKnown(value, &v, depth + 1)) {
      r->MutableMessage(message, f)->CopyFrom(v);
    }
    return;
  }
  std::optional<Json> obj = AsObjectLike(value, /*want_array=*/false);
  if (obj) DecodeObject(*obj, r->MutableMessage(message, f), depth + 1);
}

void DecodeSingular(const Json& value, Message* message,
                    const FieldDescriptor* f, int depth) {
  const Reflection* r = message->GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (f->type() == FieldDescriptor::TYPE_BYTES) return;
      if (auto v = AsString(value)) r->SetString(message, f, *std::move(v));
      return;
    case FieldDescriptor::CPPTYPE_INT32:
      if (auto v = InRange<int32_t>(AsInt(value))) r->SetInt32(message, f, *v);
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      if (auto v = AsInt(value)) r->SetInt64(message, f, *v);
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      if (auto v = InRange<uint32_t>(AsInt(value)))
        r->SetUInt32(message, f, *v);
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      if (auto v = AsInt(value); v && *v >= 0) r->SetUInt64(message, f, *v);
      return;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      if (auto v = AsDouble(value)) r->SetDouble(message, f, *v);
      return;
    case FieldDescriptor::CPPTYPE_FLOAT:
      if (auto v = AsDouble(value)) {
        r->SetFloat(message, f, static_cast<float>(*v));
      }
      return;
    case FieldDescriptor::CPPTYPE_BOOL:
      if (auto v = AsBool(value)) r->SetBool(message, f, *v);
      return;
    case FieldDescriptor::CPPTYPE_ENUM:
      return;  // derived by the caller (e.g. JobState from a status string)
    case FieldDescriptor::CPPTYPE_MESSAGE:
      DecodeMessageField(value, message, f, depth);
      return;
  }
}

void DecodeRepeatedElement(const Json& value, Message* message,
                           const FieldDescriptor* f, int depth) {
  const Reflection* r = message->GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (f->type() == FieldDescriptor::TYPE_BYTES) return;
      if (auto v = AsString(value)) r->AddString(message, f, *std::move(v));
      return;
    case FieldDescriptor::CPPTYPE_INT32:
      if (auto v = InRange<int32_t>(AsInt(value))) r->AddInt32(message, f, *v);
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      if (auto v = AsInt(value)) r->AddInt64(message, f, *v);
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      if (auto v = InRange<uint32_t>(AsInt(value)))
        r->AddUInt32(message, f, *v);
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      if (auto v = AsInt(value); v && *v >= 0) r->AddUInt64(message, f, *v);
      return;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      if (auto v = AsDouble(value)) r->AddDouble(message, f, *v);
      return;
    case FieldDescriptor::CPPTYPE_FLOAT:
      if (auto v = AsDouble(value)) {
        r->AddFloat(message, f, static_cast<float>(*v));
      }
      return;
    case FieldDescriptor::CPPTYPE_BOOL:
      if (auto v = AsBool(value)) r->AddBool(message, f, *v);
      return;
    case FieldDescriptor::CPPTYPE_ENUM:
      return;
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (f->message_type()->full_name() == "google.protobuf.Value") {
        google::protobuf::Value v;
        if (FillWellKnown(value, &v, depth + 1)) {
          r->AddMessage(message, f)->CopyFrom(v);
        }
        return;
      }
      if (value.is_object())
        DecodeObject(value, r->AddMessage(message, f), depth + 1);
      return;
    }
  }
}

void DecodeRepeated(const Json& value, Message* message,
                    const FieldDescriptor* f, int depth) {
  if (value.is_array()) {
    for (const Json& item : value) {
      if (!item.is_null()) DecodeRepeatedElement(item, message, f, depth);
    }
    return;
  }
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    std::optional<Json> array = AsObjectLike(value, /*want_array=*/true);
    if (array) DecodeRepeated(*array, message, f, depth);
    return;
  }
  if (value.is_primitive()) DecodeRepeatedElement(value, message, f, depth);
}

void DecodeObject(const Json& object, Message* message, int depth) {
  if (!object.is_object() || depth > kMaxDepth) return;
  const Descriptor* d = message->GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    auto it = object.find(f->name());
    if (it == object.end() || it->is_null()) continue;
    if (f->is_repeated()) {
      DecodeRepeated(*it, message, f, depth);
    } else {
      DecodeSingular(*it, message, f, depth);
    }
  }
}

}  // namespace

Json EncodeMessage(const Message& message,
                   const std::vector<std::string>& skip) {
  Json out = Json::object();
  const Descriptor* d = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (std::find(skip.begin(), skip.end(), f->name()) != skip.end()) continue;
    if (f->type() == FieldDescriptor::TYPE_BYTES) continue;
    if (f->is_repeated()) {
      const int n = r->FieldSize(message, f);
      if (n == 0) continue;
      Json array = Json::array();
      for (int j = 0; j < n; ++j)
        array.push_back(EncodeScalar(message, *r, f, j));
      out[f->name()] = std::move(array);
      continue;
    }
    if (!r->HasField(message, f)) continue;
    Json value = EncodeScalar(message, *r, f, -1);
    if (value.is_object() && value.empty()) continue;
    out[f->name()] = std::move(value);
  }
  return out;
}

std::string FormatNumber(double value) { return EncodeDouble(value).dump(); }

std::string Serialize(const Json& json) {
  return json.dump(-1, ' ', /*ensure_ascii=*/false,
                   Json::error_handler_t::replace);
}

std::optional<Json> ParseAny(absl::string_view body) {
  Json parsed = Json::parse(body.begin(), body.end(), /*cb=*/nullptr,
                            /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::optional<Json> ParseObject(absl::string_view body) {
  std::optional<Json> parsed = ParseAny(body);
  if (!parsed || !parsed->is_object()) return std::nullopt;
  Json json = *std::move(parsed);
  // An object that has its own `id` merely holds a field named `data`.
  for (int i = 0; i < 4 && json.is_object() && !json.contains("id"); ++i) {
    auto it = json.find("data");
    if (it == json.end() || !it->is_object()) break;
    Json inner = std::move(*it);
    json = std::move(inner);
  }
  return json;
}

const Json* Find(const Json& obj, absl::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> AsString(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return value.get<std::string>();
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return value.dump();
    case Json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    default:
      return std::nullopt;
  }
}

std::optional<int64_t> AsInt(const Json& value) {
  auto from_double = [](double d) -> std::optional<int64_t> {
    // 2^63 is exactly representable; anything at or above it overflows.
    if (!std::isfinite(d) || d >= 9223372036854775808.0 ||
        d < -9223372036854775808.0) {
      return std::nullopt;
    }
    return static_cast<int64_t>(std::trunc(d));
  };
  switch (value.type()) {
    case Json::value_t::number_integer:
      return value.get<int64_t>();
    case Json::value_t::number_unsigned: {
      const uint64_t u = value.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return std::nullopt;
      }
      return static_cast<int64_t>(u);
    }
    case Json::value_t::number_float:
      return from_double(value.get<double>());
    case Json::value_t::string: {
      absl::string_view s =
          absl::StripAsciiWhitespace(value.get_ref<const std::string&>());
      int64_t i;
      if (absl::SimpleAtoi(s, &i)) return i;
      double d;
      if (absl::SimpleAtod(s, &d)) return from_double(d);
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::optional<double> AsDouble(const Json& value) {
  if (value.is_number()) {
    const double d = value.get<double>();
    if (std::isfinite(d)) return d;
    return std::nullopt;
  }
  if (value.is_string()) {
    double d;
    if (absl::SimpleAtod(
            absl::StripAsciiWhitespace(value.get_ref<const std::string&>()),
            &d) &&
        std::isfinite(d)) {
      return d;
    }
  }
  return std::nullopt;
}

std::optional<bool> AsBool(const Json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_integer() || value.is_number_unsigned()) {
    const int64_t i = value.is_number_unsigned()
                          ? static_cast<int64_t>(value.get<uint64_t>() != 0)
                          : value.get<int64_t>();
    if (i == 0) return false;
    if (i == 1) return true;
    return std::nullopt;
  }
  if (value.is_string()) {
    const std::string s = absl::AsciiStrToLower(
        absl::StripAsciiWhitespace(value.get_ref<const std::string&>()));
    if (s == "true" || s == "1") return true;
    if (s == "false" || s == "0") return false;
  }
  return std::nullopt;
}

std::optional<absl::Time> ParseTimestamp(absl::string_view text) {
  std::string s(absl::StripAsciiWhitespace(text));
  // Python's str(datetime) separates date and time with a space.
  if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
  return TryFormats(s);
}

bool ToTimestamp(absl::Time time, google::protobuf::Timestamp* out) {
  // Timestamp's documented range: 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z.
  constexpr int64_t kMinSeconds = -62135596800;
  constexpr int64_t kMaxSeconds = 253402300799;
  if (time < absl::FromUnixSeconds(kMinSeconds) ||
      time > absl::FromUnixSeconds(kMaxSeconds + 1)) {
    return false;
  }
  const int64_t seconds = absl::ToUnixSeconds(time);
  if (seconds > kMaxSeconds) return false;
  const int64_t nanos =
      absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds));
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(nanos));
  return true;
}

bool ToValue(const Json& json, google::protobuf::Value* out) {
  return FillWellKnown(json, out, 0);
}

bool ToStruct(const Json& json, google::protobuf::Struct* out) {
  if (!json.is_object()) return false;
  return FillWellKnown(json, out, 0);
}

void DecodeInto(const Json& object, Message* message) {
  DecodeObject(object, message, 0);
}

}  // namespace mediagen::upstream
