#include "service/http/fake_transport.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "service/common/mutex.h"

namespace mediagen::http {
namespace {

class NoopCall : public HttpCall {
 public:
  void Cancel() override {}
  void ResumeReceive() override {}
};

// Drains a BodySource synchronously; a source that pauses is a test bug
// here (FakeTransport has no event loop to wait on).
absl::StatusOr<std::string> Drain(BodySource& source) {
  source.SetResumeCallback([] {});
  std::string out;
  char buf[16 * 1024];
  for (;;) {
    size_t n = 0;
    switch (source.Read(buf, sizeof(buf), &n)) {
      case BodySource::ReadResult::kData:
        out.append(buf, n);
        break;
      case BodySource::ReadResult::kEnd:
        return out;
      case BodySource::ReadResult::kError:
        return source.error();
      case BodySource::ReadResult::kPause:
        return absl::FailedPreconditionError(
            "FakeTransport: body source paused; fill it before the call");
    }
  }
}

}  // namespace

void FakeTransport::Push(Reply reply) {
  MutexLock lock(&mu_);
  script_.emplace_back(std::move(reply));
}

void FakeTransport::Push(absl::Status transport_error) {
  MutexLock lock(&mu_);
  script_.emplace_back(std::move(transport_error));
}

std::shared_ptr<HttpCall> FakeTransport::Start(HttpRequest request, Done done) {
  Recorded rec{request.method, request.url, request.headers, request.body,
               request.deadline};
  rec.streamed_response = request.response_stream != nullptr;
  if (request.body_source) {
    rec.streamed_body = true;
    absl::StatusOr<std::string> body = Drain(*request.body_source);
    if (!body.ok()) {
      {
        MutexLock lock(&mu_);
        requests_.push_back(std::move(rec));
      }
      std::move(done)(body.status());
      return std::make_shared<NoopCall>();
    }
    rec.body = *std::move(body);
  }

  std::variant<Reply, absl::Status> next =
      absl::InternalError("FakeTransport: no reply scripted");
  {
    MutexLock lock(&mu_);
    requests_.push_back(std::move(rec));
    if (!script_.empty()) {
      next = std::move(script_.front());
      script_.pop_front();
    }
  }
  if (auto* error = std::get_if<absl::Status>(&next)) {
    std::move(done)(*error);
    return std::make_shared<NoopCall>();
  }

  Reply& reply = std::get<Reply>(next);
  HttpResponse response;
  response.status = reply.status;
  for (auto& [name, value] : reply.headers) {
    response.headers.emplace_back(absl::AsciiStrToLower(name), value);
  }
  const ResponseStream* stream = request.response_stream.get();
  if (stream != nullptr &&
      stream->on_headers(response.status, response.headers)) {
    std::vector<std::string> pieces = reply.chunks;
    if (pieces.empty() && !reply.body.empty()) pieces.push_back(reply.body);
    // Flow control is not simulated: a full receiver still gets every
    // piece (CurlTransport's pausing is tested against a real socket).
    for (const auto& piece : pieces) stream->on_chunk(piece);
  } else {
    response.body = reply.body;
  }
  std::move(done)(std::move(response));
  return std::make_shared<NoopCall>();
}

std::vector<FakeTransport::Recorded> FakeTransport::requests() const {
  MutexLock lock(&mu_);
  return requests_;
}

size_t FakeTransport::call_count() const {
  MutexLock lock(&mu_);
  return requests_.size();
}

}  // namespace mediagen::http
