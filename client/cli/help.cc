#include "client/cli/help.h"

#include <string>

#include "absl/strings/str_format.h"
#include "client/cli/request_flags.h"

namespace mediagen::cli {

void PrintHelp(std::ostream& out) {
  out << "mediagen: call the mediagen.v1 API.\n\n"
         "usage: mediagen GROUP VERB [--field VALUE ...] [--watch] [--json]\n"
         "       mediagen watch NAME          follow a job to its end\n"
         "       mediagen download NAME|URL [-o DIR|FILE]\n"
         "       mediagen GROUP VERB --help   the command's flags\n\n"
         "commands:\n";
  for (const Command& c : Commands()) {
    out << absl::StrFormat("  %-13s %-22s %s\n", c.group, c.verb,
                           std::string(c.method->full_name()));
  }
  out << "\nflags for every command:\n"
         "  --target HOST:PORT   server (env MEDIAGEN_TARGET; "
         "127.0.0.1:50051)\n"
         "  --token-file PATH    bearer token file (env MEDIAGEN_TOKEN_FILE, "
         "or\n"
         "                       the token itself in env MEDIAGEN_TOKEN)\n"
         "  --timeout 30s        deadline of the call\n"
         "  --json               machine output: one JSON object per line\n"
         "  --watch              after a create, follow the job to its end\n"
         "  --request JSON       the whole request as JSON (flags then add)\n"
         "  -o, --output PATH    where audio or downloads go ('-': stdout)\n\n"
         "exit status: the gRPC status code; 20 job failed; 21 job cancelled\n";
}

void PrintCommandHelp(const Command& c, std::ostream& out) {
  out << absl::StrFormat(
      "usage: mediagen %s %s [flags]\n  calls %s\n\nrequest flags:\n", c.group,
      c.verb, std::string(c.method->full_name()));
  for (const std::string& line : DescribeFlags(c.flags_message)) {
    out << line << "\n";
  }
  if (c.kind == CallKind::kUpload) {
    out << "  --file PATH  the file to upload (required)\n";
  }
  if (c.kind == CallKind::kServerStream) {
    out << "  -o PATH      where the audio goes ('-': stdout; required)\n";
  }
  if (c.creates) {
    out << "  --watch      follow the created job to its end\n";
  }
}

}  // namespace mediagen::cli
