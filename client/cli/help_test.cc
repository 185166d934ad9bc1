#include "client/cli/help.h"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/cli/proto_docs.h"
#include "client/cli/request_flags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagen::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Help() {
  std::ostringstream out;
  PrintHelp(out);
  return out.str();
}

std::string CommandHelp(const std::string& group, const std::string& verb) {
  const Command* command = FindCommand(group, verb);
  EXPECT_NE(command, nullptr) << group << " " << verb;
  std::ostringstream out;
  if (command != nullptr) PrintCommandHelp(*command, out);
  return out.str();
}

TEST(HelpTest, ListsEveryCommandWithItsRpcAndTheCommonFlags) {
  const std::string help = Help();
  EXPECT_TRUE(absl::StartsWith(help, "mediagen: call the mediagen.v1 API.\n"));
  for (const Command& c : Commands()) {
    EXPECT_TRUE(absl::StrContains(
        help, absl::StrFormat("\n  %-13s %-22s %s\n", c.group, c.verb,
                              std::string(c.method->full_name()))))
        << c.group << " " << c.verb;
  }
  EXPECT_TRUE(absl::StrContains(help,
                                "  media         create                 "
                                "mediagen.v1.MediaService.CreateMedia\n"));
  for (const char* flag : {"--target HOST:PORT", "--token-file PATH",
                           "env MEDIAGEN_TOKEN)", "--timeout 30s", "--json",
                           "--watch", "--request JSON", "-o, --output PATH"}) {
    EXPECT_TRUE(absl::StrContains(help, flag)) << flag;
  }
  EXPECT_TRUE(absl::EndsWith(
      help,
      "exit status: the gRPC status code; 20 job failed; 21 job cancelled\n"));
}

TEST(HelpTest, ACommandsHelpNamesItsRpcAndItsFlags) {
  const std::string create = CommandHelp("media", "create");
  EXPECT_TRUE(
      absl::StartsWith(create,
                       "usage: mediagen media create [flags]\n"
                       "  calls mediagen.v1.MediaService.CreateMedia\n"
                       "  upstream: POST /v2/media\n\nrequest flags:\n"))
      << create;
  EXPECT_TRUE(absl::StrContains(create, "\n  --prompt STRING\n"));
  EXPECT_TRUE(
      absl::StrContains(create, "\n  --audio-option.narrator STRING\n"));
  EXPECT_TRUE(absl::EndsWith(
      create, "  --watch      follow the created job to its end\n"));

  EXPECT_FALSE(absl::StrContains(CommandHelp("media", "get"), "--watch"));
  EXPECT_TRUE(
      absl::StrContains(CommandHelp("video", "upload"),
                        "  --file PATH  the file to upload (required)\n"));
  const std::string speech = CommandHelp("elevenlabs", "speech");
  EXPECT_TRUE(absl::EndsWith(
      speech, "  -o PATH      where the audio goes ('-': stdout; required)\n"));
  EXPECT_FALSE(absl::StrContains(speech, "--file PATH"));
}

TEST(HelpTest, FlagsCarryTheirProtoCommentsAndTheRouteIsNamed) {
  const std::string create = CommandHelp("media", "create");
  EXPECT_THAT(create, HasSubstr("\n  upstream: POST /v2/media\n"));
  EXPECT_THAT(create, HasSubstr("\n  --duration INT\n"
                                "      Scene duration in seconds, 1-10. "
                                "Default 5.\n"));
  // Wrapped at 79 columns under the flag.
  EXPECT_THAT(create,
              HasSubstr("\n  --audio-option.narrator STRING\n"
                        "      Text-to-speech voice. Default `AutoV`. One of "
                        "AutoV, Rachel, Aria, Roger,\n"
                        "      Sarah, Laura,"));
  EXPECT_THAT(CommandHelp("stable-audio", "get"),
              HasSubstr("\n  upstream: GET "
                        "/v2/generate/audio?generation_id={id}\n"));
}

TEST(HelpTest, JobWatchHasNoOutputFlag) {
  const std::string watch = CommandHelp("job", "watch");
  EXPECT_THAT(watch, HasSubstr("\n  --name STRING\n"));
  EXPECT_THAT(watch, Not(HasSubstr("-o PATH")));
}

std::string Collapse(absl::string_view text) {
  return absl::StrJoin(
      absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty()), " ");
}

// The words of a .proto file as its comments say them: each line without
// its leading `//`, all on one line. Read from the source, not from the
// descriptor set the help uses, so that the two are checked against each
// other.
const std::string& ProtoText(const std::string& file) {
  static auto* texts = new std::map<std::string, std::string>;
  auto [it, added] = texts->try_emplace(file);
  if (added) {
    std::ifstream in("proto/" + file);
    EXPECT_TRUE(in.good()) << "cannot read proto/" << file;
    std::string line, text;
    while (std::getline(in, line)) {
      absl::StrAppend(
          &text, " ",
          absl::StripPrefix(absl::StripLeadingAsciiWhitespace(line), "//"));
    }
    it->second = Collapse(text);
  }
  return it->second;
}

// The description printed under `usage` in a command's help: the lines
// indented by six, on one line.
std::string DescriptionUnder(const std::string& help,
                             const std::string& usage) {
  const std::string head = "\n  " + usage + "\n";
  size_t at = help.find(head);
  if (at == std::string::npos) return "";
  at += head.size();
  std::string text;
  while (at < help.size() && help.compare(at, 6, "      ") == 0) {
    const size_t end = help.find('\n', at);
    absl::StrAppend(&text, " ", help.substr(at, end - at));
    at = end + 1;
  }
  return Collapse(text);
}

// Every command's help fits 79 columns, names its upstream route, and under
// every flag that sets a request field prints that field's comment from the
// .proto: so a field that loses its comment, or an RPC whose comment stops
// naming its route, fails here.
TEST(HelpTest, EveryCommandNamesItsRouteAndEveryFlagItsProtoComment) {
  int flags = 0;
  for (const Command& c : Commands()) {
    const std::string command = c.group + " " + c.verb;
    const std::string help = CommandHelp(c.group, c.verb);
    for (absl::string_view line : absl::StrSplit(help, '\n')) {
      EXPECT_LE(line.size(), 79u) << command << ": " << line;
    }
    const std::string upstream = UpstreamLine(c);
    EXPECT_FALSE(upstream.empty())
        << command << ": the comment of " << c.method->full_name()
        << " names no upstream route";
    EXPECT_THAT(Collapse(help), HasSubstr(" upstream: " + upstream + " "))
        << command;
    const google::protobuf::MethodDescriptor* routed = c.method;
    if (c.kind == CallKind::kWatch) {
      routed = c.method->service()->FindMethodByName("GetJob");
    }
    const std::vector<std::string> routes = UpstreamRoutes(routed);
    // Only an RPC mediagen answers itself names no route, and says so.
    EXPECT_EQ(routes.empty(), AnsweredByMediagen(c)) << command;
    if (AnsweredByMediagen(c)) {
      EXPECT_THAT(upstream, HasSubstr("none")) << command;
    }
    for (const std::string& route : routes) {
      EXPECT_THAT(upstream, HasSubstr(route)) << command;
      EXPECT_THAT(ProtoText(routed->file()->name()), HasSubstr(route))
          << command;
    }

    for (const FlagInfo& flag : ListFlags(c.flags_message)) {
      ++flags;
      const std::string where = absl::StrCat(
          command, " --help, ", flag.usage, " (", flag.field->full_name(), ")");
      const std::string doc = FlagHelp(flag.field);
      EXPECT_FALSE(doc.empty()) << where << ": the field has no comment";
      // The comment's first sentence(s), word for word.
      EXPECT_TRUE(absl::StartsWith(ProtoComment(flag.field), doc))
          << where << ": " << doc;
      EXPECT_THAT(ProtoText(flag.field->file()->name()), HasSubstr(doc))
          << where;
      // Printed under the flag (wrapped, as checked above).
      EXPECT_EQ(DescriptionUnder(help, flag.usage), doc) << where;
    }
  }
  EXPECT_GT(flags, 100);
}

}  // namespace
}  // namespace mediagen::cli
