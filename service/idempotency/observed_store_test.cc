#include "service/idempotency/observed_store.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/common/clock.h"
#include "service/idempotency/in_memory_store.h"
#include "service/idempotency/sync_begin.h"

namespace mediagen::idempotency {
namespace {

TEST(ObservedIdempotencyStoreTest, CountsRepeatsNotFirstCalls) {
  FakeClock clock;
  InMemoryIdempotencyStore inner({absl::Hours(1), 100, 100, &clock});
  std::vector<std::string> hits;
  ObservedIdempotencyStore store(
      &inner, [&](absl::string_view m) { hits.emplace_back(m); });
  int answered = 0;
  auto first = SyncBegin(store, {"t", "r1"}, "svc/Create", "fp",
                         [&](Outcome) { ++answered; });
  ASSERT_NE(first, nullptr);
  EXPECT_TRUE(hits.empty());
  // A concurrent duplicate waits for the first: a hit.
  EXPECT_EQ(SyncBegin(store, {"t", "r1"}, "svc/Create", "fp",
                      [&](Outcome) { ++answered; }),
            nullptr);
  first->Commit({absl::OkStatus(), "resp"});
  // A later one is answered from the store; other content is refused.
  EXPECT_EQ(SyncBegin(store, {"t", "r1"}, "svc/Create", "fp",
                      [&](Outcome) { ++answered; }),
            nullptr);
  EXPECT_EQ(SyncBegin(store, {"t", "r1"}, "svc/Create", "other",
                      [&](Outcome) { ++answered; }),
            nullptr);
  EXPECT_EQ(answered, 3);
  EXPECT_EQ(hits, std::vector<std::string>(3, "svc/Create"));
  // Another tenant's same id is a first call.
  EXPECT_NE(SyncBegin(store, {"u", "r1"}, "svc/Create", "fp", [](Outcome) {}),
            nullptr);
  EXPECT_EQ(hits.size(), 3u);
}

TEST(ObservedIdempotencyStoreTest, CapacityRefusalsAreNotHits) {
  FakeClock clock;
  InMemoryIdempotencyStore inner({absl::Hours(1), 100, 1, &clock});
  std::vector<std::string> hits;
  ObservedIdempotencyStore store(
      &inner, [&](absl::string_view m) { hits.emplace_back(m); });
  auto first =
      SyncBegin(store, {"t", "r1"}, "svc/Create", "fp", [](Outcome) {});
  ASSERT_NE(first, nullptr);
  int refused = 0;
  EXPECT_EQ(
      SyncBegin(store, {"t", "r2"}, "svc/Create", "fp",
                [&](Outcome o) {
                  if (o.status.code() == absl::StatusCode::kResourceExhausted) {
                    ++refused;
                  }
                }),
      nullptr);
  EXPECT_EQ(refused, 1);
  EXPECT_TRUE(hits.empty());
}

}  // namespace
}  // namespace mediagen::idempotency
