#include "client/cli/download_command.h"

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/mock_connection.h"
#include "client/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace mediagen::cli {
namespace {

namespace v1 = ::mediagen::v1;
using ::testing::_;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Result files on a local HTTP server, a mocked server for the jobs.
class DownloadCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/files/clip.mp4",
                [](const httplib::Request&, httplib::Response& res) {
                  res.set_content(std::string(2048, 'v'), "video/mp4");
                });
    server_.Get("/files/thumb.jpg",
                [](const httplib::Request&, httplib::Response& res) {
                  res.set_content("0123456789", "image/jpeg");
                });
    server_.Get("/missing", [](const httplib::Request&,
                               httplib::Response& res) { res.status = 404; });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
    client_ = std::make_unique<client::Client>(mock_);
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }
  std::string Dir(const std::string& name) {
    return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  }

  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "download");
    absl::StatusOr<Arguments> parsed = ParseArguments(args, nullptr);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return RunDownload(*client_, *parsed, console_);
  }

  void ExpectJob(const std::string& name, v1::JobState state,
                 std::vector<std::string> urls) {
    EXPECT_CALL(*mock_, GetJob(_, _))
        .WillOnce([=](auto&, const v1::GetJobRequest& request) {
          EXPECT_EQ(request.name(), name);
          v1::GetJobResponse response;
          response.mutable_job()->set_name(name);
          response.mutable_job()->set_state(state);
          for (const std::string& url : urls) {
            response.mutable_job()->add_result_urls(url);
          }
          return response;
        });
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::shared_ptr<client::MockConnection> mock_ =
      std::make_shared<client::MockConnection>();
  std::unique_ptr<client::Client> client_;
  std::ostringstream out_, err_;
  Console console_{out_, err_};
};

TEST_F(DownloadCommandTest, ANameStandsForItsJobsResults) {
  ExpectJob("media/abc", v1::JOB_STATE_SUCCEEDED,
            {Url("/files/clip.mp4"), Url("/files/thumb.jpg")});
  const std::string dir = Dir("results/");
  EXPECT_EQ(Run({"media/abc", "-o", dir}), 0);
  EXPECT_EQ(Slurp(dir + "clip.mp4"), std::string(2048, 'v'));
  EXPECT_EQ(Slurp(dir + "thumb.jpg"), "0123456789");
  EXPECT_EQ(out_.str(), absl::StrCat("downloaded ", dir, "clip.mp4 (2.0 KiB)\n",
                                     "downloaded ", dir, "thumb.jpg (10 B)\n"));
  EXPECT_EQ(err_.str(), "");  // piped: no transfer lines
}

TEST_F(DownloadCommandTest, OneUrlGoesToTheFileDashONames) {
  EXPECT_CALL(*mock_, GetJob(_, _)).Times(0);
  const std::string path = Dir("one.bin");
  EXPECT_EQ(Run({Url("/files/thumb.jpg"), "-o", path, "--json"}), 0);
  EXPECT_EQ(Slurp(path), "0123456789");
  EXPECT_EQ(out_.str(),
            absl::StrCat(R"({"url":")", Url("/files/thumb.jpg"),
                         R"(","path":")", path, R"(","bytes":10})", "\n"));
}

TEST_F(DownloadCommandTest, OnATerminalStderrShowsTheTransfer) {
  console_.err_is_terminal = true;
  EXPECT_EQ(Run({Url("/files/clip.mp4"), "-o", Dir("clip.mp4")}), 0);
  EXPECT_THAT(err_.str(), StartsWith("\r\033[2K"));
  EXPECT_THAT(err_.str(), HasSubstr("2.0 KiB / 2.0 KiB"));
}

TEST_F(DownloadCommandTest, AJobWithoutResultsIsAFailedPrecondition) {
  ExpectJob("media/abc", v1::JOB_STATE_RUNNING, {});
  EXPECT_EQ(Run({"media/abc", "-o", Dir("none/")}), 9);
  EXPECT_EQ(err_.str(),
            "mediagen: FAILED_PRECONDITION: media/abc has no results yet "
            "(running)\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(DownloadCommandTest, ErrorsPrintDescribeErrorAndExitWithTheGrpcCode) {
  const absl::Status missing = absl::NotFoundError("no job assets/x");
  EXPECT_CALL(*mock_, GetJob(_, _)).WillOnce([&](auto&, auto&) {
    return missing;
  });
  EXPECT_EQ(Run({"assets/x"}), 5);
  EXPECT_EQ(err_.str(),
            absl::StrCat("mediagen: ", client::DescribeError(missing), "\n"));

  err_.str("");
  EXPECT_EQ(Run({Url("/missing"), "-o", Dir("missing")}), 5);  // HTTP 404
  EXPECT_THAT(err_.str(), StartsWith("mediagen: NOT_FOUND"));

  err_.str("");
  EXPECT_EQ(Run({}), 3);
  EXPECT_EQ(err_.str(), "mediagen: download NAME|URL [-o DIR|FILE]\n");
  EXPECT_EQ(out_.str(), "");
}

}  // namespace
}  // namespace mediagen::cli
