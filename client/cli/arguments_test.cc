#include "client/cli/arguments.h"

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mediagen/v1/media.pb.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;
using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::Pair;

GetEnv Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string TokenFile(const std::string& name, const std::string& content) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << content;
  return path;
}

TEST(ArgumentsTest, SplitsGlobalsPositionalsAndRequestFlags) {
  absl::StatusOr<Arguments> args = ParseArguments(
      {"media", "create", "--prompt", "a kite", "--audio-option.native-audio",
       "--duration=5", "--json", "--watch=false", "-o", "out/", "--file",
       "clip.mp4", "--target", "h:1", "--timeout", "2m", "--request",
       R"({"title": "t"})", "-h"},
      nullptr);
  ASSERT_THAT(args, IsOk());
  EXPECT_THAT(args->positional, ElementsAre("media", "create"));
  EXPECT_THAT(args->fields,
              ElementsAre(Pair("prompt", Optional(Eq("a kite"))),
                          Pair("audio-option.native-audio", std::nullopt),
                          Pair("duration", Optional(Eq("5")))));
  const Globals& g = args->globals;
  EXPECT_TRUE(g.json);
  EXPECT_FALSE(g.watch);
  EXPECT_TRUE(g.help);
  EXPECT_EQ(g.output, "out/");
  EXPECT_EQ(g.file, "clip.mp4");
  EXPECT_EQ(g.target, "h:1");
  EXPECT_EQ(g.timeout, absl::Minutes(2));
  EXPECT_EQ(g.request_json, R"({"title": "t"})");
  EXPECT_EQ(g.token, "");
}

TEST(ArgumentsTest, TargetComesFromTheEnvironmentUnlessGiven) {
  EXPECT_EQ(ParseArguments({}, nullptr)->globals.target, "127.0.0.1:50051");
  EXPECT_EQ(
      ParseArguments({}, Env({{"MEDIAGEN_TARGET", "env:1"}}))->globals.target,
      "env:1");
  EXPECT_EQ(
      ParseArguments({"--target=flag:1"}, Env({{"MEDIAGEN_TARGET", "env:1"}}))
          ->globals.target,
      "flag:1");
}

TEST(ArgumentsTest, TokenFromTheFlagThenTheEnvironmentsFileThenItsValue) {
  const std::string flag_file = TokenFile("flag-token", "  from-flag\n");
  const std::string env_file = TokenFile("env-token", "from-env-file\n");
  const GetEnv both =
      Env({{"MEDIAGEN_TOKEN_FILE", env_file}, {"MEDIAGEN_TOKEN", "from-env"}});
  EXPECT_EQ(ParseArguments({"--token-file", flag_file}, both)->globals.token,
            "from-flag");
  EXPECT_EQ(ParseArguments({}, both)->globals.token, "from-env-file");
  EXPECT_EQ(
      ParseArguments({}, Env({{"MEDIAGEN_TOKEN", "from-env"}}))->globals.token,
      "from-env");
  EXPECT_THAT(
      ParseArguments({"--token-file", flag_file + ".missing"}, both),
      StatusIs(absl::StatusCode::kNotFound,
               Eq(absl::StrCat("cannot read ", flag_file, ".missing"))));
  EXPECT_THAT(
      ParseArguments({}, Env({{"MEDIAGEN_TOKEN_FILE", env_file + ".missing"}})),
      StatusIs(absl::StatusCode::kNotFound));
}

TEST(ArgumentsTest, ABadGlobalFlagIsAnErrorNamingIt) {
  EXPECT_THAT(ParseArguments({"media", "create", "--target"}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("--target needs a value")));
  EXPECT_THAT(
      ParseArguments({"--timeout", "0s"}, nullptr),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("--timeout: \"0s\" is not a duration like 30s or 2m")));
  EXPECT_THAT(ParseArguments({"--timeout=soon"}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"soon\" is not a duration")));
  EXPECT_THAT(ParseArguments({"--json=maybe"}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("--json: expected true or false")));
}

TEST(ArgumentsTest, FillRequestAppliesTheJsonThenTheFlagsInOrder) {
  absl::StatusOr<Arguments> args = ParseArguments(
      {"--request", R"({"prompt": "from json", "title": "t"})", "--prompt",
       "from flag", "--audio-option.native-audio", "--media-items",
       R"({"url": "https://a"})", "--media-items", R"({"url": "https://b"})"},
      nullptr);
  ASSERT_THAT(args, IsOk());
  v1::CreateMediaRequest request;
  ASSERT_THAT(FillRequest(*args, &request), IsOk());
  EXPECT_EQ(request.prompt(), "from flag");
  EXPECT_EQ(request.title(), "t");
  EXPECT_TRUE(request.audio_option().native_audio());  // a bool alone: true
  ASSERT_EQ(request.media_items_size(), 2);
  EXPECT_EQ(request.media_items(1).url(), "https://b");
}

TEST(ArgumentsTest, FillRequestErrorsNameTheFlag) {
  v1::CreateMediaRequest request;
  EXPECT_THAT(
      FillRequest(*ParseArguments({"--prompt", "--json"}, nullptr), &request),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("--prompt needs a value")));
  EXPECT_THAT(
      FillRequest(*ParseArguments({"--duration", "five"}, nullptr), &request),
      StatusIs(absl::StatusCode::kInvalidArgument,
               Eq("--duration: \"five\" is not an integer")));
  EXPECT_THAT(
      FillRequest(*ParseArguments({"--request", "{bad"}, nullptr), &request),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--request: ")));
}

}  // namespace
}  // namespace mediagen::cli
