#include "bench/rest_client.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace mediagen::bench {
namespace {

class RestClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/hello", [this](const httplib::Request& req,
                                 httplib::Response& res) {
      Note(req);
      res.set_content(std::string(1000, 'x'), "text/plain");
    });
    server_.Post("/echo", [this](const httplib::Request& req,
                                 httplib::Response& res) {
      Note(req);
      res.status = 201;
      res.set_content(absl::StrCat(req.body.size(), " ",
                                   req.get_header_value("X-Key")),
                      "text/plain");
    });
    server_.Put("/method", [](const httplib::Request&,
                              httplib::Response& res) {
      res.set_content("put", "text/plain");
    });
    server_.Post("/upload", [](const httplib::Request& req,
                               httplib::Response& res) {
      const auto& file = req.get_file_value("video_file");
      res.set_content(absl::StrCat(file.filename, " ", file.content_type, " ",
                                   file.content.size()),
                      "text/plain");
    });
    // httplib closes a connection after 5 requests by default.
    server_.set_keep_alive_max_count(1000);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  void Note(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu_);
    peers_.insert(req.remote_port);
  }
  size_t connections() {
    std::lock_guard<std::mutex> lock(mu_);
    return peers_.size();
  }
  std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::set<int> peers_;
};

TEST_F(RestClientTest, GetCountsBodyAndReusesOneConnection) {
  RestClient client;
  auto req = std::make_shared<RestClient::Request>();
  req->url = Url("/hello");
  for (int i = 0; i < 5; ++i) {
    RestClient::Response r = client.SendAndWait(req);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body_bytes, 1000u);
    EXPECT_GT(r.first_byte, absl::ZeroDuration());
    EXPECT_GE(r.total, r.first_byte);
  }
  EXPECT_EQ(connections(), 1u);
}

TEST_F(RestClientTest, FreshConnectionOpensOnePerRequest) {
  RestClient client;
  auto req = std::make_shared<RestClient::Request>();
  req->url = Url("/hello");
  req->fresh_connection = true;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(client.SendAndWait(req).status, 200);
  EXPECT_EQ(connections(), 4u);
}

TEST_F(RestClientTest, PostSendsBodyAndHeaders) {
  RestClient client;
  auto req = std::make_shared<RestClient::Request>();
  req->method = "POST";
  req->url = Url("/echo");
  req->body = std::string(5000, 'b');  // past curl's 100-continue threshold
  req->headers = {"X-Key: k1", "Content-Type: application/json"};
  RestClient::Response r = client.SendAndWait(req);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body_bytes, std::string("5000 k1").size());

  auto put = std::make_shared<RestClient::Request>();
  put->method = "PUT";
  put->url = Url("/method");
  EXPECT_EQ(client.SendAndWait(put).status, 200);
}

TEST_F(RestClientTest, ManyConcurrentAndSendsFromCallbacks) {
  RestClient client;
  auto req = std::make_shared<RestClient::Request>();
  req->url = Url("/hello");
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  std::atomic<int> ok{0};
  // Each of 8 chains sends its next request from the previous callback.
  std::function<void(int)> chain = [&](int left) {
    client.Send(req, [&, left](RestClient::Response r) {
      ok += r.status == 200;
      if (left > 1) {
        chain(left - 1);
        return;
      }
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      cv.notify_all();
    });
  };
  for (int i = 0; i < 8; ++i) chain(10);
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10),
                          [&] { return done == 8; }));
  EXPECT_EQ(ok.load(), 80);
  EXPECT_LE(connections(), 8u);
}

TEST_F(RestClientTest, NoServerIsAnErrorNotAStatus) {
  RestClient client;
  auto req = std::make_shared<RestClient::Request>();
  req->url = "http://127.0.0.1:1/nothing";
  RestClient::Response r = client.SendAndWait(req);
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
}

TEST_F(RestClientTest, UploadStreamsAMultipartFileOfTheGivenSize) {
  absl::StatusOr<UploadResult> r =
      UploadMultipart(Url("/upload"), {"X-Key: k"}, "video_file", "clip.mp4",
                      "video/mp4", 3 << 20);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, absl::StrCat("clip.mp4 video/mp4 ", 3 << 20));
  EXPECT_FALSE(UploadMultipart("http://127.0.0.1:1/x", {}, "f", "a", "b", 10)
                   .ok());
}

}  // namespace
}  // namespace mediagen::bench
