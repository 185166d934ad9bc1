#include "service/server/command_line.h"

#include <cstdio>
#include <fstream>
#include <map>

#include "gtest/gtest.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::server {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kBad = absl::StatusCode::kInvalidArgument;

class CommandLineTest : public ::testing::Test {
 protected:
  SecretSources Secrets() {
    SecretSources s;
    s.env = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    s.read_file = [](const std::string&) -> absl::StatusOr<std::string> {
      return absl::NotFoundError("no file");
    };
    return s;
  }
  // Parses and loads (no config file unless given), failing on errors.
  ServerOptions Load(const std::vector<std::string>& args) {
    absl::StatusOr<CommandLine> command_line = ParseCommandLine(args);
    EXPECT_THAT(command_line, IsOk());
    if (!command_line.ok()) return ServerOptions();
    absl::StatusOr<ServerOptions> o =
        LoadServerOptions(*command_line, Secrets());
    EXPECT_THAT(o, IsOk());
    return o.ok() ? *o : ServerOptions();
  }
  absl::Status LoadError(const std::vector<std::string>& args) {
    absl::StatusOr<CommandLine> command_line = ParseCommandLine(args);
    if (!command_line.ok()) return command_line.status();
    return LoadServerOptions(*command_line, Secrets()).status();
  }
  std::string WriteConfig(const std::string& text) {
    const std::string path =
        std::string(std::getenv("TEST_TMPDIR")) + "/config.json";
    std::ofstream(path) << text;
    return path;
  }
  std::map<std::string, std::string> env_;
};

TEST_F(CommandLineTest, AcceptsTheFormsAbslFlagsAccepted) {
  const ServerOptions o =
      Load({"--listen=0.0.0.0:1", "-admin_listen=[::]:2", "--vimmerse_url",
            "http://v", "--dev", "--poll_min_interval=250ms",
            "--max_concurrent_streams", "7"});
  EXPECT_EQ(o.listen_address, "0.0.0.0:1");
  EXPECT_EQ(o.admin_address, "[::]:2");
  EXPECT_EQ(o.endpoints.vimmerse, "http://v");
  EXPECT_TRUE(o.dev_mode);
  EXPECT_EQ(o.jobs.min_poll_interval, absl::Milliseconds(250));
  EXPECT_EQ(o.grpc.max_concurrent_streams, 7);

  EXPECT_FALSE(Load({"--dev", "--nodev"}).dev_mode);
  EXPECT_TRUE(Load({"--dev=false", "--dev=true"}).dev_mode);
  EXPECT_FALSE(Load({"--dev=0"}).dev_mode);
  // The last of a repeated flag wins; an empty value is a value.
  EXPECT_EQ(Load({"--listen=a:1", "--listen=b:2"}).listen_address, "b:2");
  EXPECT_EQ(Load({"--public_base_url="}).public_base_url, "");
  EXPECT_THAT(ParseCommandLine(std::vector<std::string>{"--"}), IsOk());
}

TEST_F(CommandLineTest, Help) {
  for (const char* help : {"--help", "-help", "-h", "--helpfull"}) {
    absl::StatusOr<CommandLine> c =
        ParseCommandLine(std::vector<std::string>{"--listen=x:1", help});
    ASSERT_THAT(c, IsOk()) << help;
    EXPECT_TRUE(c->help) << help;
  }
  absl::StatusOr<CommandLine> c =
      ParseCommandLine(std::vector<std::string>{"--listen=x:1"});
  ASSERT_THAT(c, IsOk());
  EXPECT_FALSE(c->help);
}

TEST_F(CommandLineTest, UnknownFlagsAndStrayArgumentsNameThemselves) {
  EXPECT_THAT(LoadError({"--listen_address=x"}),
              StatusIs(kBad, HasSubstr("--listen_address")));
  EXPECT_THAT(LoadError({"--nolisten"}),
              StatusIs(kBad, HasSubstr("--nolisten")));
  EXPECT_THAT(LoadError({"--nodev=true"}),
              StatusIs(kBad, HasSubstr("--nodev")));
  EXPECT_THAT(LoadError({"serve"}), StatusIs(kBad, HasSubstr("'serve'")));
  EXPECT_THAT(LoadError({"--", "serve"}), StatusIs(kBad, HasSubstr("'serve'")));
  EXPECT_THAT(LoadError({"--listen"}),
              StatusIs(kBad, HasSubstr("--listen: needs a value")));
  EXPECT_THAT(LoadError({"--config"}), StatusIs(kBad, HasSubstr("--config")));
}

TEST_F(CommandLineTest, BadValuesNameTheFlag) {
  struct Case {
    const char* arg;
    const char* must_mention;
  } cases[] = {
      {"--max_message_bytes=12", "--max_message_bytes:"},
      {"--http_threads=0", "--http_threads:"},
      {"--max_concurrent_streams=many", "--max_concurrent_streams:"},
      {"--keepalive_time=30", "--keepalive_time:"},
      {"--drain_delay=-1s", "--drain_delay:"},
      {"--dev=perhaps", "--dev:"},
      {"--log_level=loud", "--log_level:"},
      {"--dev_aimlapi_key=literal", "--dev_aimlapi_key:"},
      {"--webhook_secret=literal-secret", "--webhook_secret:"},
  };
  for (const Case& c : cases) {
    absl::Status s = LoadError({c.arg});
    EXPECT_THAT(s, StatusIs(kBad, HasSubstr(c.must_mention))) << c.arg;
    EXPECT_THAT(s, StatusIs(kBad, Not(HasSubstr("literal-secret"))));
  }
  // A secret that cannot be resolved keeps its code (and names the source).
  EXPECT_THAT(LoadError({"--webhook_secret=env:UNSET"}),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("--webhook_secret: secret: environment "
                                 "variable UNSET")));
  env_["HOOK"] = "hook";
  EXPECT_EQ(Load({"--webhook_secret=env:HOOK"}).webhook_secret, "hook");
}

TEST_F(CommandLineTest, FlagsGivenWinOverTheConfigFileWhichWinsOverDefaults) {
  const std::string path = WriteConfig(R"({
    "listen_address": "0.0.0.0:9",
    "grpc": {"keepalive_time_ms": 20000, "max_concurrent_streams": 50},
    "drain": {"delay_ms": 0}
  })");
  const ServerOptions defaults;
  // Flags before or after --config: the flag wins either way.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--keepalive_time=1s", "--config=" + path},
           {"--config", path, "--keepalive_time=1s"}}) {
    const ServerOptions o = Load(args);
    EXPECT_EQ(o.grpc.keepalive_time, absl::Seconds(1));    // flag
    EXPECT_EQ(o.listen_address, "0.0.0.0:9");              // file, no flag
    EXPECT_EQ(o.grpc.max_concurrent_streams, 50);          // file, no flag
    EXPECT_EQ(o.drain_delay, absl::ZeroDuration());        // file: 0 kept
    EXPECT_EQ(o.shutdown_grace, defaults.shutdown_grace);  // default
  }
  EXPECT_THAT(LoadError({"--config=/no/such/file.json"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/no/such")));
  const std::string bad = WriteConfig(R"({"grpc": {"keepalive": 1}})");
  EXPECT_THAT(LoadError({"--config=" + bad}),
              StatusIs(kBad, HasSubstr("grpc.keepalive")));
}

TEST_F(CommandLineTest, DevCredentialsAreResolvedOnlyInDevMode) {
  env_["VIMMERSE_API_KEY"] = "vim";
  env_["MY_AIML"] = "aiml";
  ServerOptions o = Load({"--dev", "--dev_aimlapi_key=env:MY_AIML"});
  std::vector<DevKeyProblem> problems = ResolveDevCredentials(o, Secrets());
  EXPECT_EQ(o.dev_credentials.vimmerse_api_key, "vim");
  EXPECT_EQ(o.dev_credentials.aimlapi_api_key, "aiml");
  EXPECT_EQ(o.dev_credentials.elevenlabs_api_key, "");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].flag, "dev_elevenlabs_key");
  EXPECT_THAT(problems[0].why, HasSubstr("ELEVENLABS_API_KEY"));

  ServerOptions not_dev = Load({});
  EXPECT_TRUE(ResolveDevCredentials(not_dev, Secrets()).empty());
  EXPECT_EQ(not_dev.dev_credentials.vimmerse_api_key, "");
}

}  // namespace
}  // namespace mediagen::server
