// The Engine end to end over FakeTransport and FakeScheduler: retries
// (reads on 5xx/429, creates only when not sent), the deadline,
// and cancellation. Validation and keys before any call:
// engine_checks_test.cc; the wiring of every RPC, streamed audio and GetJob:
// engine_routes_test.cc.
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
#include "service/upstream/engine/engine_test_util.h"
#include "service/upstream/providers/errors.h"
#include "service/upstream/providers/test_util.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::upstream {
namespace {

using engine_testing::EngineTest;
using engine_testing::HoldingTransport;
using engine_testing::kElKey;
using engine_testing::kMediaJson;
using engine_testing::kVimKey;
using engine_testing::Outcome;
using engine_testing::R;
using engine_testing::RecordingSink;
using engine_testing::StatusIs;
using engine_testing::TestOptions;

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

}  // namespace
}  // namespace mediagen::upstream
