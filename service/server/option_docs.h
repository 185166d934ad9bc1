// What the option table (option_table.h) says to people: the server's
// `--help` text and the README's "Options and their defaults" table, both
// grouped the same way and both showing each option's flag, config key,
// default (from a default-constructed ServerOptions) and meaning.
//
//   std::cout << HelpText();                       // mediagen_server --help
//   std::cout << kReadmeBegin << OptionsMarkdown() << kReadmeEnd;
//
// README.md holds OptionsMarkdown() between the two marker lines;
// //service/server:option_docs_test fails when it differs, and
// `bazel run //service/server:options_markdown` prints the block to paste.
#ifndef MEDIAGEN_SERVICE_SERVER_OPTION_DOCS_H_
#define MEDIAGEN_SERVICE_SERVER_OPTION_DOCS_H_

#include <string>

namespace mediagen::server {

// Marker lines (with their newline) around the generated table in README.md.
inline constexpr char kReadmeBegin[] =
    "<!-- BEGIN options table: generated from service/server/option_table.cc"
    " by `bazel run //service/server:options_markdown`; do not edit -->\n";
inline constexpr char kReadmeEnd[] = "<!-- END options table -->\n";

// The full --help text of mediagen_server.
std::string HelpText();

// The README table, one Markdown table per group, without the markers.
std::string OptionsMarkdown();

}  // namespace mediagen::server

#endif  // MEDIAGEN_SERVICE_SERVER_OPTION_DOCS_H_
