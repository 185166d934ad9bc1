#include "client/cli/audio_stream.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/mock_connection.h"
#include "client/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;
using ::testing::_;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Exists(const std::string& path) { return std::ifstream(path).good(); }

template <typename Response>
std::vector<Response> Audio(std::vector<std::string> chunks) {
  std::vector<Response> messages(1);
  messages[0].mutable_info()->set_content_type("audio/mpeg");
  messages[0].mutable_info()->set_character_cost(5);
  for (std::string& chunk : chunks) {
    messages.emplace_back().set_audio_chunk(std::move(chunk));
  }
  return messages;
}

class AudioStreamTest : public ::testing::Test {
 protected:
  AudioStreamTest() {
    console_.now = [] { return kNow; };
    client::ClientOptions options;
    options.now = [] { return kNow; };
    client_ = std::make_unique<client::Client>(mock_, options);
  }

  int Run(const std::string& verb, std::vector<std::string> flags) {
    flags.insert(flags.begin(), {"elevenlabs", verb});
    absl::StatusOr<Arguments> args = ParseArguments(flags, nullptr);
    EXPECT_TRUE(args.ok()) << args.status();
    return RunServerStream(*FindCommand("elevenlabs", verb), *client_, *args,
                           console_);
  }

  std::string Path(const std::string& name) {
    return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  }

  std::shared_ptr<client::MockConnection> mock_ =
      std::make_shared<client::MockConnection>();
  std::unique_ptr<client::Client> client_;
  std::ostringstream out_, err_;
  Console console_{out_, err_};
};

TEST_F(AudioStreamTest, WritesTheAudioToTheFileAsItArrives) {
  const std::string path = Path("hello.mp3");
  EXPECT_CALL(*mock_, SynthesizeSpeech(_, _))
      .WillOnce([&](auto&, const v1::SynthesizeSpeechRequest& request) {
        EXPECT_EQ(request.voice_id(), "V");
        EXPECT_EQ(request.text(), "Hello");
        return client::MakeStreamReader(
            Audio<v1::SynthesizeSpeechResponse>({"ID3", "abc", "def"}));
      });
  EXPECT_EQ(Run("speech", {"--voice-id", "V", "--text", "Hello", "-o", path}),
            0);
  EXPECT_EQ(Slurp(path), "ID3abcdef");
  EXPECT_FALSE(Exists(path + ".part"));
  EXPECT_EQ(out_.str(),
            absl::StrCat("wrote ", path, " (9 B, first audio after 0)\n"));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(AudioStreamTest, JsonSaysWhereWithTheStreamInfo) {
  const std::string path = Path("boom.mp3");
  EXPECT_CALL(*mock_, GenerateSoundEffect(_, _))
      .WillOnce([&](auto&, const v1::GenerateSoundEffectRequest& request) {
        EXPECT_EQ(request.text(), "boom");
        return client::MakeStreamReader(
            Audio<v1::GenerateSoundEffectResponse>({"12345"}));
      });
  EXPECT_EQ(Run("sound-effect", {"--text", "boom", "-o", path, "--json"}), 0);
  EXPECT_EQ(Slurp(path), "12345");
  EXPECT_EQ(
      out_.str(),
      absl::StrCat(R"({"output":")", path, R"(","bytes":5,"info":)",
                   R"({"content_type":"audio/mpeg","character_cost":"5"}})",
                   "\n"));
}

TEST_F(AudioStreamTest, DashWritesOnlyTheAudioToOut) {
  EXPECT_CALL(*mock_, SynthesizeSpeech(_, _)).WillOnce([](auto&, auto&) {
    return client::MakeStreamReader(
        Audio<v1::SynthesizeSpeechResponse>({"ab", "cd"}));
  });
  console_.err_is_terminal = true;  // no progress under audio on stdout
  EXPECT_EQ(Run("speech", {"--text", "x", "-o", "-"}), 0);
  EXPECT_EQ(out_.str(), "abcd");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(AudioStreamTest, OnATerminalStderrShowsTheBytesSoFar) {
  const std::string path = Path("live.mp3");
  EXPECT_CALL(*mock_, SynthesizeSpeech(_, _)).WillOnce([](auto&, auto&) {
    return client::MakeStreamReader(
        Audio<v1::SynthesizeSpeechResponse>({"ab", "cd"}));
  });
  console_.err_is_terminal = true;
  EXPECT_EQ(Run("speech", {"--text", "x", "-o", path}), 0);
  EXPECT_EQ(err_.str(), "\r\033[2K2 B  0 B/s\r\033[2K4 B  0 B/s\n");
}

TEST_F(AudioStreamTest, ABrokenStreamLeavesNoFileAndExitsWithTheGrpcCode) {
  const std::string path = Path("broken.mp3");
  const absl::Status quota = absl::ResourceExhaustedError("quota exceeded");
  EXPECT_CALL(*mock_, SynthesizeSpeech(_, _)).WillOnce([&](auto&, auto&) {
    return client::MakeStreamReader(
        Audio<v1::SynthesizeSpeechResponse>({"partial"}), quota);
  });
  EXPECT_EQ(Run("speech", {"--text", "x", "-o", path}), 8);
  EXPECT_FALSE(Exists(path));
  EXPECT_FALSE(Exists(path + ".part"));
  EXPECT_EQ(err_.str(),
            absl::StrCat("mediagen: ", client::DescribeError(quota), "\n"));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(AudioStreamTest, NeedsAnOutputItCanWrite) {
  EXPECT_EQ(Run("speech", {"--text", "x"}), 3);
  EXPECT_EQ(err_.str(),
            "mediagen: -o PATH is required (the audio; '-' for stdout)\n");
  err_.str("");
  const std::string path = Path("no/such/dir/a.mp3");
  EXPECT_CALL(*mock_, SynthesizeSpeech(_, _)).WillOnce([](auto&, auto&) {
    return client::MakeStreamReader(
        Audio<v1::SynthesizeSpeechResponse>({"ab"}));
  });
  EXPECT_EQ(Run("speech", {"--text", "x", "-o", path}), 9);
  EXPECT_EQ(
      err_.str(),
      absl::StrCat("mediagen: FAILED_PRECONDITION: cannot write ", path, "\n"));
}

TEST_F(AudioStreamTest, ABadFlagIsAUsageErrorAndNothingIsSent) {
  EXPECT_CALL(*mock_, SynthesizeSpeech(_, _)).Times(0);
  EXPECT_EQ(Run("speech", {"--seed", "x", "-o", "-"}), 3);
  EXPECT_EQ(err_.str(),
            "mediagen: --seed: \"x\" is not a non-negative integer\n");
}

}  // namespace
}  // namespace mediagen::cli
