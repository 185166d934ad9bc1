#include "service/redis/url.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::redis {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseRedisUrlTest, HostPortDb) {
  absl::StatusOr<RedisEndpoint> e = ParseRedisUrl("redis://redis:6380/2");
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->host, "redis");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->db, 2);
  EXPECT_EQ(e->username, "");
  EXPECT_EQ(e->password, "");
  EXPECT_EQ(e->ToString(), "redis:6380/2");
}

TEST(ParseRedisUrlTest, Defaults) {
  absl::StatusOr<RedisEndpoint> e = ParseRedisUrl("redis://10.0.0.7");
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->host, "10.0.0.7");
  EXPECT_EQ(e->port, 6379);
  EXPECT_EQ(e->db, 0);
  e = ParseRedisUrl("REDIS://h:1/");
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->port, 1);
  EXPECT_EQ(e->db, 0);
}

TEST(ParseRedisUrlTest, Credentials) {
  absl::StatusOr<RedisEndpoint> e =
      ParseRedisUrl("redis://:s3cr%40t:x@redis:6379/0");
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->username, "");
  EXPECT_EQ(e->password, "s3cr@t:x");
  EXPECT_EQ(e->host, "redis");
  EXPECT_THAT(e->ToString(), Not(HasSubstr("s3cr")));

  e = ParseRedisUrl("redis://mediagen:pw@@redis");
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->username, "mediagen");
  EXPECT_EQ(e->password, "pw@");
  EXPECT_EQ(e->host, "redis");
}

TEST(ParseRedisUrlTest, Ipv6) {
  absl::StatusOr<RedisEndpoint> e = ParseRedisUrl("redis://[::1]:6380/3");
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->db, 3);
  EXPECT_EQ(e->ToString(), "[::1]:6380/3");
  EXPECT_THAT(
      ParseRedisUrl("redis://[::1"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unterminated")));
  EXPECT_THAT(ParseRedisUrl("redis://[::1]x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseRedisUrlTest, OtherSchemesAreRejected) {
  EXPECT_THAT(ParseRedisUrl("http://redis:6379"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("scheme \"http\"")));
  EXPECT_THAT(ParseRedisUrl("rediss://redis:6379"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TLS")));
  EXPECT_THAT(ParseRedisUrl("redis:6379"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("must start with \"redis://\"")));
  EXPECT_THAT(ParseRedisUrl(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseRedisUrlTest, BadPortsAreRejected) {
  for (const char* url :
       {"redis://h:0", "redis://h:65536", "redis://h:-1", "redis://h:6379x",
        "redis://h:99999999999999999999", "redis://h: 1"}) {
    EXPECT_THAT(ParseRedisUrl(url),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("is not a number in 1..65535")))
        << url;
  }
  EXPECT_THAT(
      ParseRedisUrl("redis://h:"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty port")));
}

TEST(ParseRedisUrlTest, OtherMistakes) {
  EXPECT_THAT(
      ParseRedisUrl("redis://:6379"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing host")));
  EXPECT_THAT(
      ParseRedisUrl("redis://"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing host")));
  EXPECT_THAT(
      ParseRedisUrl("redis://h/x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("db \"x\"")));
  EXPECT_THAT(ParseRedisUrl("redis://h/1/2"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("db")));
  EXPECT_THAT(ParseRedisUrl("redis://h/0?timeout=1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("query")));
  EXPECT_THAT(ParseRedisUrl("redis://a:b:c"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseRedisUrlTest, ErrorsNeverQuoteThePassword) {
  const std::string secret = "Sup3rS3cret";
  for (const std::string& url : {
           "http://:" + secret + "@h:6379",
           "rediss://:" + secret + "@h:6379",
           "redis://:" + secret + "@h:99999",
           "redis://:" + secret + "@h:6379/x",
           "redis://:" + secret + "@:6379",
           "redis://" + secret + "@h:6379",
           "redis://:" + secret + "%zz@h:6379",
           "redis://:" + secret + "@h:6379?a=b",
           "redis://:" + secret + "@[::1",
       }) {
    absl::StatusOr<RedisEndpoint> e = ParseRedisUrl(url);
    ASSERT_FALSE(e.ok()) << url;
    EXPECT_THAT(std::string(e.status().message()), Not(HasSubstr(secret)))
        << url;
  }
}

}  // namespace
}  // namespace mediagen::redis
