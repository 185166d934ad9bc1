#include "service/redis/script.h"

#include "gtest/gtest.h"

namespace mediagen::redis {
namespace {

TEST(ScriptTest, Sha1IsLowercaseHexOfTheSource) {
  // Values from `printf '...' | sha1sum`, which is what Redis computes.
  EXPECT_EQ(Script("return 1").sha1(),
            "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  EXPECT_EQ(Script("return redis.call('GET', KEYS[1])").sha1(),
            "d3c21d0c2b9ca22f82737626a27bcaf5d288f99f");
  EXPECT_EQ(Script("").sha1(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST(ScriptTest, CopiesShareTheSource) {
  Script a("return 1");
  Script b = a;
  EXPECT_EQ(b.source(), "return 1");
  EXPECT_EQ(b.sha1(), a.sha1());
  EXPECT_EQ(a.shared_source().get(), b.shared_source().get());
}

}  // namespace
}  // namespace mediagen::redis
