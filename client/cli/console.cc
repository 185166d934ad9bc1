#include "client/cli/console.h"

#include "client/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace mediagen::cli {

using ::google::protobuf::Message;

int ExitCode(const absl::Status& status) {
  return static_cast<int>(status.code());
}

int Fail(const Console& console, const absl::Status& status) {
  console.err << "mediagen: " << client::DescribeError(status) << "\n"
              << std::flush;
  return ExitCode(status);
}

int Usage(const Console& console, absl::string_view message) {
  console.err << "mediagen: " << message << "\n" << std::flush;
  return ExitCode(absl::InvalidArgumentError(""));
}

std::string ToJson(const Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = pretty;
  std::string out;
  google::protobuf::util::MessageToJsonString(message, &out, options).ok();
  // add_whitespace=false already gives one line; pretty output ends in a
  // newline the callers add themselves.
  if (pretty && !out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string CreatedName(const Message& response) {
  const auto* d = response.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* field = d->field(i);
    if (field->message_type() == nullptr || field->is_repeated() ||
        !response.GetReflection()->HasField(response, field)) {
      continue;
    }
    const Message& inner =
        response.GetReflection()->GetMessage(response, field);
    const auto* name = inner.GetDescriptor()->FindFieldByName("name");
    if (name != nullptr &&
        name->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      std::string value = inner.GetReflection()->GetString(inner, name);
      if (!value.empty()) return value;
    }
  }
  return "";
}

}  // namespace mediagen::cli
