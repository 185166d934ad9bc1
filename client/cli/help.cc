#include "client/cli/help.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/cli/proto_docs.h"
#include "client/cli/request_flags.h"

namespace mediagen::cli {
namespace {

// Help is laid out for the classic terminal, whatever the real one is, so
// that it reads the same in a pipe, a pager or a README.
constexpr size_t kWidth = 79;
// A flag's help is its comment's first sentence, and the following ones
// while they fit in about three lines: enough for the meaning, the default
// and the allowed values, without pasting every paragraph of the .proto.
constexpr size_t kSummaryChars = 240;
// Where a flag's description starts.
constexpr size_t kDescriptionIndent = 6;

// RPCs that make no upstream call of their own name the RPC whose routes
// they poll.
constexpr struct {
  const char* method;
  const char* polls;
} kPollers[] = {
    {"mediagen.v1.JobService.WatchJob", "GetJob"},
};

// RPCs that mediagen answers from its own state, with no upstream call.
constexpr const char* kLocal[] = {
    "mediagen.v1.UsageService.GetUsage",
};

// Whether text[i] ends a sentence: a full stop (or ? !) that ends a word,
// unless the word is "e.g." or "i.e.".
bool EndsSentence(absl::string_view text, size_t i) {
  if (text[i] != '.' && text[i] != '?' && text[i] != '!') return false;
  if (i + 1 < text.size() && text[i + 1] != ' ') return false;  // "0.5"
  const size_t space = text.rfind(' ', i);
  const size_t begin = space == absl::string_view::npos ? 0 : space + 1;
  const absl::string_view word =
      absl::StripPrefix(text.substr(begin, i + 1 - begin), "(");
  return word != "e.g." && word != "i.e.";
}

// The first sentence of a one-line comment, and the next ones while the
// whole stays within kSummaryChars.
std::string Summary(absl::string_view comment) {
  size_t end = 0;
  for (size_t i = 0; i < comment.size(); ++i) {
    if (i + 1 < comment.size() && !EndsSentence(comment, i)) continue;
    if (end != 0 && i + 1 > kSummaryChars) break;
    end = i + 1;
  }
  return std::string(comment.substr(0, end));
}

// The words of `text`, where "POST /v2/media" counts as one: a route is not
// split across lines.
std::vector<std::string> Words(absl::string_view text) {
  std::vector<std::string> words;
  bool glue = false;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (glue && absl::StartsWith(word, "/")) {
      absl::StrAppend(&words.back(), " ", word);
    } else {
      words.emplace_back(word);
    }
    const absl::string_view bare = absl::StripPrefix(word, "(");
    glue = bare == "GET" || bare == "POST" || bare == "PUT" ||
           bare == "PATCH" || bare == "DELETE";
  }
  return words;
}

// `text` as lines of at most kWidth columns (a longer word gets a line of
// its own): the first line indented by `first`, the rest by `rest`.
void PrintWrapped(std::ostream& out, absl::string_view text, size_t first,
                  size_t rest) {
  std::string line(first, ' ');
  bool empty = true;
  for (const std::string& word : Words(text)) {
    if (!empty && line.size() + 1 + word.size() > kWidth) {
      out << line << "\n";
      line.assign(rest, ' ');
      empty = true;
    }
    absl::StrAppend(&line, empty ? "" : " ", word);
    empty = false;
  }
  if (!empty) out << line << "\n";
}

// "A", "A or B", "A, B or C".
std::string OneOf(const std::vector<std::string>& routes) {
  if (routes.size() < 2) return absl::StrJoin(routes, "");
  return absl::StrCat(absl::StrJoin(routes.begin(), routes.end() - 1, ", "),
                      " or ", routes.back());
}

}  // namespace

bool AnsweredByMediagen(const Command& command) {
  for (const char* method : kLocal) {
    if (command.method->full_name() == method) return true;
  }
  return false;
}

std::string UpstreamLine(const Command& command) {
  std::vector<std::string> routes = UpstreamRoutes(command.method);
  if (!routes.empty()) return OneOf(routes);
  if (AnsweredByMediagen(command)) return "none (mediagen's own counters)";
  for (const auto& poller : kPollers) {
    if (command.method->full_name() != poller.method) continue;
    const auto* polled =
        command.method->service()->FindMethodByName(poller.polls);
    if (polled == nullptr) break;
    routes = UpstreamRoutes(polled);
    if (routes.empty()) break;
    return absl::StrCat("polls ", OneOf(routes), " (the routes of ",
                        poller.polls, ")");
  }
  return "";
}

std::string FlagHelp(const google::protobuf::FieldDescriptor* field) {
  return Summary(ProtoComment(field));
}

void PrintHelp(std::ostream& out) {
  out << "mediagen: call the mediagen.v1 API.\n\n"
         "usage: mediagen GROUP VERB [--field VALUE ...] [--watch] [--json]\n"
         "       mediagen watch NAME          follow a job to its end\n"
         "       mediagen download NAME|URL [-o DIR|FILE]\n"
         "       mediagen usage               your tenant's limits and usage\n"
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
  out << absl::StrFormat("usage: mediagen %s %s [flags]\n  calls %s\n", c.group,
                         c.verb, std::string(c.method->full_name()));
  if (std::string upstream = UpstreamLine(c); !upstream.empty()) {
    PrintWrapped(out, absl::StrCat("upstream: ", upstream), 2, 12);
  }
  out << "\nrequest flags:\n";
  for (const FlagInfo& flag : ListFlags(c.flags_message)) {
    out << "  " << flag.usage << "\n";
    PrintWrapped(out, FlagHelp(flag.field), kDescriptionIndent,
                 kDescriptionIndent);
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
