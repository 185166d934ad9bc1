// The Engine end to end over FakeTransport and FakeScheduler: wiring of
// every RPC, retries (reads on 5xx/429, creates only when not sent), the
// deadline, cancellation, validation and keys before any call, streamed
// audio, and GetJob.
#include "service/upstream/engine/engine.h"

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
#include "service/upstream/providers/errors.h"
#include "service/upstream/providers/test_util.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::upstream {
namespace {

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

constexpr char kVimKey[] = "vim-key-0001";
constexpr char kElKey[] = "el-key-0002";
constexpr char kAimlKey[] = "aiml-key-0003";

constexpr char kAssetJson[] =
    R"({"id": "as1", "status": "processing_bullet", "results": [], "credits": 4})";
constexpr char kMediaJson[] =
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
// attempt can be cancelled while in flight.
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
    calls.push_back(std::make_shared<Call>());
    return calls.back();
  }
  void Answer(size_t i, absl::StatusOr<http::HttpResponse> r) {
    std::move(dones[i])(std::move(r));
  }
  std::vector<http::HttpRequest> requests;
  std::vector<Done> dones;
  std::vector<std::shared_ptr<Call>> calls;
};

// Deterministic jitter: every wait is `fraction` of its ceiling.
Engine::Options TestOptions(int max_attempts = 4, double fraction = 0.5) {
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

// ---- Retries ----

TEST_F(EngineTest, ReadRetriedOn503ThenSucceedsWithJitteredBackoff) {
  fake_.Push(R{503, {}, ""});
  fake_.Push(R{503, {}, "<html>busy</html>"});
  fake_.Push(R{200, {}, kMediaJson});
  Outcome<v1::GetMediaResponse> out;
  engine_.Call(Ctx(), GetMediaReq(), out.Callback());
  EXPECT_EQ(fake_.call_count(), 1u);
  EXPECT_EQ(out.calls, 0);
  EXPECT_EQ(sched_.pending(), 1u);  // the wait goes through the scheduler
  // Fraction 0.5 of the ceilings 1 s, 2 s: 0.5 s then 1 s.
  const absl::Duration first = AdvanceUntilCalls(2, absl::Seconds(5));
  EXPECT_GE(first, absl::Milliseconds(500));
  EXPECT_LE(first, absl::Milliseconds(510));
  const absl::Duration second = AdvanceUntilCalls(3, absl::Seconds(5));
  EXPECT_GE(second, absl::Milliseconds(1000));
  EXPECT_LE(second, absl::Milliseconds(1010));
  ASSERT_EQ(out.calls, 1);
  ASSERT_TRUE(out.value->ok()) << out.status();
  EXPECT_EQ((*out.value)->media().name(), "media/m1");
  EXPECT_EQ(fake_.call_count(), 3u);
}

// Collects AttemptReports (route label instead of the pointer).
class RecordingObserver : public AttemptObserver {
 public:
  struct Seen {
    std::string route;
    int attempt;
    int http_status;
    absl::StatusCode transport_code;
    bool will_retry;
    std::string upstream_request_id;
  };
  void OnAttempt(const AttemptReport& r) override {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back({r.route->Label(), r.attempt, r.http_status,
                    r.transport_code, r.will_retry, r.upstream_request_id});
  }
  std::mutex mu;
  std::vector<Seen> seen;
};

class ObservedEngineTest : public EngineTest {
 protected:
  ObservedEngineTest() : EngineTest(Observed()) {}
  static std::shared_ptr<RecordingObserver>& Global() {
    static auto* o = new std::shared_ptr<RecordingObserver>;
    return *o;
  }
  static Engine::Options Observed() {
    Engine::Options o = TestOptions();
    Global() = std::make_shared<RecordingObserver>();
    o.observer = Global();
    return o;
  }
};

TEST_F(ObservedEngineTest, EveryAttemptIsReportedToBothObservers) {
  fake_.Push(absl::UnavailableError("connection reset"));
  fake_.Push(R{503, {{"x-request-id", "up-1"}}, ""});
  fake_.Push(R{200, {{"request-id", "up-2"}}, kMediaJson});
  auto per_call = std::make_shared<RecordingObserver>();
  CallContext ctx = Ctx();
  ctx.observer = per_call;
  Outcome<v1::GetMediaResponse> out;
  engine_.Call(ctx, GetMediaReq(), out.Callback());
  AdvanceUntilCalls(3, absl::Seconds(10));
  ASSERT_EQ(out.calls, 1);
  ASSERT_TRUE(out.value->ok());
  for (auto* obs : {Global().get(), per_call.get()}) {
    ASSERT_EQ(obs->seen.size(), 3u);
    EXPECT_EQ(obs->seen[0].route, "GET /v2/media/{id}");
    EXPECT_EQ(obs->seen[0].http_status, 0);
    EXPECT_EQ(obs->seen[0].transport_code, absl::StatusCode::kUnavailable);
    EXPECT_TRUE(obs->seen[0].will_retry);
    EXPECT_EQ(obs->seen[1].attempt, 2);
    EXPECT_EQ(obs->seen[1].http_status, 503);
    EXPECT_EQ(obs->seen[1].upstream_request_id, "up-1");
    EXPECT_TRUE(obs->seen[1].will_retry);
    EXPECT_EQ(obs->seen[2].http_status, 200);
    EXPECT_EQ(obs->seen[2].upstream_request_id, "up-2");
    EXPECT_FALSE(obs->seen[2].will_retry);
  }
}

// Attempt reports end up in logs: an upstream (or proxy) that echoes the
// key in its request id must not get it there.
TEST_F(ObservedEngineTest, ReportedRequestIdsAreScrubbedOfKeys) {
  fake_.Push(R{401, {{"request-id", absl::StrCat("id-", kVimKey)}}, ""});
  Outcome<v1::GetMediaResponse> out;
  engine_.Call(Ctx(), GetMediaReq(), out.Callback());
  ASSERT_EQ(out.calls, 1);
  ASSERT_EQ(Global()->seen.size(), 1u);
  EXPECT_EQ(Global()->seen[0].upstream_request_id, "id-[REDACTED]");
}

TEST_F(ObservedEngineTest, CallsThatNeverLeaveReportNoAttempt) {
  CallContext ctx = Ctx();
  ctx.credentials.vimmerse_api_key.clear();
  Outcome<v1::GetMediaResponse> out;
  engine_.Call(ctx, GetMediaReq(), out.Callback());
  ASSERT_EQ(out.calls, 1);
  EXPECT_TRUE(Global()->seen.empty());
}

class RandomJitterEngineTest : public EngineTest {
 protected:
  RandomJitterEngineTest() : EngineTest(RandomOptions()) {}
  static Engine::Options RandomOptions() {
    Engine::Options o;  // default BitGen jitter
    o.retry_policy =
        std::make_shared<LimitedAttemptsRetryPolicy>(5, absl::Minutes(5));
    o.backoff_policy = std::make_shared<ExponentialBackoffPolicy>(
        absl::Seconds(1), absl::Seconds(30), 2.0);
    return o;
  }
};

TEST_F(RandomJitterEngineTest, DelaysStayWithinFullJitterBounds) {
  for (int run = 0; run < 20; ++run) {
    http::FakeTransport* fake = &fake_;
    const size_t base = fake->call_count();
    for (int i = 0; i < 3; ++i) fake_.Push(R{502, {}, ""});
    fake_.Push(R{200, {}, kMediaJson});
    Outcome<v1::GetMediaResponse> out;
    engine_.Call(Ctx(), GetMediaReq(), out.Callback());
    absl::Duration ceiling = absl::Seconds(1);
    for (size_t n = 2; n <= 4; ++n) {
      const absl::Duration waited =
          AdvanceUntilCalls(base + n, absl::Seconds(10));
      EXPECT_LE(waited, ceiling + absl::Milliseconds(10)) << "retry " << n;
      ceiling *= 2;
    }
    ASSERT_EQ(out.calls, 1);
    EXPECT_TRUE(out.value->ok());
  }
}

TEST_F(EngineTest, AttemptsAreCapped) {
  for (int i = 0; i < 10; ++i) fake_.Push(R{500, {}, ""});
  Outcome<v1::GetMediaResponse> out;
  engine_.Call(Ctx(), GetMediaReq(), out.Callback());
  sched_.AdvanceBy(absl::Minutes(1));
  EXPECT_EQ(fake_.call_count(), 4u);  // max_attempts
  ASSERT_EQ(out.calls, 1);
  EXPECT_THAT(out.status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(sched_.pending(), 0u);
}

TEST_F(EngineTest, RetriesNeverPassTheDeadline) {
  for (int i = 0; i < 10; ++i) fake_.Push(R{503, {}, ""});
  CallContext ctx = Ctx();
  ctx.deadline = sched_.clock().Now() + absl::Milliseconds(1600);
  Outcome<v1::GetMediaResponse> out;
  engine_.Call(ctx, GetMediaReq(), out.Callback());
  sched_.AdvanceBy(absl::Minutes(1));
  // Waits of 0.5 s and 1 s fit (1.5 s); the next (2 s) would not.
  EXPECT_EQ(fake_.call_count(), 3u);
  ASSERT_EQ(out.calls, 1);
  EXPECT_THAT(out.status(), StatusIs(absl::StatusCode::kUnavailable));
  for (const auto& r : fake_.requests()) EXPECT_EQ(r.deadline, ctx.deadline);
}

TEST_F(EngineTest, RateLimitedReadWaitsForRetryAfter) {
  fake_.Push(R{429, {{"Retry-After", "3"}}, ""});
  fake_.Push(R{200, {}, kMediaJson});
  Outcome<v1::GetMediaResponse> out;
  engine_.Call(Ctx(), GetMediaReq(), out.Callback());
  const absl::Duration waited = AdvanceUntilCalls(2, absl::Seconds(10));
  EXPECT_GE(waited, absl::Seconds(3));
  EXPECT_LE(waited, absl::Seconds(3) + absl::Milliseconds(10));
  EXPECT_TRUE(out.value->ok());
}

TEST_F(EngineTest, GarbledReadIsRetriedGarbledCreateIsUnknown) {
  fake_.Push(R{200, {}, "<html>oops</html>"});
  fake_.Push(R{200, {}, kMediaJson});
  Outcome<v1::GetMediaResponse> read;
  engine_.Call(Ctx(), GetMediaReq(), read.Callback());
  sched_.AdvanceBy(absl::Seconds(5));
  EXPECT_TRUE(read.value->ok());
  EXPECT_EQ(fake_.call_count(), 2u);

  fake_.Push(R{200, {}, R"({"no": "id"})"});
  Outcome<v1::CreateMediaResponse> create;
  engine_.Call(Ctx(), CreateMediaReq(), create.Callback());
  sched_.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(fake_.call_count(), 3u);
  EXPECT_THAT(create.status(), StatusIs(absl::StatusCode::kUnknown));
  EXPECT_EQ(rpc::GetErrorInfo(create.status())->reason(),
            "UPSTREAM_BAD_RESPONSE");
}

struct CreateFailure {
  const char* name;
  std::function<void(http::FakeTransport&)> push;
  absl::StatusCode want;
};

TEST_F(EngineTest, CreateIsSentExactlyOnceWhenItMayHaveArrived) {
  const std::vector<CreateFailure> cases = {
      {"500",
       [](http::FakeTransport& f) {
         f.Push(R{500, {}, R"({"message": "x", "code": "JOB_CREATE_FAILED"})"});
       },
       absl::StatusCode::kUnavailable},
      {"503 retry-after",
       [](http::FakeTransport& f) {
         f.Push(R{503, {{"retry-after", "1"}}, ""});
       },
       absl::StatusCode::kUnavailable},
      {"429",
       [](http::FakeTransport& f) {
         f.Push(R{429, {}, ""});
       },
       absl::StatusCode::kResourceExhausted},
      {"reset after send",
       [](http::FakeTransport& f) {
         f.Push(absl::UnavailableError("connection reset by peer"));
       },
       absl::StatusCode::kUnavailable},
      {"timeout",
       [](http::FakeTransport& f) {
         f.Push(absl::DeadlineExceededError("operation timed out"));
       },
       absl::StatusCode::kDeadlineExceeded},
  };
  for (const CreateFailure& c : cases) {
    http::FakeTransport fake;
    FakeScheduler sched;
    Engine engine(TestOptions(), &fake, &sched);
    c.push(fake);
    fake.Push(R{200, {}, kMediaJson});  // would succeed if retried
    Outcome<v1::CreateMediaResponse> out;
    CallContext ctx = Ctx();
    ctx.deadline = sched.clock().Now() + absl::Minutes(2);
    engine.Call(ctx, CreateMediaReq(), out.Callback());
    sched.AdvanceBy(absl::Minutes(1));
    EXPECT_EQ(fake.call_count(), 1u) << c.name;
    ASSERT_EQ(out.calls, 1) << c.name;
    EXPECT_THAT(out.status(), StatusIs(c.want)) << c.name;
    EXPECT_TRUE(rpc::GetErrorInfo(out.status()).has_value()) << c.name;
  }
}

TEST_F(EngineTest, CreateRetriedWhenProvablyNotSent) {
  fake_.Push(http::MarkNotSent(absl::UnavailableError("connection refused")));
  fake_.Push(http::MarkNotSent(absl::UnavailableError("dns failure")));
  fake_.Push(R{200, {}, kMediaJson});
  Outcome<v1::CreateMediaResponse> out;
  engine_.Call(Ctx(), CreateMediaReq(), out.Callback());
  sched_.AdvanceBy(absl::Seconds(10));
  EXPECT_EQ(fake_.call_count(), 3u);
  ASSERT_EQ(out.calls, 1);
  ASSERT_TRUE(out.value->ok()) << out.status();
  EXPECT_EQ((*out.value)->media().name(), "media/m1");
  // Each attempt was the same request.
  auto reqs = fake_.requests();
  EXPECT_EQ(reqs[0].body, reqs[2].body);
  EXPECT_EQ(reqs[0].url, reqs[2].url);
}

TEST_F(EngineTest, NotSentRetriesAreCappedToo) {
  for (int i = 0; i < 10; ++i) {
    fake_.Push(http::MarkNotSent(absl::UnavailableError("connection refused")));
  }
  Outcome<v1::TextToMusicResponse> out;
  v1::TextToMusicRequest r;
  r.set_prompt("calm");
  engine_.Call(Ctx(), r, out.Callback());
  sched_.AdvanceBy(absl::Minutes(1));
  EXPECT_EQ(fake_.call_count(), 4u);
  EXPECT_THAT(out.status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(rpc::GetErrorInfo(out.status())->reason(), "UPSTREAM_UNREACHABLE");
}

TEST_F(EngineTest, DeadlineAlreadyPassedSendsNothing) {
  CallContext ctx = Ctx();
  ctx.deadline = sched_.clock().Now();
  Outcome<v1::GetMediaResponse> out;
  engine_.Call(ctx, GetMediaReq(), out.Callback());
  EXPECT_EQ(fake_.call_count(), 0u);
  EXPECT_THAT(out.status(), StatusIs(absl::StatusCode::kDeadlineExceeded));
}

// ---- Cancellation ----

TEST_F(EngineTest, CancelDuringRetryWaitCompletesOnceAndSendsNothingMore) {
  fake_.Push(R{503, {}, ""});
  fake_.Push(R{200, {}, kMediaJson});
  Outcome<v1::GetMediaResponse> out;
  Engine::Handle h = engine_.Call(Ctx(), GetMediaReq(), out.Callback());
  EXPECT_EQ(sched_.pending(), 1u);
  h->Cancel();
  EXPECT_EQ(sched_.pending(), 0u);
  ASSERT_EQ(out.calls, 1);
  EXPECT_THAT(out.status(), StatusIs(absl::StatusCode::kCancelled));
  h->Cancel();  // idempotent
  sched_.AdvanceBy(absl::Minutes(1));
  EXPECT_EQ(fake_.call_count(), 1u);
  EXPECT_EQ(out.calls, 1);
}

TEST(EngineHoldingTest, CancelInFlightAbortsTheTransfer) {
  HoldingTransport transport;
  FakeScheduler sched;
  Engine engine(TestOptions(), &transport, &sched);
  CallContext ctx;
  ctx.credentials.vimmerse_api_key = kVimKey;
  Outcome<v1::CreateMediaResponse> out;
  v1::CreateMediaRequest r;
  r.set_prompt("x");
  Engine::Handle h = engine.Call(ctx, r, out.Callback());
  ASSERT_EQ(transport.requests.size(), 1u);
  h->ResumeReceive();
  EXPECT_EQ(transport.calls[0]->resumes, 1);
  h->Cancel();
  EXPECT_EQ(transport.calls[0]->cancels, 1);
  EXPECT_EQ(out.calls, 0);  // the transport reports the abort
  transport.Answer(0, absl::CancelledError("aborted"));
  ASSERT_EQ(out.calls, 1);
  EXPECT_THAT(out.status(), StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(transport.requests.size(), 1u);
}

TEST(EngineHoldingTest, CompletionRunsOnceEvenIfTheAnswerRacesACancel) {
  HoldingTransport transport;
  FakeScheduler sched;
  Engine engine(TestOptions(), &transport, &sched);
  CallContext ctx;
  ctx.credentials.vimmerse_api_key = kVimKey;
  Outcome<v1::GetMediaResponse> out;
  v1::GetMediaRequest r;
  r.set_name("media/m1");
  Engine::Handle h = engine.Call(ctx, r, out.Callback());
  h->Cancel();
  http::HttpResponse ok;
  ok.status = 200;
  ok.body = kMediaJson;
  transport.Answer(0, ok);  // the answer won the race
  h->Cancel();
  EXPECT_EQ(out.calls, 1);
  EXPECT_TRUE(out.value->ok());
}

TEST(EngineShutdownTest, CallDroppedByAStoppingSchedulerStillCompletes) {
  http::FakeTransport fake;
  auto sched = std::make_unique<FakeScheduler>();
  Engine engine(TestOptions(), &fake, sched.get());
  CallContext ctx;
  ctx.credentials.vimmerse_api_key = kVimKey;
  ctx.credentials.elevenlabs_api_key = kElKey;
  Outcome<v1::GetMediaResponse> out;
  fake.Push(R{503, {}, ""});
  v1::GetMediaRequest r;
  r.set_name("media/m1");
  engine.Call(ctx, r, out.Callback());  // handle not kept
  auto sink = std::make_shared<RecordingSink>();
  fake.Push(http::MarkNotSent(absl::UnavailableError("refused")));
  v1::GenerateSoundEffectRequest s;
  s.set_text("boom");
  engine.Stream(ctx, s, sink);
  EXPECT_EQ(sched->pending(), 2u);
  EXPECT_EQ(out.calls, 0);
  sched.reset();  // the scheduler goes, and both retry timers with it
  ASSERT_EQ(out.calls, 1);
  EXPECT_THAT(out.status(), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_EQ(sink->done.size(), 1u);
  EXPECT_THAT(sink->done[0], StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(sink->infos.empty());
}

// ---- Before any call ----

TEST_F(EngineTest, MissingKeyFailsBeforeAnyCallNamingTheProvider) {
  CallContext ctx = Ctx();
  ctx.credentials.aimlapi_api_key.clear();
  Outcome<v1::GenerateAudioResponse> out;
  v1::GenerateAudioRequest r;
  r.set_prompt("x");
  engine_.Call(ctx, r, out.Callback());
  EXPECT_THAT(out.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(absl::StrContains(out.status().message(), "AIMLAPI"));
  // Marked as never sent, so an idempotency lease is released and the
  // retry, once the key is configured, goes upstream.
  EXPECT_TRUE(http::RequestNotSent(out.status()));
  EXPECT_EQ(fake_.call_count(), 0u);

  ctx = Ctx();
  ctx.credentials.vimmerse_api_key.clear();
  Outcome<v1::Job> job;
  engine_.GetJob(ctx, "assets/a1", job.Callback());
  EXPECT_THAT(job.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(absl::StrContains(job.status().message(), "Vimmerse"));

  ctx = Ctx();
  ctx.credentials.elevenlabs_api_key.clear();
  auto sink = std::make_shared<RecordingSink>();
  v1::GenerateSoundEffectRequest s;
  s.set_text("boom");
  engine_.Stream(ctx, s, sink);
  ASSERT_EQ(sink->done.size(), 1u);
  EXPECT_THAT(sink->done[0], StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(absl::StrContains(sink->done[0].message(), "ElevenLabs"));
  EXPECT_TRUE(http::RequestNotSent(sink->done[0]));
  EXPECT_EQ(fake_.call_count(), 0u);

  ctx = Ctx();
  ctx.credentials.vimmerse_api_key = "bad\nkey";
  Outcome<v1::GetMediaResponse> bad;
  engine_.Call(ctx, GetMediaReq(), bad.Callback());
  EXPECT_THAT(bad.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(absl::StrContains(bad.status().message(), "bad\nkey"));
  EXPECT_EQ(fake_.call_count(), 0u);
}

// One invalid request per RPC: INVALID_ARGUMENT naming the field, nothing
// sent.
TEST_F(EngineTest, InvalidRequestsAreNeverSent) {
  struct Case {
    std::string field;
    std::function<absl::Status()> run;
  };
  auto wait = [](auto& out) { return out.status(); };
  std::vector<Case> cases;
  auto add = [&](std::string field, std::function<absl::Status()> run) {
    cases.push_back({std::move(field), std::move(run)});
  };
  add("prompt", [&] {
    Outcome<v1::CreateMediaResponse> o;
    engine_.Call(Ctx(), v1::CreateMediaRequest(), o.Callback());
    return wait(o);
  });
  add("name", [&] {
    Outcome<v1::GetMediaResponse> o;
    v1::GetMediaRequest r;
    r.set_name("media/a/b");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("audio_option.narration_url", [&] {
    Outcome<v1::UpdateMediaResponse> o;
    v1::UpdateMediaRequest r;
    r.set_name("media/m1");
    r.mutable_audio_option()->set_narration_url("narration.mp3");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("file_name", [&] {
    Outcome<v1::UploadVideoResponse> o;
    v1::UploadVideoMetadata m;
    m.set_content_type("video/mp4");
    engine_.Upload(Ctx(), m, nullptr, o.Callback());
    return wait(o);
  });
  add("quantity", [&] {
    Outcome<v1::EstimateVideoCreditsResponse> o;
    v1::EstimateVideoCreditsRequest r;
    r.set_option("KlingO");
    r.set_quantity(5);
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("aspect_ratio", [&] {
    Outcome<v1::CropToAspectRatioResponse> o;
    v1::CropToAspectRatioRequest r;
    r.set_video_url("https://e/v.mp4");
    r.set_aspect_ratio("wide");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("video_url", [&] {
    Outcome<v1::ReframeVideoResponse> o;
    engine_.Call(Ctx(), v1::ReframeVideoRequest(), o.Callback());
    return wait(o);
  });
  add("enhance_mode", [&] {
    Outcome<v1::EnhanceVideoResponse> o;
    v1::EnhanceVideoRequest r;
    r.set_video_url("https://e/v.mp4");
    r.set_enhance_mode("3X");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("webhook_url", [&] {
    Outcome<v1::AddSoundEffectResponse> o;
    v1::AddSoundEffectRequest r;
    r.set_video_url("https://e/v.mp4");
    r.set_webhook_url("hooks.example/x");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("show_caption", [&] {
    Outcome<v1::AvatarLipSyncResponse> o;
    v1::AvatarLipSyncRequest r;
    r.set_show_caption("Yes");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("image_url", [&] {
    Outcome<v1::LipSyncResponse> o;
    v1::LipSyncRequest r;
    r.set_audio_url("https://e/a.mp3");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("option", [&] {
    Outcome<v1::GenerateVideoEffectResponse> o;
    v1::GenerateVideoEffectRequest r;
    r.set_image_url("https://e/a.png");
    r.set_option("Nope");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("chroma_tolerance", [&] {
    Outcome<v1::ReplaceBackgroundResponse> o;
    v1::ReplaceBackgroundRequest r;
    r.set_video_url("https://e/v.mp4");
    r.set_chroma_tolerance("5");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("duration", [&] {
    Outcome<v1::ReferenceToVideoResponse> o;
    v1::ReferenceToVideoRequest r;
    r.add_image_urls("https://e/a.png");
    r.set_duration(0);
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("image_url", [&] {
    Outcome<v1::VideoToVideoResponse> o;
    v1::VideoToVideoRequest r;
    r.set_video_url("https://e/v.mp4");
    r.set_image_url("ftp://e/a.png");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("audio_url", [&] {
    Outcome<v1::AttachAudioResponse> o;
    v1::AttachAudioRequest r;
    r.set_video_url("https://e/v.mp4");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("content_type", [&] {
    Outcome<v1::UploadAudioResponse> o;
    v1::UploadAudioMetadata m;
    m.set_file_name("a.mp3");
    engine_.Upload(Ctx(), m, nullptr, o.Callback());
    return wait(o);
  });
  add("app_name", [&] {
    Outcome<v1::EstimateAudioCreditsResponse> o;
    v1::EstimateAudioCreditsRequest r;
    r.set_option("AutoA");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("voice", [&] {
    Outcome<v1::TextToSpeechResponse> o;
    v1::TextToSpeechRequest r;
    r.set_prompt("hi");
    r.set_voice("Zed");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("request_id", [&] {
    Outcome<v1::TextToSoundEffectResponse> o;
    v1::TextToSoundEffectRequest r;
    r.set_prompt("boom");
    r.set_request_id(std::string(129, 'x'));
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("prompt", [&] {
    Outcome<v1::TextToMusicResponse> o;
    engine_.Call(Ctx(), v1::TextToMusicRequest(), o.Callback());
    return wait(o);
  });
  add("optimize_streaming_latency", [&] {
    auto sink = std::make_shared<RecordingSink>();
    v1::SynthesizeSpeechRequest r;
    r.set_voice_id("v");
    r.set_text("t");
    r.set_optimize_streaming_latency(9);
    engine_.Stream(Ctx(), r, sink);
    EXPECT_TRUE(sink->infos.empty());
    return sink->done.size() == 1 ? sink->done[0]
                                  : absl::InternalError("no OnDone");
  });
  add("duration_seconds", [&] {
    auto sink = std::make_shared<RecordingSink>();
    v1::GenerateSoundEffectRequest r;
    r.set_text("t");
    r.set_duration_seconds(30);
    engine_.Stream(Ctx(), r, sink);
    return sink->done.size() == 1 ? sink->done[0]
                                  : absl::InternalError("no OnDone");
  });
  add("seconds_total", [&] {
    Outcome<v1::GenerateAudioResponse> o;
    v1::GenerateAudioRequest r;
    r.set_prompt("p");
    r.set_seconds_total(60);
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("name", [&] {
    Outcome<v1::GetGenerationResponse> o;
    v1::GetGenerationRequest r;
    r.set_name("media/x");
    engine_.Call(Ctx(), r, o.Callback());
    return wait(o);
  });
  add("name", [&] {
    Outcome<v1::Job> o;
    engine_.GetJob(Ctx(), "jobs/1", o.Callback());
    return wait(o);
  });

  EXPECT_EQ(cases.size(), 26u);  // every RPC the engine serves
  for (const Case& c : cases) {
    absl::Status s = c.run();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument))
        << c.field << ": " << s;
    auto br = rpc::GetBadRequest(s);
    ASSERT_TRUE(br.has_value()) << c.field;
    bool named = false;
    for (const auto& v : br->field_violations()) named |= v.field() == c.field;
    EXPECT_TRUE(named) << c.field << ": " << br->DebugString();
    EXPECT_EQ(fake_.call_count(), 0u) << c.field;
  }
}

// ---- Every RPC reaches its route and parses its answer ----

TEST_F(EngineTest, EveryAssetRouteIsWired) {
  struct RouteCase {
    std::string url;
    std::function<Engine::Handle(
        std::function<void(absl::StatusOr<v1::Asset>)>)>
        start;
  };
  std::vector<RouteCase> routes;
  auto asset_of = [](auto done) {
    return [done](auto r) {
      done(r.ok() ? absl::StatusOr<v1::Asset>(r->asset())
                  : absl::StatusOr<v1::Asset>(r.status()));
    };
  };
  const std::string base = "https://api.vimmerse.net";
  routes.push_back({base + "/v2/video/crop-to-aspect-ratio", [&](auto done) {
                      v1::CropToAspectRatioRequest r;
                      r.set_video_url("https://e/v.mp4");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/reframe", [&](auto done) {
                      v1::ReframeVideoRequest r;
                      r.set_video_url("https://e/v.mp4");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/enhance", [&](auto done) {
                      v1::EnhanceVideoRequest r;
                      r.set_video_url("https://e/v.mp4");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/sound-effect", [&](auto done) {
                      v1::AddSoundEffectRequest r;
                      r.set_video_url("https://e/v.mp4");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/avatars/lip-sync", [&](auto done) {
                      return engine_.Call(Ctx(), v1::AvatarLipSyncRequest(),
                                          asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/lip-sync", [&](auto done) {
                      v1::LipSyncRequest r;
                      r.set_image_url("https://e/f.png");
                      r.set_prompt("hi");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/video-effects", [&](auto done) {
                      v1::GenerateVideoEffectRequest r;
                      r.set_image_url("https://e/a.png");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/replace-background", [&](auto done) {
                      v1::ReplaceBackgroundRequest r;
                      r.set_video_url("https://e/v.mp4");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/reference-to-video", [&](auto done) {
                      v1::ReferenceToVideoRequest r;
                      r.add_image_urls("https://e/a.png");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/video-to-video", [&](auto done) {
                      v1::VideoToVideoRequest r;
                      r.set_video_url("https://e/v.mp4");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/video/audio", [&](auto done) {
                      v1::AttachAudioRequest r;
                      r.set_video_url("https://e/v.mp4");
                      r.set_audio_url("https://e/a.mp3");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/audio/text-2-speech", [&](auto done) {
                      v1::TextToSpeechRequest r;
                      r.set_prompt("hi");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/audio/text-2-sound-effect", [&](auto done) {
                      v1::TextToSoundEffectRequest r;
                      r.set_prompt("boom");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});
  routes.push_back({base + "/v2/audio/text-2-music", [&](auto done) {
                      v1::TextToMusicRequest r;
                      r.set_prompt("calm");
                      return engine_.Call(Ctx(), r, asset_of(done));
                    }});

  for (size_t i = 0; i < routes.size(); ++i) {
    fake_.Push(R{200, {}, kAssetJson});
    std::optional<absl::StatusOr<v1::Asset>> got;
    routes[i].start(
        [&got](absl::StatusOr<v1::Asset> a) { got = std::move(a); });
    ASSERT_EQ(fake_.call_count(), i + 1);
    const auto req = fake_.requests().back();
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.url, routes[i].url);
    EXPECT_EQ(Header(req.headers, "X-Api-Key"), kVimKey);
    ASSERT_TRUE(got.has_value()) << routes[i].url;
    ASSERT_TRUE(got->ok()) << got->status();
    EXPECT_EQ((*got)->name(), "assets/as1");
    EXPECT_EQ((*got)->state(), v1::JOB_STATE_RUNNING);
  }
}

TEST_F(EngineTest, MediaEstimateAndStableAudioRoutes) {
  fake_.Push(R{200, {}, kMediaJson});
  Outcome<v1::CreateMediaResponse> create;
  engine_.Call(Ctx(), CreateMediaReq(), create.Callback());
  EXPECT_EQ(fake_.requests().back().url, "https://api.vimmerse.net/v2/media");
  EXPECT_EQ((*create.value)->media().state(), v1::JOB_STATE_QUEUED);

  fake_.Push(
      R{200, {}, R"({"processing_status": "success", "result": ["u"]})"});
  Outcome<v1::UpdateMediaResponse> update;
  v1::UpdateMediaRequest u;
  u.set_name("media/m7");
  u.set_title("t");
  engine_.Call(Ctx(), u, update.Callback());
  EXPECT_EQ(fake_.requests().back().method, "PUT");
  ASSERT_TRUE(update.value->ok()) << update.status();
  EXPECT_EQ((*update.value)->media().name(), "media/m7");  // id from the name

  fake_.Push(R{200, {}, R"({"total_credits": 12, "breakdown": {"a": 1}})"});
  Outcome<v1::EstimateVideoCreditsResponse> ev;
  v1::EstimateVideoCreditsRequest e;
  e.set_option("KlingO");
  engine_.Call(Ctx(), e, ev.Callback());
  EXPECT_EQ((*ev.value)->total_credits(), 12);

  fake_.Push(R{200, {}, R"({"total_credits": "3", "breakdown": {}})"});
  Outcome<v1::EstimateAudioCreditsResponse> ea;
  v1::EstimateAudioCreditsRequest a;
  a.set_app_name("text-to-music");
  a.set_option("Lyria");
  engine_.Call(Ctx(), a, ea.Callback());
  EXPECT_EQ(fake_.requests().back().url,
            "https://api.vimmerse.net/v2/audio/estimate-credits");
  EXPECT_EQ((*ea.value)->total_credits(), 3);

  fake_.Push(R{201, {}, R"({"generation_id": "g1:stable-audio"})"});
  Outcome<v1::GenerateAudioResponse> gen;
  v1::GenerateAudioRequest g;
  g.set_prompt("lofi");
  engine_.Call(Ctx(), g, gen.Callback());
  EXPECT_EQ(Header(fake_.requests().back().headers, "Authorization"),
            std::string("Bearer ") + kAimlKey);
  ASSERT_TRUE(gen.value->ok()) << gen.status();
  EXPECT_EQ((*gen.value)->generation().name(), "generations/g1:stable-audio");
  EXPECT_EQ((*gen.value)->generation().state(), v1::JOB_STATE_QUEUED);

  fake_.Push(
      R{200, {}, R"({"id": "g1:stable-audio", "status": "generating"})"});
  Outcome<v1::GetGenerationResponse> poll;
  v1::GetGenerationRequest p;
  p.set_name("generations/g1:stable-audio");
  engine_.Call(Ctx(), p, poll.Callback());
  EXPECT_EQ(fake_.requests().back().url,
            "https://api.aimlapi.com/v2/generate/"
            "audio?generation_id=g1%3Astable-audio");
  EXPECT_EQ((*poll.value)->generation().state(), v1::JOB_STATE_RUNNING);
}

TEST_F(EngineTest, ErrorsComeBackMappedAndConvertibleToGrpc) {
  fake_.Push(
      R{402,
        {},
        absl::StrCat(R"({"message": "key )", kVimKey,
                     R"( has no credit", "code": "INSUFFICIENT_CREDIT"})")});
  Outcome<v1::CreateMediaResponse> out;
  engine_.Call(Ctx(), CreateMediaReq(), out.Callback());
  EXPECT_THAT(out.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(absl::StrContains(out.status().message(), kVimKey));
  grpc::Status g = rpc::ToGrpcStatus(out.status());
  EXPECT_THAT(g, StatusIs(grpc::StatusCode::FAILED_PRECONDITION));
  absl::Status back = rpc::FromGrpcStatus(g);
  auto info = rpc::GetErrorInfo(back);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "INSUFFICIENT_CREDIT");
  EXPECT_EQ(info->metadata().at("route"), "POST /v2/media");
  EXPECT_EQ(fake_.call_count(), 1u);
}

TEST(EngineSecretsTest, OtherTenantsSecretsAreScrubbedFromErrorsToo) {
  // Found by tests/security: only the caller's keys were scrubbed, so an
  // upstream that quoted another tenant's key passed it on.
  http::FakeTransport fake;
  FakeScheduler sched;
  Engine::Options options = TestOptions();
  options.secrets = std::make_shared<const std::vector<std::string>>(
      std::vector<std::string>{"other-tenant-key-77", "webhook-token-88"});
  Engine engine(options, &fake, &sched);
  fake.Push(R{401,
              {{"request-id", "webhook-token-88"}},
              R"({"message": "other-tenant-key-77 is not yours",
                  "code": "other-tenant-key-77"})"});
  Outcome<v1::CreateMediaResponse> out;
  CallContext ctx;
  ctx.credentials.vimmerse_api_key = kVimKey;
  v1::CreateMediaRequest r;
  r.set_prompt("x");
  engine.Call(ctx, r, out.Callback());
  ASSERT_EQ(out.calls, 1);
  const std::string all = absl::StrCat(
      out.status().message(), rpc::GetErrorInfo(out.status())->DebugString());
  EXPECT_FALSE(absl::StrContains(all, "other-tenant-key-77")) << all;
  EXPECT_FALSE(absl::StrContains(all, "webhook-token-88")) << all;
}

TEST_F(EngineTest, ExtraHeadersForwardedReservedOnesDropped) {
  fake_.Push(R{200, {}, kMediaJson});
  CallContext ctx = Ctx();
  ctx.extra_headers = {{"traceparent", "00-abc-def-01"},
                       {"Authorization", "Bearer caller-token"},
                       {"X-Api-Key", "other"},
                       {"x-evil", "a\r\nInjected: 1"},
                       {"bad name", "v"}};
  Outcome<v1::GetMediaResponse> out;
  engine_.Call(ctx, GetMediaReq(), out.Callback());
  const auto req = fake_.requests().back();
  EXPECT_EQ(Header(req.headers, "traceparent"), "00-abc-def-01");
  EXPECT_EQ(HeaderCount(req.headers, "Authorization"), 0);
  EXPECT_EQ(HeaderCount(req.headers, "X-Api-Key"), 1);
  EXPECT_EQ(Header(req.headers, "X-Api-Key"), kVimKey);
  EXPECT_EQ(HeaderCount(req.headers, "x-evil"), 0);
  EXPECT_EQ(HeaderCount(req.headers, "bad name"), 0);
}

// ---- Streamed audio ----

TEST_F(EngineTest, SpeechStreamsInfoThenChunksThenDone) {
  R reply{200,
          {{"Content-Type", "audio/mpeg"},
           {"request-id", "el-req-1"},
           {"character-cost", "12"}},
          "",
          {"ID3", "frame1", "frame2"}};
  reply.body = "ID3frame1frame2";
  fake_.Push(reply);
  auto sink = std::make_shared<RecordingSink>();
  v1::SynthesizeSpeechRequest r;
  r.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
  r.set_text("Hello");
  engine_.Stream(Ctx(), r, sink);
  ASSERT_EQ(fake_.call_count(), 1u);
  const auto req = fake_.requests()[0];
  EXPECT_TRUE(req.streamed_response);
  EXPECT_EQ(req.url,
            "https://api.elevenlabs.io/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb/"
            "stream");
  EXPECT_EQ(Header(req.headers, "xi-api-key"), kElKey);
  EXPECT_EQ(sink->events, (std::vector<std::string>{"info", "chunk", "chunk",
                                                    "chunk", "done"}));
  ASSERT_EQ(sink->infos.size(), 1u);
  EXPECT_EQ(sink->infos[0].content_type(), "audio/mpeg");
  EXPECT_EQ(sink->infos[0].output_format(), "mp3_44100_128");
  EXPECT_EQ(sink->infos[0].upstream_request_id(), "el-req-1");
  EXPECT_EQ(sink->infos[0].character_cost(), 12);
  EXPECT_EQ(sink->audio, "ID3frame1frame2");
  EXPECT_TRUE(sink->done[0].ok());
}

TEST_F(EngineTest, SpeechInfoHeadersAreScrubbedOfKeys) {
  R reply{200,
          {{"Content-Type", absl::StrCat("audio/mpeg; k=", kElKey)},
           {"request-id", kElKey}},
          "",
          {"ID3"}};
  reply.body = "ID3";
  fake_.Push(reply);
  auto sink = std::make_shared<RecordingSink>();
  v1::SynthesizeSpeechRequest r;
  r.set_voice_id("JBFqnCBsd6RMkjVDRZzb");
  r.set_text("Hello");
  engine_.Stream(Ctx(), r, sink);
  ASSERT_EQ(sink->infos.size(), 1u);
  EXPECT_EQ(sink->infos[0].content_type(), "audio/mpeg; k=[REDACTED]");
  EXPECT_EQ(sink->infos[0].upstream_request_id(), "[REDACTED]");
  EXPECT_EQ(sink->audio, "ID3");
}

TEST_F(EngineTest, SpeechErrorBodyIsParsedNeverStreamedNorRetried) {
  fake_.Push(R{
      429,
      {{"content-type", "application/json"}},
      R"({"detail": {"status": "concurrent_limit_exceeded", "message": "Too many concurrent requests"}})"});
  fake_.Push(R{200, {}, "audio"});
  auto sink = std::make_shared<RecordingSink>();
  v1::GenerateSoundEffectRequest r;
  r.set_text("boom");
  r.set_output_format("pcm_16000");
  engine_.Stream(Ctx(), r, sink);
  sched_.AdvanceBy(absl::Minutes(1));
  EXPECT_EQ(fake_.call_count(), 1u);
  EXPECT_TRUE(sink->infos.empty());
  EXPECT_TRUE(sink->audio.empty());
  ASSERT_EQ(sink->done.size(), 1u);
  EXPECT_THAT(sink->done[0], StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(rpc::GetErrorInfo(sink->done[0])->reason(),
            "CONCURRENT_LIMIT_EXCEEDED");
}

TEST_F(EngineTest, SpeechAnsweredWithSomethingElseThanAudioIsABadResponse) {
  // A 2xx JSON (or HTML) page is not passed on as sound, and the call,
  // which may have been billed, is not repeated.
  fake_.Push(R{200,
               {{"Content-Type", "application/json; charset=utf-8"}},
               R"({"status": "ok"})"});
  auto sink = std::make_shared<RecordingSink>();
  v1::SynthesizeSpeechRequest r;
  r.set_voice_id("v");
  r.set_text("t");
  engine_.Stream(Ctx(), r, sink);
  sched_.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(fake_.call_count(), 1u);
  EXPECT_TRUE(sink->infos.empty());
  EXPECT_TRUE(sink->audio.empty());
  ASSERT_EQ(sink->done.size(), 1u);
  EXPECT_THAT(sink->done[0], StatusIs(absl::StatusCode::kUnknown));
  EXPECT_EQ(rpc::GetErrorInfo(sink->done[0])->reason(),
            "UPSTREAM_BAD_RESPONSE");

  // Audio types with parameters, octet-stream and no type at all pass.
  for (const http::Headers& h :
       {http::Headers{{"Content-Type", "Audio/PCM; rate=16000"}},
        http::Headers{{"content-type", "application/octet-stream"}},
        http::Headers{}}) {
    fake_.Push(R{200, h, "pcm"});
    auto ok = std::make_shared<RecordingSink>();
    engine_.Stream(Ctx(), r, ok);
    ASSERT_EQ(ok->done.size(), 1u);
    EXPECT_TRUE(ok->done[0].ok()) << ok->done[0];
    EXPECT_EQ(ok->audio, "pcm");
  }
}

TEST_F(EngineTest, SpeechRetriedOnlyWhenNotSent) {
  fake_.Push(http::MarkNotSent(absl::UnavailableError("connection refused")));
  fake_.Push(R{200, {{"content-type", "audio/mpeg"}}, "abc"});
  auto sink = std::make_shared<RecordingSink>();
  v1::SynthesizeSpeechRequest r;
  r.set_voice_id("v");
  r.set_text("t");
  r.set_stream(false);
  engine_.Stream(Ctx(), r, sink);
  sched_.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(fake_.call_count(), 2u);
  EXPECT_EQ(fake_.requests()[1].url,
            "https://api.elevenlabs.io/v1/text-to-speech/v");
  EXPECT_EQ(sink->audio, "abc");
  ASSERT_EQ(sink->done.size(), 1u);
  EXPECT_TRUE(sink->done[0].ok());

  fake_.Push(absl::UnavailableError("connection reset"));
  auto sink2 = std::make_shared<RecordingSink>();
  engine_.Stream(Ctx(), r, sink2);
  sched_.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(fake_.call_count(), 3u);
  ASSERT_EQ(sink2->done.size(), 1u);
  EXPECT_THAT(sink2->done[0], StatusIs(absl::StatusCode::kUnavailable));
}

TEST(EngineHoldingTest, PausedStreamResumesThroughTheHandle) {
  HoldingTransport transport;
  FakeScheduler sched;
  Engine engine(TestOptions(), &transport, &sched);
  CallContext ctx;
  ctx.credentials.elevenlabs_api_key = kElKey;
  struct PausingSink : RecordingSink {
    bool OnChunk(absl::string_view chunk) override {
      RecordingSink::OnChunk(chunk);
      return false;
    }
  };
  auto sink = std::make_shared<PausingSink>();
  v1::SynthesizeSpeechRequest r;
  r.set_voice_id("v");
  r.set_text("t");
  Engine::Handle h = engine.Stream(ctx, r, sink);
  ASSERT_EQ(transport.requests.size(), 1u);
  auto stream = transport.requests[0].response_stream;
  ASSERT_NE(stream, nullptr);
  EXPECT_TRUE(stream->on_headers(200, {{"content-type", "audio/mpeg"}}));
  EXPECT_FALSE(stream->on_chunk("abc"));  // the sink is full
  h->ResumeReceive();
  EXPECT_EQ(transport.calls[0]->resumes, 1);
  http::HttpResponse done;
  done.status = 200;
  transport.Answer(0, done);
  ASSERT_EQ(sink->done.size(), 1u);
  EXPECT_TRUE(sink->done[0].ok());
  EXPECT_EQ(sink->audio, "abc");
}

// ---- GetJob ----

TEST_F(EngineTest, GetJobReadsEachKind) {
  fake_.Push(R{200, {}, R"({"id": "m1", "processing_status": "fail",
      "created_at": "2025-04-01 13:19:10.786297+00:00"})"});
  Outcome<v1::Job> media;
  engine_.GetJob(Ctx(), "media/m1", media.Callback());
  EXPECT_EQ(fake_.requests().back().url,
            "https://api.vimmerse.net/v2/media/m1");
  ASSERT_TRUE(media.value->ok()) << media.status();
  EXPECT_EQ((*media.value)->name(), "media/m1");
  EXPECT_EQ((*media.value)->state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ((*media.value)->upstream_status(), "fail");
  EXPECT_TRUE((*media.value)->has_create_time());
  EXPECT_EQ((*media.value)->version(), 0);

  fake_.Push(R{
      200,
      {},
      R"({"data": {"status": "success", "results": ["https://cdn/x.mp4"], "credits": 8}})"});
  Outcome<v1::Job> asset;
  engine_.GetJob(Ctx(), "assets/as9", asset.Callback());
  EXPECT_EQ(fake_.requests().back().url, "https://api.vimmerse.net/asset/as9");
  EXPECT_EQ(fake_.requests().back().method, "GET");
  ASSERT_TRUE(asset.value->ok()) << asset.status();
  EXPECT_EQ((*asset.value)->name(), "assets/as9");
  EXPECT_EQ((*asset.value)->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ((*asset.value)->result_urls(0), "https://cdn/x.mp4");
  EXPECT_EQ((*asset.value)->credits(), 8);

  fake_.Push(R{200, {}, R"({"id": "g1:stable-audio", "status": "error",
      "error": {"name": "TimeoutError", "message": "took too long"}})"});
  Outcome<v1::Job> gen;
  engine_.GetJob(Ctx(), "generations/g1:stable-audio", gen.Callback());
  EXPECT_EQ(Header(fake_.requests().back().headers, "Authorization"),
            std::string("Bearer ") + kAimlKey);
  ASSERT_TRUE(gen.value->ok()) << gen.status();  // a failed job, not an error
  EXPECT_EQ((*gen.value)->provider(), v1::PROVIDER_AIMLAPI);
  EXPECT_EQ((*gen.value)->state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ((*gen.value)->error_message(), "TimeoutError: took too long");

  fake_.Push(R{404, {}, R"({"message": "gone", "code": "MEDIA_NOT_FOUND"})"});
  Outcome<v1::Job> missing;
  engine_.GetJob(Ctx(), "media/zzz", missing.Callback());
  EXPECT_THAT(missing.status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(rpc::GetErrorInfo(missing.status())->reason(), "MEDIA_NOT_FOUND");
  EXPECT_EQ(fake_.call_count(), 4u);  // a 404 is not retried
}

}  // namespace
}  // namespace mediagen::upstream
