// Command line of the emulator binary: flags to EmulatorOptions, and the
// --help text (flags, default customers, control API).
//
//   absl::StatusOr<ParsedFlags> flags = ParseFlags(argc, argv);
//   if (!flags.ok()) { std::cerr << flags.status().message(); return 2; }
//   if (flags->help) { std::cout << HelpText(); return 0; }
//   Emulator emulator(flags->options);
#ifndef MEDIAGEN_TESTS_EMULATOR_FLAGS_H_
#define MEDIAGEN_TESTS_EMULATOR_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/emulator/options.h"

namespace mediagen::emulator {

struct ParsedFlags {
  EmulatorOptions options;
  bool help = false;
};

// Accepts --name=value, --name value is NOT accepted (so a typo cannot eat
// the next flag), boolean --name / --noname / --name=true|false. Key flags
// repeat. Unknown flags and stray arguments are errors.
absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<std::string>& args);
absl::StatusOr<ParsedFlags> ParseFlags(int argc, char** argv);

std::string HelpText();

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_FLAGS_H_
