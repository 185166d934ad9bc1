// One Operation driven directly, without the Engine: what is retried, what
// is never sent twice, the deadline, cancellation, the single completion,
// the attempt reports and the headers that are forwarded. engine_test
// covers the same machinery through every RPC.
#include "service/upstream/engine/operation.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "service/common/scheduler.h"
#include "service/http/fake_transport.h"
#include "service/http/transport.h"
#include "service/upstream/engine/engine_test_util.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::upstream {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;
using Reply = http::FakeTransport::Reply;

// A scripted answer with a buffered body.
Reply Answer(int status, std::string body) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

const Route kRead{v1::PROVIDER_VIMMERSE, "GET", "/v2/media/{id}",
                  Idempotency::kIdempotent};
const Route kCreate{v1::PROVIDER_VIMMERSE, "POST", "/v2/media",
                    Idempotency::kNonIdempotent};

class RecordingObserver : public AttemptObserver {
 public:
  void OnAttempt(const AttemptReport& report) override {
    reports.push_back(report);
  }
  std::vector<AttemptReport> reports;
};

class OperationTest : public ::testing::Test {
 protected:
  OperationTest() {
    // Every backoff is half its ceiling: 1 s before the first retry.
    options_.retry_policy =
        std::make_shared<LimitedAttemptsRetryPolicy>(4, absl::Minutes(5));
    options_.backoff_policy = std::make_shared<ExponentialBackoffPolicy>(
        absl::Seconds(2), absl::Seconds(30), 2.0, [] { return 0.5; });
    options_.observer = observer_;
  }

  CallContext Ctx() {
    CallContext ctx;
    ctx.credentials.vimmerse_api_key = "vim-key";
    ctx.deadline = sched_.clock().Now() + absl::Minutes(1);
    return ctx;
  }

  // A unary operation on `route` that sends GET https://up.example/x and
  // keeps the body of a 2xx answer; `read_error` makes every answer
  // unreadable.
  std::shared_ptr<UnaryOperation> Make(
      const Route& route, CallContext ctx,
      absl::AnyInvocable<bool() const> can_resend = nullptr,
      absl::Status read_error = absl::OkStatus()) {
    return std::make_shared<UnaryOperation>(
        options_, &fake_, &sched_, ctx, route,
        []() -> absl::StatusOr<http::HttpRequest> {
          http::HttpRequest r;
          r.url = "https://up.example/x";
          return r;
        },
        [this, read_error](const http::HttpResponse& r) {
          if (!read_error.ok()) return read_error;
          body_ = r.body;
          return absl::OkStatus();
        },
        [this](absl::Status s) {
          ++completions_;
          status_ = std::move(s);
        },
        std::move(can_resend));
  }

  OperationOptions options_;
  std::shared_ptr<RecordingObserver> observer_ =
      std::make_shared<RecordingObserver>();
  http::FakeTransport fake_;
  FakeScheduler sched_;
  int completions_ = 0;
  std::optional<absl::Status> status_;
  std::string body_;
};

TEST_F(OperationTest, ReadIsRetriedAfterABackoffAndCompletesOnce) {
  fake_.Push(Answer(503, ""));
  fake_.Push(Answer(200, "the answer"));
  auto op = Make(kRead, Ctx());
  op->Start();
  EXPECT_EQ(fake_.call_count(), 1u);
  EXPECT_EQ(completions_, 0);
  sched_.AdvanceBy(absl::Milliseconds(999));
  EXPECT_EQ(fake_.call_count(), 1u);  // still waiting
  sched_.AdvanceBy(absl::Milliseconds(1));
  EXPECT_EQ(fake_.call_count(), 2u);
  EXPECT_EQ(completions_, 1);
  EXPECT_THAT(*status_, IsOk());
  EXPECT_EQ(body_, "the answer");
  ASSERT_EQ(observer_->reports.size(), 2u);
  EXPECT_EQ(observer_->reports[0].http_status, 503);
  EXPECT_TRUE(observer_->reports[0].will_retry);
  EXPECT_EQ(observer_->reports[1].attempt, 2);
  EXPECT_FALSE(observer_->reports[1].will_retry);
  EXPECT_EQ(observer_->reports[1].route->Label(), "GET /v2/media/{id}");
}

TEST_F(OperationTest, CreateThatMayHaveLeftIsNeverSentAgain) {
  fake_.Push(Answer(503, ""));
  fake_.Push(Answer(200, "would be a second charge"));
  auto op = Make(kCreate, Ctx());
  op->Start();
  sched_.AdvanceBy(absl::Minutes(1));
  EXPECT_EQ(fake_.call_count(), 1u);
  EXPECT_EQ(completions_, 1);
  EXPECT_THAT(*status_, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(OperationTest, CreateThatNeverLeftIsSentAgainOnlyWhileItCan) {
  fake_.Push(http::MarkNotSent(absl::UnavailableError("refused")));
  fake_.Push(Answer(200, "created"));
  auto op = Make(kCreate, Ctx());
  op->Start();
  sched_.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(fake_.call_count(), 2u);
  EXPECT_THAT(*status_, IsOk());

  // An upload whose file was already read cannot be sent again.
  fake_.Push(http::MarkNotSent(absl::UnavailableError("refused")));
  auto spent = Make(kCreate, Ctx(), [] { return false; });
  spent->Start();
  sched_.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(fake_.call_count(), 3u);
  EXPECT_EQ(completions_, 2);
  EXPECT_THAT(*status_, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(http::RequestNotSent(*status_));
}

TEST_F(OperationTest, DeadlineAlreadyPassedSendsNothing) {
  CallContext ctx = Ctx();
  ctx.deadline = sched_.clock().Now() - absl::Seconds(1);
  auto op = Make(kRead, ctx);
  op->Start();
  EXPECT_EQ(fake_.call_count(), 0u);
  EXPECT_EQ(completions_, 1);
  EXPECT_THAT(*status_, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(http::RequestNotSent(*status_));
}

TEST_F(OperationTest, CancelDuringARetryWaitCompletesCancelledOnce) {
  fake_.Push(Answer(503, ""));
  auto op = Make(kRead, Ctx());
  op->Start();
  op->Cancel();
  EXPECT_EQ(completions_, 1);
  EXPECT_THAT(*status_, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(rpc::GetErrorInfo(*status_)->reason(), "CANCELLED");
  sched_.AdvanceBy(absl::Minutes(1));
  op->Cancel();
  EXPECT_EQ(fake_.call_count(), 1u);
  EXPECT_EQ(completions_, 1);
}

TEST_F(OperationTest, DroppedWithoutCompletingCompletesUnavailable) {
  Make(kRead, Ctx());  // never started, last reference gone
  EXPECT_EQ(completions_, 1);
  EXPECT_THAT(*status_, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(OperationTest, UnreadableAnswerIsABadResponse) {
  fake_.Push(Answer(200, "<html>"));
  auto op = Make(kCreate, Ctx(), nullptr,
                 absl::InternalError("the body is not a JSON object"));
  op->Start();
  EXPECT_EQ(completions_, 1);
  // A create may have happened: UNKNOWN, not retried.
  EXPECT_THAT(*status_, StatusIs(absl::StatusCode::kUnknown));
  EXPECT_EQ(rpc::GetErrorInfo(*status_)->reason(), "UPSTREAM_BAD_RESPONSE");
  EXPECT_EQ(fake_.call_count(), 1u);
}

TEST_F(OperationTest, ForwardsOnlySafeCallerHeaders) {
  fake_.Push(Answer(200, "{}"));
  CallContext ctx = Ctx();
  ctx.extra_headers = {{"traceparent", "00-abc-def-01"},
                       {"Authorization", "Bearer stolen"},
                       {"x-note", "a\r\nHost: evil"},
                       {"bad name", "v"}};
  auto op = Make(kRead, ctx);
  op->Start();
  ASSERT_EQ(fake_.requests().size(), 1u);
  EXPECT_EQ(fake_.requests()[0].headers,
            (http::Headers{{"traceparent", "00-abc-def-01"}}));
}

class RecordingSink : public AudioSink {
 public:
  void OnInfo(const v1::AudioStreamInfo& info) override {
    events.push_back("info " + info.content_type());
  }
  bool OnChunk(absl::string_view chunk) override {
    events.push_back("chunk " + std::string(chunk));
    return true;
  }
  void OnDone(absl::Status status) override {
    events.push_back("done " +
                     std::string(absl::StatusCodeToString(status.code())));
  }
  std::vector<std::string> events;
};

// An ElevenLabs sound generation, streamed back as audio.
UpstreamRequest SoundGeneration() {
  UpstreamRequest up;
  up.route = Route{v1::PROVIDER_ELEVENLABS, "POST", "/v1/sound-generation",
                   Idempotency::kNonIdempotent};
  up.http.method = "POST";
  up.http.url = "https://up.example/v1/sound-generation";
  return up;
}

TEST_F(OperationTest, AudioIsStreamedInOrderThenDoneOnce) {
  Reply audio;
  audio.headers = {{"content-type", "audio/mpeg"}};
  audio.chunks = {"ab", "cd"};
  fake_.Push(audio);
  auto sink = std::make_shared<RecordingSink>();
  const UpstreamRequest up = SoundGeneration();
  auto op = std::make_shared<AudioOperation>(options_, &fake_, &sched_, Ctx(),
                                             up, "mp3_44100_128", sink);
  op->Start();
  EXPECT_EQ(sink->events,
            (std::vector<std::string>{"info audio/mpeg", "chunk ab", "chunk cd",
                                      "done OK"}));
}

TEST_F(OperationTest, AResumeBeforeTheTransportReturnedItsCallReachesIt) {
  // Holds the transfer open; `before_return` plays the resume that comes
  // from another thread before Start has returned the call.
  engine_testing::HoldingTransport transport;
  const UpstreamRequest up = SoundGeneration();
  auto op = std::make_shared<AudioOperation>(options_, &transport, &sched_,
                                             Ctx(), up, "mp3_44100_128",
                                             std::make_shared<RecordingSink>());
  transport.before_return = [&] { op->ResumeReceive(); };
  op->Start();
  ASSERT_EQ(transport.calls.size(), 1u);
  EXPECT_EQ(transport.calls[0]->resumes, 1) << "the owed resume was lost";
  op->ResumeReceive();  // later resumes go straight to the call
  EXPECT_EQ(transport.calls[0]->resumes, 2);
  op->Cancel();
  EXPECT_EQ(transport.calls[0]->cancels, 1);
  transport.Answer(0, absl::CancelledError("aborted"));
}

}  // namespace
}  // namespace mediagen::upstream
