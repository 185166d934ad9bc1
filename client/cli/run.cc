#include "client/cli/run.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli/audio_stream.h"
#include "client/cli/commands.h"
#include "client/cli/download_command.h"
#include "client/cli/help.h"
#include "client/cli/unary.h"
#include "client/cli/upload.h"
#include "client/cli/watch.h"
#include "client/client.h"

namespace mediagen::cli {

namespace {

// Which server a call that reached none tried, and how to choose another.
std::string UnreachableHint(const Globals& g) {
  const char* from = g.target_from == TargetFrom::kFlag ? "from --target"
                     : g.target_from == TargetFrom::kEnvironment
                         ? "from MEDIAGEN_TARGET"
                         : "the default";
  return absl::StrCat("could not reach the server at ", g.target, " (", from,
                      "); choose it with --target HOST:PORT or the "
                      "MEDIAGEN_TARGET environment variable");
}

}  // namespace

int Run(const std::vector<std::string>& args, const Environment& env,
        const Console& caller_console) {
  absl::StatusOr<Arguments> parsed = ParseArguments(args, env.getenv);
  if (!parsed.ok()) return Usage(caller_console, parsed.status().message());
  const Arguments& p = *parsed;
  // Every error from here on can name the server it tried.
  Console console = caller_console;
  console.unreachable_hint = UnreachableHint(p.globals);
  if (p.positional.empty() || p.positional[0] == "help") {
    PrintHelp(console.out);
    console.out.flush();
    return p.positional.empty() && !p.globals.help
               ? Usage(console, "no command")
               : 0;
  }
  client::ConnectionOptions connection;
  connection.target = p.globals.target;
  client::ClientOptions options;
  options.bearer_token = p.globals.token;
  options.now = console.now;
  options.sleep = env.sleep;
  client::Client client(env.make_connection(connection), options);

  const std::string& group = p.positional[0];
  if (group == "watch") {
    if (p.positional.size() != 2) return Usage(console, "watch NAME");
    return Watch(client, p.positional[1], p.globals, console);
  }
  if (group == "download") return RunDownload(client, p, console);
  // `mediagen usage` is `mediagen usage get`: the group has one verb.
  const bool usage = group == "usage" && p.positional.size() == 1;
  if (p.positional.size() < 2 && !usage) {
    return Usage(console,
                 absl::StrCat("`", group, "` needs a verb (mediagen help)"));
  }
  const std::string verb = usage ? "get" : p.positional[1];
  const Command* c = FindCommand(group, verb);
  if (c == nullptr) {
    return Usage(console, absl::StrCat("no command `", group, " ", verb,
                                       "` (mediagen help)"));
  }
  if (p.globals.help) {
    PrintCommandHelp(*c, console.out);
    console.out.flush();
    return 0;
  }
  if (p.positional.size() > 2) {
    return Usage(console,
                 absl::StrCat("unexpected argument `", p.positional[2], "`"));
  }
  switch (c->kind) {
    case CallKind::kUnary:
      return RunUnary(*c, client, p, console);
    case CallKind::kUpload:
      return RunUpload(*c, client, p, console);
    case CallKind::kServerStream:
      return RunServerStream(*c, client, p, console);
    case CallKind::kWatch: {
      std::string name;
      int64_t resume_from = 0;
      for (const auto& [path, value] : p.fields) {
        if (path == "name" && value) name = *value;
        if (path == "resume-from-version" && value &&
            !absl::SimpleAtoi(*value, &resume_from)) {
          return Usage(console, "--resume-from-version takes a version");
        }
      }
      if (name.empty()) return Usage(console, "job watch --name NAME");
      return Watch(client, name, p.globals, console, resume_from);
    }
  }
  return 0;
}

}  // namespace mediagen::cli
