#include "client/cli/upload.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/mock_connection.h"
#include "client/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::StartsWith;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);
constexpr size_t kMiB = 1 << 20;

// Reads an upload's chunks the way the connection would: until "".
std::vector<std::string> Drain(const client::ChunkReader& next_chunk) {
  std::vector<std::string> chunks;
  while (true) {
    absl::StatusOr<std::string> chunk = next_chunk();
    EXPECT_TRUE(chunk.ok()) << chunk.status();
    if (!chunk.ok() || chunk->empty()) return chunks;
    chunks.push_back(*std::move(chunk));
  }
}

class UploadTest : public ::testing::Test {
 protected:
  UploadTest() {
    console_.now = [] { return kNow; };
    client::ClientOptions options;
    options.now = [] { return kNow; };
    client_ = std::make_unique<client::Client>(mock_, options);
    // 2.5 MiB of varying bytes: two full chunks and a half one.
    for (size_t i = 0; i < 5 * kMiB / 2; ++i) content_.push_back(i % 251);
    path_ = absl::StrCat(std::getenv("TEST_TMPDIR"), "/clip.mp4");
    std::ofstream(path_, std::ios::binary) << content_;
  }

  int Run(const std::string& group, std::vector<std::string> flags) {
    flags.insert(flags.begin(), {group, "upload"});
    absl::StatusOr<Arguments> args = ParseArguments(flags, nullptr);
    EXPECT_TRUE(args.ok()) << args.status();
    return RunUpload(*FindCommand(group, "upload"), *client_, *args, console_);
  }

  static v1::UploadVideoResponse Uploaded() {
    v1::UploadVideoResponse response;
    response.mutable_asset()->set_name("assets/9");
    return response;
  }

  std::shared_ptr<client::MockConnection> mock_ =
      std::make_shared<client::MockConnection>();
  std::unique_ptr<client::Client> client_;
  std::ostringstream out_, err_;
  Console console_{out_, err_};
  std::string content_;
  std::string path_;
};

TEST_F(UploadTest, SendsTheMetadataThenTheFileInChunks) {
  EXPECT_CALL(*mock_, UploadVideo(_, _, _))
      .WillOnce([&](const client::CallContext& call,
                    const v1::UploadVideoMetadata& metadata,
                    const client::ChunkReader& next_chunk) {
        EXPECT_EQ(metadata.file_name(), "clip.mp4");
        EXPECT_EQ(metadata.size_bytes(), static_cast<int64_t>(5 * kMiB / 2));
        EXPECT_EQ(metadata.content_type(), "video/mp4");
        EXPECT_FALSE(metadata.request_id().empty());
        // Big files take a while: an hour unless --timeout says otherwise.
        EXPECT_EQ(call.deadline, kNow + absl::Hours(1));
        std::vector<std::string> chunks = Drain(next_chunk);
        std::vector<size_t> sizes;
        for (const std::string& chunk : chunks) sizes.push_back(chunk.size());
        EXPECT_THAT(sizes, ElementsAre(kMiB, kMiB, kMiB / 2));
        EXPECT_EQ(absl::StrJoin(chunks, ""), content_);
        return Uploaded();
      });
  EXPECT_EQ(Run("video", {"--file", path_, "--content-type", "video/mp4"}), 0);
  EXPECT_EQ(out_.str(), "uploaded assets/9 (2.5 MiB in 0:00)\n");
  EXPECT_EQ(err_.str(), "");  // piped: no transfer line
}

TEST_F(UploadTest, FlagsOverrideWhatTheFileSuggests) {
  EXPECT_CALL(*mock_, UploadAudio(_, _, _))
      .WillOnce([&](const client::CallContext& call,
                    const v1::UploadAudioMetadata& metadata,
                    const client::ChunkReader& next_chunk) {
        EXPECT_EQ(metadata.file_name(), "voice.wav");
        EXPECT_EQ(metadata.size_bytes(), 7);
        EXPECT_EQ(call.deadline, kNow + absl::Minutes(10));
        Drain(next_chunk);
        v1::UploadAudioResponse response;
        response.mutable_asset()->set_name("assets/a");
        return response;
      });
  EXPECT_EQ(Run("audio", {"--file", path_, "--file-name", "voice.wav",
                          "--size-bytes", "7", "--timeout", "10m"}),
            0);
  EXPECT_THAT(out_.str(), StartsWith("uploaded assets/a (2.5 MiB in "));
}

TEST_F(UploadTest, OnATerminalStderrShowsTheTransfer) {
  EXPECT_CALL(*mock_, UploadVideo(_, _, _))
      .WillOnce([&](auto&, auto&, const client::ChunkReader& next_chunk) {
        Drain(next_chunk);
        return Uploaded();
      });
  console_.err_is_terminal = true;
  EXPECT_EQ(Run("video", {"--file", path_}), 0);
  // One redraw per chunk (the clock stands still, hence no rate), then a
  // newline so that the result starts on a line of its own.
  EXPECT_EQ(err_.str(),
            "\r\033[2K1.0 MiB / 2.5 MiB [########............]  40%  0 B/s"
            "\r\033[2K2.0 MiB / 2.5 MiB [################....]  80%  0 B/s"
            "\r\033[2K2.5 MiB / 2.5 MiB [####################] 100%  0 B/s\n");
  EXPECT_EQ(out_.str(), "uploaded assets/9 (2.5 MiB in 0:00)\n");
}

TEST_F(UploadTest, JsonPrintsTheResponse) {
  EXPECT_CALL(*mock_, UploadVideo(_, _, _))
      .WillOnce([&](auto&, auto&, const client::ChunkReader& next_chunk) {
        Drain(next_chunk);
        return Uploaded();
      });
  EXPECT_EQ(Run("video", {"--file", path_, "--json"}), 0);
  EXPECT_EQ(out_.str(), R"({"asset":{"name":"assets/9"}})"
                        "\n");
}

TEST_F(UploadTest, NeedsAReadableFile) {
  EXPECT_CALL(*mock_, UploadVideo(_, _, _)).Times(0);
  EXPECT_EQ(Run("video", {}), 3);
  EXPECT_EQ(err_.str(), "mediagen: --file PATH is required\n");
  err_.str("");
  EXPECT_EQ(Run("video", {"--file", path_ + ".missing"}), 5);  // NOT_FOUND
  EXPECT_THAT(err_.str(), StartsWith("mediagen: NOT_FOUND: "));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(UploadTest, AFailedUploadPrintsDescribeErrorAndExitsWithTheGrpcCode) {
  const absl::Status too_big = absl::InvalidArgumentError("file too large");
  EXPECT_CALL(*mock_, UploadVideo(_, _, _)).WillOnce([&](auto&, auto&, auto&) {
    return too_big;
  });
  EXPECT_EQ(Run("video", {"--file", path_}), 3);
  EXPECT_EQ(err_.str(),
            absl::StrCat("mediagen: ", client::DescribeError(too_big), "\n"));
  EXPECT_EQ(out_.str(), "");
}

}  // namespace
}  // namespace mediagen::cli
