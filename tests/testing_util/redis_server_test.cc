#include "tests/testing_util/redis_server.h"

#include <hiredis/hiredis.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::testing {
namespace {

// One synchronous command with short timeouts: the reply's text (status,
// string or error), "integer N", the value of a CONFIG GET, or
// "no connection: ..." / "no reply: ..." when the server does not answer.
std::string Ask(int port, const std::string& command,
                const std::string& password = "") {
  const timeval timeout = {0, 500 * 1000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeout);
  if (c == nullptr || c->err != 0) {
    std::string err = c != nullptr ? c->errstr : "out of memory";
    if (c != nullptr) redisFree(c);
    return "no connection: " + err;
  }
  redisSetTimeout(c, timeout);
  if (!password.empty()) {
    auto* auth =
        static_cast<redisReply*>(redisCommand(c, "AUTH %s", password.c_str()));
    if (auth != nullptr) freeReplyObject(auth);
  }
  auto* r = static_cast<redisReply*>(redisCommand(c, command.c_str()));
  std::string out;
  if (r == nullptr) {
    out = std::string("no reply: ") + c->errstr;
  } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
    // CONFIG GET name -> [name, value]: the value.
    out.assign(r->element[1]->str, r->element[1]->len);
  } else if (r->type == REDIS_REPLY_INTEGER) {
    out = absl::StrCat("integer ", r->integer);
  } else if (r->str != nullptr) {
    out.assign(r->str, r->len);
  }
  if (r != nullptr) freeReplyObject(r);
  redisFree(c);
  return out;
}

TEST(RedisServerTest, StartsOnAFreePortAndAnswers) {
  auto server = RedisServer::Start();
  ASSERT_THAT(server, IsOk());
  EXPECT_GT((*server)->port(), 0);
  EXPECT_TRUE((*server)->running());
  EXPECT_EQ(Ask((*server)->port(), "PING"), "PONG");
  EXPECT_EQ((*server)->url(),
            absl::StrCat("redis://127.0.0.1:", (*server)->port()));
  // Nothing is persisted.
  EXPECT_EQ(Ask((*server)->port(), "CONFIG GET save"), "");
  EXPECT_EQ(Ask((*server)->port(), "CONFIG GET appendonly"), "no");
  EXPECT_EQ(Ask((*server)->port(), "CONFIG GET bind"), "127.0.0.1");
}

TEST(RedisServerTest, TwoServersGetDifferentPorts) {
  auto a = RedisServer::Start();
  auto b = RedisServer::Start();
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_NE((*a)->port(), (*b)->port());
}

TEST(RedisServerTest, PasswordIsRequired) {
  RedisServer::Options options;
  options.password = "test-only-password";
  auto server = RedisServer::Start(options);
  ASSERT_THAT(server, IsOk());
  EXPECT_THAT(Ask((*server)->port(), "PING"), ::testing::HasSubstr("NOAUTH"));
  EXPECT_EQ(Ask((*server)->port(), "PING", "test-only-password"), "PONG");
}

TEST(RedisServerTest, KillRestartStop) {
  auto server = RedisServer::Start();
  ASSERT_THAT(server, IsOk());
  RedisServer& s = **server;
  const int port = s.port();
  ASSERT_EQ(Ask(port, "SET k v"), "OK");

  s.Kill();
  EXPECT_FALSE(s.running());
  EXPECT_THAT(Ask(port, "PING"), ::testing::HasSubstr("no connection"));

  ASSERT_THAT(s.Restart(), IsOk());
  EXPECT_EQ(s.port(), port);
  EXPECT_EQ(Ask(port, "PING"), "PONG");
  EXPECT_EQ(Ask(port, "EXISTS k"), "integer 0");  // nothing survives

  ASSERT_THAT(s.Stop(), IsOk());
  EXPECT_FALSE(s.running());
  EXPECT_THAT(Ask(port, "PING"), ::testing::HasSubstr("no connection"));
  ASSERT_THAT(s.Stop(), IsOk());  // idempotent
}

TEST(RedisServerTest, PauseStopsAnswersResumeBringsThemBack) {
  auto server = RedisServer::Start();
  ASSERT_THAT(server, IsOk());
  RedisServer& s = **server;
  s.Pause();
  // The kernel completes the TCP handshake; the server answers nothing.
  EXPECT_THAT(Ask(s.port(), "PING"), ::testing::HasSubstr("no reply"));
  s.Resume();
  EXPECT_EQ(Ask(s.port(), "PING"), "PONG");
}

TEST(RedisServerTest, StopWhilePausedAndDestructorWhilePaused) {
  auto server = RedisServer::Start();
  ASSERT_THAT(server, IsOk());
  (*server)->Pause();
  ASSERT_THAT((*server)->Stop(), IsOk());
  ASSERT_THAT((*server)->Restart(), IsOk());
  (*server)->Pause();
  server->reset();  // must not hang
}

}  // namespace
}  // namespace mediagen::testing
