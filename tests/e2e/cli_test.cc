// The mediagen CLI end to end: the real binary against mediagen_server and
// the strict emulator, its output piped (as in scripts and CI).
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "service/common/sha256.h"
#include "tests/e2e/run_command.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class CliTest : public ::testing::Test {
 protected:
  void Start(ServerConfig config = {},
             std::vector<std::string> emulator_flags = {"--time_scale=0.02"}) {
    auto emu = EmulatorProcess::Start(std::move(emulator_flags));
    ASSERT_THAT(emu, IsOk());
    emu_ = std::move(*emu);
    config.emulator_port = emu_->port();
    auto server = ServerProcess::Start(config);
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
  }

  CommandResult Cli(std::vector<std::string> args,
                    std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), Runfile("client/cli/mediagen"));
    env["MEDIAGEN_TARGET"] =
        "127.0.0.1:" + std::to_string(server_->grpc_port());
    return RunCommand(args, env);
  }

  std::string Dir() { return std::getenv("TEST_TMPDIR"); }

  std::unique_ptr<EmulatorProcess> emu_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(CliTest, CreateWithWatchPrintsOneLinePerChangeThenDownloads) {
  ASSERT_NO_FATAL_FAILURE(Start());
  CommandResult created =
      Cli({"media", "create", "--prompt", "a red kite over the sea",
           "--duration", "5", "--audio-option.narrator", "Sarah",
           "--audio-option.narration", "Hello", "--audio-option",
           R"({"bg_music_prompt": "calm piano"})", "--watch"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::vector<std::string> lines = Lines(created.out);
  ASSERT_GE(lines.size(), 4u) << created.out;
  ASSERT_TRUE(absl::StartsWith(lines[0], "created media/")) << lines[0];
  const std::string name = lines[0].substr(8);
  // Piped: no escape codes, one line per change, the last one succeeded.
  EXPECT_EQ(created.out.find('\033'), std::string::npos);
  EXPECT_EQ(created.out.find('\r'), std::string::npos);
  // Which states show depends on timing (a slow machine may first see the
  // job running); each line is the job with its progress.
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    EXPECT_NE(lines[i].find(name), std::string::npos) << lines[i];
    EXPECT_NE(lines[i].find("%"), std::string::npos) << lines[i];
  }
  EXPECT_NE(lines[lines.size() - 2].find("100%  succeeded"), std::string::npos)
      << created.out;
  EXPECT_TRUE(absl::StartsWith(lines.back(), "result: http://127.0.0.1:"))
      << lines.back();

  // What reached upstream: the flags, nested ones included.
  json sent;
  for (const json& r : emu_->Requests("POST", "/v2/media")) sent = r["json"];
  EXPECT_EQ(sent["prompt"], "a red kite over the sea");
  EXPECT_EQ(sent["duration"], 5);
  EXPECT_EQ(sent["audio_option"]["narrator"], "Sarah");
  EXPECT_EQ(sent["audio_option"]["bg_music_prompt"], "calm piano");

  CommandResult got = Cli({"download", name, "-o", Dir() + "/out/"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const std::string url = lines.back().substr(8);
  const std::string file = url.substr(url.rfind('/') + 1);
  const std::string bytes = Slurp(Dir() + "/out/" + file);
  EXPECT_GT(bytes.size(), 1000u);
  EXPECT_EQ(bytes.substr(0, 4), "RIFF");  // the emulator's video is an AVI
  EXPECT_NE(got.out.find("downloaded " + Dir() + "/out/" + file),
            std::string::npos)
      << got.out;
}

TEST_F(CliTest, JsonOutputIsOneObjectPerLine) {
  ASSERT_NO_FATAL_FAILURE(Start());
  CommandResult created = Cli({"stable-audio", "generate", "--prompt",
                               "rain on a tin roof", "--json", "--watch"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::vector<std::string> lines = Lines(created.out);
  ASSERT_GE(lines.size(), 2u);
  json first = json::parse(lines[0]);
  const std::string name = first["generation"]["name"];
  EXPECT_TRUE(absl::StartsWith(name, "generations/")) << lines[0];
  json last = json::parse(lines.back());
  EXPECT_EQ(last["name"], name);
  EXPECT_EQ(last["state"], "JOB_STATE_SUCCEEDED");
}

TEST_F(CliTest, UploadAndStreamedSpeechWriteWhatUpstreamSent) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string clip = Dir() + "/clip.mp4";
  std::ofstream(clip, std::ios::binary) << std::string(3 << 20, 'c');
  CommandResult uploaded =
      Cli({"video", "upload", "--file", clip, "--content-type", "video/mp4"});
  ASSERT_EQ(uploaded.exit_code, 0) << uploaded.err;
  EXPECT_TRUE(absl::StartsWith(uploaded.out, "uploaded assets/"))
      << uploaded.out;
  json upload = emu_->Requests("POST", "/v2/video").back();
  EXPECT_EQ(upload["parts"][0]["size"], 3 << 20);
  EXPECT_EQ(upload["parts"][0]["filename"], "clip.mp4");

  const std::string audio = Dir() + "/hello.mp3";
  CommandResult spoken =
      Cli({"elevenlabs", "speech", "--voice-id", "JBFqnCBsd6RMkjVDRZzb",
           "--text", "Hello from mediagen", "-o", audio});
  ASSERT_EQ(spoken.exit_code, 0) << spoken.err;
  const std::string bytes = Slurp(audio);
  EXPECT_GT(bytes.size(), 1000u);
  EXPECT_NE(spoken.out.find("wrote " + audio), std::string::npos);
  // No partial file is left behind.
  EXPECT_FALSE(std::ifstream(audio + ".part").good());
}

TEST_F(CliTest, ErrorsAreOneLineAndExitWithTheGrpcCode) {
  ServerConfig config;
  config.dev_vimmerse_key = "vimmerse-broke-key";  // an emulator customer
  ASSERT_NO_FATAL_FAILURE(Start(config));
  CommandResult broke = Cli({"media", "create", "--prompt", "x"});
  EXPECT_EQ(broke.exit_code, 9) << broke.err;  // FAILED_PRECONDITION
  ASSERT_EQ(Lines(broke.err).size(), 1u) << broke.err;
  EXPECT_NE(broke.err.find("FAILED_PRECONDITION INSUFFICIENT_CREDIT (vimmerse"),
            std::string::npos)
      << broke.err;

  CommandResult bad_flag = Cli({"media", "create", "--duration", "five"});
  EXPECT_EQ(bad_flag.exit_code, 3);
  EXPECT_NE(bad_flag.err.find("--duration: \"five\" is not an integer"),
            std::string::npos)
      << bad_flag.err;
  CommandResult invalid = Cli({"video", "reframe", "--video-url", "ftp://x"});
  EXPECT_EQ(invalid.exit_code, 3);
  EXPECT_NE(invalid.err.find("video_url"), std::string::npos) << invalid.err;
  CommandResult missing = Cli({"job", "get", "--name", "media/nope"});
  EXPECT_EQ(missing.exit_code, 5) << missing.err;  // NOT_FOUND
  EXPECT_EQ(Cli({"video", "nope"}).exit_code, 3);
}

TEST_F(CliTest, TokenComesFromAFileOrTheEnvironmentAndNeverShows) {
  ServerConfig config;
  config.dev = false;
  config.config_json =
      json({{"tenants",
             {{{"name", "acme"},
               {"token_sha256", Sha256Hex("acme-secret-token")},
               {"keys", {{"vimmerse", {{"env", "ACME_KEY"}}}}}}}}})
          .dump();
  config.env = {{"ACME_KEY", "vimmerse-test-key"}};
  ASSERT_NO_FATAL_FAILURE(Start(config));
  const std::vector<std::string> estimate = {"video", "estimate-credits",
                                             "--option", "KlingO", "--json"};

  CommandResult none = Cli(estimate);
  EXPECT_EQ(none.exit_code, 16) << none.err;  // UNAUTHENTICATED

  const std::string token_file = Dir() + "/token";
  std::ofstream(token_file) << "acme-secret-token\n";
  CommandResult from_file =
      Cli(estimate, {{"MEDIAGEN_TOKEN_FILE", token_file}});
  EXPECT_EQ(from_file.exit_code, 0) << from_file.err;
  CommandResult from_env =
      Cli(estimate, {{"MEDIAGEN_TOKEN", "acme-secret-token"}});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
  CommandResult wrong = Cli(estimate, {{"MEDIAGEN_TOKEN", "guess"}});
  EXPECT_EQ(wrong.exit_code, 16);
  for (const CommandResult* r : {&none, &from_file, &from_env, &wrong}) {
    EXPECT_EQ(r->out.find("acme-secret-token"), std::string::npos);
    EXPECT_EQ(r->err.find("acme-secret-token"), std::string::npos);
    EXPECT_EQ(r->err.find("guess"), std::string::npos);
  }
}

// `mediagen usage` shows a tenant its limits and what it uses of them, and
// a create over a limit says which one (what the issue's closing note
// shows).
TEST_F(CliTest, UsageShowsTheLimitsAndARefusalNamesTheLimit) {
  ServerConfig config;
  config.dev = false;
  config.config_json =
      json({{"tenants",
             {{{"name", "acme"},
               {"token_sha256", Sha256Hex("acme-secret-token")},
               {"keys", {{"vimmerse", {{"env", "ACME_KEY"}}}}},
               {"limits",
                {{"concurrent_jobs", 2},
                 {"budgets",
                  {{{"provider", "vimmerse"},
                    {"unit", "credits"},
                    {"amount", 15},
                    {"period", "day"}}}}}}}}}})
          .dump();
  config.env = {{"ACME_KEY", "vimmerse-test-key"}};
  // Jobs take 20 s: the first is still running when usage is read.
  ASSERT_NO_FATAL_FAILURE(Start(config, {"--time_scale=1"}));
  const std::map<std::string, std::string> acme = {
      {"MEDIAGEN_TOKEN", "acme-secret-token"}};

  CommandResult created =
      Cli({"media", "create", "--prompt", "a red kite"}, acme);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  CommandResult usage = Cli({"usage"}, acme);
  std::cout << "$ mediagen usage\n" << usage.out << usage.err;
  ASSERT_EQ(usage.exit_code, 0) << usage.err;
  EXPECT_THAT(usage.out, ::testing::StartsWith("tenant acme\n"));
  EXPECT_THAT(usage.out, HasSubstr("\njobs in flight  1 of at most 2\n"));
  // A media costs 10 credits by the default price table.
  EXPECT_THAT(usage.out,
              HasSubstr("\nvimmerse        10 credits today, 10 this month, "
                        "0 reserved\n  day budget    15 credits: 5 left, "
                        "resets "));

  CommandResult refused =
      Cli({"media", "create", "--prompt", "one more"}, acme);
  std::cout << "$ mediagen media create --prompt 'one more'\n"
            << refused.out << refused.err << "(exit " << refused.exit_code
            << ")\n";
  EXPECT_EQ(refused.exit_code, 8) << refused.err;  // RESOURCE_EXHAUSTED
  EXPECT_THAT(refused.err, HasSubstr("TENANT_BUDGET_EXCEEDED"));
  EXPECT_EQ(emu_->Requests("POST", "/v2/media").size(), 1u);

  CommandResult as_json = Cli({"usage", "--json"}, acme);
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  json parsed = json::parse(as_json.out);
  EXPECT_EQ(parsed["tenant"], "acme");
  EXPECT_EQ(parsed["jobs_in_flight"], "1");
  EXPECT_EQ(parsed["limits"]["concurrent_jobs"], "2");
  EXPECT_EQ(parsed["providers"][0]["budgets"][0]["remaining"], 5);
}

// Without a server: what a new user sees first.
TEST(CliAloneTest, ACommandsHelpSaysWhatTheProtoSaysAndWhereItGoes) {
  CommandResult help =
      RunCommand({Runfile("client/cli/mediagen"), "media", "create", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_TRUE(absl::StartsWith(help.out,
                               "usage: mediagen media create [flags]\n"
                               "  calls mediagen.v1.MediaService.CreateMedia\n"
                               "  upstream: POST /v2/media\n"))
      << help.out;
  EXPECT_NE(
      help.out.find("\n  --duration INT\n"
                    "      Scene duration in seconds, 1-10. Default 5.\n"),
      std::string::npos)
      << help.out;
}

TEST(CliAloneTest, ARefusedConnectionNamesTheTargetAndKeepsTheGrpcCode) {
  const std::string target = "127.0.0.1:" + std::to_string(PickFreePort());
  CommandResult refused =
      RunCommand({Runfile("client/cli/mediagen"), "job", "get", "--name",
                  "media/abc", "--timeout", "20s"},
                 {{"MEDIAGEN_TARGET", target}});
  EXPECT_EQ(refused.exit_code, 14) << refused.err;  // UNAVAILABLE
  const std::vector<std::string> lines = Lines(refused.err);
  ASSERT_EQ(lines.size(), 2u) << refused.err;
  EXPECT_TRUE(absl::StartsWith(lines[0], "mediagen: UNAVAILABLE: "))
      << lines[0];
  EXPECT_EQ(lines[1], "mediagen: could not reach the server at " + target +
                          " (from MEDIAGEN_TARGET); choose it with --target "
                          "HOST:PORT or the MEDIAGEN_TARGET environment "
                          "variable");
  EXPECT_EQ(refused.out, "");
}

}  // namespace
}  // namespace mediagen::testing
