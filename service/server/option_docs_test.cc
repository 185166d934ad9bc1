// The README's options table is exactly what the option table renders, and
// --help lists every option with its meaning, config key and default.
#include "service/server/option_docs.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "service/server/option_table.h"

namespace mediagen::server {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The README's text between the markers; empty when they are missing.
std::string ReadmeBlock() {
  const std::string readme = ReadFile("README.md");
  const size_t begin = readme.find(kReadmeBegin);
  const size_t end = readme.find(kReadmeEnd);
  EXPECT_NE(begin, std::string::npos) << "README.md lacks: " << kReadmeBegin;
  EXPECT_NE(end, std::string::npos) << "README.md lacks: " << kReadmeEnd;
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    return "";
  }
  const size_t from = begin + std::string(kReadmeBegin).size();
  return readme.substr(from, end - from);
}

// Runs of whitespace as one space, so wrapped help reads as one line.
std::string Squeeze(absl::string_view text) {
  return absl::StrJoin(
      absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty()), " ");
}

TEST(OptionDocsTest, ReadmeTableIsWhatTheOptionTableRenders) {
  const std::string block = ReadmeBlock();
  EXPECT_EQ(block, OptionsMarkdown())
      << "README.md's options table differs from service/server/"
         "option_table.cc. Paste the output of\n  bazel run "
         "//service/server:options_markdown\nover the block in README.md.";
}

TEST(OptionDocsTest, EveryRowIsInTheReadme) {
  const std::string block = ReadmeBlock();
  for (const OptionRow& row : OptionTable()) {
    const std::string name =
        row.flag.empty() ? row.config_key : absl::StrCat("--", row.flag);
    bool found = false;
    for (absl::string_view line : absl::StrSplit(block, '\n')) {
      if (!absl::StartsWith(line, "| ")) continue;
      const bool flag_ok =
          row.flag.empty()
              ? absl::StartsWith(line, "| none |")
              : absl::StartsWith(line, absl::StrCat("| `", name, "` |"));
      const bool key_ok =
          row.config_key.empty() ||
          absl::StrContains(line, absl::StrCat("| `", row.config_key, "` |"));
      found = found || (flag_ok && key_ok &&
                        absl::StrContains(line, row.help.substr(0, 20)));
    }
    EXPECT_TRUE(found) << name << " is missing from README.md's table";
  }
}

TEST(OptionDocsTest, MarkdownHasOneSectionPerGroupAndOneLinePerRow) {
  const std::string md = OptionsMarkdown();
  size_t rows = 0;
  for (absl::string_view line : absl::StrSplit(md, '\n')) {
    if (absl::StartsWith(line, "| ") && !absl::StartsWith(line, "| flag |")) {
      ++rows;
    }
  }
  EXPECT_EQ(rows, OptionTable().size());
  size_t last = 0;
  for (const OptionRow& row : OptionTable()) {
    const size_t at = md.find(absl::StrCat("**", row.group, "**"));
    ASSERT_NE(at, std::string::npos) << row.group;
    EXPECT_GE(at, last) << "groups out of table order";
    last = at;
  }
}

TEST(OptionDocsTest, HelpListsEveryRowWithMeaningKeyAndDefault) {
  const std::string help = HelpText();
  const std::string squeezed = Squeeze(help);
  const ServerOptions defaults;
  size_t last_group = 0;
  for (const OptionRow& row : OptionTable()) {
    SCOPED_TRACE(row.flag + " " + row.config_key);
    const std::string head =
        row.flag.empty()
            ? absl::StrCat("\n  ", row.config_key, " (config file only)\n")
        : row.value.is_bool
            ? absl::StrCat("\n  --", row.flag, "\n")
            : absl::StrCat("\n  --", row.flag, "=", row.value.metavar, "\n");
    const size_t at = help.find(head);
    ASSERT_NE(at, std::string::npos) << head;
    // The entry: from its head to the next entry or group.
    const size_t next = help.find("\n  -", at + head.size());
    const std::string entry = Squeeze(help.substr(
        at, next == std::string::npos ? std::string::npos : next - at));
    EXPECT_TRUE(absl::StrContains(entry, Squeeze(row.help))) << entry;
    if (!row.config_key.empty() && !row.flag.empty()) {
      EXPECT_TRUE(absl::StrContains(entry, "config " + row.config_key))
          << entry;
    }
    const std::string shown = row.value.show(defaults);
    EXPECT_TRUE(absl::StrContains(
        entry, absl::StrCat("default ", shown.empty() ? "none" : shown)))
        << entry;
    // Under its group, groups in table order.
    const size_t group = help.rfind(absl::StrCat("\n", row.group, ":\n"), at);
    ASSERT_NE(group, std::string::npos) << row.group;
    EXPECT_GE(group, last_group);
    last_group = group;
  }
  EXPECT_TRUE(absl::StrContains(help, "\n  --config=FILE\n"));
  EXPECT_TRUE(absl::StrContains(help, "\n  --help\n"));
  EXPECT_TRUE(absl::StrContains(squeezed, "tenants"));
}

TEST(OptionDocsTest, HelpFitsAnEightyColumnTerminal) {
  for (absl::string_view line : absl::StrSplit(HelpText(), '\n')) {
    EXPECT_LE(line.size(), 79u) << line;
  }
}

}  // namespace
}  // namespace mediagen::server
