// Prints the README's "Options and their defaults" block, markers included,
// to paste over the old one:  bazel run //service/server:options_markdown
#include <iostream>

#include "service/server/option_docs.h"

int main() {
  std::cout << mediagen::server::kReadmeBegin
            << mediagen::server::OptionsMarkdown()
            << mediagen::server::kReadmeEnd;
  return 0;
}
