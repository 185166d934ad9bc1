// Fuzzes the tolerant JSON decoder every response parser is built on:
// ParseObject/ParseAny, DecodeInto on message types with nested, repeated,
// Struct and Timestamp fields, ToStruct, the As* scalar readers and
// ParseTimestamp. The input is a response body. Invariants: nothing throws,
// decoded messages survive protobuf's wire format, re-serialized JSON
// parses again.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "mediagen/v1/common.pb.h"
#include "mediagen/v1/elevenlabs.pb.h"
#include "mediagen/v1/media.pb.h"
#include "mediagen/v1/stable_audio.pb.h"
#include "service/upstream/providers/json_codec.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

namespace up = mediagen::upstream;
namespace v1 = mediagen::v1;
using mediagen::fuzz::SurvivesTheWire;

template <typename T>
void Decode(const up::Json& json) {
  T message;
  up::DecodeInto(json, &message);
  FUZZ_CHECK(SurvivesTheWire(message), message.ShortDebugString());
}

void Scalars(const up::Json& value, int depth) {
  (void)up::AsString(value);
  (void)up::AsInt(value);
  if (auto d = up::AsDouble(value)) FUZZ_CHECK(std::isfinite(*d), "");
  (void)up::AsBool(value);
  if (value.is_string()) {
    if (auto t = up::ParseTimestamp(value.get<std::string>())) {
      google::protobuf::Timestamp ts;
      if (up::ToTimestamp(*t, &ts)) {
        FUZZ_CHECK(ts.seconds() >= -62135596800 && ts.seconds() <= 253402300799,
                   ts.ShortDebugString());
        FUZZ_CHECK(ts.nanos() >= 0 && ts.nanos() < 1000000000,
                   ts.ShortDebugString());
      }
    }
  }
  if (depth < 3 && (value.is_object() || value.is_array())) {
    for (const auto& child : value) Scalars(child, depth + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  if (std::optional<up::Json> any = up::ParseAny(body)) {
    Scalars(*any, 0);
    google::protobuf::Value value;
    if (up::ToValue(*any, &value)) {
      FUZZ_CHECK(SurvivesTheWire(value), "");
    }
    // What we write parses back (invalid UTF-8 is replaced, not thrown).
    FUZZ_CHECK(up::ParseAny(up::Serialize(*any)).has_value(), body);
  }
  std::optional<up::Json> object = up::ParseObject(body);
  if (!object) return 0;
  FUZZ_CHECK(object->is_object(), body);
  Decode<v1::Media>(*object);
  Decode<v1::Asset>(*object);
  Decode<v1::Generation>(*object);
  Decode<v1::CreateMediaRequest>(*object);
  Decode<v1::SynthesizeSpeechRequest>(*object);
  google::protobuf::Struct s;
  if (up::ToStruct(*object, &s)) FUZZ_CHECK(SurvivesTheWire(s), "");
  return 0;
}
