// Proto <-> upstream JSON, in both directions, by reflection. The API's
// field names are the upstream JSON names, so one encoder and one tolerant
// decoder serve every route; translators add only their per-route
// exceptions (path and query fields, renamed keys).
//
//   Json body = EncodeMessage(request, /*skip=*/{"request_id"});
//   std::string wire = Serialize(body);
//
//   std::optional<Json> obj = ParseObject(response.body);  // unwraps `data`
//   if (!obj) return absl::InternalError("not a JSON object");
//   v1::Media media;
//   DecodeInto(*obj, &media);   // unknown keys ignored, nulls unset, "5" -> 5
#ifndef MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_JSON_CODEC_H_
#define MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_JSON_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "nlohmann/json.hpp"

namespace mediagen::upstream {

using Json = nlohmann::json;

// ---- Encoding (requests) ----

// A JSON object with one key per field of `message` that is set, named as
// the field: fields with explicit presence (proto3 `optional`, messages)
// only when present, implicit-presence scalars only when not the default,
// repeated fields only when non-empty, sub-messages only when they encode to
// a non-empty object. Integers are JSON integers; a double with an integral
// value is written as an integer (30, not 30.0) since the upstream examples
// write them so; bytes fields are never encoded. Fields named in `skip`
// (top level only) are left out.
Json EncodeMessage(const google::protobuf::Message& message,
                   const std::vector<std::string>& skip = {});

// A number as the encoder writes it: "12" for 12.0, "0.3" for 0.3 (the
// shortest text that reads back as the same double). For query parameters.
std::string FormatNumber(double value);

// Compact JSON text. Invalid UTF-8 in strings is replaced (U+FFFD) rather
// than throwing.
std::string Serialize(const Json& json);

// ---- Decoding (responses) ----

// Parses `body` as a JSON object and unwraps a `{"data": {...}}` envelope
// (repeatedly: v1 examples show `{"data": {"data": {...}}}`). nullopt when
// the body is not JSON or not an object. Never throws.
std::optional<Json> ParseObject(absl::string_view body);

// Parses any JSON value; nullopt on malformed input. Never throws.
std::optional<Json> ParseAny(absl::string_view body);

// `obj[key]` when `obj` is an object holding `key` with a non-null value.
const Json* Find(const Json& obj, absl::string_view key);

// Tolerant scalar reads: nullopt when the value cannot mean the type.
// AsString: strings as they are, numbers as written ("5", "5.5"), bools.
std::optional<std::string> AsString(const Json& value);
// AsInt: integers, integral or fractional numbers (truncated), and strings
// holding either ("42", " 7 ", "55.0").
std::optional<int64_t> AsInt(const Json& value);
// AsDouble: finite numbers and numeric strings.
std::optional<double> AsDouble(const Json& value);
// AsBool: true/false, 0/1 and the strings "true"/"false"/"1"/"0".
std::optional<bool> AsBool(const Json& value);

// `2025-04-01T18:57:37.355064+00:00`, the same with a space instead of `T`,
// with `Z`, without fraction or without offset (then UTC).
std::optional<absl::Time> ParseTimestamp(absl::string_view text);
// False when `time` is outside Timestamp's range (years 1-9999).
bool ToTimestamp(absl::Time time, google::protobuf::Timestamp* out);

// JSON -> google.protobuf.Value / Struct. Nesting deeper than 32 levels is
// cut off (becomes null) so a hostile body cannot exhaust the stack. False
// when `json` cannot be one (ToStruct: not an object).
bool ToValue(const Json& json, google::protobuf::Value* out);
bool ToStruct(const Json& json, google::protobuf::Struct* out);

// Fills the fields of `message` from the same-named keys of `object`:
// unknown keys are ignored; null, and values that cannot mean the field's
// type, leave the field unset; scalars are read with As* above; Timestamp
// fields take ParseTimestamp strings; Struct/Value fields take any JSON;
// a repeated message field also accepts a string holding a JSON array (v1
// sends `media_items` so); a repeated scalar field accepts a lone scalar.
// Enum fields are skipped (callers derive them). Does nothing when `object`
// is not an object.
void DecodeInto(const Json& object, google::protobuf::Message* message);

}  // namespace mediagen::upstream

#endif  // MEDIAGEN_SERVICE_UPSTREAM_PROVIDERS_JSON_CODEC_H_
