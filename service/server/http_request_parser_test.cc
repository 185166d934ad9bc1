#include "service/server/http_request_parser.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace mediagen::server {
namespace {

using State = HttpRequestParser::State;

HttpRequestParser::Limits SmallLimits() {
  HttpRequestParser::Limits l;
  l.max_head_bytes = 1024;
  l.max_headers = 8;
  l.max_body_bytes = 100;
  return l;
}

// Feeds `input` in pieces of `step` bytes (0: all at once) until the parser
// stops taking bytes; `*used` gets how many it took.
struct Parsed {
  State state;
  int status;
  size_t used;
  HttpRequest request;
};

Parsed Feed(const std::string& input, size_t step = 0,
            HttpRequestParser::Limits limits = SmallLimits()) {
  HttpRequestParser p(limits);
  size_t used = 0;
  if (step == 0) step = input.size() + 1;
  while (used < input.size()) {
    const size_t n = std::min(step, input.size() - used);
    const size_t took = p.Consume(absl::string_view(input).substr(used, n));
    used += took;
    if (took < n) break;
  }
  return {p.state(), p.error_status(), used, p.request()};
}

// Each of these must give the same result whatever the piece size.
void ExpectSameInPieces(const std::string& input) {
  const Parsed whole = Feed(input);
  for (size_t step : {1, 2, 3, 7, 64}) {
    const Parsed pieces = Feed(input, step);
    EXPECT_EQ(pieces.state, whole.state) << "step " << step;
    EXPECT_EQ(pieces.status, whole.status) << "step " << step;
    EXPECT_EQ(pieces.used, whole.used) << "step " << step;
    EXPECT_EQ(pieces.request.body, whole.request.body) << "step " << step;
    EXPECT_EQ(pieces.request.headers, whole.request.headers) << "step " << step;
  }
}

TEST(HttpRequestParserTest, ParsesAGetWithHeaders) {
  const std::string in =
      "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept:  text/plain \r\n\r\n";
  const Parsed p = Feed(in);
  ASSERT_EQ(p.state, State::kDone);
  EXPECT_EQ(p.used, in.size());
  EXPECT_EQ(p.request.method, "GET");
  EXPECT_EQ(p.request.target, "/metrics?x=1");
  EXPECT_EQ(p.request.path, "/metrics");
  EXPECT_EQ(p.request.minor_version, 1);
  EXPECT_TRUE(p.request.keep_alive);
  ASSERT_NE(p.request.Header("accept"), nullptr);
  EXPECT_EQ(*p.request.Header("accept"), "text/plain");
  EXPECT_EQ(*p.request.Header("host"), "a");
  EXPECT_EQ(p.request.Header("Host"), nullptr) << "names are lowercase";
  ExpectSameInPieces(in);
}

TEST(HttpRequestParserTest, BareLineFeedsAndLeadingEmptyLinesAreAccepted) {
  const Parsed p = Feed("\r\n\nGET / HTTP/1.1\nHost: a\n\n");
  EXPECT_EQ(p.state, State::kDone);
  EXPECT_EQ(p.request.path, "/");
  ExpectSameInPieces("\r\n\nGET / HTTP/1.1\nHost: a\n\n");
}

TEST(HttpRequestParserTest, ContentLengthBody) {
  const std::string in =
      "POST /w HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello worldGET";
  const Parsed p = Feed(in);
  ASSERT_EQ(p.state, State::kDone);
  EXPECT_EQ(p.request.body, "hello world");
  // The bytes of a pipelined next request are left.
  EXPECT_EQ(p.used, in.size() - 3);
  ExpectSameInPieces(in);
  // Equal repeated lengths are one length.
  EXPECT_EQ(Feed("POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n"
                 "Content-Length: 2\r\n\r\nab")
                .state,
            State::kDone);
  EXPECT_EQ(Feed("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").state,
            State::kDone);
}

TEST(HttpRequestParserTest, ChunkedBodyWithExtensionsAndTrailers) {
  const std::string in =
      "POST /w HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "005 \r\n worl\r\n"
      "1\r\nd\r\n"
      "0\r\nX-Trailer: t\r\n\r\nNEXT";
  const Parsed p = Feed(in);
  ASSERT_EQ(p.state, State::kDone) << p.status;
  EXPECT_EQ(p.request.body, "hello world");
  EXPECT_EQ(p.used, in.size() - 4);
  ExpectSameInPieces(in);
  // Upper-case hex, bare LFs, `Chunked` in any case.
  const Parsed q = Feed(
      "POST / HTTP/1.1\r\ntransfer-encoding: "
      "Chunked\r\n\r\nA\nabcdefghij\n0\n\n");
  ASSERT_EQ(q.state, State::kDone) << q.status;
  EXPECT_EQ(q.request.body, "abcdefghij");
}

TEST(HttpRequestParserTest, BodiesOverTheLimitAreRefusedBeforeTheyAreRead) {
  // Content-Length: from the header alone.
  Parsed p = Feed("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n");
  EXPECT_EQ(p.state, State::kError);
  EXPECT_EQ(p.status, 413);
  p = Feed(
      "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n");
  EXPECT_EQ(p.status, 413);
  EXPECT_EQ(Feed("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n" +
                 std::string(100, 'x'))
                .state,
            State::kDone);
  // Chunked: at the chunk size that would cross the limit, before its data.
  const std::string head =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string in = head + "32\r\n" + std::string(50, 'a') + "\r\n" +
                         "33\r\n" + std::string(51, 'b') + "\r\n0\r\n\r\n";
  p = Feed(in);
  EXPECT_EQ(p.state, State::kError);
  EXPECT_EQ(p.status, 413);
  EXPECT_EQ(p.used, head.size() + 4 + 52 + 4) << "stopped at the size line";
  ExpectSameInPieces(in);
  // Exactly the limit is fine; a huge size line is refused as it is read.
  EXPECT_EQ(
      Feed(head + "64\r\n" + std::string(100, 'a') + "\r\n0\r\n\r\n").state,
      State::kDone);
  p = Feed(head + "8000000000000000\r\n");
  EXPECT_EQ(p.status, 413);
  p = Feed(head + "000000000000000000001\r\nx\r\n0\r\n\r\n");
  EXPECT_EQ(p.state, State::kDone) << "leading zeros are no size";
  // Many small chunks add up.
  std::string many = head;
  for (int i = 0; i < 101; ++i) many += "1\r\nx\r\n";
  p = Feed(many);
  EXPECT_EQ(p.status, 413);
  EXPECT_EQ(p.request.body.size(), 100u);
}

TEST(HttpRequestParserTest, MalformedRequestsAreRefused) {
  struct Case {
    std::string input;
    int status;
  };
  const std::vector<Case> cases = {
      {"GET\r\n\r\n", 400},
      {"GET  / HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/1.1 \r\n\r\n", 400},
      {"G(T / HTTP/1.1\r\n\r\n", 400},
      {"GET http://a/ HTTP/1.1\r\n\r\n", 400},
      {"GET * HTTP/1.1\r\n\r\n", 400},
      {"GET /a\x01 HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\n\r\n", 505},
      {"GET / HTTP/1.2\r\n\r\n", 505},
      {"GET / HTTQ/1.1\r\n\r\n", 400},
      {"GET / http/1.1\r\n\r\n", 400},
      // Headers.
      {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n: value\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nName : value\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nNa me: value\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400},
      {std::string("GET / HTTP/1.1\r\nA: b\0c\r\n\r\n", 27), 400},
      // Framing.
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n"
       "\r\n",
       400},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       400},
      {"POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n", 501},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      // Chunks.
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
       400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\r\n",
       400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n"
       "bad trailer\r\n\r\n",
       400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
           std::string(5000, '1'),
       400},
  };
  for (const Case& c : cases) {
    for (size_t step : {0, 1}) {
      const Parsed p = Feed(c.input, step);
      EXPECT_EQ(p.state, State::kError) << c.input << " step " << step;
      EXPECT_EQ(p.status, c.status) << c.input << " step " << step;
      EXPECT_FALSE(p.request.keep_alive) << c.input;
    }
  }
}

TEST(HttpRequestParserTest, HeadLimits) {
  // The head may not outgrow max_head_bytes, with or without its end.
  Parsed p = Feed("GET /" + std::string(2000, 'a') + " HTTP/1.1\r\n\r\n");
  EXPECT_EQ(p.status, 431);
  EXPECT_LE(p.used, 1024u);
  p = Feed("GET / HTTP/1.1\r\nA: " + std::string(2000, 'a'));
  EXPECT_EQ(p.status, 431);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 9; ++i) absl::StrAppend(&many, "H", i, ": v\r\n");
  EXPECT_EQ(Feed(many + "\r\n").status, 431);
  // Endless empty lines are no request either.
  EXPECT_EQ(Feed(std::string(2000, '\n')).status, 400);
  // Trailers have a budget of their own.
  p = Feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: " +
           std::string(2000, 'a') + "\r\n\r\n");
  EXPECT_EQ(p.status, 431);
}

TEST(HttpRequestParserTest, KeepAliveAndExpect) {
  EXPECT_TRUE(Feed("GET / HTTP/1.1\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(Feed("GET / HTTP/1.1\r\nConnection: Keep-Alive, close\r\n\r\n")
                   .request.keep_alive);
  EXPECT_FALSE(Feed("GET / HTTP/1.0\r\n\r\n").request.keep_alive);
  EXPECT_TRUE(Feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                  .request.keep_alive);
  const std::string head =
      "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
  HttpRequestParser parser(SmallLimits());
  EXPECT_EQ(parser.Consume(head), head.size());
  EXPECT_EQ(parser.state(), State::kBody);
  EXPECT_TRUE(parser.head_complete());
  EXPECT_TRUE(parser.request().expects_continue);
  EXPECT_EQ(parser.Consume("ok"), 2u);
  EXPECT_EQ(parser.state(), State::kDone);
  EXPECT_FALSE(Feed("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n")
                   .request.expects_continue);
}

TEST(HttpRequestParserTest, ResetReadsTheNextPipelinedRequest) {
  const std::string in =
      "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: "
      "1\r\n\r\nxGET /c "
      "HTTP/1.1\r\n\r\n";
  HttpRequestParser parser(SmallLimits());
  absl::string_view rest = in;
  std::vector<std::string> seen;
  while (!rest.empty()) {
    rest.remove_prefix(parser.Consume(rest));
    ASSERT_EQ(parser.state(), State::kDone);
    seen.push_back(parser.request().path + parser.request().body);
    parser.Reset();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"/a", "/bx", "/c"}));
  // Nothing is taken once done or failed.
  HttpRequestParser done(SmallLimits());
  done.Consume("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(done.Consume("GET"), 0u);
  HttpRequestParser failed(SmallLimits());
  failed.Consume("BAD\r\n\r\n");
  EXPECT_EQ(failed.Consume("GET"), 0u);
}

}  // namespace
}  // namespace mediagen::server
