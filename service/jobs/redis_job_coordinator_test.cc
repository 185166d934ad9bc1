// RedisJobCoordinator against a real redis-server: versions, leases and
// fan-out as several replicas (each with its own client) see them.
#include "service/jobs/redis_job_coordinator.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/common/scheduler.h"
#include "service/jobs/job_version.h"
#include "service/redis/client.h"
#include "tests/testing_util/redis_server.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::jobs {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::RedisServer;
using ::mediagen::testing::StatusIs;

constexpr absl::Duration kWait = absl::Seconds(10);

// Everything one followed job is told, with waits for the test.
class RecordingListener : public JobCoordinator::Listener {
 public:
  void OnState(const v1::Job& job) override {
    std::lock_guard<std::mutex> lock(mu_);
    states_.push_back(job);
    cv_.notify_all();
  }
  void OnPoke() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++pokes_;
    cv_.notify_all();
  }
  void OnOwnership(bool owner) override {
    std::lock_guard<std::mutex> lock(mu_);
    owner_ = owner;
    cv_.notify_all();
  }
  void OnResync() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++resyncs_;
    cv_.notify_all();
  }

  bool WaitOwner(bool owner, absl::Duration timeout = kWait) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                        [&] { return owner_ == owner; });
  }
  bool WaitStates(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(kWait),
                        [&] { return states_.size() >= n; });
  }
  bool WaitResyncs(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(kWait),
                        [&] { return resyncs_ >= n; });
  }
  int resyncs() {
    std::lock_guard<std::mutex> lock(mu_);
    return resyncs_;
  }
  bool WaitPokes(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(kWait),
                        [&] { return pokes_ >= n; });
  }
  std::optional<bool> owner() {
    std::lock_guard<std::mutex> lock(mu_);
    return owner_;
  }
  std::vector<v1::Job> states() {
    std::lock_guard<std::mutex> lock(mu_);
    return states_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<v1::Job> states_;
  int pokes_ = 0;
  int resyncs_ = 0;
  std::optional<bool> owner_;
};

// One replica: its own Redis connection and coordinator.
struct Replica {
  std::unique_ptr<redis::Client> client;
  std::unique_ptr<RedisJobCoordinator> coordinator;
};

template <typename T>
T Await(std::function<void(absl::AnyInvocable<void(T) &&>)> start) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<T> result;
  start([&](T value) {
    std::lock_guard<std::mutex> lock(mu);
    result.emplace(std::move(value));
    cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return result.has_value(); });
  return *std::move(result);
}

class RedisJobCoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = RedisServer::Start();
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }
  void TearDown() override {
    replicas_.clear();  // coordinators before their clients
  }

  Replica& AddReplica(const std::string& id) {
    Replica r;
    redis::Client::Options options;
    options.endpoint = *redis::ParseRedisUrl(server_->url());
    r.client = std::make_unique<redis::Client>(options);
    EXPECT_THAT(r.client->Start(), IsOk());
    EXPECT_TRUE(r.client->WaitUntilUp(kWait));
    RedisJobCoordinator::Options o;
    o.key_prefix = "test:";
    o.lease = absl::Milliseconds(400);
    o.replica_id = id;
    r.coordinator =
        std::make_unique<RedisJobCoordinator>(o, r.client.get(), &sched_);
    replicas_.push_back(std::move(r));
    return replicas_.back();
  }

  absl::StatusOr<v1::Job> Publish(Replica& r, const v1::Job& job,
                                  int64_t floor = 0) {
    return Await<absl::StatusOr<v1::Job>>([&](auto done) {
      r.coordinator->Publish("acme", "media/m1", job, floor, std::move(done));
    });
  }

  static v1::Job Job(v1::JobState state, const char* status, int progress,
                     int64_t updated) {
    v1::Job job;
    job.set_name("media/m1");
    job.set_state(state);
    job.set_upstream_status(status);
    job.set_progress_percentage(progress);
    job.mutable_update_time()->set_seconds(updated);
    return job;
  }

  ThreadScheduler sched_;
  std::unique_ptr<RedisServer> server_;
  std::deque<Replica> replicas_;  // references stay valid as it grows
};

TEST_F(RedisJobCoordinatorTest, VersionsAreSharedAndNeverGoBack) {
  Replica& a = AddReplica("a");
  Replica& b = AddReplica("b");
  const v1::Job queued = Job(v1::JOB_STATE_QUEUED, "new", 0, 1000);
  auto first = Publish(a, queued);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->version(), StateVersion(queued));

  // The same state read by another replica: the same version.
  auto again = Publish(b, queued);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->version(), first->version());

  // A later state: higher, even with the same update time.
  const v1::Job running =
      Job(v1::JOB_STATE_RUNNING, "processing_bullet", 10, 1000);
  auto later = Publish(b, running);
  ASSERT_THAT(later, IsOk());
  EXPECT_GT(later->version(), first->version());
  EXPECT_EQ(later->upstream_status(), "processing_bullet");

  // An older read that lost the race: the stored (later) state stands.
  auto stale = Publish(a, queued);
  ASSERT_THAT(stale, IsOk());
  EXPECT_EQ(stale->version(), later->version());
  EXPECT_EQ(stale->upstream_status(), "processing_bullet");

  // A floor above everything (a replica that counted on alone while Redis
  // was away) is honoured for a changed state.
  const v1::Job more =
      Job(v1::JOB_STATE_RUNNING, "processing_bullet", 20, 1000);
  auto floored = Publish(a, more, later->version() + 1000);
  ASSERT_THAT(floored, IsOk());
  EXPECT_EQ(floored->version(), later->version() + 1000);
}

TEST_F(RedisJobCoordinatorTest, LookupSeesTheStateAndWhetherItIsPolled) {
  Replica& a = AddReplica("a");
  using Result = absl::StatusOr<std::optional<SharedState>>;
  auto lookup = [&] {
    return Await<Result>([&](auto done) {
      a.coordinator->Lookup("acme", "media/m1", std::move(done));
    });
  };
  Result none = lookup();
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->has_value());

  auto published = Publish(a, Job(v1::JOB_STATE_RUNNING, "x", 5, 1000));
  ASSERT_THAT(published, IsOk());
  Result found = lookup();
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->job.version(), published->version());
  EXPECT_EQ((*found)->job.progress_percentage(), 5);
  EXPECT_LT(absl::Now() - (*found)->read_at, absl::Seconds(5));
  EXPECT_FALSE((*found)->polled);

  auto listener = std::make_shared<RecordingListener>();
  auto membership = a.coordinator->Follow("acme", "media/m1", listener);
  ASSERT_TRUE(listener->WaitOwner(true));
  found = lookup();
  ASSERT_THAT(found, IsOk());
  EXPECT_TRUE((*found)->polled);

  // A poke makes the stored state stale for GetJob.
  a.coordinator->Poke("acme", "media/m1");
  ASSERT_TRUE(listener->WaitPokes(1));
  found = lookup();
  ASSERT_THAT(found, IsOk());
  EXPECT_EQ((*found)->read_at, absl::InfinitePast());
}

TEST_F(RedisJobCoordinatorTest, OneOwnerAndEveryFollowerHearsEachState) {
  std::vector<std::shared_ptr<RecordingListener>> listeners;
  std::vector<std::unique_ptr<JobCoordinator::Membership>> memberships;
  for (const char* id : {"a", "b", "c"}) {
    Replica& r = AddReplica(id);
    listeners.push_back(std::make_shared<RecordingListener>());
    memberships.push_back(
        r.coordinator->Follow("acme", "media/m1", listeners.back()));
  }
  // Each lease round is 100 ms; after a few, exactly one owns the job.
  absl::SleepFor(absl::Milliseconds(600));
  int owners = 0;
  for (auto& l : listeners) owners += l->owner().value_or(false) ? 1 : 0;
  EXPECT_EQ(owners, 1);

  auto published =
      Publish(replicas_[1], Job(v1::JOB_STATE_RUNNING, "x", 50, 1000));
  ASSERT_THAT(published, IsOk());
  for (auto& l : listeners) {
    ASSERT_TRUE(l->WaitStates(1));
    EXPECT_EQ(l->states()[0].version(), published->version());
    EXPECT_EQ(l->states()[0].progress_percentage(), 50);
  }
}

TEST_F(RedisJobCoordinatorTest, LeavingHandsTheLeaseOverAtOnce) {
  auto la = std::make_shared<RecordingListener>();
  auto lb = std::make_shared<RecordingListener>();
  auto ma = AddReplica("a").coordinator->Follow("acme", "media/m1", la);
  ASSERT_TRUE(la->WaitOwner(true));
  auto mb = AddReplica("b").coordinator->Follow("acme", "media/m1", lb);
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(lb->owner().value_or(false));
  const absl::Time left = absl::Now();
  ma.reset();
  ASSERT_TRUE(lb->WaitOwner(true));
  // Told by the release, not by the lease running out (400 ms).
  EXPECT_LT(absl::Now() - left, absl::Milliseconds(300));
}

TEST_F(RedisJobCoordinatorTest, ADeadOwnersLeaseRunsOutAndIsTaken) {
  auto la = std::make_shared<RecordingListener>();
  auto lb = std::make_shared<RecordingListener>();
  Replica& a = AddReplica("a");
  auto ma = a.coordinator->Follow("acme", "media/m1", la);
  ASSERT_TRUE(la->WaitOwner(true));
  auto mb = AddReplica("b").coordinator->Follow("acme", "media/m1", lb);
  absl::SleepFor(absl::Milliseconds(200));
  ASSERT_FALSE(lb->owner().value_or(false));
  // a's connection dies: no renewal, no release.
  const absl::Time died = absl::Now();
  a.client->Stop();
  ASSERT_TRUE(lb->WaitOwner(true));
  EXPECT_LE(absl::Now() - died, absl::Milliseconds(400 + 100 + 300));
  ma.reset();
}

TEST_F(RedisJobCoordinatorTest, OutageAndRecoveryAreReported) {
  Replica& a = AddReplica("a");
  std::mutex mu;
  std::condition_variable cv;
  std::vector<bool> seen;
  a.coordinator->SetAvailabilityObserver([&](bool up) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(up);
    cv.notify_all();
  });
  auto l = std::make_shared<RecordingListener>();
  auto m = a.coordinator->Follow("acme", "media/m1", l);
  ASSERT_TRUE(l->WaitOwner(true));
  EXPECT_TRUE(a.coordinator->available());

  server_->Kill();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10),
                            [&] { return !seen.empty() && !seen.back(); }));
  }
  EXPECT_FALSE(a.coordinator->available());
  auto failed = Publish(a, Job(v1::JOB_STATE_RUNNING, "x", 1, 1000));
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kUnavailable));

  const int resyncs = l->resyncs();
  ASSERT_THAT(server_->Restart(), IsOk());
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20),
                            [&] { return !seen.empty() && seen.back(); }));
  }
  EXPECT_TRUE(a.coordinator->available());
  // The lease is taken again (the restarted Redis holds nothing), the
  // follower is told to re-read what it may have missed once its
  // subscription is back, and publications reach it again.
  ASSERT_TRUE(l->WaitOwner(true));
  ASSERT_TRUE(l->WaitResyncs(resyncs + 2));  // command and subscriber side
  auto published = Publish(a, Job(v1::JOB_STATE_RUNNING, "x", 2, 1000));
  ASSERT_THAT(published, IsOk());
  ASSERT_TRUE(l->WaitStates(1));
}

TEST_F(RedisJobCoordinatorTest, KeysShareOneHashTagPerJob) {
  Replica& a = AddReplica("a");
  const std::string state = a.coordinator->StateKey("acme", "media/m1");
  const std::string lease = a.coordinator->LeaseKey("acme", "media/m1");
  const std::string channel = a.coordinator->Channel("acme", "media/m1");
  auto tag = [](const std::string& key) {
    const size_t open = key.find('{');
    return key.substr(open, key.find('}', open) - open + 1);
  };
  EXPECT_EQ(tag(state), "{acme/media/m1}");
  EXPECT_EQ(tag(lease), tag(state));
  EXPECT_EQ(tag(channel), tag(state));
  EXPECT_EQ(state.rfind("test:", 0), 0u);
  EXPECT_NE(tag(a.coordinator->StateKey("other", "media/m1")), tag(state));
}

}  // namespace
}  // namespace mediagen::jobs
