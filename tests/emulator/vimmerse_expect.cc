#include "tests/emulator/vimmerse_expect.h"

#include <cctype>
#include <string>

#include "gtest/gtest.h"

namespace mediagen::emulator {

using json = nlohmann::json;

bool IsVimmerseTimestamp(const std::string& s) {
  const std::string shape = "dddd-dd-ddTdd:dd:dd.dddddd+00:00";
  if (s.size() != shape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (shape[i] == 'd' ? !isdigit(static_cast<unsigned char>(s[i]))
                        : s[i] != shape[i]) {
      return false;
    }
  }
  return true;
}

void ExpectV2Error(const Http& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  ASSERT_TRUE(r.json.is_object()) << r.body;
  EXPECT_EQ(r.json.size(), 2u) << r.body;
  EXPECT_EQ(r.json.value("code", ""), code) << r.body;
  EXPECT_TRUE(r.json.contains("message") && r.json["message"].is_string())
      << r.body;
}

void Expect422(const Http& r, const json& loc, const std::string& type) {
  EXPECT_EQ(r.status, 422) << r.body;
  ASSERT_TRUE(r.json.contains("detail") && r.json["detail"].is_array())
      << r.body;
  bool found = false;
  for (const json& e : r.json["detail"]) {
    EXPECT_TRUE(e.contains("loc") && e.contains("msg") && e.contains("type"))
        << e;
    found = found || (e["loc"] == loc && e["type"] == type);
  }
  EXPECT_TRUE(found) << "no " << loc << " " << type << " in " << r.body;
}

double Balance(EmulatorTest* t, const std::string& customer) {
  json c = t->Control("GET", "/customers");
  return c["customers"][customer]["credits"].get<double>();
}

}  // namespace mediagen::emulator
