#include "service/quota/token_bucket.h"

#include "gtest/gtest.h"
#include "service/common/clock.h"

namespace mediagen::quota {
namespace {

TEST(TokenBucketTest, StartsFullAndRefusesPastTheBurst) {
  FakeClock clock;
  TokenBucket bucket(/*rate=*/50, /*burst=*/100, clock.Now());
  absl::Duration wait;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(bucket.TryTake(clock.Now(), &wait)) << i;
  }
  EXPECT_FALSE(bucket.TryTake(clock.Now(), &wait));
  // One token every 20 ms at 50/s.
  EXPECT_EQ(wait, absl::Milliseconds(20));
}

TEST(TokenBucketTest, TheAnnouncedWaitIsExactlyEnough) {
  FakeClock clock;
  TokenBucket bucket(/*rate=*/3, /*burst=*/1, clock.Now());
  absl::Duration wait;
  ASSERT_TRUE(bucket.TryTake(clock.Now(), &wait));
  ASSERT_FALSE(bucket.TryTake(clock.Now(), &wait));
  EXPECT_EQ(wait, absl::Microseconds(333334));  // 1/3 s, rounded up
  clock.Advance(wait - absl::Microseconds(2));
  absl::Duration again;
  EXPECT_FALSE(bucket.TryTake(clock.Now(), &again));  // not yet
  EXPECT_LE(again, absl::Microseconds(3));
  clock.Advance(absl::Microseconds(2));
  EXPECT_TRUE(bucket.TryTake(clock.Now(), &wait));  // now it is there
}

TEST(TokenBucketTest, TwoHundredCallsSpreadOverOneSecondLetAboutBurstPlusRate) {
  FakeClock clock;
  TokenBucket bucket(/*rate=*/50, /*burst=*/100, clock.Now());
  int accepted = 0;
  absl::Duration wait;
  for (int i = 0; i < 200; ++i) {
    if (bucket.TryTake(clock.Now(), &wait)) ++accepted;
    clock.Advance(absl::Milliseconds(5));  // 200 calls in 1 s
  }
  // 100 held at the start + 50 earned during the second (the last call
  // comes at 995 ms, so one fewer may have been earned).
  EXPECT_GE(accepted, 149);
  EXPECT_LE(accepted, 150);
}

TEST(TokenBucketTest, IdleTimeRefillsNoMoreThanTheBurst) {
  FakeClock clock;
  TokenBucket bucket(/*rate=*/10, /*burst=*/5, clock.Now());
  absl::Duration wait;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(bucket.TryTake(clock.Now(), &wait));
  clock.Advance(absl::Hours(1));
  EXPECT_DOUBLE_EQ(bucket.tokens(clock.Now()), 5);
}

TEST(TokenBucketTest, TimeGoingBackwardsAddsNothing) {
  FakeClock clock;
  TokenBucket bucket(/*rate=*/1, /*burst=*/1, clock.Now());
  absl::Duration wait;
  ASSERT_TRUE(bucket.TryTake(clock.Now(), &wait));
  clock.Advance(-absl::Seconds(10));
  EXPECT_FALSE(bucket.TryTake(clock.Now(), &wait));
  clock.Advance(absl::Seconds(10));
  EXPECT_FALSE(bucket.TryTake(clock.Now(), &wait));  // back where it was
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(bucket.TryTake(clock.Now(), &wait));
}

TEST(TokenBucketTest, ReconfigureKeepsTokensCappedAtTheNewBurst) {
  FakeClock clock;
  TokenBucket bucket(/*rate=*/10, /*burst=*/10, clock.Now());
  bucket.Reconfigure(/*rate=*/1, /*burst=*/2, clock.Now());
  EXPECT_DOUBLE_EQ(bucket.tokens(clock.Now()), 2);
  absl::Duration wait;
  ASSERT_TRUE(bucket.TryTake(clock.Now(), &wait));
  ASSERT_TRUE(bucket.TryTake(clock.Now(), &wait));
  EXPECT_FALSE(bucket.TryTake(clock.Now(), &wait));
  EXPECT_EQ(wait, absl::Seconds(1));
}

}  // namespace
}  // namespace mediagen::quota
