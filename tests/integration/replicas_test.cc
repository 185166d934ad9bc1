// Three real server replicas sharing one real redis-server, against the
// emulator: what several replicas promise together (one poller per job,
// webhooks reaching watchers on every replica, a dead poller replaced, a
// watch resumed elsewhere never going back, a Redis outage survived).
#include <signal.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "mediagen/v1/jobs.grpc.pb.h"
#include "mediagen/v1/media.grpc.pb.h"
#include "tests/testing_util/harness.h"
#include "tests/testing_util/prometheus.h"
#include "tests/testing_util/redis_server.h"
#include "tests/testing_util/status_matchers.h"
#include "tests/testing_util/watch_client.h"

namespace mediagen::testing {
namespace {

using json = nlohmann::json;

std::unique_ptr<grpc::ClientContext> Ctx(
    absl::Duration timeout = absl::Seconds(20)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(timeout));
  return ctx;
}

absl::Time ParseIso(const std::string& text) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &err))
      << text << ": " << err;
  return t;
}

class ReplicasTest : public ::testing::Test {
 protected:
  // Media jobs live job_seconds (20) x time_scale.
  void StartAll(double time_scale, std::vector<std::string> server_flags,
                bool webhooks_to_first = false) {
    auto redis = RedisServer::Start();
    ASSERT_THAT(redis, IsOk());
    redis_ = *std::move(redis);
    auto emu =
        EmulatorProcess::Start({absl::StrCat("--time_scale=", time_scale)});
    ASSERT_THAT(emu, IsOk());
    emu_ = *std::move(emu);
    for (int i = 0; i < 3; ++i) {
      ServerConfig config;
      config.emulator_port = emu_->port();
      config.flags = server_flags;
      config.flags.push_back("--redis_url=" + redis_->url());
      config.webhooks = webhooks_to_first && i == 0;
      auto server = ServerProcess::Start(config);
      ASSERT_THAT(server, IsOk());
      replicas_.push_back(*std::move(server));
      jobs_.push_back(v1::JobService::NewStub(replicas_.back()->channel()));
    }
  }

  std::string CreateMedia(int replica) {
    auto media = v1::MediaService::NewStub(replicas_[replica]->channel());
    v1::CreateMediaRequest req;
    req.set_prompt("a lighthouse at dusk");
    v1::CreateMediaResponse resp;
    EXPECT_THAT(media->CreateMedia(Ctx().get(), req, &resp), IsOk());
    return resp.media().name();
  }

  // Upstream reads of one media job so far.
  int Reads(const std::string& name) {
    const std::string id = name.substr(name.find('/') + 1);
    return static_cast<int>(emu_->Requests("GET", "/v2/media/" + id).size());
  }

  double Metric(int replica, const std::string& name) {
    auto m = ScrapeMetrics(replicas_[replica]->admin_port());
    EXPECT_THAT(m, IsOk());
    if (!m.ok()) return -1;
    auto it = m->find(name);
    return it == m->end() ? -1 : it->second;
  }

  // The replica polling jobs now (the only one with a poller), or -1.
  int Poller() {
    int found = -1;
    for (size_t i = 0; i < replicas_.size(); ++i) {
      if (replicas_[i] == nullptr) continue;
      if (Metric(i, "mediagen_job_pollers_active") > 0) {
        if (found != -1) return -2;  // two pollers
        found = static_cast<int>(i);
      }
    }
    return found;
  }

  std::vector<std::unique_ptr<WatchClient>> Watch(int replica,
                                                  const std::string& name,
                                                  int n) {
    std::vector<std::unique_ptr<WatchClient>> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(
          std::make_unique<WatchClient>(jobs_[replica].get(), name, 0));
    }
    return out;
  }

  // Every version a watcher got increases, and it ended OK after success.
  static void ExpectWholeLife(WatchClient& w) {
    ASSERT_TRUE(w.WaitDone(absl::Seconds(30)));
    EXPECT_THAT(*w.status(), IsOk());
    const std::vector<v1::Job> jobs = w.jobs();
    ASSERT_FALSE(jobs.empty());
    EXPECT_EQ(jobs.back().state(), v1::JOB_STATE_SUCCEEDED);
    for (size_t i = 1; i < jobs.size(); ++i) {
      EXPECT_GT(jobs[i].version(), jobs[i - 1].version());
    }
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<EmulatorProcess> emu_;
  std::vector<std::unique_ptr<ServerProcess>> replicas_;
  std::vector<std::unique_ptr<v1::JobService::Stub>> jobs_;
};

TEST_F(ReplicasTest, ThreeHundredWatchersOnThreeReplicasOnePoller) {
  // A 4 s job polled every 0.5 s: about 8 reads, whoever watches.
  StartAll(0.2, {"--poll_min_interval=500ms", "--poll_max_interval=500ms"});
  if (HasFatalFailure()) return;

  // Baseline: one replica's watchers alone.
  const std::string alone = CreateMedia(0);
  auto baseline = Watch(0, alone, 100);
  for (auto& w : baseline) ExpectWholeLife(*w);
  const int alone_reads = Reads(alone);

  // The same with 100 watchers on each replica.
  const std::string shared = CreateMedia(1);
  std::vector<std::unique_ptr<WatchClient>> all;
  for (int r = 0; r < 3; ++r) {
    for (auto& w : Watch(r, shared, 100)) all.push_back(std::move(w));
  }
  for (auto& w : all) ExpectWholeLife(*w);
  const int shared_reads = Reads(shared);
  std::cout << "upstream reads of one 4 s job: " << alone_reads
            << " watched on one replica, " << shared_reads
            << " watched on three\n";
  // Each replica may read once to serve its first watcher before the
  // poller's state is there; after that one poller serves all.
  EXPECT_LE(shared_reads, alone_reads + 2);
  EXPECT_LT(shared_reads, 2 * alone_reads);

  // Every watcher saw the same versions (whichever replica it was on).
  const std::vector<v1::Job> reference = all[0]->jobs();
  for (auto& w : all) {
    const std::vector<v1::Job> jobs = w->jobs();
    EXPECT_EQ(jobs.back().version(), reference.back().version());
    for (const v1::Job& job : jobs) {
      auto same = std::find_if(
          reference.begin(), reference.end(),
          [&](const v1::Job& r) { return r.version() == job.version(); });
      if (same == reference.end()) continue;  // joined after that one
      EXPECT_EQ(same->upstream_status(), job.upstream_status());
      EXPECT_EQ(same->progress_percentage(), job.progress_percentage());
    }
  }
}

TEST_F(ReplicasTest, AWebhookToOneReplicaReachesWatchersOnTheOthers) {
  // Polls 5 s apart: changes within a 4 s job can only arrive early
  // through webhooks, which the emulator sends to replica 0.
  StartAll(0.2, {"--poll_min_interval=5s", "--poll_max_interval=5s"},
           /*webhooks_to_first=*/true);
  if (HasFatalFailure()) return;
  const std::string name = CreateMedia(0);
  auto on_b = Watch(1, name, 5);
  auto on_c = Watch(2, name, 5);
  for (auto& w : on_b) ExpectWholeLife(*w);
  for (auto& w : on_c) ExpectWholeLife(*w);

  // When the emulator delivered the `success` webhook to replica 0.
  std::optional<absl::Time> delivered;
  const json webhooks = emu_->Get("/_emulator/webhooks");
  for (const json& attempt : webhooks["attempts"]) {
    if (attempt.value("delivered", false) &&
        attempt["body"].value("status", "") == "success") {
      delivered = ParseIso(attempt["time"].get<std::string>());
    }
  }
  ASSERT_TRUE(delivered.has_value()) << webhooks.dump();
  for (auto* group : {&on_b, &on_c}) {
    for (auto& w : *group) {
      const auto events = w->events();
      ASSERT_FALSE(events.empty());
      const absl::Duration lag = events.back().at - *delivered;
      EXPECT_LT(lag, absl::Seconds(1)) << "the next poll was 5 s away";
    }
  }
  EXPECT_GE(Metric(0, "mediagen_webhooks_accepted_total"), 1);
}

TEST_F(ReplicasTest, KillingThePollerHandsPollingToAnotherReplica) {
  // A 10 s job polled every 300 ms; the lease is 2 s (the default).
  StartAll(0.5, {"--poll_min_interval=300ms", "--poll_max_interval=300ms"});
  if (HasFatalFailure()) return;
  const std::string name = CreateMedia(0);
  std::vector<std::vector<std::unique_ptr<WatchClient>>> watchers;
  for (int r = 0; r < 3; ++r) watchers.push_back(Watch(r, name, 10));
  for (auto& group : watchers) {
    for (auto& w : group) ASSERT_TRUE(w->WaitMessages(1, absl::Seconds(10)));
  }
  absl::SleepFor(absl::Seconds(1));
  const int poller = Poller();
  ASSERT_GE(poller, 0) << "exactly one replica polls";

  // kill -9: no drain, no lease released.
  const absl::Time killed = absl::Now();
  ASSERT_EQ(kill(replicas_[poller]->process().pid(), SIGKILL), 0);
  replicas_[poller]->process().Stop(SIGKILL, absl::Seconds(5)).IgnoreError();

  // The dead replica's watchers resume elsewhere from the last version
  // they hold, and never get a lower one.
  const int other = (poller + 1) % 3;
  std::vector<std::unique_ptr<WatchClient>> resumed;
  std::vector<int64_t> held;
  for (auto& w : watchers[poller]) {
    ASSERT_TRUE(w->WaitDone(absl::Seconds(10)));
    EXPECT_THAT(*w->status(), StatusIs(grpc::StatusCode::UNAVAILABLE));
    const int64_t last = w->jobs().back().version();
    held.push_back(last);
    resumed.push_back(
        std::make_unique<WatchClient>(jobs_[other].get(), name, last));
  }
  for (size_t i = 0; i < resumed.size(); ++i) {
    ASSERT_TRUE(resumed[i]->WaitDone(absl::Seconds(30)));
    EXPECT_THAT(*resumed[i]->status(), IsOk());
    const std::vector<v1::Job> rest = resumed[i]->jobs();
    ASSERT_FALSE(rest.empty());
    for (const v1::Job& job : rest) EXPECT_GT(job.version(), held[i]);
    EXPECT_EQ(rest.back().state(), v1::JOB_STATE_SUCCEEDED);
  }
  // The survivors' watchers saw everything to the end.
  for (int r = 0; r < 3; ++r) {
    if (r == poller) continue;
    for (auto& w : watchers[r]) ExpectWholeLife(*w);
  }

  // Polling stopped at most a lease (+ a renewal round and a poll) after
  // the kill.
  const std::string id = name.substr(name.find('/') + 1);
  std::vector<absl::Time> reads;
  for (const json& r : emu_->Requests("GET", "/v2/media/" + id)) {
    reads.push_back(ParseIso(r["time"].get<std::string>()));
  }
  std::sort(reads.begin(), reads.end());
  absl::Duration gap;
  for (size_t i = 1; i < reads.size(); ++i) {
    if (reads[i] > killed && reads[i - 1] <= killed + absl::Milliseconds(300)) {
      gap = std::max(gap, reads[i] - killed);
    }
  }
  std::cout << "polling resumed " << absl::FormatDuration(gap)
            << " after the poller was killed\n";
  EXPECT_LE(gap, absl::Seconds(3));
  replicas_[poller].reset();
}

TEST_F(ReplicasTest, ARedisOutageEndsNoWatchAndPollingIsSharedAgainAfter) {
  // A 20 s job; Redis is down from 2 s to 5 s, and the replicas' clients
  // reconnect with a backoff of up to 5 s.
  StartAll(1.0, {"--poll_min_interval=300ms", "--poll_max_interval=300ms"});
  if (HasFatalFailure()) return;
  const std::string name = CreateMedia(0);
  std::vector<std::unique_ptr<WatchClient>> all;
  for (int r = 0; r < 3; ++r) {
    for (auto& w : Watch(r, name, 5)) all.push_back(std::move(w));
  }
  absl::SleepFor(absl::Seconds(2));
  EXPECT_GE(Poller(), 0);
  for (int r = 0; r < 3; ++r) EXPECT_EQ(Metric(r, "mediagen_redis_up"), 1);

  redis_->Kill();
  absl::SleepFor(absl::Seconds(1));
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(Metric(r, "mediagen_redis_up"), 0);
    // Every replica keeps its own watchers fed meanwhile.
    EXPECT_EQ(Metric(r, "mediagen_job_pollers_active"), 1);
    // Readiness stays: all replicas failing it together is an outage.
    httplib::Client admin("127.0.0.1", replicas_[r]->admin_port());
    auto ready = admin.Get("/readyz");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200);
  }
  for (auto& w : all) EXPECT_FALSE(w->WaitDone(absl::ZeroDuration()));
  absl::SleepFor(absl::Seconds(2));
  ASSERT_THAT(redis_->Restart(), IsOk());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool all_up = false;
  while (!all_up && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    all_up = true;
    for (int r = 0; r < 3; ++r) {
      all_up = all_up && Metric(r, "mediagen_redis_up") == 1;
    }
  }
  ASSERT_TRUE(all_up);
  absl::SleepFor(absl::Seconds(1));  // a lease round and a poll
  EXPECT_GE(Poller(), 0) << "one poller again";

  for (auto& w : all) ExpectWholeLife(*w);
  for (int r = 0; r < 3; ++r) {
    const std::string log = replicas_[r]->process().stderr_text();
    EXPECT_NE(log.find("redis unreachable"), std::string::npos);
  }
}

}  // namespace
}  // namespace mediagen::testing
