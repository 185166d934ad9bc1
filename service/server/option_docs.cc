#include "service/server/option_docs.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "service/server/option_table.h"

namespace mediagen::server {
namespace {

constexpr size_t kWidth = 79;

// Group names in the order of their first row.
std::vector<std::string> Groups() {
  std::vector<std::string> groups;
  for (const OptionRow& row : OptionTable()) {
    bool seen = false;
    for (const std::string& g : groups) seen = seen || g == row.group;
    if (!seen) groups.push_back(row.group);
  }
  return groups;
}

std::string Default(const OptionRow& row) {
  return row.value.show(ServerOptions());
}

// `text` as lines of at most kWidth, each starting with `indent` spaces.
std::string Wrap(absl::string_view text, size_t indent) {
  std::string out, line;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (!line.empty() && indent + line.size() + 1 + word.size() > kWidth) {
      absl::StrAppend(&out, std::string(indent, ' '), line, "\n");
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  if (!line.empty())
    absl::StrAppend(&out, std::string(indent, ' '), line, "\n");
  return out;
}

std::string HelpEntry(const OptionRow& row) {
  std::string head;
  if (row.flag.empty()) {
    head = absl::StrCat(row.config_key, " (config file only)");
  } else if (row.value.is_bool) {
    head = absl::StrCat("--", row.flag);
  } else {
    head = absl::StrCat("--", row.flag, "=", row.value.metavar);
  }
  const std::string shown = Default(row);
  std::string where;
  if (row.flag.empty()) {
    where = absl::StrCat("default ", shown.empty() ? "none" : shown);
  } else {
    where = absl::StrCat(row.config_key.empty()
                             ? "command line only"
                             : absl::StrCat("config ", row.config_key),
                         "; default ", shown.empty() ? "none" : shown);
  }
  return absl::StrCat("  ", head, "\n", Wrap(row.help, 6), Wrap(where, 6));
}

std::string Cell(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"|", "\\|"}});
}

std::string Code(absl::string_view text) {
  return text.empty() ? "none" : absl::StrCat("`", Cell(text), "`");
}

}  // namespace

std::string HelpText() {
  std::string out = absl::StrCat(
      "mediagen_server: the mediagen gRPC gateway (see README.md).\n\n"
      "Usage: mediagen_server [--config=FILE] [--NAME=VALUE ...]\n\n",
      Wrap("Each option is settled in this order, the later winning: its "
           "default, the config file, the flag given on the command line. "
           "Durations: 500ms, 30s, 5m, 24h (in the config file, a whole "
           "number of the unit its key ends with, _ms or _seconds). "
           "Booleans: --NAME, --noNAME, --NAME=true|false. Secrets: "
           "env:NAME or file:PATH, never the value itself (in the config "
           "file {\"env\": \"NAME\"} or {\"file\": \"PATH\"}).",
           0),
      "\n"
      "  --config=FILE\n",
      Wrap("JSON config file: the config keys below (a dot is one level of "
           "nesting), the `tenants` list and the `prices` table (README.md, "
           "service/server/config_file.h); unknown keys are errors",
           6),
      "  --help\n", Wrap("this text", 6));
  for (const std::string& group : Groups()) {
    absl::StrAppend(&out, "\n", group, ":\n");
    for (const OptionRow& row : OptionTable()) {
      if (row.group == group) absl::StrAppend(&out, HelpEntry(row));
    }
  }
  return out;
}

std::string OptionsMarkdown() {
  std::string out;
  for (const std::string& group : Groups()) {
    absl::StrAppend(&out, out.empty() ? "" : "\n", "**", group,
                    "**\n\n| flag | config key | default | what |\n"
                    "|---|---|---|---|\n");
    for (const OptionRow& row : OptionTable()) {
      if (row.group != group) continue;
      absl::StrAppend(&out, "| ",
                      row.flag.empty() ? "none" : Code("--" + row.flag), " | ",
                      Code(row.config_key), " | ", Code(Default(row)), " | ",
                      Cell(row.help), " |\n");
    }
  }
  return out;
}

}  // namespace mediagen::server
