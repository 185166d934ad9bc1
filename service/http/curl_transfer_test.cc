// The libcurl callbacks and the result mapping of one transfer, fed by hand
// the way curl_multi_perform would call them: no socket, no loop.
#include "service/http/curl_transfer.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/http/transport.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::http::internal {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

class TransferTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  static void TearDownTestSuite() { curl_global_cleanup(); }

  TransferTest() {
    // A handle that never ran a transfer: what libcurl reports about it
    // (response code, pre-transfer time) is zero.
    t_.easy = curl_easy_init();
    t_.request.method = "GET";
    t_.request.url = "http://upstream.test/v1/x";
    t_.redacted_url = "http://upstream.test/v1/x";
    t_.deadline = absl::Now() + absl::Seconds(30);
  }
  ~TransferTest() override { curl_easy_cleanup(t_.easy); }

  // One header line as libcurl hands it over (CRLF included); returns
  // what the callback returned.
  size_t Header(std::string line) {
    return OnHeader(line.data(), 1, line.size(), &t_);
  }
  // Feeds `lines` and expects each to be accepted whole.
  void FeedHeaders(const std::vector<std::string>& lines) {
    for (const std::string& line : lines) {
      ASSERT_EQ(Header(line), line.size()) << line;
    }
  }
  size_t Write(std::string piece) {
    return OnWrite(piece.data(), 1, piece.size(), &t_);
  }

  // A ResponseStream that records what it got. on_chunk returns
  // `chunk_result` (true unless a test sets it).
  std::shared_ptr<ResponseStream> Stream(bool take_body) {
    auto stream = std::make_shared<ResponseStream>();
    stream->on_headers = [this, take_body](int status, const Headers&) {
      header_statuses_.push_back(status);
      return take_body;
    };
    stream->on_chunk = [this](absl::string_view chunk) {
      chunks_.emplace_back(chunk);
      return chunk_result_;
    };
    return stream;
  }

  Transfer t_;
  std::vector<int> header_statuses_;
  std::vector<std::string> chunks_;
  bool chunk_result_ = true;
};

TEST_F(TransferTest, OnlyTheFinalHeaderBlockCounts) {
  FeedHeaders({"HTTP/1.1 100 Continue\r\n", "\r\n",
               "HTTP/1.1 103 Early Hints\r\n", "Link: </style.css>\r\n", "\r\n",
               "HTTP/1.1 302 Found\r\n", "Location: /elsewhere\r\n",
               "X-Final:  Yes \r\n", "X-Folded: a\r\n", "  b\r\n",
               "not a header line\r\n", "Content-Length: 5\r\n", "\r\n"});
  ASSERT_EQ(Write("moved"), 5u);
  // After the final block only trailers come; they are not headers.
  FeedHeaders({"X-Trailer: t\r\n", "\r\n"});

  absl::StatusOr<HttpResponse> r = TransferResponse(&t_);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->body, "moved");
  EXPECT_THAT(
      r->headers,
      ElementsAre(Pair("location", "/elsewhere"), Pair("x-final", "Yes"),
                  Pair("x-folded", "a b"), Pair("content-length", "5")));
}

TEST_F(TransferTest, AResponseWithoutHeadersStillCompletes) {
  ASSERT_EQ(Write("raw"), 3u);
  absl::StatusOr<HttpResponse> r = TransferResponse(&t_);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, 0);  // from the handle, which saw no status line
  EXPECT_EQ(r->body, "raw");
}

TEST_F(TransferTest, AStreamGetsTheFinalHeadersOnceAndTheBodyInPieces) {
  t_.request.response_stream = Stream(/*take_body=*/true);
  FeedHeaders({"HTTP/1.1 100 Continue\r\n", "\r\n", "HTTP/1.1 200 OK\r\n",
               "Content-Length: 6\r\n", "\r\n"});
  EXPECT_TRUE(t_.streaming);
  ASSERT_EQ(Write("abc"), 3u);
  ASSERT_EQ(Write("def"), 3u);
  EXPECT_THAT(header_statuses_, ElementsAre(200));
  EXPECT_THAT(chunks_, ElementsAre("abc", "def"));
  absl::StatusOr<HttpResponse> r = TransferResponse(&t_);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, IsEmpty());
}

TEST_F(TransferTest, AStreamThatDeclinesGetsTheBodyBuffered) {
  t_.request.response_stream = Stream(/*take_body=*/false);
  FeedHeaders({"HTTP/1.1 404 Not Found\r\n", "\r\n"});
  EXPECT_FALSE(t_.streaming);
  ASSERT_EQ(Write("{\"detail\":\"no\"}"), 15u);
  EXPECT_THAT(chunks_, IsEmpty());
  EXPECT_THAT(header_statuses_, ElementsAre(404));
  EXPECT_EQ(TransferResponse(&t_)->body, "{\"detail\":\"no\"}");
}

// on_chunk returning false: that piece counts as delivered, the next one
// pauses receiving (libcurl keeps it) until the loop resumes the transfer.
TEST_F(TransferTest, AFullReceiverPausesTheNextPieceUntilResumed) {
  t_.request.response_stream = Stream(/*take_body=*/true);
  FeedHeaders({"HTTP/1.1 200 OK\r\n", "\r\n"});
  chunk_result_ = false;
  ASSERT_EQ(Write("first"), 5u);
  EXPECT_TRUE(t_.receive_pause_wanted);
  EXPECT_EQ(t_.PauseMask(), 0);

  EXPECT_EQ(Write("second"), size_t{CURL_WRITEFUNC_PAUSE});
  EXPECT_TRUE(t_.receive_paused);
  EXPECT_EQ(t_.PauseMask(), CURLPAUSE_RECV);
  EXPECT_THAT(chunks_, ElementsAre("first"));

  // What the loop does on ResumeReceive; libcurl then hands the held
  // piece over again.
  chunk_result_ = true;
  t_.receive_pause_wanted = false;
  t_.receive_paused = false;
  EXPECT_EQ(Write("second"), 6u);
  EXPECT_THAT(chunks_, ElementsAre("first", "second"));
}

TEST_F(TransferTest, ADeclaredLengthOverTheLimitAbortsBeforeTheBody) {
  t_.request.max_response_bytes = 10;
  FeedHeaders({"HTTP/1.1 200 OK\r\n", "Content-Length: 11\r\n"});
  EXPECT_EQ(Header("\r\n"), 0u);  // a short count aborts the transfer
  EXPECT_THAT(TransferFailure(t_, CURLE_WRITE_ERROR),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       AllOf(HasSubstr("11 bytes"), HasSubstr("limit of 10"),
                             HasSubstr("http://upstream.test/v1/x"))));
}

TEST_F(TransferTest, ADeclaredLengthAtTheLimitIsAccepted) {
  t_.request.max_response_bytes = 10;
  FeedHeaders({"HTTP/1.1 200 OK\r\n", "Content-Length: 10\r\n", "\r\n"});
  ASSERT_EQ(Write("0123456789"), 10u);
  EXPECT_THAT(t_.abort_status, IsOk());
  EXPECT_EQ(TransferResponse(&t_)->body, "0123456789");
}

TEST_F(TransferTest, TheLimitIsNotAppliedToHeadOrToAStream) {
  t_.request.method = "HEAD";
  t_.request.max_response_bytes = 10;
  FeedHeaders({"HTTP/1.1 200 OK\r\n", "Content-Length: 1000000\r\n", "\r\n"});
  EXPECT_THAT(t_.abort_status, IsOk());

  Transfer streamed;
  streamed.request.max_response_bytes = 10;
  streamed.request.response_stream = Stream(/*take_body=*/true);
  for (std::string line :
       {"HTTP/1.1 200 OK\r\n", "Content-Length: 20\r\n", "\r\n"}) {
    ASSERT_EQ(OnHeader(line.data(), 1, line.size(), &streamed), line.size());
  }
  std::string piece(20, 'x');
  EXPECT_EQ(OnWrite(piece.data(), 1, piece.size(), &streamed), 20u);
  EXPECT_THAT(streamed.abort_status, IsOk());
}

TEST_F(TransferTest, ABufferedBodyGrowingOverTheLimitIsAnError) {
  t_.request.max_response_bytes = 8;
  FeedHeaders(
      {"HTTP/1.1 200 OK\r\n", "Transfer-Encoding: chunked\r\n", "\r\n"});
  ASSERT_EQ(Write("12345"), 5u);
  EXPECT_EQ(Write("6789"), size_t{CURL_WRITEFUNC_ERROR});
  EXPECT_THAT(TransferFailure(t_, CURLE_WRITE_ERROR),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("limit of 8 bytes")));
  EXPECT_EQ(t_.response.body, "12345");
}

// A BodySource that plays back a fixed list of answers.
class ScriptedSource : public BodySource {
 public:
  struct Step {
    ReadResult result;
    std::string data;
  };
  ScriptedSource(std::deque<Step> steps, absl::Status error = absl::OkStatus())
      : steps_(std::move(steps)), error_(std::move(error)) {}

  void SetResumeCallback(std::function<void()>) override {}
  ReadResult Read(char* buf, size_t max, size_t* n) override {
    Step step = std::move(steps_.front());
    steps_.pop_front();
    *n = std::min(max, step.data.size());
    std::memcpy(buf, step.data.data(), *n);
    return step.result;
  }
  absl::Status error() const override { return error_; }
  std::optional<int64_t> size() const override { return std::nullopt; }

 private:
  std::deque<Step> steps_;
  absl::Status error_;
};

using Read = BodySource::ReadResult;

TEST_F(TransferTest, AnUploadReadsPausesAndEnds) {
  t_.request.method = "POST";
  t_.request.body_source = std::make_shared<ScriptedSource>(
      std::deque<ScriptedSource::Step>{{Read::kData, "abc"},
                                       {Read::kPause, ""},
                                       {Read::kData, "de"},
                                       {Read::kEnd, ""}});
  char buf[16];
  ASSERT_EQ(OnRead(buf, 1, sizeof(buf), &t_), 3u);
  EXPECT_EQ(std::string(buf, 3), "abc");

  EXPECT_EQ(OnRead(buf, 1, sizeof(buf), &t_), size_t{CURL_READFUNC_PAUSE});
  EXPECT_TRUE(t_.send_paused);
  EXPECT_EQ(t_.PauseMask(), CURLPAUSE_SEND);
  t_.receive_paused = true;  // both directions: the mask carries both
  EXPECT_EQ(t_.PauseMask(), CURLPAUSE_SEND | CURLPAUSE_RECV);
  t_.receive_paused = false;
  t_.send_paused = false;  // what the loop does on the resume callback

  ASSERT_EQ(OnRead(buf, 1, sizeof(buf), &t_), 2u);
  EXPECT_EQ(std::string(buf, 2), "de");
  EXPECT_EQ(OnRead(buf, 1, sizeof(buf), &t_), 0u);  // the end of the body
  EXPECT_THAT(t_.abort_status, IsOk());
}

TEST_F(TransferTest, ASourceErrorAbortsTheUploadWithTheSourcesStatus) {
  t_.request.method = "POST";
  t_.request.body_source = std::make_shared<ScriptedSource>(
      std::deque<ScriptedSource::Step>{{Read::kError, ""}},
      absl::CancelledError("client went away"));
  char buf[16];
  EXPECT_EQ(OnRead(buf, 1, sizeof(buf), &t_), size_t{CURL_READFUNC_ABORT});
  EXPECT_THAT(TransferFailure(t_, CURLE_ABORTED_BY_CALLBACK),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("CANCELLED: client went away"),
                             HasSubstr("POST http://upstream.test/v1/x"))));
}

TEST_F(TransferTest, DataWithoutBytesIsAnError) {
  t_.request.body_source = std::make_shared<ScriptedSource>(
      std::deque<ScriptedSource::Step>{{Read::kData, ""}});
  char buf[16];
  EXPECT_EQ(OnRead(buf, 1, sizeof(buf), &t_), size_t{CURL_READFUNC_ABORT});
  EXPECT_THAT(t_.abort_status, StatusIs(absl::StatusCode::kInternal));
}

TEST_F(TransferTest, LibcurlErrorsMapToTransportErrors) {
  struct Case {
    CURLcode code;
    absl::StatusCode expected;
    bool not_sent;
  };
  const Case cases[] = {
      {CURLE_COULDNT_RESOLVE_HOST, absl::StatusCode::kUnavailable, true},
      {CURLE_COULDNT_RESOLVE_PROXY, absl::StatusCode::kUnavailable, true},
      {CURLE_COULDNT_CONNECT, absl::StatusCode::kUnavailable, true},
      {CURLE_URL_MALFORMAT, absl::StatusCode::kInvalidArgument, true},
      {CURLE_UNSUPPORTED_PROTOCOL, absl::StatusCode::kInvalidArgument, true},
      // The request may have reached the upstream.
      {CURLE_SEND_ERROR, absl::StatusCode::kUnavailable, false},
      {CURLE_RECV_ERROR, absl::StatusCode::kUnavailable, false},
      {CURLE_GOT_NOTHING, absl::StatusCode::kUnavailable, false},
      {CURLE_PARTIAL_FILE, absl::StatusCode::kUnavailable, false},
      {CURLE_SSL_CONNECT_ERROR, absl::StatusCode::kUnavailable, false},
  };
  for (const Case& c : cases) {
    absl::Status s = TransferFailure(t_, c.code);
    EXPECT_THAT(s, StatusIs(c.expected, HasSubstr(curl_easy_strerror(c.code))))
        << c.code;
    EXPECT_EQ(RequestNotSent(s), c.not_sent) << c.code;
  }
}

// CURLE_OPERATION_TIMEDOUT before anything was sent and before the
// deadline is the connect timeout: an upstream that cannot be reached.
TEST_F(TransferTest, ATimeoutIsTheDeadlineUnlessConnectingTimedOut) {
  ASSERT_GT(t_.deadline, absl::Now());
  absl::Status connect = TransferFailure(t_, CURLE_OPERATION_TIMEDOUT);
  EXPECT_THAT(connect, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(RequestNotSent(connect));

  t_.deadline = absl::Now() - absl::Milliseconds(1);
  EXPECT_THAT(TransferFailure(t_, CURLE_OPERATION_TIMEDOUT),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(TransferTest, AnAbortStatusWinsOverLibcurlsCode) {
  t_.abort_status = absl::ResourceExhaustedError("too big");
  EXPECT_THAT(TransferFailure(t_, CURLE_COULDNT_CONNECT),
              StatusIs(absl::StatusCode::kResourceExhausted, "too big"));
}

TEST_F(TransferTest, MessagesNeverCarryHeaderValuesOrTheQuery) {
  t_.request.url = "http://upstream.test/v1/x?token=QUERYSECRET";
  t_.request.headers = {{"xi-api-key", "HEADERSECRET"}};
  EXPECT_EQ(t_.Describe(CURLE_COULDNT_CONNECT),
            absl::StrCat(curl_easy_strerror(CURLE_COULDNT_CONNECT),
                         ": GET http://upstream.test/v1/x"));

  const char echoed[] =
      "server said HEADERSECRET about /v1/x?token=QUERYSECRET";
  std::memcpy(t_.errbuf, echoed, sizeof(echoed));
  const std::string message(TransferFailure(t_, CURLE_RECV_ERROR).message());
  EXPECT_THAT(
      message,
      AllOf(HasSubstr("(server said <redacted> about /v1/x?<redacted>)"),
            HasSubstr(": GET http://upstream.test/v1/x"),
            Not(HasSubstr("HEADERSECRET")), Not(HasSubstr("QUERYSECRET"))));
}

}  // namespace
}  // namespace mediagen::http::internal
