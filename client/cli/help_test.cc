#include "client/cli/help.h"

#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"

namespace mediagen::cli {
namespace {

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
  EXPECT_TRUE(absl::StartsWith(
      create,
      "usage: mediagen media create [flags]\n"
      "  calls mediagen.v1.MediaService.CreateMedia\n\nrequest flags:\n"))
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

}  // namespace
}  // namespace mediagen::cli
