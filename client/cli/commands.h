// The `mediagen` tool's subcommands: one per mediagen.v1 RPC, named
// `GROUP VERB` (`video reframe`, `media create`, `job watch`), each bound to
// its method descriptor (for flags) and to the Client call that makes it.
#ifndef MEDIAGEN_CLIENT_CLI_COMMANDS_H_
#define MEDIAGEN_CLIENT_CLI_COMMANDS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/client.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace mediagen::cli {

enum class CallKind {
  kUnary,         // one request, one response
  kUpload,        // client-streaming: metadata flags + --file
  kServerStream,  // audio streamed back: written to --output
  kWatch,         // JobService.WatchJob: followed like `mediagen watch`
};

using UnaryInvoker =
    std::function<absl::StatusOr<std::unique_ptr<google::protobuf::Message>>(
        client::Client&, const google::protobuf::Message& request,
        const client::CallOptions& options)>;

struct Command {
  std::string group;  // "video"
  std::string verb;   // "reframe"
  const google::protobuf::MethodDescriptor* method = nullptr;
  CallKind kind = CallKind::kUnary;
  // The message the flags fill: the request, or for uploads the metadata.
  const google::protobuf::Descriptor* flags_message = nullptr;
  // The request has a request_id: a create that --watch can follow.
  bool creates = false;
  // Set for kUnary.
  UnaryInvoker invoke;
  // How a terminal shows the answer (without --json); null: as indented
  // JSON. For answers read by people rather than passed on (usage).
  std::string (*text)(const google::protobuf::Message& response) = nullptr;
};

// Every command, in API order.
const std::vector<Command>& Commands();
// nullptr when there is no such command.
const Command* FindCommand(absl::string_view group, absl::string_view verb);

}  // namespace mediagen::cli

#endif  // MEDIAGEN_CLIENT_CLI_COMMANDS_H_
