// Command-line flags onto request messages, by protobuf reflection, so that
// every RPC's flags are named after its proto fields without a hand-written
// flag list that could drift from the API:
//
//   --video-url URL              string field video_url
//   --duration 5                 numbers, checked against the field's type
//   --async-mode / --async-mode=false
//   --audio-option.narrator Sarah    a field of a nested message
//   --audio-option '{"narrator": "Sarah"}'   a whole message as JSON
//   --media-items '[{"url": "..."}]' or repeated --media-items '{...}'
//   --state succeeded            enums by name (prefix optional) or number
#ifndef MEDIAGEN_CLIENT_CLI_REQUEST_FLAGS_H_
#define MEDIAGEN_CLIENT_CLI_REQUEST_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace mediagen::cli {

// "video_url" -> "video-url".
std::string FlagName(absl::string_view field_name);

// Sets the field at `path` (flag spelling or proto names, dotted into nested
// messages) of `message` from `value`; repeated fields append. Errors name
// the flag and say what was expected.
absl::Status SetField(google::protobuf::Message* message,
                      absl::string_view path, absl::string_view value);

// True when the field at `path` is a bool, so `--flag` alone means true.
bool IsBoolFlag(const google::protobuf::Descriptor* descriptor,
                absl::string_view path);

// A request flag as help shows it.
struct FlagInfo {
  // "--video-url STRING", "--media-items JSON  (repeatable)".
  std::string usage;
  // The field it sets (for --audio-option.narrator, AudioOption.narrator).
  const google::protobuf::FieldDescriptor* field = nullptr;
};

// Every flag of the message's fields, in field order, nested messages of the
// same package expanded one level deep (--audio-option, then
// --audio-option.narrator, ...).
std::vector<FlagInfo> ListFlags(const google::protobuf::Descriptor* descriptor);

// One help line per flag of ListFlags: "  --video-url STRING", ...
std::vector<std::string> DescribeFlags(
    const google::protobuf::Descriptor* descriptor);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_REQUEST_FLAGS_H_
