// Expectations shared by the Vimmerse route tests: the documented error
// shapes (v2 two-field bodies, FastAPI 422 lists), timestamps and a
// customer's credit balance.
#ifndef MEDIAGEN_TESTS_EMULATOR_VIMMERSE_EXPECT_H_
#define MEDIAGEN_TESTS_EMULATOR_VIMMERSE_EXPECT_H_

#include <string>

#include "nlohmann/json.hpp"
#include "tests/emulator/test_util.h"

namespace mediagen::emulator {

// "2025-04-01T18:57:37.355064+00:00": 'd' stands for a digit.
bool IsVimmerseTimestamp(const std::string& s);

// Exactly the two-field v2 error body.
void ExpectV2Error(const Http& r, int status, const std::string& code);

// A FastAPI 422 whose entries include one at `loc` of `type`.
void Expect422(const Http& r, const nlohmann::json& loc,
               const std::string& type);

// What `customer` has left, as the control API reports it.
double Balance(EmulatorTest* t, const std::string& customer);

}  // namespace mediagen::emulator

#endif  // MEDIAGEN_TESTS_EMULATOR_VIMMERSE_EXPECT_H_
