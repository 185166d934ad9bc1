#include "client/cli/download.h"

#include <fstream>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "httplib.h"

namespace mediagen::cli {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class DownloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/files/clip.mp4",
                [](const httplib::Request&, httplib::Response& res) {
                  res.set_content(std::string(300000, 'v'), "video/mp4");
                });
    server_.Get("/missing", [](const httplib::Request&,
                               httplib::Response& res) { res.status = 404; });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
    dir_ = std::getenv("TEST_TMPDIR");
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::string dir_;
};

TEST_F(DownloadTest, WritesTheWholeBodyAndReportsProgress) {
  int64_t last_done = 0, last_total = 0;
  const std::string path = dir_ + "/clip.mp4";
  absl::StatusOr<int64_t> bytes = DownloadToFile(
      Url("/files/clip.mp4"), path, [&](int64_t done, int64_t total) {
        last_done = done;
        last_total = total;
      });
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, 300000);
  EXPECT_EQ(Slurp(path), std::string(300000, 'v'));
  EXPECT_EQ(last_done, 300000);
  EXPECT_EQ(last_total, 300000);
}

TEST_F(DownloadTest, HttpErrorsLeaveNoFile) {
  const std::string path = dir_ + "/missing";
  absl::StatusOr<int64_t> bytes =
      DownloadToFile(Url("/missing"), path, nullptr);
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::ifstream(path).good());
  EXPECT_FALSE(std::ifstream(path + ".part").good());
  EXPECT_EQ(DownloadToFile("file:///etc/passwd", path, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FileNameFromUrlTest, LastPathSegmentWithoutQuery) {
  EXPECT_EQ(FileNameFromUrl("https://h/a/b/video.mp4?sig=x#y", "f"),
            "video.mp4");
  EXPECT_EQ(FileNameFromUrl("https://h", "f"), "f");
  EXPECT_EQ(FileNameFromUrl("https://h/a/", "f"), "f");
  EXPECT_EQ(FileNameFromUrl("https://h/..", "f"), "f");
}

}  // namespace
}  // namespace mediagen::cli
