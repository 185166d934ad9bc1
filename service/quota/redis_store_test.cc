// RedisQuotaStore against a real redis-server: the QuotaStore contract, and
// what only a shared store can get wrong: two replicas (two clients, two
// stores, one Redis) racing for the last credits and places, a replica that
// dies holding a reservation, the rate shared out by the replica count, and
// Redis unreachable.
#include "service/quota/redis_store.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "service/common/clock.h"
#include "service/common/mutex.h"
#include "service/common/scheduler.h"
#include "service/quota/refusals.h"
#include "service/quota/store_contract.h"
#include "service/redis/client.h"
#include "service/redis/url.h"
#include "tests/testing_util/redis_server.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::quota {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::RedisServer;
using ::mediagen::testing::StatusIs;

constexpr absl::Duration kWait = absl::Seconds(10);

std::unique_ptr<redis::Client> Connect(const RedisServer& server) {
  redis::Client::Options options;
  options.endpoint = *redis::ParseRedisUrl(server.url());
  auto client = std::make_unique<redis::Client>(options);
  EXPECT_THAT(client->Start(), IsOk());
  EXPECT_TRUE(client->WaitUntilUp(kWait));
  return client;
}

// The contract's stores: one redis-server for the whole suite (started on
// the main thread, by the first SetUp), a fresh key prefix per store so
// the cases do not see each other's counters.
struct SharedRedis {
  std::unique_ptr<RedisServer> server;
  std::unique_ptr<redis::Client> client;
  ThreadScheduler scheduler;
  int stores = 0;
};

SharedRedis& Shared() {
  static SharedRedis* const shared = [] {
    auto* s = new SharedRedis;
    auto server = RedisServer::Start();
    EXPECT_THAT(server, IsOk());
    s->server = *std::move(server);
    s->client = Connect(*s->server);
    return s;
  }();
  return *shared;
}

INSTANTIATE_TEST_SUITE_P(
    Redis, QuotaStoreContract,
    ::testing::Values(StoreFactory{
        "redis",
        [](const Clock* clock) -> std::unique_ptr<QuotaStore> {
          SharedRedis& shared = Shared();
          RedisQuotaStore::Options options;
          options.key_prefix = absl::StrCat("contract", ++shared.stores, ":");
          return std::make_unique<RedisQuotaStore>(options, shared.client.get(),
                                                   &shared.scheduler, clock);
        }}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) {
      return info.param.name;
    });

std::string Reason(const absl::Status& status) {
  auto info = rpc::GetErrorInfo(status);
  return info ? info->reason() : "";
}

class RedisQuotaStoreTest : public ::testing::Test {
 protected:
  // One replica: its own client and store.
  struct Replica {
    std::unique_ptr<redis::Client> client;
    std::unique_ptr<RedisQuotaStore> store;
  };

  void SetUp() override {
    // 2026-12-04 12:00 UTC.
    clock_.Set(absl::FromUnixSeconds(1796385600));
    auto server = RedisServer::Start();
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }

  void TearDown() override {
    for (auto& r : replicas_) {
      r->store.reset();
      r->client->Stop();
    }
    sched_.Stop();
  }

  Replica& AddReplica() {
    auto r = std::make_unique<Replica>();
    r->client = Connect(*server_);
    RedisQuotaStore::Options options;
    options.key_prefix = "test:";
    options.reservation_ttl = absl::Minutes(10);
    options.heartbeat = absl::Milliseconds(100);
    r->store = std::make_unique<RedisQuotaStore>(options, r->client.get(),
                                                 &sched_, &clock_);
    replicas_.push_back(std::move(r));
    return *replicas_.back();
  }

  static QuotaStore::Request Create(const Limits& limits,
                                    std::optional<double> cost) {
    QuotaStore::Request r;
    r.tenant = "acme";
    r.limits = limits;
    if (cost.has_value()) r.cost = Cost{"vimmerse", "credits", *cost};
    return r;
  }

  FakeClock clock_;
  std::unique_ptr<RedisServer> server_;
  ThreadScheduler sched_;
  std::vector<std::unique_ptr<Replica>> replicas_;
};

TEST_F(RedisQuotaStoreTest, FiftyCreatesOverTwoReplicasNeverExceedTheBudget) {
  Replica& a = AddReplica();
  Replica& b = AddReplica();
  const Limits limits = WithBudgets({{"vimmerse", 100, Period::kDay}});
  // 37 of 100 spent already: 63 left, 12 creates of 5.
  auto spent = ReserveAndWait(*a.store, Create(limits, 37));
  ASSERT_THAT(spent, IsOk());
  (*spent)->Settle(std::nullopt);

  Mutex mu;
  CondVar cv;
  int answered = 0;
  std::vector<std::unique_ptr<Reservation>> accepted;
  std::vector<absl::Status> refused;
  std::vector<std::thread> threads;
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        RedisQuotaStore& store = (t + i) % 2 == 0 ? *a.store : *b.store;
        store.Reserve(Create(limits, 5),
                      [&](absl::StatusOr<std::unique_ptr<Reservation>> r) {
                        MutexLock lock(&mu);
                        if (r.ok()) {
                          accepted.push_back(*std::move(r));
                        } else {
                          refused.push_back(r.status());
                        }
                        ++answered;
                        cv.SignalAll();
                      });
      }
    });
  }
  for (auto& t : threads) t.join();
  {
    const absl::Time until = absl::Now() + kWait;
    MutexLock lock(&mu);
    while (answered < 50 && cv.WaitUntil(&mu, until)) {
    }
    ASSERT_EQ(answered, 50);
    EXPECT_EQ(accepted.size(), 12u);
    ASSERT_EQ(refused.size(), 38u);
    for (const absl::Status& s : refused) {
      EXPECT_EQ(RefusalReason(s), kBudgetExceeded) << s;
    }
  }
  absl::StatusOr<Usage> usage = UsageAndWait(*b.store, "acme", limits);
  ASSERT_THAT(usage, IsOk());
  ASSERT_EQ(usage->spend.size(), 1u);
  EXPECT_EQ(usage->spend[0].spent_day, 37);
  EXPECT_EQ(usage->spend[0].reserved, 60);
  {
    MutexLock lock(&mu);
    for (auto& r : accepted) r->Settle(std::nullopt);
  }
  // The settles went out on both replicas' connections: wait for them.
  const absl::Time until = absl::Now() + kWait;
  do {
    usage = UsageAndWait(*a.store, "acme", limits);
    ASSERT_THAT(usage, IsOk());
  } while (usage->spend[0].reserved != 0 && absl::Now() < until);
  EXPECT_EQ(usage->spend[0].spent_day, 97);
  EXPECT_EQ(usage->spend[0].reserved, 0);
}

TEST_F(RedisQuotaStoreTest, AJobOnOneReplicaTakesThePlaceOnTheOther) {
  Replica& a = AddReplica();
  Replica& b = AddReplica();
  Limits limits;
  limits.concurrent_jobs = 1;
  auto held = ReserveAndWait(*a.store, Create(limits, std::nullopt));
  ASSERT_THAT(held, IsOk());
  (*held)->Hold("assets/a1");
  held->reset();
  auto refused = ReserveAndWait(*b.store, Create(limits, std::nullopt));
  EXPECT_EQ(RefusalReason(refused.status()), kConcurrentJobsExceeded);
  b.store->JobEnded("acme", "assets/a1");
  EXPECT_THAT(ReserveAndWait(*b.store, Create(limits, std::nullopt)), IsOk());
}

TEST_F(RedisQuotaStoreTest, AJobHeldJustBeforeItsReplicaDiesIsKnownToTheOther) {
  Replica& a = AddReplica();
  Replica& b = AddReplica();
  Limits limits;
  limits.concurrent_jobs = 1;
  auto created = ReserveAndWait(*a.store, Create(limits, std::nullopt));
  ASSERT_THAT(created, IsOk());
  ASSERT_TRUE(HoldAndWait(**created, "assets/a1"));
  // Replica a answers its caller and dies at once: what it had not sent by
  // then is lost (Stop fails it).
  a.client->Stop();
  created->reset();
  // Replica b knows the job: it is offered for a check (nobody reports on
  // it), holds the place meanwhile, and frees it when seen ended.
  clock_.Advance(absl::Minutes(1));
  std::vector<JobRef> due = JobsToCheckAndWait(*b.store, absl::Minutes(1));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].name, "assets/a1");
  EXPECT_EQ(
      RefusalReason(
          ReserveAndWait(*b.store, Create(limits, std::nullopt)).status()),
      kConcurrentJobsExceeded);
  b.store->JobEnded("acme", "assets/a1");
  EXPECT_THAT(ReserveAndWait(*b.store, Create(limits, std::nullopt)), IsOk());
}

TEST_F(RedisQuotaStoreTest, ADeadReplicasReservationExpiresAsSpent) {
  Replica& a = AddReplica();
  Replica& b = AddReplica();
  Limits limits = WithBudgets({{"vimmerse", 100, Period::kMonth}});
  limits.concurrent_jobs = 1;
  auto orphan = ReserveAndWait(*a.store, Create(limits, 30));
  ASSERT_THAT(orphan, IsOk());
  // Replica a dies: its reservation is never settled nor released.
  a.client->Stop();
  orphan->reset();
  EXPECT_EQ(
      RefusalReason(
          ReserveAndWait(*b.store, Create(limits, std::nullopt)).status()),
      kConcurrentJobsExceeded);
  clock_.Advance(absl::Minutes(10));
  // Swept: the place is free and the estimate counts as spent (the create
  // may have reached upstream).
  auto usage = UsageAndWait(*b.store, "acme", limits);
  ASSERT_THAT(usage, IsOk());
  EXPECT_EQ(usage->jobs_in_flight, 0);
  EXPECT_EQ(usage->spend[0].reserved, 0);
  EXPECT_EQ(usage->spend[0].spent_month, 30);
  EXPECT_THAT(ReserveAndWait(*b.store, Create(limits, 70)), IsOk());
}

TEST_F(RedisQuotaStoreTest, ACreateOutlivingTheTtlKeepsItsReservation) {
  Replica& a = AddReplica();
  Replica& b = AddReplica();
  Limits limits = WithBudgets({{"vimmerse", 100, Period::kDay}});
  limits.concurrent_jobs = 1;
  // A long upload: its create runs past the 10 min ttl on a live replica.
  auto slow = ReserveAndWait(*a.store, Create(limits, 30));
  ASSERT_THAT(slow, IsOk());
  // Each step is under the ttl; the steps add up to twice it. Between
  // them, the (real-time, 100 ms) heartbeat renews the reservation.
  for (int step = 0; step < 5; ++step) {
    clock_.Advance(absl::Minutes(4));
    absl::SleepFor(absl::Milliseconds(500));
  }
  // Still reserved: the place is taken and the estimate not yet spent.
  EXPECT_EQ(
      RefusalReason(
          ReserveAndWait(*b.store, Create(limits, std::nullopt)).status()),
      kConcurrentJobsExceeded);
  auto usage = UsageAndWait(*b.store, "acme", limits);
  ASSERT_THAT(usage, IsOk());
  EXPECT_EQ(usage->jobs_in_flight, 1);
  EXPECT_EQ(usage->spend[0].reserved, 30);
  EXPECT_EQ(usage->spend[0].spent_day, 0);
  // Released at last: nothing renews it any more, and nothing stays.
  slow->reset();
  const absl::Time until = absl::Now() + kWait;
  do {
    usage = UsageAndWait(*b.store, "acme", limits);
    ASSERT_THAT(usage, IsOk());
  } while (usage->jobs_in_flight != 0 && absl::Now() < until);
  EXPECT_EQ(usage->jobs_in_flight, 0);
  EXPECT_EQ(usage->spend[0].reserved, 0);
  EXPECT_EQ(usage->spend[0].spent_day, 0);
}

TEST_F(RedisQuotaStoreTest, ALateSettleCorrectsAnExpiredEstimate) {
  Replica& a = AddReplica();
  const Limits limits = WithBudgets({{"vimmerse", 100, Period::kDay}});
  auto slow = ReserveAndWait(*a.store, Create(limits, 30));
  ASSERT_THAT(slow, IsOk());
  clock_.Advance(absl::Minutes(11));
  ASSERT_EQ(UsageAndWait(*a.store, "acme", limits)->spend[0].spent_day, 30);
  (*slow)->Settle(12);  // upstream reported 12 after all
  auto usage = UsageAndWait(*a.store, "acme", limits);
  ASSERT_THAT(usage, IsOk());
  EXPECT_EQ(usage->spend[0].spent_day, 12);
  EXPECT_EQ(usage->spend[0].reserved, 0);
}

TEST_F(RedisQuotaStoreTest, AQuietJobIsOfferedToOneReplicaOnly) {
  Replica& a = AddReplica();
  Replica& b = AddReplica();
  Limits limits;
  limits.concurrent_jobs = 5;
  auto r = ReserveAndWait(*a.store, Create(limits, std::nullopt));
  ASSERT_THAT(r, IsOk());
  (*r)->Hold("assets/a1");
  r->reset();
  clock_.Advance(absl::Minutes(1));
  std::vector<JobRef> on_a, on_b;
  std::thread ta(
      [&] { on_a = JobsToCheckAndWait(*a.store, absl::Minutes(1)); });
  std::thread tb(
      [&] { on_b = JobsToCheckAndWait(*b.store, absl::Minutes(1)); });
  ta.join();
  tb.join();
  ASSERT_EQ(on_a.size() + on_b.size(), 1u);
  EXPECT_EQ((on_a.empty() ? on_b : on_a)[0].name, "assets/a1");
}

// A tenant that creates without end (jobs never ending, creates failing,
// a budget spent to the last credit, days passing) holds a bounded set of
// keys: no reservation outlives its create, held jobs stay at
// concurrent_jobs, and spend lives in one day and one month hash that
// expire.
TEST_F(RedisQuotaStoreTest, ATenantsKeysStayBounded) {
  Replica& a = AddReplica();
  Limits limits = WithBudgets({{"vimmerse", 1000, Period::kDay}});
  limits.concurrent_jobs = 4;
  int accepted = 0;
  for (int day = 0; day < 3; ++day) {
    for (int i = 0; i < 100; ++i) {
      auto r = ReserveAndWait(*a.store, Create(limits, 15));
      if (!r.ok()) continue;
      ++accepted;
      if (i % 2 == 1) continue;  // failed upstream with a 4xx: released
      const std::string job = absl::StrCat("media/d", day, "-", i);
      (*r)->Settle(std::nullopt);
      (*r)->Hold(job);
      if (i != 0) a.store->JobEnded("acme", job);  // one a day never ends
    }
    clock_.Advance(absl::Hours(24));
  }
  // 50 spent a day (750 of 1000 credits); 3 jobs hold places, 1 is free.
  EXPECT_EQ(accepted, 300);
  auto count = [&](std::vector<std::string> argv) {
    Mutex mu;
    CondVar cv;
    std::optional<int64_t> n;
    a.client->Command(std::move(argv), [&](absl::StatusOr<redis::Reply> r) {
      MutexLock lock(&mu);
      n = !r.ok()         ? -1
          : r->is_array() ? static_cast<int64_t>(r->elements().size())
                          : r->integer();
      cv.SignalAll();
    });
    MutexLock lock(&mu);
    while (!n.has_value()) cv.Wait(&mu);
    return *n;
  };
  EXPECT_EQ(count({"HLEN", "test:{acme}:q:res"}), 0);
  EXPECT_EQ(count({"ZCARD", "test:{acme}:q:resx"}), 0);
  EXPECT_EQ(count({"ZCARD", "test:{acme}:q:jobs"}), 3);
  // res, resx and jobs when not empty, agg, 3 day hashes (until they
  // expire), 1 month hash.
  EXPECT_LE(count({"KEYS", "test:{acme}:*"}), 7);
  const int64_t day_ttl = count({"PTTL", "test:{acme}:q:day:2026-12-04"});
  EXPECT_GT(day_ttl, 0);
  EXPECT_LE(day_ttl, 2 * 24 * 3600 * 1000);
  const int64_t month_ttl = count({"PTTL", "test:{acme}:q:month:2026-12"});
  EXPECT_GT(month_ttl, 0);
  EXPECT_LE(month_ttl, int64_t{62} * 24 * 3600 * 1000);
}

TEST_F(RedisQuotaStoreTest, EachReplicaAdmitsItsShareOfTheRate) {
  Replica& a = AddReplica();
  Replica& b = AddReplica();
  const absl::Time until = absl::Now() + kWait;
  while ((a.store->replicas() != 2 || b.store->replicas() != 2) &&
         absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(a.store->replicas(), 2);
  Limits limits;
  limits.requests_per_second = 10;
  limits.burst = 10;
  int admitted = 0;
  for (int i = 0; i < 20; ++i) {
    admitted += a.store->AdmitCall("acme", limits).ok();
    admitted += b.store->AdmitCall("acme", limits).ok();
  }
  EXPECT_EQ(admitted, 10);  // the burst, 5 on each replica
  // A replica that leaves gives its share back at the next heartbeat.
  replicas_[1]->store.reset();
  while (a.store->replicas() != 1 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(a.store->replicas(), 1);
}

TEST_F(RedisQuotaStoreTest, RedisDownRefusesCreatesButNotCalls) {
  Replica& a = AddReplica();
  Limits limits = WithBudgets({{"vimmerse", 100, Period::kDay}});
  limits.requests_per_second = 5;
  server_->Kill();
  const absl::Time until = absl::Now() + kWait;
  while (a.client->up() && absl::Now() < until) {
    a.store->JobEnded("acme", "x");  // a write notices the dead connection
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_FALSE(a.client->up());
  auto r = ReserveAndWait(*a.store, Create(limits, 10));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Reason(r.status()), kStoreUnavailable);
  EXPECT_EQ(RefusalReason(r.status()), "");
  EXPECT_THAT(UsageAndWait(*a.store, "acme", limits),
              StatusIs(absl::StatusCode::kUnavailable));
  // The rate fails open to this replica's own bucket of the whole rate.
  EXPECT_THAT(a.store->AdmitCall("acme", limits), IsOk());
  // A create with no limit to check still passes, with a cost too.
  EXPECT_THAT(ReserveAndWait(*a.store, Create(Limits(), std::nullopt)), IsOk());
  EXPECT_THAT(ReserveAndWait(*a.store, Create(Limits(), 10)), IsOk());
  // A budget at another provider is no limit on this one.
  EXPECT_THAT(
      ReserveAndWait(*a.store,
                     Create(WithBudgets({{"aimlapi", 100, Period::kDay}}), 10)),
      IsOk());
}

}  // namespace
}  // namespace mediagen::quota
