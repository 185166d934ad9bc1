// Runs a command line to completion and captures its stdout, stderr and
// exit code: for end-to-end tests of command-line clients (the mediagen CLI,
// the Python and Node examples).
#ifndef MEDIAGEN_TESTS_E2E_RUN_COMMAND_H_
#define MEDIAGEN_TESTS_E2E_RUN_COMMAND_H_

#include <map>
#include <string>
#include <vector>

namespace mediagen::testing {

struct CommandResult {
  int exit_code = -1;  // -signal when killed
  std::string out;
  std::string err;
};

// argv[0] is a path; `env` is added to this process's environment. Killed
// after `timeout_seconds`.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         int timeout_seconds = 120);

}  // namespace mediagen::testing

#endif  // MEDIAGEN_TESTS_E2E_RUN_COMMAND_H_
