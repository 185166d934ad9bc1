#include "service/http/curl_transport.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "service/http/body_pipe.h"
#include "service/http/curl_test_server.h"
#include "service/http/multipart_body.h"
#include "service/http/transport.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::http {
namespace {

using curl_testing::Completion;
using curl_testing::CountThreads;
using curl_testing::Fetch;
using curl_testing::Get;
using curl_testing::HttplibServer;
using curl_testing::Ok;
using curl_testing::RefusingPort;
using curl_testing::TestServer;
using ::mediagen::testing::StatusIs;

// ---------------------------------------------------------------------------
// Tests

TEST(CurlTransportTest, GetAndPostRoundTripThroughAnIndependentServer) {
  HttplibServer http;
  std::mutex mu;
  httplib::Request seen_get, seen_post;
  http.server().Get("/v1/voices",
                    [&](const httplib::Request& req, httplib::Response& res) {
                      {
                        std::lock_guard<std::mutex> lock(mu);
                        seen_get = req;
                      }
                      res.set_header("X-Request-Id", "req-42");
                      res.set_content(R"({"voices":[]})", "application/json");
                    });
  http.server().Post(
      "/v2/media", [&](const httplib::Request& req, httplib::Response& res) {
        {
          std::lock_guard<std::mutex> lock(mu);
          seen_post = req;
        }
        res.status = 422;
        res.set_content(R"({"detail":"bad"})", "application/json");
      });
  CurlTransport transport;

  HttpRequest get = Get(http.Url("/v1/voices?page_size=2&q=a%20b"));
  get.headers = {{"xi-api-key", "secret-key"}, {"Accept", "application/json"}};
  absl::StatusOr<HttpResponse> r = Fetch(transport, std::move(get));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"voices":[]})");
  EXPECT_EQ(FindHeader(r->headers, "x-request-id"), "req-42");
  for (const auto& [name, value] : r->headers) {
    EXPECT_EQ(name, absl::AsciiStrToLower(name));
  }

  HttpRequest post;
  post.method = "POST";
  post.url = http.Url("/v2/media");
  post.headers = {{"X-Api-Key", "k"}, {"Content-Type", "application/json"}};
  post.body = R"({"prompt":"a cat","quantity":2})";
  r = Fetch(transport, std::move(post));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 422);  // an HTTP error status is not a transport error
  EXPECT_EQ(r->body, R"({"detail":"bad"})");

  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen_get.method, "GET");
  EXPECT_EQ(seen_get.get_param_value("page_size"), "2");
  EXPECT_EQ(seen_get.get_param_value("q"), "a b");
  EXPECT_EQ(seen_get.get_header_value("xi-api-key"), "secret-key");
  EXPECT_EQ(seen_get.get_header_value("User-Agent"), "mediagen/0.1");
  EXPECT_EQ(seen_post.method, "POST");
  EXPECT_EQ(seen_post.body, R"({"prompt":"a cat","quantity":2})");
  EXPECT_EQ(seen_post.get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(seen_post.get_header_value("Content-Length"), "31");
  EXPECT_FALSE(seen_post.has_header("Expect"));
}

TEST(CurlTransportTest, MethodsAndEmptyBodies) {
  TestServer server(Ok);
  CurlTransport transport;
  for (const char* method : {"DELETE", "PUT", "PATCH", "POST", "HEAD"}) {
    HttpRequest r = Get(server.Url("/x"));
    r.method = method;
    absl::StatusOr<HttpResponse> resp = Fetch(transport, std::move(r));
    ASSERT_TRUE(resp.ok()) << method << ": " << resp.status();
    EXPECT_EQ(resp->status, 200);
    EXPECT_EQ(resp->body, std::string(method) == "HEAD" ? "" : "ok");
  }
  std::vector<TestServer::Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[0].method, "DELETE");
  EXPECT_FALSE(FindHeader(seen[0].headers, "content-length").has_value());
  EXPECT_EQ(seen[1].method, "PUT");
  EXPECT_EQ(FindHeader(seen[1].headers, "content-length"), "0");
  EXPECT_EQ(seen[2].method, "PATCH");
  EXPECT_EQ(seen[3].method, "POST");
  EXPECT_EQ(FindHeader(seen[3].headers, "content-length"), "0");
  // No form-urlencoded label invented for a body the caller did not type.
  EXPECT_FALSE(FindHeader(seen[3].headers, "content-type").has_value());
  EXPECT_EQ(seen[4].method, "HEAD");
}

TEST(CurlTransportTest, SequentialRequestsReuseOneConnection) {
  TestServer server(Ok);
  CurlTransport transport;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<HttpResponse> r =
        Fetch(transport, Get(server.Url(absl::StrCat("/poll/", i))));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status, 200);
  }
  EXPECT_EQ(server.accepted(), 1);
  std::vector<TestServer::Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 20u);
  for (const auto& req : seen) EXPECT_EQ(req.connection, 1);
}

TEST(CurlTransportTest, ConcurrentRequestsShareAFixedSetOfThreads) {
  constexpr int kRequests = 50;
  TestServer* server_ptr = nullptr;
  int in_flight = 0;
  int max_in_flight = 0;
  int transport_threads_during = -1;
  // Each handler holds its response until all 50 requests are in flight
  // at once, then records how many transport threads exist at that moment.
  TestServer server([&](const TestServer::Request&, TestServer::Conn& conn) {
    server_ptr->Locked([&] {
      ++in_flight;
      max_in_flight = std::max(max_in_flight, in_flight);
      if (in_flight == kRequests) {
        transport_threads_during =
            CountThreads(CurlTransport::kThreadNamePrefix);
      }
      return 0;
    });
    server_ptr->WaitFor([&] { return max_in_flight >= kRequests; },
                        absl::Seconds(10));
    server_ptr->Locked([&] { return --in_flight; });
    return conn.Respond(200, "ok");
  });
  server_ptr = &server;

  CurlTransport::Options options;
  options.threads = 2;
  options.max_connections_per_host = 0;
  CurlTransport transport(options);
  const int before = CountThreads(CurlTransport::kThreadNamePrefix);
  EXPECT_EQ(before, 2);

  std::vector<Completion> done(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    transport.Start(Get(server.Url(absl::StrCat("/c/", i))),
                    done[i].Callback());
  }
  for (int i = 0; i < kRequests; ++i) {
    absl::StatusOr<HttpResponse> r = done[i].Wait(absl::Seconds(20));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
    EXPECT_EQ(r->status, 200);
  }
  server.Locked([&] {
    EXPECT_EQ(max_in_flight, kRequests);
    EXPECT_EQ(transport_threads_during, 2);
    return 0;
  });
  EXPECT_EQ(CountThreads(CurlTransport::kThreadNamePrefix), 2);
  std::printf(
      "threads: %d transport threads for %d concurrent requests "
      "(process total now %d)\n",
      before, kRequests, CountThreads(""));
}

TEST(CurlTransportTest, DeadlineShorterThanServerDelayIsDeadlineExceeded) {
  TestServer* server_ptr = nullptr;
  TestServer server([&](const TestServer::Request&, TestServer::Conn& conn) {
    server_ptr->SleepUnlessStopped(absl::Seconds(10));
    return conn.Respond(200, "late");
  });
  server_ptr = &server;
  CurlTransport transport;
  HttpRequest r = Get(server.Url("/slow"));
  const absl::Time start = absl::Now();
  r.deadline = start + absl::Milliseconds(300);
  absl::StatusOr<HttpResponse> resp = Fetch(transport, std::move(r));
  const absl::Duration took = absl::Now() - start;
  EXPECT_THAT(resp, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_FALSE(RequestNotSent(resp.status()));  // it did reach the server
  EXPECT_GE(took, absl::Milliseconds(290));
  EXPECT_LT(took, absl::Seconds(2));
}

TEST(CurlTransportTest, DefaultTimeoutAppliesWithoutADeadline) {
  TestServer* server_ptr = nullptr;
  TestServer server([&](const TestServer::Request&, TestServer::Conn& conn) {
    server_ptr->SleepUnlessStopped(absl::Seconds(10));
    return conn.Respond(200, "late");
  });
  server_ptr = &server;
  CurlTransport::Options options;
  options.default_timeout = absl::Milliseconds(200);
  CurlTransport transport(options);
  HttpRequest r = Get(server.Url("/slow"));
  r.deadline = absl::InfiniteFuture();
  absl::StatusOr<HttpResponse> resp = Fetch(transport, std::move(r));
  EXPECT_THAT(resp, StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(CurlTransportTest, PastDeadlineFailsAtOnceWithoutSending) {
  TestServer server(Ok);
  CurlTransport transport;
  HttpRequest r = Get(server.Url("/x"));
  r.deadline = absl::Now() - absl::Milliseconds(1);
  std::optional<absl::StatusOr<HttpResponse>> result;
  transport.Start(std::move(r), [&](absl::StatusOr<HttpResponse> resp) {
    result = std::move(resp);
  });
  ASSERT_TRUE(result.has_value());  // synchronously, on this thread
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(RequestNotSent(result->status()));
  EXPECT_EQ(server.accepted(), 0);
}

TEST(CurlTransportTest, MalformedRequestsFailAtOnceWithoutLeakingValues) {
  CurlTransport transport;
  struct Case {
    std::string method, url;
    Headers headers;
  };
  const std::vector<Case> cases = {
      {"GET", "http://127.0.0.1:1/x", {{"X-Api-Key", "sec\r\nret-value"}}},
      {"GET", "http://127.0.0.1:1/x", {{"Bad Name", "v"}}},
      {"G ET", "http://127.0.0.1:1/x", {}},
      {"GET", "file:///etc/passwd", {}},
      {"GET", "http://127.0.0.1:1/x y", {}},
  };
  for (const Case& c : cases) {
    HttpRequest r = Get(c.url);
    r.method = c.method;
    r.headers = c.headers;
    std::optional<absl::StatusOr<HttpResponse>> result;
    transport.Start(std::move(r), [&](absl::StatusOr<HttpResponse> resp) {
      result = std::move(resp);
    });
    ASSERT_TRUE(result.has_value());
    EXPECT_THAT(*result, StatusIs(absl::StatusCode::kInvalidArgument))
        << c.method << " " << c.url;
    EXPECT_TRUE(RequestNotSent(result->status()));
    EXPECT_FALSE(absl::StrContains(result->status().message(), "ret-value"));
  }
}

TEST(CurlTransportTest, ConnectionRefusedIsUnavailableAndNotSent) {
  RefusingPort refusing;
  CurlTransport transport;
  HttpRequest r = Get(absl::StrCat(
      "http://127.0.0.1:", refusing.port(),
      "/v1/text-to-speech/v1?output_format=mp3&token=QUERYSECRET"));
  r.headers = {{"xi-api-key", "HEADERSECRET"}};
  absl::StatusOr<HttpResponse> resp = Fetch(transport, std::move(r));
  EXPECT_THAT(resp, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(RequestNotSent(resp.status()));
  const std::string message(resp.status().message());
  EXPECT_TRUE(absl::StrContains(
      message, absl::StrCat("http://127.0.0.1:", refusing.port(),
                            "/v1/text-to-speech/v1")))
      << message;
  EXPECT_FALSE(absl::StrContains(message, "QUERYSECRET")) << message;
  EXPECT_FALSE(absl::StrContains(message, "output_format")) << message;
  EXPECT_FALSE(absl::StrContains(message, "HEADERSECRET")) << message;
}

TEST(CurlTransportTest, CutOffResponsesAreUnavailable) {
  TestServer server([](const TestServer::Request& req, TestServer::Conn& conn) {
    if (req.target == "/short") {
      conn.Write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
    }
    return false;  // close: "/nothing" gets no response at all
  });
  CurlTransport transport;
  for (const char* path : {"/short", "/nothing"}) {
    absl::StatusOr<HttpResponse> r = Fetch(transport, Get(server.Url(path)));
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable)) << path;
    EXPECT_FALSE(RequestNotSent(r.status())) << path;
  }
}

// libcurl resends a request by itself when a reused keep-alive connection
// dies before any response byte, even after the whole request went out. A
// create (POST) must never be sent twice, so it gets a connection of its own.
TEST(CurlTransportTest, APostIsNeverResentSilentlyWhenTheConnectionDies) {
  TestServer server([](const TestServer::Request& req, TestServer::Conn& conn) {
    if (req.method == "GET") return conn.Respond(200, "ok");
    return false;  // read the create, then drop the connection unanswered
  });
  CurlTransport transport;
  ASSERT_TRUE(Fetch(transport, Get(server.Url("/warm"))).ok());
  for (const char* method : {"POST", "PATCH"}) {
    HttpRequest post = Get(server.Url("/v2/media"));
    post.method = method;
    post.headers = {{"Content-Type", "application/json"}};
    post.body = R"({"prompt":"x"})";
    absl::StatusOr<HttpResponse> r = Fetch(transport, std::move(post));
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable)) << method;
    EXPECT_FALSE(RequestNotSent(r.status()));
  }
  std::vector<TestServer::Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].method, "POST");
  EXPECT_EQ(seen[2].method, "PATCH");
  // Polls still share a connection.
  ASSERT_TRUE(Fetch(transport, Get(server.Url("/poll"))).ok());
  ASSERT_TRUE(Fetch(transport, Get(server.Url("/poll"))).ok());
  seen = server.requests();
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[3].connection, seen[4].connection);
}

TEST(CurlTransportTest, BufferedBodyOverTheLimitIsResourceExhausted) {
  const std::string big(1 << 20, 'b');
  TestServer server([&](const TestServer::Request& req,
                        TestServer::Conn& conn) {
    if (req.target == "/chunked") {
      // No Content-Length: the limit must be enforced while receiving.
      bool ok =
          conn.Write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      for (int i = 0; ok && i < 16; ++i) {
        ok = conn.Write(
            absl::StrCat("10000\r\n", std::string(0x10000, 'c'), "\r\n"));
      }
      return ok && conn.Write("0\r\n\r\n");
    }
    return conn.Respond(200, big);
  });
  CurlTransport transport;

  HttpRequest fits = Get(server.Url("/fixed"));
  fits.max_response_bytes = big.size();
  absl::StatusOr<HttpResponse> r = Fetch(transport, std::move(fits));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body.size(), big.size());

  for (const char* path : {"/fixed", "/chunked"}) {
    HttpRequest over = Get(server.Url(path));
    over.max_response_bytes = 64 * 1024;
    r = Fetch(transport, std::move(over));
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kResourceExhausted)) << path;
  }
}

TEST(CurlTransportTest,
     OnlyTheFinalHeaderBlockCountsAndRedirectsAreNotFollowed) {
  TestServer server([](const TestServer::Request&, TestServer::Conn& conn) {
    return conn.Write(
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
        "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n"
        "X-Final: Yes\r\nX-Folded: a\r\n  b\r\nContent-Length: 5\r\n\r\nmoved");
  });
  CurlTransport transport;
  auto stream = std::make_shared<ResponseStream>();
  int header_calls = 0;
  int seen_status = 0;
  stream->on_headers = [&](int status, const Headers&) {
    ++header_calls;
    seen_status = status;
    return false;  // buffer it (an error-ish status)
  };
  stream->on_chunk = [](absl::string_view) { return true; };
  HttpRequest req = Get(server.Url("/old"));
  req.response_stream = stream;
  absl::StatusOr<HttpResponse> r = Fetch(transport, std::move(req));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->body, "moved");
  EXPECT_EQ(header_calls, 1);
  EXPECT_EQ(seen_status, 302);
  EXPECT_EQ(FindHeader(r->headers, "location"), "/elsewhere");
  EXPECT_EQ(FindHeader(r->headers, "x-final"), "Yes");
  EXPECT_EQ(FindHeader(r->headers, "x-folded"), "a b");
  EXPECT_FALSE(FindHeader(r->headers, "link").has_value());
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(CurlTransportTest, CancelMidBodyEndsPromptlyAndClosesTheConnection) {
  TestServer server([](const TestServer::Request&, TestServer::Conn& conn) {
    if (!conn.Write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) {
      return false;
    }
    // A slow audio stream: a chunk every 20 ms until the client leaves.
    for (int i = 0; i < 500; ++i) {
      if (!conn.Write(
              absl::StrCat("400\r\n", std::string(0x400, 'a'), "\r\n"))) {
        return false;
      }
      if (conn.PeerClosed(absl::Milliseconds(20))) return false;
    }
    return conn.Write("0\r\n\r\n");
  });
  CurlTransport transport;
  std::mutex mu;
  std::condition_variable cv;
  size_t received = 0;
  auto stream = std::make_shared<ResponseStream>();
  stream->on_headers = [](int status, const Headers&) { return status == 200; };
  stream->on_chunk = [&](absl::string_view chunk) {
    std::lock_guard<std::mutex> lock(mu);
    received += chunk.size();
    cv.notify_all();
    return true;
  };
  HttpRequest req = Get(server.Url("/stream"));
  req.response_stream = stream;
  Completion done;
  std::shared_ptr<HttpCall> call =
      transport.Start(std::move(req), done.Callback());
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10),
                            [&] { return received > 0; }));
  }
  const absl::Time cancelled_at = absl::Now();
  call->Cancel();
  absl::StatusOr<HttpResponse> r = done.Wait();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_LT(absl::Now() - cancelled_at, absl::Seconds(1));
  EXPECT_TRUE(server.WaitFor([&] { return server.closed_locked() == 1; }));
  call->Cancel();  // again, after completion: harmless
  EXPECT_EQ(done.calls(), 1);
}

TEST(CurlTransportTest, CancelRacingCompletionCompletesExactlyOnce) {
  TestServer server(Ok);
  std::vector<Completion> done(200);
  {
    CurlTransport transport;
    std::vector<std::shared_ptr<HttpCall>> calls;
    // Each cancel comes a little later than the last (0 to ~2 ms after
    // its start), so some land before the response, some during, some
    // after the completion already ran. Odd ones from a second thread.
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::shared_ptr<HttpCall>> to_cancel;
    bool no_more = false;
    std::thread canceller([&] {
      for (;;) {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return no_more || !to_cancel.empty(); });
        if (to_cancel.empty()) return;
        std::shared_ptr<HttpCall> call = std::move(to_cancel.back());
        to_cancel.pop_back();
        lock.unlock();
        call->Cancel();
      }
    });
    for (size_t i = 0; i < done.size(); ++i) {
      calls.push_back(
          transport.Start(Get(server.Url("/race")), done[i].Callback()));
      const absl::Time until = absl::Now() + absl::Microseconds(10 * (i % 200));
      while (absl::Now() < until) {
      }
      if (i % 2 == 0) {
        calls.back()->Cancel();
      } else {
        std::lock_guard<std::mutex> lock(mu);
        to_cancel.push_back(calls.back());
        cv.notify_all();
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      no_more = true;
      cv.notify_all();
    }
    canceller.join();
    int ok = 0, cancelled = 0;
    for (auto& d : done) {
      absl::StatusOr<HttpResponse> r = d.Wait();
      if (r.ok()) {
        ++ok;
      } else {
        EXPECT_THAT(r, StatusIs(absl::StatusCode::kCancelled));
        ++cancelled;
      }
    }
    std::printf("cancel race: %d completed, %d cancelled\n", ok, cancelled);
  }  // destroying the transport would flush any stray second completion
  for (auto& d : done) EXPECT_EQ(d.calls(), 1);
}

// The receiver says "full" and the transfer stops reading until it is
// resumed; the body still arrives whole and in order.

}  // namespace
}  // namespace mediagen::http
