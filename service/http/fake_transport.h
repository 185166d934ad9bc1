// FakeTransport: an HttpTransport for unit tests. It records every request
// (with a streamed body drained to a string) and answers from a script, on
// the calling thread, so tests are deterministic and need no sockets.
//
//   FakeTransport fake;
//   fake.Push(FakeTransport::Reply{200, {{"content-type", "application/json"}},
//                                  R"({"id":"m1"})"});
//   fake.Push(absl::UnavailableError("reset"));      // next call fails
//   ... code under test calls fake.Start(...) ...
//   ASSERT_EQ(fake.requests().size(), 1);
//   EXPECT_EQ(fake.requests()[0].url, "https://api.example/v2/media");
#ifndef MEDIAGEN_SERVICE_HTTP_FAKE_TRANSPORT_H_
#define MEDIAGEN_SERVICE_HTTP_FAKE_TRANSPORT_H_

#include <deque>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "service/common/mutex.h"
#include "service/http/transport.h"

namespace mediagen::http {

class FakeTransport : public HttpTransport {
 public:
  // A scripted HTTP response. With a ResponseStream on the request, `body`
  // is delivered in `chunks` pieces (or whole when chunks is empty).
  struct Reply {
    int status = 200;
    Headers headers;
    std::string body;
    std::vector<std::string> chunks;
  };

  // What the code under test sent. A streamed body is drained into `body`.
  struct Recorded {
    std::string method;
    std::string url;
    Headers headers;
    std::string body;
    absl::Time deadline;
    bool streamed_body = false;
    bool streamed_response = false;
  };

  // Answers for the next calls, in order. A call with nothing scripted
  // fails the test's expectations with INTERNAL "no reply scripted".
  void Push(Reply reply);
  void Push(absl::Status transport_error);

  std::shared_ptr<HttpCall> Start(HttpRequest request, Done done) override;

  std::vector<Recorded> requests() const;
  size_t call_count() const;

 private:
  mutable Mutex mu_;
  std::deque<std::variant<Reply, absl::Status>> script_ ABSL_GUARDED_BY(mu_);
  std::vector<Recorded> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagen::http

#endif  // MEDIAGEN_SERVICE_HTTP_FAKE_TRANSPORT_H_
