#include "client/cli/unary.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/cli/watch.h"
#include "google/protobuf/message.h"

namespace mediagen::cli {

using ::google::protobuf::Message;

int RunUnary(const Command& c, client::Client& client, const Arguments& p,
             const Console& console) {
  std::unique_ptr<Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(c.flags_message)
          ->New());
  if (absl::Status s = FillRequest(p, request.get()); !s.ok()) {
    return Usage(console, absl::StrCat(s.message(), " (mediagen ", c.group, " ",
                                       c.verb, " --help)"));
  }
  client::CallOptions options;
  options.timeout = p.globals.timeout;
  absl::StatusOr<std::unique_ptr<Message>> response =
      c.invoke(client, *request, options);
  if (!response.ok()) return Fail(console, response.status());
  const std::string name = CreatedName(**response);
  std::ostream& out = console.out;
  if (p.globals.json) {
    out << ToJson(**response, false) << "\n";
  } else if (c.creates && !name.empty()) {
    out << "created " << name << "\n";
  } else if (c.text != nullptr) {
    out << c.text(**response);
  } else {
    out << ToJson(**response, true) << "\n";
  }
  out.flush();
  if (p.globals.watch) {
    if (!c.creates || name.empty()) {
      return Usage(console, "--watch needs a command that creates a job");
    }
    return Watch(client, name, p.globals, console);
  }
  if (c.creates && !name.empty() && !p.globals.json) {
    out << "follow it: mediagen watch " << name << "\n" << std::flush;
  }
  return 0;
}

}  // namespace mediagen::cli
