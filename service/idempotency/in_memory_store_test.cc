#include "service/idempotency/in_memory_store.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/rpc/error_details.h"
#include "service/common/clock.h"
#include "service/idempotency/errors.h"
#include "service/idempotency/sync_begin.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::idempotency {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;

constexpr absl::string_view kMethod = "mediagen.v1.MediaService/CreateMedia";

struct Recorder {
  std::vector<Outcome> outcomes;
  absl::AnyInvocable<void(Outcome)> Callback() {
    return [this](Outcome o) { outcomes.push_back(std::move(o)); };
  }
};

class StoreTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  InMemoryIdempotencyStore store_{{absl::Hours(24), 100, 100, &clock_}};
};

TEST_F(StoreTest, FirstCallLeadsAndDuplicatesGetItsResult) {
  Recorder first;
  auto lease = SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", first.Callback());
  ASSERT_NE(lease, nullptr);
  EXPECT_TRUE(first.outcomes.empty());
  lease->Commit({absl::OkStatus(), "response-bytes"});

  Recorder dup;
  EXPECT_EQ(SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", dup.Callback()),
            nullptr);
  ASSERT_EQ(dup.outcomes.size(), 1u);
  EXPECT_THAT(dup.outcomes[0].status, IsOk());
  EXPECT_EQ(dup.outcomes[0].response, "response-bytes");
}

TEST_F(StoreTest, ConcurrentDuplicatesWaitForTheFirst) {
  auto lease = SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", [](Outcome) {
    ADD_FAILURE() << "leader must not be called back";
  });
  ASSERT_NE(lease, nullptr);
  Recorder a, b;
  EXPECT_EQ(SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", a.Callback()),
            nullptr);
  EXPECT_EQ(SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", b.Callback()),
            nullptr);
  EXPECT_TRUE(a.outcomes.empty());
  lease->Commit({absl::OkStatus(), "x"});
  ASSERT_EQ(a.outcomes.size(), 1u);
  ASSERT_EQ(b.outcomes.size(), 1u);
  EXPECT_EQ(b.outcomes[0].response, "x");
}

TEST_F(StoreTest, ErrorsThatReachedUpstreamAreRememberedToo) {
  auto lease = SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", [](Outcome) {});
  lease->Commit({absl::UnavailableError("upstream 500"), ""});
  Recorder dup;
  EXPECT_EQ(SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", dup.Callback()),
            nullptr);
  ASSERT_EQ(dup.outcomes.size(), 1u);
  EXPECT_THAT(dup.outcomes[0].status, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(StoreTest, ReleaseForgetsTheKeyAndAnswersWaiters) {
  auto lease = SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", [](Outcome) {});
  Recorder waiter;
  SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", waiter.Callback());
  lease->Release(absl::UnavailableError("connection refused"));
  ASSERT_EQ(waiter.outcomes.size(), 1u);
  EXPECT_THAT(waiter.outcomes[0].status,
              StatusIs(absl::StatusCode::kUnavailable));
  // Never sent: a retry may go upstream again.
  EXPECT_NE(SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", [](Outcome) {}),
            nullptr);
}

TEST_F(StoreTest, DroppedLeaseReleasesWithAborted) {
  Recorder waiter;
  {
    auto lease = SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", [](Outcome) {});
    SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", waiter.Callback());
  }
  ASSERT_EQ(waiter.outcomes.size(), 1u);
  EXPECT_THAT(waiter.outcomes[0].status, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(StoreTest, ReuseForOtherContentOrMethodIsRefused) {
  SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", [](Outcome) {
  })->Commit({absl::OkStatus(), "x"});
  Recorder other_content, other_method;
  EXPECT_EQ(
      SyncBegin(store_, {"t1", "r1"}, kMethod, "fp2", other_content.Callback()),
      nullptr);
  EXPECT_EQ(
      SyncBegin(store_, {"t1", "r1"}, "mediagen.v1.VideoService/ReframeVideo",
                "fp", other_method.Callback()),
      nullptr);
  ASSERT_EQ(other_content.outcomes.size(), 1u);
  EXPECT_THAT(other_content.outcomes[0].status,
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(rpc::GetErrorInfo(other_content.outcomes[0].status)->reason(),
            kRequestIdReused);
  ASSERT_EQ(other_method.outcomes.size(), 1u);
  EXPECT_THAT(other_method.outcomes[0].status,
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(StoreTest, TenantsNeverShareKeys) {
  SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", [](Outcome) {
  })->Commit({absl::OkStatus(), "tenant-1-answer"});
  // Same request_id, other tenant: a fresh call, not t1's answer.
  EXPECT_NE(SyncBegin(store_, {"t2", "r1"}, kMethod, "fp", [](Outcome) {}),
            nullptr);
  // Tenant and request_id boundaries cannot alias: ("t", "1r1") is not
  // ("t1", "r1").
  EXPECT_NE(SyncBegin(store_, {"t", "1r1"}, kMethod, "fp", [](Outcome) {}),
            nullptr);
}

TEST_F(StoreTest, OutcomesExpireAfterTheTtl) {
  SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", [](Outcome) {
  })->Commit({absl::OkStatus(), "x"});
  clock_.Advance(absl::Hours(24) - absl::Seconds(1));
  Recorder still;
  EXPECT_EQ(SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", still.Callback()),
            nullptr);
  EXPECT_EQ(still.outcomes.size(), 1u);
  clock_.Advance(absl::Seconds(1));
  EXPECT_NE(SyncBegin(store_, {"t1", "r1"}, kMethod, "fp", [](Outcome) {}),
            nullptr);
}

std::string Reason(const absl::Status& status) {
  auto info = rpc::GetErrorInfo(status);
  return info ? info->reason() : "";
}

TEST(StoreBoundTest, AFullTenantIsRefusedAndNeverEvictsAnotherTenant) {
  FakeClock clock;
  InMemoryIdempotencyStore store({absl::Hours(24), 100, 3, &clock});
  SyncBegin(store, {"b", "b-1"}, kMethod, "fp", [](Outcome) {
  })->Commit({absl::OkStatus(), "b's answer"});
  // Tenant a fills its share with finished and pending entries.
  SyncBegin(store, {"a", "1"}, kMethod, "fp", [](Outcome) {
  })->Commit({absl::UnavailableError("upstream 500"), ""});
  SyncBegin(store, {"a", "2"}, kMethod, "fp", [](Outcome) {
  })->Commit({absl::UnavailableError("upstream 500"), ""});
  auto pending = SyncBegin(store, {"a", "3"}, kMethod, "fp", [](Outcome) {});
  ASSERT_NE(pending, nullptr);

  for (int i = 4; i < 60; ++i) {
    Recorder refused;
    EXPECT_EQ(SyncBegin(store, {"a", std::to_string(i)}, kMethod, "fp",
                        refused.Callback()),
              nullptr);
    ASSERT_EQ(refused.outcomes.size(), 1u);
    EXPECT_THAT(refused.outcomes[0].status,
                StatusIs(absl::StatusCode::kResourceExhausted));
    EXPECT_EQ(Reason(refused.outcomes[0].status), kRequestIdLimitReached);
  }
  EXPECT_EQ(store.tenant_size("a"), 3u);
  // a's own live ids still answer, and b's earlier request_id is intact.
  Recorder a1, b1;
  EXPECT_EQ(SyncBegin(store, {"a", "1"}, kMethod, "fp", a1.Callback()),
            nullptr);
  EXPECT_THAT(a1.outcomes.at(0).status,
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(SyncBegin(store, {"b", "b-1"}, kMethod, "fp", b1.Callback()),
            nullptr);
  ASSERT_EQ(b1.outcomes.size(), 1u);
  EXPECT_EQ(b1.outcomes[0].response, "b's answer");
  // b may still start new ones.
  EXPECT_NE(SyncBegin(store, {"b", "b-2"}, kMethod, "fp", [](Outcome) {}),
            nullptr);
}

TEST(StoreBoundTest, ExpiredEntriesAreReclaimedBeforeRefusing) {
  FakeClock clock;
  InMemoryIdempotencyStore store({absl::Hours(1), 100, 2, &clock});
  SyncBegin(store, {"a", "1"}, kMethod, "fp", [](Outcome) {
  })->Commit({absl::OkStatus(), "1"});
  clock.Advance(absl::Minutes(30));
  SyncBegin(store, {"a", "2"}, kMethod, "fp", [](Outcome) {
  })->Commit({absl::OkStatus(), "2"});
  Recorder full;
  EXPECT_EQ(SyncBegin(store, {"a", "3"}, kMethod, "fp", full.Callback()),
            nullptr);
  EXPECT_THAT(full.outcomes.at(0).status,
              StatusIs(absl::StatusCode::kResourceExhausted));
  // "1" expires: its slot is reclaimed, "2" (live) is kept.
  clock.Advance(absl::Minutes(30));
  EXPECT_NE(SyncBegin(store, {"a", "3"}, kMethod, "fp", [](Outcome) {}),
            nullptr);
  Recorder two;
  EXPECT_EQ(SyncBegin(store, {"a", "2"}, kMethod, "fp", two.Callback()),
            nullptr);
  EXPECT_EQ(two.outcomes.at(0).response, "2");
}

TEST(StoreBoundTest, ReleasedEntriesFreeTheirSlot) {
  FakeClock clock;
  InMemoryIdempotencyStore store({absl::Hours(1), 100, 1, &clock});
  SyncBegin(store, {"a", "1"}, kMethod, "fp", [](Outcome) {
  })->Release(absl::UnavailableError("never sent"));
  {
    auto dropped = SyncBegin(store, {"a", "2"}, kMethod, "fp", [](Outcome) {});
  }
  EXPECT_EQ(store.tenant_size("a"), 0u);
  EXPECT_NE(SyncBegin(store, {"a", "3"}, kMethod, "fp", [](Outcome) {}),
            nullptr);
}

TEST(StoreBoundTest, TheWholeStoreBoundRefusesToo) {
  FakeClock clock;
  InMemoryIdempotencyStore store({absl::Hours(1), 2, 10, &clock});
  auto l1 = SyncBegin(store, {"a", "1"}, kMethod, "fp", [](Outcome) {});
  auto l2 = SyncBegin(store, {"b", "1"}, kMethod, "fp", [](Outcome) {});
  Recorder refused;
  EXPECT_EQ(SyncBegin(store, {"c", "1"}, kMethod, "fp", refused.Callback()),
            nullptr);
  EXPECT_THAT(refused.outcomes.at(0).status,
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(store.size(), 2u);
}

TEST(StoreThreadTest, ManyThreadsOneKeyExactlyOneLeader) {
  InMemoryIdempotencyStore store({});
  std::atomic<int> leaders{0}, answered{0};
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Lease>> leases(16);
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      leases[i] = SyncBegin(store, {"t", "r"}, kMethod, "fp", [&](Outcome o) {
        if (o.response == "done") ++answered;
      });
      if (leases[i]) ++leaders;
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(leaders.load(), 1);
  for (auto& lease : leases) {
    if (lease) lease->Commit({absl::OkStatus(), "done"});
  }
  EXPECT_EQ(answered.load(), 15);
}

}  // namespace
}  // namespace mediagen::idempotency
