#include "service/server/fd_limit.h"

#include <sys/resource.h>

#include "gtest/gtest.h"

namespace mediagen::server {
namespace {

TEST(FdLimitTest, RaisesTheSoftLimitToTheHardOne) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 128) {
    GTEST_SKIP() << "hard limit too low to lower the soft one";
  }
  rlimit low = saved;
  low.rlim_cur = 64;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);

  absl::StatusOr<FdLimits> fds = RaiseFdLimit();
  ASSERT_TRUE(fds.ok()) << fds.status();
  EXPECT_EQ(fds->soft_before, 64u);
  EXPECT_EQ(fds->hard, saved.rlim_max);
  EXPECT_EQ(fds->soft, std::min<uint64_t>(saved.rlim_max, kMaxUsefulFdLimit));
  rlimit now{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(now.rlim_cur, fds->soft);
  // Again: nothing to raise, nothing lowered.
  fds = RaiseFdLimit();
  ASSERT_TRUE(fds.ok());
  EXPECT_EQ(fds->soft_before, fds->soft);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

TEST(FdLimitTest, TheAdminPortGetsAtMostAQuarter) {
  EXPECT_EQ(AdminConnectionCap(1024, 256), 256u);
  EXPECT_EQ(AdminConnectionCap(1024, 1000), 256u);
  EXPECT_EQ(AdminConnectionCap(256, 256), 64u);
  EXPECT_EQ(AdminConnectionCap(1 << 20, 256), 256u);
  EXPECT_EQ(AdminConnectionCap(16, 256), 8u);
  EXPECT_EQ(AdminConnectionCap(1 << 20, 4), 4u);
}

}  // namespace
}  // namespace mediagen::server
