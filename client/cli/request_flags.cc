#include "client/cli/request_flags.h"

#include <cstdint>
#include <limits>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"

namespace mediagen::cli {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::EnumValueDescriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;

std::string ProtoName(absl::string_view flag_part) {
  return absl::StrReplaceAll(flag_part, {{"-", "_"}});
}

absl::Status FlagError(absl::string_view path, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("--", path, ": ", why));
}

std::string TypeName(const FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return field->type() == FieldDescriptor::TYPE_BYTES ? "BYTES" : "STRING";
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return "INT";
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return "NUMBER";
    case FieldDescriptor::CPPTYPE_BOOL:
      return "BOOL";
    case FieldDescriptor::CPPTYPE_ENUM: {
      std::string names;
      for (int i = 0; i < field->enum_type()->value_count(); ++i) {
        const EnumValueDescriptor* v = field->enum_type()->value(i);
        if (v->number() == 0) continue;  // *_UNSPECIFIED
        absl::StrAppend(&names, names.empty() ? "" : "|", v->name());
      }
      return names;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return "JSON";
  }
  return "VALUE";
}

// An enum value by name (exact, lower case, or without the type's prefix,
// e.g. "succeeded" for JOB_STATE_SUCCEEDED) or number.
const EnumValueDescriptor* FindEnumValue(const FieldDescriptor* field,
                                         absl::string_view text) {
  const auto* type = field->enum_type();
  std::string upper = absl::AsciiStrToUpper(ProtoName(text));
  for (int i = 0; i < type->value_count(); ++i) {
    const EnumValueDescriptor* v = type->value(i);
    if (v->name() == upper || absl::EndsWith(v->name(), "_" + upper)) {
      return v;
    }
  }
  int number = 0;
  if (absl::SimpleAtoi(text, &number)) return type->FindValueByNumber(number);
  return nullptr;
}

// Parses a JSON value into message `target` (well-known types take their
// JSON forms: a Timestamp is an RFC 3339 string, a Struct an object).
absl::Status MergeJson(absl::string_view json, Message* target,
                       absl::string_view path) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  // JsonStringToMessage clears its target; parse into a scratch message and
  // merge, so JSON adds to what earlier flags set.
  std::unique_ptr<Message> parsed(target->New());
  std::string text(json);
  auto status =
      google::protobuf::util::JsonStringToMessage(text, parsed.get(), options);
  if (!status.ok() && !text.empty() && text.front() != '{' &&
      text.front() != '[' && text.front() != '"') {
    // A bare word for a type whose JSON form is a string (Timestamp, ...).
    status = google::protobuf::util::JsonStringToMessage(
        absl::StrCat("\"", absl::CEscape(text), "\""), parsed.get(), options);
  }
  if (!status.ok()) {
    return FlagError(path, absl::StrCat("not valid JSON for ",
                                        target->GetDescriptor()->full_name(),
                                        ": ", status.message().ToString()));
  }
  target->MergeFrom(*parsed);
  return absl::OkStatus();
}

// Appends the elements of a JSON array to repeated `field`: parsed into an
// empty message of the same type, whose merge appends repeated fields.
absl::Status AppendJsonArray(Message* target, const FieldDescriptor* field,
                             absl::string_view path, absl::string_view array) {
  std::unique_ptr<Message> scratch(target->New());
  absl::Status status =
      MergeJson(absl::StrCat("{\"", field->name(), "\": ", array, "}"),
                scratch.get(), path);
  if (!status.ok()) return status;
  target->MergeFrom(*scratch);
  return absl::OkStatus();
}

absl::Status SetScalar(Message* message, const FieldDescriptor* field,
                       absl::string_view path, absl::string_view value) {
  const Reflection* r = message->GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      repeated ? r->AddString(message, field, std::string(value))
               : r->SetString(message, field, std::string(value));
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(value, &v)) {
        return FlagError(path,
                         absl::StrCat("\"", value, "\" is not an integer"));
      }
      repeated ? r->AddInt32(message, field, v)
               : r->SetInt32(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(value, &v)) {
        return FlagError(path,
                         absl::StrCat("\"", value, "\" is not an integer"));
      }
      repeated ? r->AddInt64(message, field, v)
               : r->SetInt64(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!absl::SimpleAtoi(value, &v)) {
        return FlagError(
            path,
            absl::StrCat("\"", value, "\" is not a non-negative integer"));
      }
      repeated ? r->AddUInt32(message, field, v)
               : r->SetUInt32(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!absl::SimpleAtoi(value, &v)) {
        return FlagError(
            path,
            absl::StrCat("\"", value, "\" is not a non-negative integer"));
      }
      repeated ? r->AddUInt64(message, field, v)
               : r->SetUInt64(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v;
      if (!absl::SimpleAtod(value, &v)) {
        return FlagError(path, absl::StrCat("\"", value, "\" is not a number"));
      }
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        repeated ? r->AddFloat(message, field, static_cast<float>(v))
                 : r->SetFloat(message, field, static_cast<float>(v));
      } else {
        repeated ? r->AddDouble(message, field, v)
                 : r->SetDouble(message, field, v);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (!absl::SimpleAtob(value, &v)) {
        return FlagError(path,
                         absl::StrCat("\"", value, "\" is not true or false"));
      }
      repeated ? r->AddBool(message, field, v) : r->SetBool(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumValueDescriptor* v = FindEnumValue(field, value);
      if (v == nullptr) {
        return FlagError(path, absl::StrCat("\"", value, "\" is not one of ",
                                            TypeName(field)));
      }
      repeated ? r->AddEnum(message, field, v) : r->SetEnum(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return FlagError(path, "unsupported field type");
}

}  // namespace

std::string FlagName(absl::string_view field_name) {
  return absl::StrReplaceAll(field_name, {{"_", "-"}});
}

absl::Status SetField(Message* message, absl::string_view path,
                      absl::string_view value) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  Message* target = message;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const FieldDescriptor* field =
        target->GetDescriptor()->FindFieldByName(ProtoName(parts[i]));
    if (field == nullptr ||
        field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
        field->is_repeated()) {
      return FlagError(path, field == nullptr
                                 ? "unknown flag (see --help)"
                                 : absl::StrCat("--", FlagName(parts[i]),
                                                " takes JSON, not sub-flags"));
    }
    target = target->GetReflection()->MutableMessage(target, field);
  }
  const FieldDescriptor* field =
      target->GetDescriptor()->FindFieldByName(ProtoName(parts.back()));
  if (field == nullptr) return FlagError(path, "unknown flag (see --help)");
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    if (field->is_repeated() && !value.empty() && value.front() == '[') {
      return AppendJsonArray(target, field, path, value);
    }
    return SetScalar(target, field, path, value);
  }
  const Reflection* r = target->GetReflection();
  if (!field->is_repeated()) {
    return MergeJson(value, r->MutableMessage(target, field), path);
  }
  // Repeated messages: one JSON object per flag, or a JSON array.
  if (!value.empty() && value.front() == '[') {
    return AppendJsonArray(target, field, path, value);
  }
  return MergeJson(value, r->AddMessage(target, field), path);
}

bool IsBoolFlag(const Descriptor* descriptor, absl::string_view path) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  const Descriptor* d = descriptor;
  const FieldDescriptor* field = nullptr;
  for (const std::string& part : parts) {
    if (d == nullptr) return false;
    field = d->FindFieldByName(ProtoName(part));
    if (field == nullptr) return false;
    d = field->message_type();
  }
  return field != nullptr && !field->is_repeated() &&
         field->cpp_type() == FieldDescriptor::CPPTYPE_BOOL;
}

std::vector<FlagInfo> ListFlags(const Descriptor* descriptor) {
  auto usage = [](const std::string& flag, const FieldDescriptor* field) {
    return absl::StrCat("--", flag, " ", TypeName(field),
                        field->is_repeated() ? "  (repeatable)" : "");
  };
  std::vector<FlagInfo> flags;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    const std::string flag = FlagName(field->name());
    flags.push_back({usage(flag, field), field});
    const Descriptor* nested = field->message_type();
    if (nested != nullptr && !field->is_repeated() &&
        nested->file()->package() == descriptor->file()->package()) {
      for (int j = 0; j < nested->field_count(); ++j) {
        const FieldDescriptor* sub = nested->field(j);
        flags.push_back(
            {usage(absl::StrCat(flag, ".", FlagName(sub->name())), sub), sub});
      }
    }
  }
  return flags;
}

std::vector<std::string> DescribeFlags(const Descriptor* descriptor) {
  std::vector<std::string> lines;
  for (const FlagInfo& flag : ListFlags(descriptor)) {
    lines.push_back(absl::StrCat("  ", flag.usage));
  }
  return lines;
}

}  // namespace mediagen::cli
