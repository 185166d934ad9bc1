// RedisIdempotencyStore against a real redis-server, with one client per
// simulated replica: claims, notified waiters, the claim that runs out
// before or after MarkSent, per-tenant capacity, and Redis unreachable.
#include "service/idempotency/redis_store.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "service/common/mutex.h"
#include "service/common/scheduler.h"
#include "service/idempotency/errors.h"
#include "service/redis/client.h"
#include "service/redis/url.h"
#include "tests/testing_util/redis_server.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::idempotency {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::RedisServer;
using ::mediagen::testing::StatusIs;

constexpr absl::string_view kMethod = "mediagen.v1.MediaService/CreateMedia";
constexpr absl::Duration kWait = absl::Seconds(10);

std::string Reason(const absl::Status& status) {
  auto info = rpc::GetErrorInfo(status);
  return info ? info->reason() : "";
}

// What one Begin produced, waited for.
class Began {
 public:
  BeginCallback Callback() {
    return [this](std::unique_ptr<Lease> lease, Outcome answer) {
      MutexLock lock(&mu_);
      ++calls_;
      lease_ = std::move(lease);
      answer_ = std::move(answer);
      cv_.SignalAll();
    };
  }
  // Waits for the callback; false on timeout.
  bool Wait(absl::Duration timeout = kWait) {
    const absl::Time until = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (calls_ == 0) {
      if (!cv_.WaitUntil(&mu_, until)) break;
    }
    return calls_ > 0;
  }
  bool called() {
    MutexLock lock(&mu_);
    return calls_ > 0;
  }
  std::unique_ptr<Lease> TakeLease() {
    MutexLock lock(&mu_);
    return std::move(lease_);
  }
  Outcome answer() {
    MutexLock lock(&mu_);
    return answer_;
  }
  int calls() {
    MutexLock lock(&mu_);
    return calls_;
  }

 private:
  Mutex mu_;
  CondVar cv_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<Lease> lease_ ABSL_GUARDED_BY(mu_);
  Outcome answer_ ABSL_GUARDED_BY(mu_);
};

absl::Status MarkSent(Lease& lease) {
  Mutex mu;
  CondVar cv;
  std::optional<absl::Status> result;
  lease.MarkSent([&](absl::Status s) {
    MutexLock lock(&mu);
    result = s;
    cv.SignalAll();
  });
  MutexLock lock(&mu);
  while (!result.has_value()) cv.Wait(&mu);
  return *result;
}

class RedisStoreTest : public ::testing::Test {
 protected:
  // One replica: its own client and store.
  struct Replica {
    std::unique_ptr<redis::Client> client;
    std::unique_ptr<RedisIdempotencyStore> store;
  };

  void SetUp() override {
    auto server = RedisServer::Start();
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }

  Replica& AddReplica(RedisIdempotencyStore::Options options = Defaults()) {
    auto r = std::make_unique<Replica>();
    redis::Client::Options client_options;
    client_options.endpoint = *redis::ParseRedisUrl(server_->url());
    r->client = std::make_unique<redis::Client>(client_options);
    EXPECT_THAT(r->client->Start(), IsOk());
    EXPECT_TRUE(r->client->WaitUntilUp(kWait));
    r->store = std::make_unique<RedisIdempotencyStore>(options, r->client.get(),
                                                       &sched_);
    replicas_.push_back(std::move(r));
    return *replicas_.back();
  }

  static RedisIdempotencyStore::Options Defaults() {
    RedisIdempotencyStore::Options o;
    o.key_prefix = "test:";
    o.claim = absl::Milliseconds(600);
    o.max_entries_per_tenant = 100;
    return o;
  }

  void Begin(Replica& r, const Key& key, absl::string_view fp, Began& began,
             absl::Duration deadline = kWait) {
    r.store->Begin(key, kMethod, fp, absl::Now() + deadline, began.Callback());
  }

  void TearDown() override {
    for (auto& r : replicas_) r->client->Stop();
    sched_.Stop();
  }

  std::unique_ptr<RedisServer> server_;
  ThreadScheduler sched_;
  std::vector<std::unique_ptr<Replica>> replicas_;
};

TEST_F(RedisStoreTest, OneLeaseAcrossReplicasAndWaitersGetItsOutcome) {
  Replica& a = AddReplica();
  Replica& b = AddReplica();
  Began first, dup_a, dup_b;
  Begin(a, {"t", "r1"}, "fp", first);
  ASSERT_TRUE(first.Wait());
  std::unique_ptr<Lease> lease = first.TakeLease();
  ASSERT_NE(lease, nullptr);
  Begin(b, {"t", "r1"}, "fp", dup_b);
  Begin(a, {"t", "r1"}, "fp", dup_a);
  // They wait (notified, not answered) while the lease is held, even past
  // the claim time: the lease renews itself.
  absl::SleepFor(absl::Milliseconds(1500));
  EXPECT_FALSE(dup_b.called());
  EXPECT_FALSE(dup_a.called());
  ASSERT_THAT(MarkSent(*lease), IsOk());
  lease->Commit({absl::OkStatus(), "the response"});
  for (Began* d : {&dup_a, &dup_b}) {
    ASSERT_TRUE(d->Wait());
    EXPECT_EQ(d->TakeLease(), nullptr);
    EXPECT_THAT(d->answer().status, IsOk());
    EXPECT_EQ(d->answer().response, "the response");
  }
  // Later ones are answered from Redis at once; each callback ran once.
  Began later;
  Begin(b, {"t", "r1"}, "fp", later);
  ASSERT_TRUE(later.Wait());
  EXPECT_EQ(later.answer().response, "the response");
  EXPECT_EQ(dup_a.calls(), 1);
}

TEST_F(RedisStoreTest, RememberedErrorsKeepTheirDetails) {
  Replica& a = AddReplica();
  Began first;
  Begin(a, {"t", "r1"}, "fp", first);
  ASSERT_TRUE(first.Wait());
  std::unique_ptr<Lease> lease = first.TakeLease();
  ASSERT_NE(lease, nullptr);
  lease->Commit({OutcomeUnknown(), ""});  // any status with an ErrorInfo
  Began dup;
  Begin(a, {"t", "r1"}, "fp", dup);
  ASSERT_TRUE(dup.Wait());
  EXPECT_THAT(dup.answer().status, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Reason(dup.answer().status), kOutcomeUnknown);
}

TEST_F(RedisStoreTest, OtherContentIsRefusedOnAnyReplica) {
  Replica& a = AddReplica();
  Replica& b = AddReplica();
  Began first, other;
  Begin(a, {"t", "r1"}, "fp", first);
  ASSERT_TRUE(first.Wait());
  auto lease = first.TakeLease();
  Begin(b, {"t", "r1"}, "other-fp", other);
  ASSERT_TRUE(other.Wait());
  EXPECT_THAT(other.answer().status,
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Reason(other.answer().status), kRequestIdReused);
}

TEST_F(RedisStoreTest, ReleaseLetsAWaiterTakeTheLease) {
  Replica& a = AddReplica();
  Replica& b = AddReplica();
  Began first, dup;
  Begin(a, {"t", "r1"}, "fp", first);
  ASSERT_TRUE(first.Wait());
  auto lease = first.TakeLease();
  Begin(b, {"t", "r1"}, "fp", dup);
  absl::SleepFor(absl::Milliseconds(100));
  lease->Release(absl::UnavailableError("never sent"));
  ASSERT_TRUE(dup.Wait());
  EXPECT_NE(dup.TakeLease(), nullptr);
}

TEST_F(RedisStoreTest, AClaimThatRunsOutBeforeSendingIsTakenOver) {
  Replica& a = AddReplica();
  Replica& b = AddReplica();
  Began first, dup;
  Begin(a, {"t", "r1"}, "fp", first);
  ASSERT_TRUE(first.Wait());
  auto lease = first.TakeLease();
  ASSERT_NE(lease, nullptr);
  a.client->Stop();  // replica a vanishes: no renewal, no release
  Begin(b, {"t", "r1"}, "fp", dup);
  ASSERT_TRUE(dup.Wait());
  EXPECT_NE(dup.TakeLease(), nullptr);  // nothing was sent: b may send
}

TEST_F(RedisStoreTest, AClaimThatRunsOutAfterSendingAnswersOutcomeUnknown) {
  Replica& a = AddReplica();
  Replica& b = AddReplica();
  Began first, dup, later;
  Begin(a, {"t", "r1"}, "fp", first);
  ASSERT_TRUE(first.Wait());
  auto lease = first.TakeLease();
  ASSERT_THAT(MarkSent(*lease), IsOk());
  a.client->Stop();  // vanishes after the request left
  Begin(b, {"t", "r1"}, "fp", dup);
  ASSERT_TRUE(dup.Wait());
  EXPECT_EQ(dup.TakeLease(), nullptr);
  EXPECT_THAT(dup.answer().status, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Reason(dup.answer().status), kOutcomeUnknown);
  Begin(b, {"t", "r1"}, "fp", later);
  ASSERT_TRUE(later.Wait());
  EXPECT_EQ(Reason(later.answer().status), kOutcomeUnknown);
}

// The claim's expiry written into the past stands for a holder stalled
// longer than its claim (a GC pause, a frozen VM) that then wakes up.
TEST_F(RedisStoreTest, MarkSentFailsOnceTheClaimWasTakenOver) {
  RedisIdempotencyStore::Options slow = Defaults();
  slow.claim = absl::Seconds(30);  // no renewal during the test
  Replica& a = AddReplica(slow);
  Replica& b = AddReplica();
  Began first, dup;
  Begin(a, {"t", "r1"}, "fp", first);
  ASSERT_TRUE(first.Wait());
  auto lease = first.TakeLease();
  a.client->Command({"HSET", "test:{t}:rid:r1", "x", "0"},
                    [&](absl::StatusOr<redis::Reply>) {
                      Begin(b, {"t", "r1"}, "fp", dup);
                    });
  ASSERT_TRUE(dup.Wait());
  ASSERT_NE(dup.TakeLease(), nullptr);
  // a wakes up: it must not send.
  const absl::Status sent = MarkSent(*lease);
  EXPECT_THAT(sent, StatusIs(absl::StatusCode::kAborted));
}

TEST_F(RedisStoreTest, AWaiterGivesUpAtItsDeadline) {
  Replica& a = AddReplica();
  Began first, dup;
  Begin(a, {"t", "r1"}, "fp", first);
  ASSERT_TRUE(first.Wait());
  auto lease = first.TakeLease();
  const absl::Time start = absl::Now();
  Begin(a, {"t", "r1"}, "fp", dup, absl::Milliseconds(300));
  ASSERT_TRUE(dup.Wait());
  EXPECT_THAT(dup.answer().status,
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST_F(RedisStoreTest, ATenantsShareIsBoundedAndOthersAreUntouched) {
  RedisIdempotencyStore::Options o = Defaults();
  o.max_entries_per_tenant = 2;
  Replica& a = AddReplica(o);
  Began b1;
  Begin(a, {"b", "b-1"}, "fp", b1);
  ASSERT_TRUE(b1.Wait());
  b1.TakeLease()->Commit({absl::OkStatus(), "b's answer"});
  std::vector<std::unique_ptr<Lease>> held;
  for (int i = 0; i < 2; ++i) {
    Began x;
    Begin(a, {"a", std::to_string(i)}, "fp", x);
    ASSERT_TRUE(x.Wait());
    held.push_back(x.TakeLease());
    ASSERT_NE(held.back(), nullptr);
  }
  Began full;
  Begin(a, {"a", "2"}, "fp", full);
  ASSERT_TRUE(full.Wait());
  EXPECT_THAT(full.answer().status,
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(Reason(full.answer().status), kRequestIdLimitReached);
  Began b_again;
  Begin(a, {"b", "b-1"}, "fp", b_again);
  ASSERT_TRUE(b_again.Wait());
  EXPECT_EQ(b_again.answer().response, "b's answer");
  // A released one frees its place.
  held[0]->Release(absl::UnavailableError("never sent"));
  absl::SleepFor(absl::Milliseconds(100));
  Began room;
  Begin(a, {"a", "3"}, "fp", room);
  ASSERT_TRUE(room.Wait());
  EXPECT_NE(room.TakeLease(), nullptr);
}

TEST_F(RedisStoreTest, RedisUnreachableRefusesWithStoreUnavailable) {
  Replica& a = AddReplica();
  server_->Kill();
  for (int i = 0; i < 100 && a.client->up(); ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  Began began;
  Begin(a, {"t", "r1"}, "fp", began);
  ASSERT_TRUE(began.Wait());
  EXPECT_EQ(began.TakeLease(), nullptr);
  EXPECT_THAT(began.answer().status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Reason(began.answer().status), kStoreUnavailable);
  // Back: works again.
  ASSERT_THAT(server_->Restart(), IsOk());
  ASSERT_TRUE(a.client->WaitUntilUp(kWait));
  Began again;
  Begin(a, {"t", "r1"}, "fp", again);
  ASSERT_TRUE(again.Wait());
  EXPECT_NE(again.TakeLease(), nullptr);
}

TEST_F(RedisStoreTest, ARedisThatRefusesWritesRefusesTheCreate) {
  // A Redis out of memory under noeviction refuses every write: the claim
  // fails, so the create is refused and nothing is sent.
  RedisServer::Options full;
  full.extra_args = {"--maxmemory", "1", "--maxmemory-policy", "noeviction"};
  auto server = RedisServer::Start(full);
  ASSERT_THAT(server, IsOk());
  redis::Client::Options client_options;
  client_options.endpoint = *redis::ParseRedisUrl((*server)->url());
  redis::Client client(client_options);
  ASSERT_THAT(client.Start(), IsOk());
  ASSERT_TRUE(client.WaitUntilUp(kWait));
  RedisIdempotencyStore store(Defaults(), &client, &sched_);
  Began began;
  store.Begin({"t", "r1"}, kMethod, "fp", absl::Now() + kWait,
              began.Callback());
  ASSERT_TRUE(began.Wait());
  EXPECT_EQ(began.TakeLease(), nullptr);
  EXPECT_THAT(began.answer().status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Reason(began.answer().status), kStoreUnavailable);
  client.Stop();
}

TEST_F(RedisStoreTest, NothingButFingerprintsAndOutcomesIsStored) {
  Replica& a = AddReplica();
  Began first;
  Begin(a, {"tenant-x", "r1"}, "fp-hash", first);
  ASSERT_TRUE(first.Wait());
  first.TakeLease()->Commit({absl::OkStatus(), "resp"});
  // The keys carry the prefix and the tenant's hash tag.
  Mutex mu;
  CondVar cv;
  std::optional<std::vector<std::string>> keys;
  a.client->Command({"KEYS", "*"}, [&](absl::StatusOr<redis::Reply> r) {
    std::vector<std::string> k;
    if (r.ok()) {
      for (const auto& e : r->elements()) k.push_back(e.str());
    }
    MutexLock lock(&mu);
    keys = k;
    cv.SignalAll();
  });
  MutexLock lock(&mu);
  while (!keys.has_value()) cv.Wait(&mu);
  EXPECT_THAT(*keys, ::testing::UnorderedElementsAre("test:{tenant-x}:rid:r1",
                                                     "test:{tenant-x}:rids"));
}

}  // namespace
}  // namespace mediagen::idempotency
