#include "service/jobs/job_registry.h"

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/common/scheduler.h"
#include "service/jobs/job_registry_test_util.h"
#include "service/jobs/job_version.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::jobs {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;

class JobRegistryTest : public ::testing::Test {
 protected:
  JobRegistry::Options Opts() {
    JobRegistry::Options o;
    o.min_poll_interval = absl::Seconds(1);
    o.max_poll_interval = absl::Seconds(10);
    o.heartbeat_interval = absl::Seconds(15);
    return o;
  }
  FakeScheduler sched_;
  FakeUpstream up_;
};

TEST_F(JobRegistryTest, SnapshotThenChangesThenEndAfterTerminal) {
  JobRegistry reg(Opts(), &sched_);
  auto w = std::make_shared<RecordingWatcher>();
  auto h = reg.Watch("t", "media/m1", 0, up_.Fn(), w);
  ASSERT_EQ(w->jobs.size(), 1u);
  EXPECT_EQ(w->jobs[0].upstream_status(), "new");
  const int64_t v1 = w->jobs[0].version();
  EXPECT_GT(v1, 0);

  up_.Set(v1::JOB_STATE_RUNNING, "processing_bullet", 40);
  sched_.AdvanceBy(absl::Seconds(1));
  ASSERT_EQ(w->jobs.size(), 2u);
  EXPECT_GT(w->jobs[1].version(), v1);
  EXPECT_EQ(w->jobs[1].progress_percentage(), 40);

  up_.Set(v1::JOB_STATE_SUCCEEDED, "success", 100);
  sched_.AdvanceBy(absl::Seconds(1));
  ASSERT_EQ(w->jobs.size(), 3u);
  EXPECT_EQ(w->jobs[2].state(), v1::JOB_STATE_SUCCEEDED);
  ASSERT_EQ(w->ends.size(), 1u);
  EXPECT_THAT(w->ends[0], IsOk());
  EXPECT_EQ(w->order.back(), 'e');
  EXPECT_EQ(reg.active_pollers(), 0u);

  // Nothing polls a finished job.
  const int reads = up_.reads;
  sched_.AdvanceBy(absl::Minutes(1));
  EXPECT_EQ(up_.reads, reads);
}

TEST_F(JobRegistryTest, TwoHundredWatchersOnePollPerInterval) {
  JobRegistry reg(Opts(), &sched_);
  std::vector<std::shared_ptr<RecordingWatcher>> ws;
  std::vector<std::unique_ptr<JobRegistry::WatchHandle>> hs;
  for (int i = 0; i < 200; ++i) {
    ws.push_back(std::make_shared<RecordingWatcher>());
    hs.push_back(reg.Watch("t", "media/m1", 0, up_.Fn(), ws.back()));
  }
  EXPECT_EQ(up_.reads, 1);  // the first watcher's read serves them all
  EXPECT_EQ(reg.active_pollers(), 1u);
  EXPECT_EQ(reg.watcher_count(), 200u);

  for (int step = 1; step <= 5; ++step) {
    up_.Set(v1::JOB_STATE_RUNNING, "processing_bullet", step * 10);
    sched_.AdvanceBy(absl::Seconds(1));  // changes keep the interval at 1 s
    EXPECT_EQ(up_.reads, 1 + step);
  }
  up_.Set(v1::JOB_STATE_SUCCEEDED, "success", 100);
  sched_.AdvanceBy(absl::Seconds(1));
  for (const auto& w : ws) {
    ASSERT_EQ(w->jobs.size(), ws[0]->jobs.size());
    for (size_t i = 0; i < w->jobs.size(); ++i) {
      EXPECT_EQ(w->jobs[i].version(), ws[0]->jobs[i].version());
    }
    EXPECT_EQ(w->jobs.back().state(), v1::JOB_STATE_SUCCEEDED);
    ASSERT_EQ(w->ends.size(), 1u);
  }
}

TEST_F(JobRegistryTest, PollsBackOffWhileUnchangedAndResetOnChange) {
  JobRegistry reg(Opts(), &sched_);
  auto w = std::make_shared<RecordingWatcher>();
  auto h = reg.Watch("t", "media/m1", 0, up_.Fn(), w);
  std::vector<absl::Duration> gaps;
  absl::Time last = sched_.clock().Now();
  int reads = up_.reads;
  for (int i = 0; i < 70; ++i) {
    sched_.AdvanceBy(absl::Milliseconds(500));
    if (up_.reads != reads) {
      gaps.push_back(sched_.clock().Now() - last);
      last = sched_.clock().Now();
      reads = up_.reads;
    }
  }
  // The first answer was a change (1 s), then 2, 4, 8, capped at 10.
  ASSERT_GE(gaps.size(), 6u);
  EXPECT_EQ(gaps[0], absl::Seconds(1));
  EXPECT_EQ(gaps[1], absl::Seconds(2));
  EXPECT_EQ(gaps[2], absl::Seconds(4));
  EXPECT_EQ(gaps[3], absl::Seconds(8));
  EXPECT_EQ(gaps[4], absl::Seconds(10));
  EXPECT_EQ(gaps[5], absl::Seconds(10));

  up_.Set(v1::JOB_STATE_RUNNING, "processing_bullet", 5);
  sched_.AdvanceBy(absl::Seconds(10));  // the change is seen...
  const int after_change = up_.reads;
  sched_.AdvanceBy(absl::Seconds(1));  // ...and polling is quick again
  EXPECT_EQ(up_.reads, after_change + 1);
}

TEST_F(JobRegistryTest, HeartbeatsOnQuietStreams) {
  JobRegistry reg(Opts(), &sched_);
  auto w = std::make_shared<RecordingWatcher>();
  auto h = reg.Watch("t", "media/m1", 0, up_.Fn(), w);
  sched_.AdvanceBy(absl::Seconds(45));
  ASSERT_EQ(w->heartbeats.size(), 3u);
  EXPECT_EQ(w->heartbeats[0], w->jobs[0].version());
  EXPECT_EQ(w->order.front(), 'j');  // the snapshot came first
}

TEST_F(JobRegistryTest, ResumeSendsOnlyWhatTheCallerLacks) {
  JobRegistry reg(Opts(), &sched_);
  auto first = std::make_shared<RecordingWatcher>();
  auto h1 = reg.Watch("t", "media/m1", 0, up_.Fn(), first);
  const int64_t seen = first->jobs[0].version();

  // Same version: the caller is up to date, a heartbeat says so.
  auto same = std::make_shared<RecordingWatcher>();
  auto h2 = reg.Watch("t", "media/m1", seen, up_.Fn(), same);
  EXPECT_TRUE(same->jobs.empty());
  ASSERT_EQ(same->heartbeats.size(), 1u);
  EXPECT_EQ(same->heartbeats[0], seen);

  // An older version (or one from another replica): the whole job.
  up_.Set(v1::JOB_STATE_RUNNING, "processing_bullet", 50);
  sched_.AdvanceBy(absl::Seconds(1));
  auto behind = std::make_shared<RecordingWatcher>();
  auto h3 = reg.Watch("t", "media/m1", seen, up_.Fn(), behind);
  ASSERT_EQ(behind->jobs.size(), 1u);
  EXPECT_EQ(behind->jobs[0].progress_percentage(), 50);
  EXPECT_EQ(same->jobs.size(), 1u);  // and the up-to-date one got the change
}

TEST_F(JobRegistryTest, VersionsAreAFunctionOfUpstreamState) {
  up_.job.mutable_update_time()->set_seconds(1743533857);
  up_.job.mutable_update_time()->set_nanos(355064000);
  // Two registries (two replicas) that read the same state give it the
  // same version, whatever each saw before.
  JobRegistry a(Opts(), &sched_);
  JobRegistry b(Opts(), &sched_);
  auto wa = std::make_shared<RecordingWatcher>();
  auto ha = a.Watch("t", "media/m1", 0, up_.Fn(), wa);
  up_.Set(v1::JOB_STATE_RUNNING, "processing_bullet", 20);
  sched_.AdvanceBy(absl::Seconds(1));
  auto wb = std::make_shared<RecordingWatcher>();
  auto hb = b.Watch("t", "media/m1", 0, up_.Fn(), wb);
  ASSERT_EQ(wa->jobs.size(), 2u);
  ASSERT_EQ(wb->jobs.size(), 1u);
  EXPECT_EQ(wa->jobs[1].version(), wb->jobs[0].version());
  EXPECT_EQ(wb->jobs[0].version(), StateVersion(up_.job));
  // Upstream's updated_at did not move, yet the later state is higher.
  EXPECT_GT(wa->jobs[1].version(), wa->jobs[0].version());
}

TEST_F(JobRegistryTest, ResumeFromAHigherVersionNeverGoesBack) {
  // The caller watched on a replica that had already seen the job running;
  // this one still holds the queued state.
  JobRegistry reg(Opts(), &sched_);
  auto first = std::make_shared<RecordingWatcher>();
  auto h1 = reg.Watch("t", "media/m1", 0, up_.Fn(), first);
  v1::Job running = up_.job;
  running.set_state(v1::JOB_STATE_RUNNING);
  running.set_upstream_status("processing_bullet");
  running.set_progress_percentage(60);
  const int64_t held = StateVersion(running);
  ASSERT_GT(held, first->jobs[0].version());

  auto resumed = std::make_shared<RecordingWatcher>();
  auto h2 = reg.Watch("t", "media/m1", held, up_.Fn(), resumed);
  EXPECT_TRUE(resumed->jobs.empty());
  ASSERT_EQ(resumed->heartbeats.size(), 1u);
  EXPECT_GE(resumed->heartbeats[0], held);

  // The state it already holds arrives here: still nothing older or equal.
  up_.Set(v1::JOB_STATE_RUNNING, "processing_bullet", 60);
  sched_.AdvanceBy(absl::Seconds(1));
  EXPECT_TRUE(resumed->jobs.empty());
  EXPECT_EQ(first->jobs.size(), 2u);
  sched_.AdvanceBy(absl::Seconds(15));
  for (int64_t v : resumed->heartbeats) EXPECT_GE(v, held);

  // Then the end, which orders after it: delivered.
  up_.Set(v1::JOB_STATE_SUCCEEDED, "success", 100);
  sched_.AdvanceBy(absl::Seconds(10));
  ASSERT_EQ(resumed->jobs.size(), 1u);
  EXPECT_EQ(resumed->jobs[0].state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_GT(resumed->jobs[0].version(), held);
  ASSERT_EQ(resumed->ends.size(), 1u);
  EXPECT_TRUE(resumed->ends[0].ok());
}

TEST_F(JobRegistryTest, PokeReadsNowAndCoalescesWithAReadInFlight) {
  JobRegistry reg(Opts(), &sched_);
  auto w = std::make_shared<RecordingWatcher>();
  auto h = reg.Watch("t", "media/m1", 0, up_.Fn(), w);
  sched_.AdvanceBy(absl::Seconds(1));  // unchanged: next poll in 2 s
  const int reads = up_.reads;

  up_.Set(v1::JOB_STATE_SUCCEEDED, "success", 100);
  sched_.AdvanceBy(absl::Milliseconds(100));
  EXPECT_TRUE(reg.Poke("t", "media/m1"));
  EXPECT_EQ(up_.reads, reads + 1);  // no waiting for the timer
  EXPECT_EQ(w->jobs.back().state(), v1::JOB_STATE_SUCCEEDED);
  ASSERT_EQ(w->ends.size(), 1u);

  EXPECT_FALSE(reg.Poke("t", "media/unknown"));
  EXPECT_FALSE(reg.Poke("other-tenant", "media/m1"));
}

TEST_F(JobRegistryTest, PokeDuringAReadReadsOnceMoreAfterIt) {
  up_.manual = true;
  JobRegistry reg(Opts(), &sched_);
  auto w = std::make_shared<RecordingWatcher>();
  auto h = reg.Watch("t", "media/m1", 0, up_.Fn(), w);
  ASSERT_EQ(up_.pending.size(), 1u);
  EXPECT_TRUE(reg.Poke("t", "media/m1"));
  EXPECT_TRUE(reg.Poke("t", "media/m1"));
  EXPECT_EQ(up_.reads, 1);  // still one read under way
  up_.AnswerPending();
  // That read may predate the change the pokes announce: exactly one more
  // read for both, at once (no poke has been read for yet).
  EXPECT_EQ(up_.reads, 2);
  up_.AnswerPending();
  // Pokes now are spaced from that poke's read.
  EXPECT_TRUE(reg.Poke("t", "media/m1"));
  EXPECT_EQ(up_.reads, 2);
  sched_.AdvanceBy(absl::Milliseconds(50));
  EXPECT_EQ(up_.reads, 3);
  up_.AnswerPending();
  sched_.AdvanceBy(absl::Milliseconds(100));
  EXPECT_EQ(up_.reads, 3);
}

TEST_F(JobRegistryTest, APokeJustAfterAPollIsNotHeldBack) {
  // Found by bench/: pokes were spaced from any read, so a webhook that
  // came within 50 ms of a poll waited for the gap (a p99 of ~50 ms over
  // 10,000 watchers with 1 s polls).
  JobRegistry reg(Opts(), &sched_);
  auto w = std::make_shared<RecordingWatcher>();
  auto h = reg.Watch("t", "media/m1", 0, up_.Fn(), w);
  sched_.AdvanceBy(absl::Seconds(1));  // the poll
  const int reads = up_.reads;
  up_.Set(v1::JOB_STATE_SUCCEEDED, "success", 100);
  sched_.AdvanceBy(absl::Milliseconds(5));
  EXPECT_TRUE(reg.Poke("t", "media/m1"));
  EXPECT_EQ(up_.reads, reads + 1);
  EXPECT_EQ(w->jobs.back().state(), v1::JOB_STATE_SUCCEEDED);
}

TEST_F(JobRegistryTest, AStormOfPokesDuringReadsCostsOneReadPerGap) {
  // Found by tests/security: each read that had been poked started the next
  // at once, so 100 replayed webhooks in 60 ms made 43 upstream reads.
  up_.manual = true;
  JobRegistry reg(Opts(), &sched_);
  auto w = std::make_shared<RecordingWatcher>();
  auto h = reg.Watch("t", "media/m1", 0, up_.Fn(), w);
  // A webhook every 0.5 ms for 1 s; upstream answers each read in 1 ms.
  for (int tick = 0; tick < 2000; ++tick) {
    reg.Poke("t", "media/m1");
    if (tick % 2 == 1 && !up_.pending.empty()) up_.AnswerOne();
    sched_.AdvanceBy(absl::Microseconds(500));
  }
  up_.AnswerPending();
  EXPECT_LE(up_.reads, 1 + 1000 / 50 + 1);
  EXPECT_GE(up_.reads, 1000 / 50 - 1);  // still read promptly, once per gap
}

TEST_F(JobRegistryTest, ForgedPokesChangeNothingButAReadAndAreSpaced) {
  JobRegistry reg(Opts(), &sched_);
  auto w = std::make_shared<RecordingWatcher>();
  auto h = reg.Watch("t", "media/m1", 0, up_.Fn(), w);
  const size_t jobs = w->jobs.size();
  for (int i = 0; i < 10; ++i) reg.Poke("t", "media/m1");
  EXPECT_EQ(w->jobs.size(), jobs);  // upstream unchanged: nothing sent
  sched_.AdvanceBy(absl::Milliseconds(60));
  EXPECT_LE(up_.reads, 3);  // pokes within 50 ms share a read
}

TEST_F(JobRegistryTest, GetUsesFreshCacheAndSharesReads) {
  up_.manual = true;
  // Declared before the registry: its shutdown answers pending getters.
  std::vector<absl::StatusOr<Job>> got;
  auto record = [&](absl::StatusOr<Job> j) { got.push_back(std::move(j)); };
  JobRegistry reg(Opts(), &sched_);
  reg.Get("t", "media/m1", up_.Fn(), record);
  reg.Get("t", "media/m1", up_.Fn(), record);
  EXPECT_EQ(up_.reads, 1);
  up_.AnswerPending();
  ASSERT_EQ(got.size(), 2u);
  reg.Get("t", "media/m1", up_.Fn(), record);  // fresh: no read
  EXPECT_EQ(up_.reads, 1);
  EXPECT_EQ(got.size(), 3u);
  sched_.AdvanceBy(absl::Seconds(2));
  reg.Get("t", "media/m1", up_.Fn(), record);  // stale: read
  EXPECT_EQ(up_.reads, 2);
  reg.Shutdown(absl::UnavailableError("draining"));
  ASSERT_EQ(got.size(), 4u);  // the pending getter is answered, not lost
  EXPECT_THAT(got[3], StatusIs(absl::StatusCode::kUnavailable));
}

// Issue 16, finding 9: a getter sharing a slow read (a watcher's, with the
// poll timeout) waited for it past its caller's deadline.
TEST_F(JobRegistryTest, AGetterIsAnsweredAtItsDeadlineAndOnlyOnce) {
  up_.manual = true;
  std::vector<absl::StatusOr<Job>> got;
  auto record = [&](absl::StatusOr<Job> j) { got.push_back(std::move(j)); };
  JobRegistry reg(Opts(), &sched_);
  auto w = std::make_shared<RecordingWatcher>();
  auto h = reg.Watch("t", "media/m1", 0, up_.Fn(), w);
  ASSERT_EQ(up_.reads, 1);  // the watcher's read, still out
  const absl::Time now = sched_.clock().Now();
  reg.Get("t", "media/m1", up_.Fn(), record, now + absl::Seconds(1));
  reg.Get("t", "media/m1", up_.Fn(), record);  // no deadline: waits
  EXPECT_EQ(up_.reads, 1);                     // shared
  sched_.AdvanceBy(absl::Milliseconds(999));
  EXPECT_TRUE(got.empty());
  sched_.AdvanceBy(absl::Milliseconds(1));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_THAT(got[0], StatusIs(absl::StatusCode::kDeadlineExceeded));
  // The read carries on for the others, and the late answer is not given
  // to the getter that was already answered.
  up_.AnswerOne();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_THAT(got[1], IsOk());
  EXPECT_FALSE(w->jobs.empty());
  // Answered in time: the timer is gone and never answers again.
  reg.Invalidate("t", "media/m1");
  reg.Get("t", "media/m1", up_.Fn(), record,
          sched_.clock().Now() + absl::Seconds(5));
  up_.AnswerPending();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_THAT(got[2], IsOk());
  sched_.AdvanceBy(absl::Seconds(10));
  EXPECT_EQ(got.size(), 3u);
}

TEST_F(JobRegistryTest, TenantsHaveSeparateEntries) {
  JobRegistry reg(Opts(), &sched_);
  FakeUpstream other;
  other.error = absl::NotFoundError("not yours");
  auto mine = std::make_shared<RecordingWatcher>();
  auto theirs = std::make_shared<RecordingWatcher>();
  auto h1 = reg.Watch("a", "media/m1", 0, up_.Fn(), mine);
  auto h2 = reg.Watch("b", "media/m1", 0, other.Fn(), theirs);
  EXPECT_EQ(mine->jobs.size(), 1u);
  EXPECT_TRUE(theirs->jobs.empty());  // never a's cached state
  ASSERT_EQ(theirs->ends.size(), 1u);
  EXPECT_THAT(theirs->ends[0], StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(JobRegistryTest, TransientErrorsKeepWatchingPermanentOnesEnd) {
  JobRegistry reg(Opts(), &sched_);
  auto w = std::make_shared<RecordingWatcher>();
  auto h = reg.Watch("t", "media/m1", 0, up_.Fn(), w);
  up_.error = absl::UnavailableError("upstream 503");
  sched_.AdvanceBy(absl::Seconds(1));
  EXPECT_TRUE(w->ends.empty());
  up_.error = absl::OkStatus();
  up_.Set(v1::JOB_STATE_RUNNING, "processing_bullet", 10);
  sched_.AdvanceBy(absl::Seconds(2));
  EXPECT_EQ(w->jobs.back().progress_percentage(), 10);
  up_.error = absl::PermissionDeniedError("key rejected");
  sched_.AdvanceBy(absl::Seconds(2));
  ASSERT_EQ(w->ends.size(), 1u);
  EXPECT_THAT(w->ends[0], StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(JobRegistryTest, PollingStopsWhenTheLastWatcherLeaves) {
  JobRegistry reg(Opts(), &sched_);
  auto w = std::make_shared<RecordingWatcher>();
  auto h = reg.Watch("t", "media/m1", 0, up_.Fn(), w);
  EXPECT_EQ(reg.active_pollers(), 1u);
  h.reset();
  EXPECT_EQ(reg.active_pollers(), 0u);
  const int reads = up_.reads;
  sched_.AdvanceBy(absl::Minutes(5));
  EXPECT_EQ(up_.reads, reads);
  EXPECT_TRUE(w->ends.empty());     // a dropped watch gets no end
  EXPECT_EQ(sched_.pending(), 0u);  // timers (and the idle entry) are gone
}

TEST_F(JobRegistryTest, InvalidateDropsAReadThatPredatesTheChange) {
  up_.manual = true;
  JobRegistry reg(Opts(), &sched_);
  auto w = std::make_shared<RecordingWatcher>();
  up_.Set(v1::JOB_STATE_SUCCEEDED, "success", 100);  // before an update...
  auto h = reg.Watch("t", "media/m1", 0, up_.Fn(), w);
  reg.Invalidate("t", "media/m1");  // ...UpdateMedia restarts generation
  up_.Set(v1::JOB_STATE_QUEUED, "new", 0);
  up_.AnswerOne();  // the stale "success" answer is dropped...
  EXPECT_TRUE(w->jobs.empty());
  ASSERT_EQ(up_.pending.size(), 1u);  // ...and read again
  up_.AnswerOne();
  ASSERT_EQ(w->jobs.size(), 1u);
  EXPECT_EQ(w->jobs[0].state(), v1::JOB_STATE_QUEUED);
  EXPECT_TRUE(w->ends.empty());
}

TEST_F(JobRegistryTest, ShutdownEndsWatchersAndRefusesNewOnes) {
  JobRegistry reg(Opts(), &sched_);
  auto w = std::make_shared<RecordingWatcher>();
  auto h = reg.Watch("t", "media/m1", 0, up_.Fn(), w);
  reg.Shutdown(absl::UnavailableError("draining"));
  ASSERT_EQ(w->ends.size(), 1u);
  EXPECT_THAT(w->ends[0], StatusIs(absl::StatusCode::kUnavailable));
  auto late = std::make_shared<RecordingWatcher>();
  auto h2 = reg.Watch("t", "media/m1", 0, up_.Fn(), late);
  ASSERT_EQ(late->ends.size(), 1u);
  EXPECT_TRUE(late->jobs.empty());
}

// A watcher may drop its own handle from inside a callback.
class SelfDroppingWatcher : public RecordingWatcher {
 public:
  std::unique_ptr<JobRegistry::WatchHandle> handle;
  void OnJob(const Job& job) override {
    RecordingWatcher::OnJob(job);
    if (jobs.size() == 2) handle.reset();
  }
};

TEST_F(JobRegistryTest, WatcherMayUnwatchFromItsCallback) {
  JobRegistry reg(Opts(), &sched_);
  auto w = std::make_shared<SelfDroppingWatcher>();
  w->handle = reg.Watch("t", "media/m1", 0, up_.Fn(), w);
  up_.Set(v1::JOB_STATE_RUNNING, "processing_bullet", 1);
  sched_.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(w->jobs.size(), 2u);
  EXPECT_EQ(reg.watcher_count(), 0u);
}

TEST_F(JobRegistryTest, AFinishedJobAnswersNewWatchersFromCache) {
  JobRegistry reg(Opts(), &sched_);
  up_.Set(v1::JOB_STATE_FAILED, "fail", 0);
  auto w1 = std::make_shared<RecordingWatcher>();
  auto h1 = reg.Watch("t", "media/m1", 0, up_.Fn(), w1);
  ASSERT_EQ(w1->ends.size(), 1u);
  sched_.AdvanceBy(absl::Seconds(30));
  auto w2 = std::make_shared<RecordingWatcher>();
  auto h2 = reg.Watch("t", "media/m1", 0, up_.Fn(), w2);
  EXPECT_EQ(up_.reads, 1);
  ASSERT_EQ(w2->jobs.size(), 1u);
  EXPECT_EQ(w2->jobs[0].state(), v1::JOB_STATE_FAILED);
  ASSERT_EQ(w2->ends.size(), 1u);
  EXPECT_THAT(w2->ends[0], IsOk());
}

}  // namespace
}  // namespace mediagen::jobs
