// Uploads through the Engine: the exact multipart request (parts, query,
// headers) and the rule that a file stream is never sent twice.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "service/common/scheduler.h"
#include "service/http/fake_transport.h"
#include "service/upstream/engine/engine.h"
#include "service/upstream/providers/errors.h"
#include "service/upstream/providers/test_util.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::upstream {
namespace {

using ::mediagen::testing::StatusIs;
using ::mediagen::upstream::testing::Header;
using ::mediagen::upstream::testing::MultipartPart;
using ::mediagen::upstream::testing::ParseMultipart;

constexpr char kVimKey[] = "vim-key-upload";
constexpr char kAssetJson[] =
    R"({"id": "up1", "status": "success", "results": ["https://cdn/clip.mp4"],
        "app_name": "upload-video", "credits": 0})";

http::FakeTransport::Reply Ok(std::string body) {
  http::FakeTransport::Reply r;
  r.status = 200;
  r.body = std::move(body);
  return r;
}

// A file already in memory, handed out in small reads.
class StringSource : public http::BodySource {
 public:
  explicit StringSource(std::string data, bool fail = false)
      : data_(std::move(data)), fail_(fail) {}
  void SetResumeCallback(std::function<void()>) override {}
  ReadResult Read(char* buf, size_t max, size_t* n) override {
    ++reads_;
    if (fail_) return ReadResult::kError;
    *n = std::min<size_t>({max, data_.size() - offset_, 7});
    if (*n == 0) return ReadResult::kEnd;
    std::copy_n(data_.data() + offset_, *n, buf);
    offset_ += *n;
    return ReadResult::kData;
  }
  absl::Status error() const override {
    return absl::InvalidArgumentError("the client stream ended early");
  }
  std::optional<int64_t> size() const override {
    return static_cast<int64_t>(data_.size());
  }
  int reads() const { return reads_; }

 private:
  const std::string data_;
  const bool fail_;
  size_t offset_ = 0;
  int reads_ = 0;
};

// Holds requests without reading their bodies.
class HoldingTransport : public http::HttpTransport {
 public:
  struct NoopCall : http::HttpCall {
    void Cancel() override {}
    void ResumeReceive() override {}
  };
  std::shared_ptr<http::HttpCall> Start(http::HttpRequest request,
                                        Done done) override {
    requests.push_back(std::move(request));
    dones.push_back(std::move(done));
    return std::make_shared<NoopCall>();
  }
  std::vector<http::HttpRequest> requests;
  std::vector<Done> dones;
};

std::string Drain(http::BodySource& source) {
  source.SetResumeCallback([] {});
  std::string out;
  char buf[64];
  size_t n;
  while (source.Read(buf, sizeof(buf), &n) ==
         http::BodySource::ReadResult::kData) {
    out.append(buf, n);
  }
  return out;
}

CallContext Ctx() {
  CallContext ctx;
  ctx.credentials.vimmerse_api_key = kVimKey;
  return ctx;
}

v1::UploadVideoMetadata VideoMeta() {
  v1::UploadVideoMetadata m;
  m.set_request_id("idem-upload");
  m.set_file_name("clip.mp4");
  m.set_content_type("video/mp4");
  m.set_option("UploadVideo");
  m.set_video_duration(4);
  return m;
}

TEST(EngineUploadTest, VideoUploadIsOneMultipartPartWithQueryParams) {
  http::FakeTransport fake;
  FakeScheduler sched;
  Engine engine(Engine::Options{}, &fake, &sched);
  fake.Push(Ok(kAssetJson));
  const std::string bytes("\x00\x01video-bytes\r\n--not-a-boundary\xff", 32);
  std::optional<absl::StatusOr<v1::UploadVideoResponse>> got;
  engine.Upload(
      Ctx(), VideoMeta(), std::make_shared<StringSource>(bytes),
      [&](absl::StatusOr<v1::UploadVideoResponse> r) { got = std::move(r); });
  ASSERT_EQ(fake.call_count(), 1u);
  const auto req = fake.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(
      req.url,
      "https://api.vimmerse.net/v2/video?option=UploadVideo&video_duration=4");
  EXPECT_EQ(Header(req.headers, "X-Api-Key"), kVimKey);
  EXPECT_TRUE(req.streamed_body);
  const std::string content_type = Header(req.headers, "Content-Type");
  std::vector<MultipartPart> parts = ParseMultipart(req.body, content_type);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].name, "video_file");
  EXPECT_EQ(parts[0].filename, "clip.mp4");
  EXPECT_EQ(parts[0].content_type, "video/mp4");
  EXPECT_EQ(parts[0].body, bytes);
  EXPECT_EQ(req.body.find("idem-upload"), std::string::npos);
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok()) << got->status();
  EXPECT_EQ((*got)->asset().name(), "assets/up1");
  EXPECT_EQ((*got)->asset().results(0), "https://cdn/clip.mp4");
}

TEST(EngineUploadTest, AudioUploadUsesAudioFileField) {
  http::FakeTransport fake;
  FakeScheduler sched;
  Engine engine(Engine::Options{}, &fake, &sched);
  fake.Push(Ok(kAssetJson));
  v1::UploadAudioMetadata m;
  m.set_file_name("voiceover.mp3");
  m.set_content_type("audio/mpeg");
  std::optional<absl::StatusOr<v1::UploadAudioResponse>> got;
  engine.Upload(
      Ctx(), m, std::make_shared<StringSource>("ID3abc"),
      [&](absl::StatusOr<v1::UploadAudioResponse> r) { got = std::move(r); });
  ASSERT_EQ(fake.call_count(), 1u);
  const auto req = fake.requests()[0];
  EXPECT_EQ(req.url, "https://api.vimmerse.net/v2/audio");
  std::vector<MultipartPart> parts =
      ParseMultipart(req.body, Header(req.headers, "Content-Type"));
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].name, "audio_file");
  EXPECT_EQ(parts[0].filename, "voiceover.mp3");
  EXPECT_EQ(parts[0].content_type, "audio/mpeg");
  EXPECT_EQ(parts[0].body, "ID3abc");
  ASSERT_TRUE(got.has_value() && got->ok());
}

TEST(EngineUploadTest, UploadFailingAfterItWasSentIsNotRepeated) {
  for (absl::Status error :
       {absl::UnavailableError("connection reset"),
        // Even "not sent" cannot be retried once the file stream was read.
        http::MarkNotSent(absl::UnavailableError("refused"))}) {
    http::FakeTransport fake;  // drains the body before answering
    FakeScheduler sched;
    Engine engine(Engine::Options{}, &fake, &sched);
    fake.Push(error);
    fake.Push(Ok(kAssetJson));
    std::optional<absl::StatusOr<v1::UploadVideoResponse>> got;
    engine.Upload(
        Ctx(), VideoMeta(), std::make_shared<StringSource>("bytes"),
        [&](absl::StatusOr<v1::UploadVideoResponse> r) { got = std::move(r); });
    sched.AdvanceBy(absl::Minutes(1));
    EXPECT_EQ(fake.call_count(), 1u) << error;
    ASSERT_TRUE(got.has_value());
    EXPECT_THAT(got->status(), StatusIs(absl::StatusCode::kUnavailable));
  }
}

TEST(EngineUploadTest, UploadNeverReadIsRetriedWithAFreshBody) {
  HoldingTransport transport;
  FakeScheduler sched;
  Engine engine(Engine::Options{}, &transport, &sched);
  auto file = std::make_shared<StringSource>("payload");
  std::optional<absl::StatusOr<v1::UploadVideoResponse>> got;
  engine.Upload(
      Ctx(), VideoMeta(), file,
      [&](absl::StatusOr<v1::UploadVideoResponse> r) { got = std::move(r); });
  ASSERT_EQ(transport.requests.size(), 1u);
  std::move(transport.dones[0])(
      http::MarkNotSent(absl::UnavailableError("connection refused")));
  sched.AdvanceBy(absl::Seconds(30));
  ASSERT_EQ(transport.requests.size(), 2u);
  EXPECT_EQ(file->reads(), 0);
  http::HttpRequest& second = transport.requests[1];
  ASSERT_NE(second.body_source, nullptr);
  EXPECT_NE(second.body_source, transport.requests[0].body_source);
  std::vector<MultipartPart> parts = ParseMultipart(
      Drain(*second.body_source), Header(second.headers, "Content-Type"));
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].body, "payload");
  http::HttpResponse ok;
  ok.status = 200;
  ok.body = kAssetJson;
  std::move(transport.dones[1])(ok);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->ok()) << got->status();
}

TEST(EngineUploadTest, BrokenClientStreamFailsTheUpload) {
  http::FakeTransport fake;
  FakeScheduler sched;
  Engine engine(Engine::Options{}, &fake, &sched);
  std::optional<absl::StatusOr<v1::UploadVideoResponse>> got;
  engine.Upload(
      Ctx(), VideoMeta(), std::make_shared<StringSource>("x", /*fail=*/true),
      [&](absl::StatusOr<v1::UploadVideoResponse> r) { got = std::move(r); });
  ASSERT_TRUE(got.has_value());
  EXPECT_THAT(got->status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(rpc::GetErrorInfo(got->status())->reason(), "REQUEST_BODY_FAILED");
  EXPECT_EQ(fake.call_count(), 1u);
}

}  // namespace
}  // namespace mediagen::upstream
