// redis::Client against a real redis-server: replies, commands it refuses,
// pipelining, AUTH and SELECT, scripts, and publish/subscribe. Failures
// (kills, timeouts, bounds) and the lifecycle: client_failures_test.cc.
#include "service/redis/client.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/redis/client_test_util.h"
#include "tests/testing_util/redis_server.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::redis {
namespace {

using client_testing::Call;
using client_testing::CommandCalls;
using client_testing::Eventually;
using client_testing::Inbox;
using client_testing::kLong;
using client_testing::OptionsFor;
using client_testing::Pending;
using client_testing::StartClient;
using client_testing::StartServer;
using client_testing::StateLog;
using client_testing::ThreadName;
using ::mediagen::testing::IsOk;
using ::mediagen::testing::IsOkAndHolds;
using ::mediagen::testing::RedisServer;
using ::mediagen::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(ClientTest, ReplyTypes) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = StartClient(OptionsFor(server->port()));
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();
  EXPECT_TRUE(client->up());
  EXPECT_THAT(client->status(), IsOk());

  EXPECT_THAT(Call(*client, {"PING"}), IsOkAndHolds(Reply::Status("PONG")));
  const std::string binary("a\0b\r\n\xff", 6);
  EXPECT_THAT(Call(*client, {"SET", std::string("k\0ey", 4), binary}),
              IsOkAndHolds(Reply::Status("OK")));
  EXPECT_THAT(Call(*client, {"GET", std::string("k\0ey", 4)}),
              IsOkAndHolds(Reply::String(binary)));
  EXPECT_THAT(Call(*client, {"SET", "empty", ""}), IsOk());
  EXPECT_THAT(Call(*client, {"GET", "empty"}), IsOkAndHolds(Reply::String("")));
  EXPECT_THAT(Call(*client, {"GET", "missing"}), IsOkAndHolds(Reply::Nil()));
  EXPECT_THAT(Call(*client, {"INCR", "n"}), IsOkAndHolds(Reply::Integer(1)));
  EXPECT_THAT(Call(*client, {"RPUSH", "l", "a", "", "c"}),
              IsOkAndHolds(Reply::Integer(3)));
  EXPECT_THAT(Call(*client, {"LRANGE", "l", "0", "-1"}),
              IsOkAndHolds(Reply::Array({Reply::String("a"), Reply::String(""),
                                         Reply::String("c")})));
  EXPECT_THAT(Call(*client, {"LRANGE", "nothing", "0", "-1"}),
              IsOkAndHolds(Reply::Array({})));
  // Nested arrays and nil inside an array (Lua false is nil).
  EXPECT_THAT(
      Call(*client, {"EVAL", "return {1, {'x', false}, 'y'}", "0"}),
      IsOkAndHolds(Reply::Array(
          {Reply::Integer(1), Reply::Array({Reply::String("x"), Reply::Nil()}),
           Reply::String("y")})));
  const std::string big(1 << 20, 'z');
  EXPECT_THAT(Call(*client, {"SET", "big", big}), IsOk());
  EXPECT_THAT(Call(*client, {"GET", "big"}), IsOkAndHolds(Reply::String(big)));

  // A Redis error reply is an OK result holding an error Reply.
  absl::StatusOr<Reply> error = Call(*client, {"INCR", "l"});
  ASSERT_THAT(error, IsOk());
  EXPECT_TRUE(error->is_error());
  EXPECT_THAT(error->str(), StartsWith("WRONGTYPE"));
  error = Call(*client, {"NOSUCHCOMMAND"});
  ASSERT_THAT(error, IsOk());
  EXPECT_THAT(error->str(), StartsWith("ERR unknown command"));

  // Callbacks run on the loop thread.
  EXPECT_EQ(Pending(*client, {"PING"}).Wait().thread, Client::kThreadName);
}

TEST(ClientTest, RefusesCommandsThatWouldBreakTheSharedConnection) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = StartClient(OptionsFor(server->port()));
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();
  EXPECT_THAT(Call(*client, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  for (const char* command : {"subscribe", "PSUBSCRIBE", "multi", "EXEC",
                              "select", "AUTH", "monitor", "BLPOP", "hello"}) {
    EXPECT_THAT(
        Call(*client, {command, "x", "0"}),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not allowed")))
        << command;
  }
  // The connection is unharmed.
  EXPECT_THAT(Call(*client, {"PING"}), IsOkAndHolds(Reply::Status("PONG")));
}

TEST(ClientTest, PipelinesManyConcurrentCommands) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = StartClient(OptionsFor(server->port()));
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();

  constexpr int kThreads = 4;
  constexpr int kPerThread = 2500;
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0;
  std::vector<absl::Status> failures;
  std::set<int64_t> values;
  std::set<std::string> threads;
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        client->Command({"INCR", "counter"}, [&](absl::StatusOr<Reply> r) {
          std::lock_guard<std::mutex> lock(mu);
          if (!r.ok()) {
            failures.push_back(r.status());
          } else {
            values.insert(r->integer());
          }
          threads.insert(ThreadName());
          ++answered;
          cv.notify_all();
        });
      }
    });
  }
  for (std::thread& t : senders) t.join();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60),
                            [&] { return answered == kThreads * kPerThread; }))
        << answered << " answered";
    EXPECT_THAT(failures, ::testing::IsEmpty());
    // Every INCR got its own, distinct answer: 1..10000.
    EXPECT_EQ(values.size(), static_cast<size_t>(kThreads * kPerThread));
    EXPECT_EQ(*values.begin(), 1);
    EXPECT_EQ(*values.rbegin(), kThreads * kPerThread);
    EXPECT_THAT(threads, ElementsAre(Client::kThreadName));
  }
  EXPECT_THAT(Call(*client, {"GET", "counter"}),
              IsOkAndHolds(Reply::String(absl::StrCat(kThreads * kPerThread))));
}

TEST(ClientTest, AuthAndSelect) {
  RedisServer::Options server_options;
  server_options.password = "c0rrect-horse";
  auto server = StartServer(server_options);
  ASSERT_NE(server, nullptr);

  Client::Options options = OptionsFor(server->port());
  options.endpoint.password = "c0rrect-horse";
  options.endpoint.db = 3;
  auto db3 = StartClient(options);
  options.endpoint.db = 0;
  auto db0 = StartClient(options);
  ASSERT_TRUE(db3->WaitUntilUp(kLong)) << db3->status();
  ASSERT_TRUE(db0->WaitUntilUp(kLong)) << db0->status();

  EXPECT_THAT(Call(*db3, {"SET", "k", "in-db-3"}), IsOk());
  EXPECT_THAT(Call(*db3, {"GET", "k"}), IsOkAndHolds(Reply::String("in-db-3")));
  EXPECT_THAT(Call(*db0, {"GET", "k"}), IsOkAndHolds(Reply::Nil()));
  EXPECT_THAT(Call(*db0, {"SELECT", "3"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The same key seen from the server's side: it lives in db 3.
  absl::StatusOr<Reply> keyspace = Call(*db0, {"INFO", "keyspace"});
  ASSERT_THAT(keyspace, IsOk());
  EXPECT_THAT(keyspace->str(), HasSubstr("db3:keys=1"));
}

TEST(ClientTest, WrongPasswordNeverAppearsInAnyMessage) {
  RedisServer::Options server_options;
  server_options.password = "c0rrect-horse";
  auto server = StartServer(server_options);
  ASSERT_NE(server, nullptr);

  const std::string wrong = "wr0ng-battery-staple";
  Client::Options options = OptionsFor(server->port());
  options.endpoint.password = wrong;
  StateLog log;
  auto client = std::make_unique<Client>(options);
  client->AddStateObserver(log.Observer());
  ASSERT_THAT(client->Start(), IsOk());

  // AUTH fails and keeps failing; the status says so, without the password.
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(client->status().message(), "WRONGPASS");
  })) << client->status();
  EXPECT_FALSE(client->up());
  EXPECT_THAT(client->status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       ::testing::AllOf(HasSubstr("AUTH failed"),
                                        Not(HasSubstr(wrong)))));
  absl::StatusOr<Reply> r = Call(*client, {"PING"});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable,
                          ::testing::AllOf(HasSubstr("not connected"),
                                           Not(HasSubstr(wrong)))));
  client->Stop();
  EXPECT_THAT(log.Changes(), ::testing::IsEmpty());  // never up, no change
  for (const absl::Status& s : log.causes) {
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr(wrong)));
  }

  // No password at all: PING is refused (NOAUTH), so the client is not up.
  auto no_password = StartClient(OptionsFor(server->port()));
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(no_password->status().message(), "NOAUTH");
  })) << no_password->status();
  EXPECT_FALSE(no_password->up());
}

TEST(ClientTest, EvalFallsBackToEvalAfterScriptFlush) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = StartClient(OptionsFor(server->port()));
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();
  const Script incr("return redis.call('INCRBY', KEYS[1], ARGV[1])");

  // Not cached yet: EVALSHA -> NOSCRIPT -> EVAL.
  EXPECT_THAT(Pending(*client, incr, {"n"}, {"5"}).Wait().result,
              IsOkAndHolds(Reply::Integer(5)));
  EXPECT_EQ(CommandCalls(*client, "eval"), 1);
  EXPECT_THAT(Call(*client, {"SCRIPT", "EXISTS", incr.sha1()}),
              IsOkAndHolds(Reply::Array({Reply::Integer(1)})));

  // Cached: EVALSHA alone.
  const int64_t evalsha_before = CommandCalls(*client, "evalsha");
  EXPECT_THAT(Pending(*client, incr, {"n"}, {"2"}).Wait().result,
              IsOkAndHolds(Reply::Integer(7)));
  EXPECT_EQ(CommandCalls(*client, "eval"), 1);
  EXPECT_EQ(CommandCalls(*client, "evalsha"), evalsha_before + 1);

  // Flushed (as after a restart): EVAL again, and the script is back.
  EXPECT_THAT(Call(*client, {"SCRIPT", "FLUSH"}), IsOk());
  EXPECT_THAT(Pending(*client, incr, {"n"}, {"1"}).Wait().result,
              IsOkAndHolds(Reply::Integer(8)));
  EXPECT_EQ(CommandCalls(*client, "eval"), 2);
  EXPECT_THAT(Call(*client, {"SCRIPT", "EXISTS", incr.sha1()}),
              IsOkAndHolds(Reply::Array({Reply::Integer(1)})));

  // Other script errors are the caller's to see.
  const Script broken("return redis.call('INCR', KEYS[1])");
  EXPECT_THAT(Call(*client, {"SET", "s", "text"}), IsOk());
  absl::StatusOr<Reply> r = Pending(*client, broken, {"s"}, {}).Wait().result;
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->is_error());
  EXPECT_THAT(r->str(), HasSubstr("not an integer"));
}

TEST(ClientTest, PublishSubscribeAndUnsubscribeOnHandleDestruction) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = StartClient(OptionsFor(server->port()));
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();

  Inbox first;
  auto sub1 = client->Subscribe("ch", first.Callbacks());
  EXPECT_EQ(sub1->channel(), "ch");
  ASSERT_TRUE(Eventually([&] { return first.Get(&Inbox::subscribed) == 1; }));

  const std::string payload("hello\0world", 11);
  EXPECT_THAT(Call(*client, {"PUBLISH", "other", "x"}),
              IsOkAndHolds(Reply::Integer(0)));
  Pending published(*client, {"PUBLISH", "ch", payload});
  EXPECT_THAT(published.Wait().result, IsOkAndHolds(Reply::Integer(1)));
  ASSERT_TRUE(Eventually([&] { return first.count() == 1; }));
  {
    std::lock_guard<std::mutex> lock(first.mu);
    EXPECT_EQ(first.messages[0].first, "ch");
    EXPECT_EQ(first.messages[0].second, payload);
    EXPECT_THAT(first.threads, ElementsAre(Client::kThreadName));
  }

  // A second subscriber on the channel: confirmed at once, no second
  // SUBSCRIBE (the server counts one subscribed connection).
  Inbox second;
  auto sub2 = client->Subscribe("ch", second.Callbacks());
  ASSERT_TRUE(Eventually([&] { return second.Get(&Inbox::subscribed) == 1; }));
  Pending both(*client, {"PUBLISH", "ch", "two"});
  EXPECT_THAT(both.Wait().result, IsOkAndHolds(Reply::Integer(1)));
  ASSERT_TRUE(Eventually([&] { return first.count() == 2; }));
  ASSERT_TRUE(Eventually([&] { return second.count() == 1; }));
  EXPECT_THAT(
      Call(*client, {"PUBSUB", "NUMSUB", "ch"}),
      IsOkAndHolds(Reply::Array({Reply::String("ch"), Reply::Integer(1)})));

  // The first leaves: the channel stays subscribed for the second.
  sub1.reset();
  client->Publish("ch", "three", [](absl::StatusOr<Reply>) {});
  ASSERT_TRUE(Eventually([&] { return second.count() == 2; }));
  EXPECT_EQ(first.count(), 2u);
  EXPECT_THAT(
      Call(*client, {"PUBSUB", "NUMSUB", "ch"}),
      IsOkAndHolds(Reply::Array({Reply::String("ch"), Reply::Integer(1)})));

  // The last one leaves: UNSUBSCRIBE.
  sub2.reset();
  ASSERT_TRUE(Eventually([&] {
    return Call(*client, {"PUBSUB", "NUMSUB", "ch"}).value_or(Reply()) ==
           Reply::Array({Reply::String("ch"), Reply::Integer(0)});
  }));
  EXPECT_THAT(Call(*client, {"PUBLISH", "ch", "nobody"}),
              IsOkAndHolds(Reply::Integer(0)));

  // Subscribing again after that works (SUBSCRIBE after UNSUBSCRIBE).
  Inbox third;
  auto sub3 = client->Subscribe("ch", third.Callbacks());
  ASSERT_TRUE(Eventually([&] { return third.Get(&Inbox::subscribed) == 1; }));
  client->Publish("ch", "four", [](absl::StatusOr<Reply>) {});
  ASSERT_TRUE(Eventually([&] { return third.count() == 1; }));
  EXPECT_EQ(second.count(), 2u);
}

TEST(ClientTest, QuickSubscribeUnsubscribeSubscribeEndsSubscribed) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client::Options options = OptionsFor(server->port());
  options.command_timeout = absl::Seconds(20);  // the pause below is shorter
  auto client = StartClient(options);
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();
  Inbox anchor;  // keeps the subscriber connection up and confirmed
  auto keep = client->Subscribe("anchor", anchor.Callbacks());
  ASSERT_TRUE(Eventually([&] { return anchor.Get(&Inbox::subscribed) == 1; }));

  // SUBSCRIBE, UNSUBSCRIBE, SUBSCRIBE sent while the server is stopped, so
  // all three are in flight when the first confirmation comes back.
  server->Pause();
  Inbox gone, kept;
  auto a = client->Subscribe("flip", gone.Callbacks());
  a.reset();
  auto b = client->Subscribe("flip", kept.Callbacks());
  // The loop runs queued work in order: once this is answered, the three
  // are in hiredis's output buffer.
  EXPECT_THAT(Call(*client, {}), StatusIs(absl::StatusCode::kInvalidArgument));
  server->Resume();
  ASSERT_TRUE(Eventually([&] { return kept.Get(&Inbox::subscribed) == 1; }));
  EXPECT_THAT(Call(*client, {"PUBLISH", "flip", "x"}),
              IsOkAndHolds(Reply::Integer(1)));
  ASSERT_TRUE(Eventually([&] { return kept.count() == 1; }));
  EXPECT_EQ(gone.count(), 0u);
  EXPECT_EQ(gone.Get(&Inbox::subscribed), 0);
  EXPECT_EQ(anchor.Get(&Inbox::interrupted), 0);
}

TEST(ClientTest, NoMessageCallbackAfterTheHandleIsDestroyed) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = StartClient(OptionsFor(server->port()));
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();

  std::atomic<bool> destroyed{false};
  std::atomic<bool> late_call{false};
  std::atomic<int> calls{0};
  Client::SubscribeCallbacks slow;
  slow.on_message = [&](absl::string_view, absl::string_view) {
    if (destroyed.load()) late_call = true;
    ++calls;
    // Slow on purpose: the handle is destroyed while one of these runs.
    absl::SleepFor(absl::Milliseconds(2));
  };
  std::atomic<bool> subscribed{false};
  slow.on_subscribed = [&] { subscribed = true; };
  auto sub = client->Subscribe("busy", std::move(slow));
  Inbox witness;
  auto witness_sub = client->Subscribe("busy", witness.Callbacks());
  ASSERT_TRUE(Eventually([&] {
    return subscribed.load() && witness.Get(&Inbox::subscribed) == 1;
  }));
  constexpr int kMessages = 500;
  for (int i = 0; i < kMessages; ++i) {
    client->Publish("busy", absl::StrCat(i), [](absl::StatusOr<Reply>) {});
  }
  ASSERT_TRUE(Eventually([&] { return calls.load() >= 5; }));
  sub.reset();
  destroyed = true;
  // Every message reached the other subscriber, so delivery went on after
  // the destruction; none reached the destroyed one.
  ASSERT_TRUE(Eventually([&] { return witness.count() == kMessages; }));
  EXPECT_FALSE(late_call.load());
  EXPECT_LT(calls.load(), kMessages);
}

}  // namespace
}  // namespace mediagen::redis
