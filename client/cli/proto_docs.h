// The comments of the mediagen.v1 .proto files, which generated code does not
// keep: compiled into the binary as a descriptor set with source info
// (//proto/mediagen/v1:api_descriptor_set) and looked up by full name, so the
// CLI's help says what the API says, from the one place it is written.
//
//   const auto* duration =
//       v1::CreateMediaRequest::descriptor()->FindFieldByName("duration");
//   ProtoComment(duration);  // "Scene duration in seconds, 1-10. Default 5."
//   UpstreamRoutes(v1::MediaService::descriptor()->FindMethodByName(
//       "CreateMedia"));     // {"POST /v2/media"}
#ifndef MEDIAGEN_CLIENT_CLI_PROTO_DOCS_H_
#define MEDIAGEN_CLIENT_CLI_PROTO_DOCS_H_

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"

namespace mediagen::cli {

// The leading comment of a field or RPC, on one line (line breaks and runs
// of spaces collapsed); "" when it has none or is not part of the API.
std::string ProtoComment(const google::protobuf::FieldDescriptor* field);
std::string ProtoComment(const google::protobuf::MethodDescriptor* method);

// The upstream REST routes that an RPC's comment names, in order and without
// repeats: "POST /v2/media", "GET /v2/generate/audio?generation_id={id}".
// Empty when the comment names none.
std::vector<std::string> UpstreamRoutes(
    const google::protobuf::MethodDescriptor* method);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_PROTO_DOCS_H_
