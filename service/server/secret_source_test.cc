#include "service/server/secret_source.h"

#include <map>

#include "gtest/gtest.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::server {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::IsOkAndHolds;
using ::mediagen::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Not;

class SecretSourceTest : public ::testing::Test {
 protected:
  SecretSources Secrets() {
    SecretSources s;
    s.env = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    s.read_file =
        [this](const std::string& path) -> absl::StatusOr<std::string> {
      auto it = files_.find(path);
      if (it == files_.end()) return absl::NotFoundError("no file");
      return it->second;
    };
    return s;
  }
  std::map<std::string, std::string> env_;
  std::map<std::string, std::string> files_;
};

// Moved from config_file_test when the secret references got their own
// library.
TEST_F(SecretSourceTest, SecretSpecs) {
  env_["A"] = "from-env";
  files_["/f"] = "from-file\n\n";
  files_["/empty"] = "\n";
  EXPECT_EQ(*ResolveSecretSpec("env:A", Secrets()), "from-env");
  EXPECT_EQ(*ResolveSecretSpec("file:/f", Secrets()), "from-file");
  EXPECT_THAT(ResolveSecretSpec("env:B", Secrets()), Not(IsOk()));
  EXPECT_THAT(ResolveSecretSpec("file:/none", Secrets()), Not(IsOk()));
  EXPECT_THAT(ResolveSecretSpec("file:/empty", Secrets()), Not(IsOk()));
  EXPECT_THAT(ResolveSecretSpec("plain-text-key", Secrets()), Not(IsOk()));
}

TEST_F(SecretSourceTest, ErrorsNameTheSourceNeverTheValue) {
  files_["/blank"] = "  \n";
  EXPECT_THAT(ResolveSecretSpec("env:MISSING", Secrets()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("MISSING")));
  EXPECT_THAT(ResolveSecretSpec("file:/nope", Secrets()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nope")));
  EXPECT_THAT(ResolveSecretSpec("literal-secret", Secrets()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Not(HasSubstr("literal-secret"))));
  EXPECT_THAT(ResolveSecretSpec("file:/blank", Secrets()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  env_["K"] = "value";
  EXPECT_THAT(ResolveSecretSpec("env:K", Secrets()), IsOkAndHolds(Eq("value")));
}

TEST(IsSecretSpecTest, RecognizesTheTwoForms) {
  EXPECT_TRUE(IsSecretSpec("env:NAME"));
  EXPECT_TRUE(IsSecretSpec("file:/run/secrets/key"));
  EXPECT_FALSE(IsSecretSpec("env:"));
  EXPECT_FALSE(IsSecretSpec("file:"));
  EXPECT_FALSE(IsSecretSpec("NAME"));
  EXPECT_FALSE(IsSecretSpec("literal-key"));
  EXPECT_FALSE(IsSecretSpec(""));
}

}  // namespace
}  // namespace mediagen::server
