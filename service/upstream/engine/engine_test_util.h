// What the Engine tests share (test-only): FakeTransport replies with
// headers, the tenant keys and upstream bodies they use, a recording audio
// sink, a transport that holds requests until the test answers them, and
// the EngineTest fixture (an Engine over FakeTransport and FakeScheduler).
//
//   TEST_F(EngineTest, Something) {
//     transport_.Push(R{200, kMediaJson});
//     Outcome o = Run(...);
//   }
#ifndef MEDIAGEN_SERVICE_UPSTREAM_ENGINE_ENGINE_TEST_UTIL_H_
#define MEDIAGEN_SERVICE_UPSTREAM_ENGINE_ENGINE_TEST_UTIL_H_

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "proto/rpc/grpc_status.h"
#include "service/http/fake_transport.h"
#include "service/upstream/engine/engine.h"
#include "service/upstream/providers/errors.h"
#include "service/upstream/providers/test_util.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::upstream::engine_testing {

using ::mediagen::testing::StatusIs;
using ::mediagen::upstream::testing::Header;
using ::mediagen::upstream::testing::HeaderCount;
using ::mediagen::upstream::testing::JsonEquals;
using Reply = http::FakeTransport::Reply;

// Reply with every member named, so brace-initialization stays terse.
struct R : Reply {
  R(int s, http::Headers h, std::string b, std::vector<std::string> c = {}) {
    status = s;
    headers = std::move(h);
    body = std::move(b);
    chunks = std::move(c);
  }
};

inline constexpr char kVimKey[] = "vim-key-0001";
inline constexpr char kElKey[] = "el-key-0002";
inline constexpr char kAimlKey[] = "aiml-key-0003";

inline constexpr char kAssetJson[] =
    R"({"id": "as1", "status": "processing_bullet", "results": [], "credits": 4})";
inline constexpr char kMediaJson[] =
    R"({"id": "m1", "processing_status": "queue_bullet", "result": []})";

// Collects a completion and counts how often it ran.
template <typename T>
struct Outcome {
  int calls = 0;
  std::optional<absl::StatusOr<T>> value;

  Engine::Done<T> Callback() {
    return [this](absl::StatusOr<T> v) {
      ++calls;
      value = std::move(v);
    };
  }
  absl::Status status() const {
    return value.has_value() ? value->status()
                             : absl::InternalError("not completed");
  }
};

class RecordingSink : public AudioSink {
 public:
  void OnInfo(const v1::AudioStreamInfo& info) override {
    std::lock_guard<std::mutex> lock(mu);
    infos.push_back(info);
    events.push_back("info");
  }
  bool OnChunk(absl::string_view chunk) override {
    std::lock_guard<std::mutex> lock(mu);
    audio.append(chunk.data(), chunk.size());
    events.push_back("chunk");
    return true;
  }
  void OnDone(absl::Status status) override {
    std::lock_guard<std::mutex> lock(mu);
    done.push_back(std::move(status));
    events.push_back("done");
  }
  std::mutex mu;
  std::vector<v1::AudioStreamInfo> infos;
  std::string audio;
  std::vector<absl::Status> done;
  std::vector<std::string> events;
};

// A transport that holds each request until the test answers it, so an
// attempt can be cancelled while in flight. `before_return`, when set, runs
// inside Start before the call is returned: what another thread may do
// meanwhile (the sink pausing on a chunk and the reader draining it).
class HoldingTransport : public http::HttpTransport {
 public:
  struct Call : http::HttpCall {
    void Cancel() override { ++cancels; }
    void ResumeReceive() override { ++resumes; }
    int cancels = 0;
    int resumes = 0;
  };
  std::shared_ptr<http::HttpCall> Start(http::HttpRequest request,
                                        Done done) override {
    requests.push_back(std::move(request));
    dones.push_back(std::move(done));
    if (before_return) before_return();
    calls.push_back(std::make_shared<Call>());
    return calls.back();
  }
  void Answer(size_t i, absl::StatusOr<http::HttpResponse> r) {
    std::move(dones[i])(std::move(r));
  }
  std::function<void()> before_return;
  std::vector<http::HttpRequest> requests;
  std::vector<Done> dones;
  std::vector<std::shared_ptr<Call>> calls;
};

// Deterministic jitter: every wait is `fraction` of its ceiling.
inline Engine::Options TestOptions(int max_attempts = 4,
                                   double fraction = 0.5) {
  Engine::Options o;
  o.retry_policy = std::make_shared<LimitedAttemptsRetryPolicy>(
      max_attempts, absl::Minutes(5));
  o.backoff_policy = std::make_shared<ExponentialBackoffPolicy>(
      absl::Seconds(1), absl::Seconds(30), 2.0,
      [fraction] { return fraction; });
  return o;
}

class EngineTest : public ::testing::Test {
 protected:
  explicit EngineTest(Engine::Options options = TestOptions())
      : engine_(std::move(options), &fake_, &sched_) {}

  CallContext Ctx() {
    CallContext ctx;
    ctx.credentials.vimmerse_api_key = kVimKey;
    ctx.credentials.elevenlabs_api_key = kElKey;
    ctx.credentials.aimlapi_api_key = kAimlKey;
    ctx.deadline = sched_.clock().Now() + absl::Minutes(2);
    return ctx;
  }

  static v1::GetMediaRequest GetMediaReq() {
    v1::GetMediaRequest r;
    r.set_name("media/m1");
    return r;
  }
  static v1::CreateMediaRequest CreateMediaReq() {
    v1::CreateMediaRequest r;
    r.set_prompt("A drone shot");
    return r;
  }

  // Advances the fake clock in small steps until the transport has seen
  // `calls` requests; returns the time it took (or fails after `limit`).
  absl::Duration AdvanceUntilCalls(size_t calls, absl::Duration limit) {
    const absl::Time start = sched_.clock().Now();
    while (fake_.call_count() < calls) {
      if (sched_.clock().Now() - start > limit) {
        ADD_FAILURE() << "no call " << calls << " within " << limit;
        break;
      }
      sched_.AdvanceBy(absl::Milliseconds(10));
    }
    return sched_.clock().Now() - start;
  }

  http::FakeTransport fake_;
  FakeScheduler sched_;
  Engine engine_;
};

}  // namespace mediagen::upstream::engine_testing

#endif  // MEDIAGEN_SERVICE_UPSTREAM_ENGINE_ENGINE_TEST_UTIL_H_
