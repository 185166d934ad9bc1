// redis::Client when things go wrong: Redis killed and restarted, down at
// start, stuck (command and connect timeouts), too many commands waiting,
// and the client's own lifecycle (destruction racing commands, Stop,
// subscribing before Start, option checks, one loop thread under load).
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
#include "service/redis/client.h"
#include "service/redis/client_test_util.h"
#include "tests/testing_util/redis_server.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::redis {
namespace {

using client_testing::Call;
using client_testing::Eventually;
using client_testing::Inbox;
using client_testing::kLong;
using client_testing::OptionsFor;
using client_testing::Outcome;
using client_testing::Pending;
using client_testing::StartClient;
using client_testing::StartServer;
using client_testing::StateLog;
using client_testing::ThreadName;
using client_testing::ThreadsNamed;
using ::mediagen::testing::IsOk;
using ::mediagen::testing::IsOkAndHolds;
using ::mediagen::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ClientTest, ReconnectsAfterKillAndRestoresSubscriptions) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client::Options options = OptionsFor(server->port());
  options.command_timeout = absl::Seconds(5);  // fail-fast must beat this
  StateLog log;  // outlives the client, which reports "down" when stopping
  auto client = std::make_unique<Client>(options);
  client->AddStateObserver(log.Observer());
  ASSERT_THAT(client->Start(), IsOk());
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();
  const Script script("return redis.call('INCR', KEYS[1])");
  EXPECT_THAT(Pending(*client, script, {"n"}, {}).Wait().result,
              IsOkAndHolds(Reply::Integer(1)));

  Inbox inbox;
  auto sub = client->Subscribe("events", inbox.Callbacks());
  ASSERT_TRUE(Eventually([&] { return inbox.Get(&Inbox::subscribed) == 1; }));
  ASSERT_TRUE(Eventually([&] { return log.Changes().size() == 1; }));

  server->Kill();
  ASSERT_TRUE(Eventually([&] { return !client->up(); }));
  ASSERT_TRUE(Eventually([&] { return inbox.Get(&Inbox::interrupted) == 1; }));
  EXPECT_THAT(client->status(), StatusIs(absl::StatusCode::kUnavailable));

  // Down: commands fail at once, not after a timeout or a reconnect.
  Outcome down = Pending(*client, {"GET", "n"}).Wait();
  EXPECT_THAT(down.result, StatusIs(absl::StatusCode::kUnavailable,
                                    HasSubstr("not connected")));
  EXPECT_LT(down.elapsed, absl::Milliseconds(2500));
  EXPECT_THAT(Pending(*client, script, {"n"}, {}).Wait().result,
              StatusIs(absl::StatusCode::kUnavailable));

  ASSERT_THAT(server->Restart(), IsOk());
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();
  ASSERT_TRUE(Eventually([&] { return inbox.Get(&Inbox::resubscribed) == 1; }));
  EXPECT_EQ(inbox.Get(&Inbox::subscribed), 1);
  EXPECT_THAT(Call(*client, {"PUBLISH", "events", "after"}),
              IsOkAndHolds(Reply::Integer(1)));
  ASSERT_TRUE(Eventually([&] { return inbox.count() == 1; }));
  // The restarted server lost the script cache; Eval does not care.
  EXPECT_THAT(Pending(*client, script, {"n"}, {}).Wait().result,
              IsOkAndHolds(Reply::Integer(1)));

  ASSERT_TRUE(Eventually([&] { return log.Changes().size() == 3; }));
  EXPECT_THAT(log.Changes(), ElementsAre(true, false, true));
  std::lock_guard<std::mutex> lock(log.mu);
  EXPECT_THAT(log.causes[0], IsOk());
  EXPECT_THAT(log.causes[1], StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(log.threads, ElementsAre(Client::kThreadName));
}

TEST(ClientTest, CommandsInFlightFailWhenTheConnectionIsLost) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client::Options options = OptionsFor(server->port());
  options.command_timeout = absl::Seconds(20);  // not what ends them
  auto client = StartClient(options);
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();
  server->Pause();  // they stay unanswered...
  std::vector<std::unique_ptr<Pending>> in_flight;
  for (int i = 0; i < 10; ++i) {
    in_flight.push_back(std::make_unique<Pending>(
        *client, std::vector<std::string>{"INCR", "n"}));
  }
  // ...until the process dies and the kernel resets the connection.
  EXPECT_THAT(Call(*client, {}), StatusIs(absl::StatusCode::kInvalidArgument));
  server->Kill();
  for (auto& p : in_flight) {
    Outcome o = p->Wait();
    EXPECT_THAT(o.result, StatusIs(absl::StatusCode::kUnavailable,
                                   HasSubstr("connection lost")));
    EXPECT_LT(o.elapsed, absl::Seconds(15));
    EXPECT_EQ(p->calls(), 1);
  }
}

TEST(ClientTest, StartsWhileRedisIsDownAndConnectsLater) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ASSERT_THAT(server->Stop(), IsOk());

  auto client = std::make_unique<Client>(OptionsFor(server->port()));
  const absl::Time before = absl::Now();
  ASSERT_THAT(client->Start(), IsOk());  // never fails for a down Redis
  EXPECT_LT(absl::Now() - before, absl::Seconds(1));
  EXPECT_FALSE(client->up());
  Inbox inbox;
  auto sub = client->Subscribe("later", inbox.Callbacks());
  EXPECT_THAT(Call(*client, {"PING"}),
              StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(client->status().message(), "cannot connect");
  })) << client->status();

  ASSERT_THAT(server->Restart(), IsOk());
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();
  EXPECT_THAT(Call(*client, {"PING"}), IsOkAndHolds(Reply::Status("PONG")));
  // First confirmation: on_subscribed, not on_resubscribed.
  ASSERT_TRUE(Eventually([&] { return inbox.Get(&Inbox::subscribed) == 1; }));
  EXPECT_EQ(inbox.Get(&Inbox::resubscribed), 0);
}

TEST(ClientTest, CommandTimeoutDropsTheConnectionAndRecovers) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client::Options options = OptionsFor(server->port());
  options.command_timeout = absl::Milliseconds(300);
  options.connect_timeout = absl::Milliseconds(300);
  StateLog log;
  auto client = std::make_unique<Client>(options);
  client->AddStateObserver(log.Observer());
  ASSERT_THAT(client->Start(), IsOk());
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();
  Inbox inbox;
  auto sub = client->Subscribe("t", inbox.Callbacks());
  ASSERT_TRUE(Eventually([&] { return inbox.Get(&Inbox::subscribed) == 1; }));

  server->Pause();
  std::vector<std::unique_ptr<Pending>> stuck;
  for (int i = 0; i < 5; ++i) {
    stuck.push_back(std::make_unique<Pending>(
        *client, std::vector<std::string>{"INCR", "n"}));
  }
  for (auto& p : stuck) {
    Outcome o = p->Wait();
    EXPECT_THAT(o.result, StatusIs(absl::StatusCode::kUnavailable,
                                   HasSubstr("no reply within 300 ms")));
    EXPECT_GE(o.elapsed, absl::Milliseconds(250));
    EXPECT_LT(o.elapsed, absl::Seconds(10));
  }
  EXPECT_FALSE(client->up());
  // While the server stays stuck, reconnects time out (a PONG is needed).
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(client->status().message(),
                             "connecting timed out");
  })) << client->status();
  EXPECT_THAT(Call(*client, {"PING"}),
              StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_TRUE(Eventually([&] { return inbox.Get(&Inbox::interrupted) == 1; }));

  server->Resume();
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();
  EXPECT_THAT(Call(*client, {"PING"}), IsOkAndHolds(Reply::Status("PONG")));
  ASSERT_TRUE(Eventually([&] { return inbox.Get(&Inbox::resubscribed) == 1; }));
  ASSERT_TRUE(Eventually([&] { return log.Changes().size() >= 3; }));
  std::vector<bool> changes = log.Changes();
  EXPECT_EQ(changes.front(), true);
  EXPECT_EQ(changes[1], false);
  EXPECT_EQ(changes.back(), true);
}

TEST(ClientTest, ConnectTimeoutAgainstAServerThatNeverAnswers) {
  // A socket that listens but never accepts: the kernel completes TCP
  // handshakes into its backlog (then drops SYNs), nothing ever answers.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  Client::Options options = OptionsFor(ntohs(addr.sin_port));
  options.connect_timeout = absl::Milliseconds(200);
  auto client = std::make_unique<Client>(options);
  const absl::Time start = absl::Now();
  ASSERT_THAT(client->Start(), IsOk());
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(client->status().message(),
                             "connecting timed out after 200 ms");
  })) << client->status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
  EXPECT_FALSE(client->up());
  EXPECT_THAT(Call(*client, {"PING"}),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("connecting timed out")));
  client.reset();  // a connection attempt in progress does not block this
  close(fd);
}

TEST(ClientTest, MaxPendingBoundsCommandsWaitingForAReply) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client::Options options = OptionsFor(server->port());
  options.max_pending = 10;
  options.command_timeout = absl::Seconds(20);
  auto client = StartClient(options);
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();

  server->Pause();
  std::vector<std::unique_ptr<Pending>> waiting;
  for (int i = 0; i < 10; ++i) {
    waiting.push_back(std::make_unique<Pending>(
        *client, std::vector<std::string>{"INCR", "n"}));
  }
  Outcome refused = Pending(*client, {"INCR", "n"}).Wait();
  EXPECT_THAT(refused.result, StatusIs(absl::StatusCode::kUnavailable,
                                       HasSubstr("max_pending")));
  EXPECT_LT(refused.elapsed, absl::Seconds(5));  // at once, not at timeout
  for (auto& p : waiting) EXPECT_FALSE(p->done());

  server->Resume();
  std::set<int64_t> values;
  for (auto& p : waiting) {
    absl::StatusOr<Reply> r = p->Wait().result;
    ASSERT_THAT(r, IsOk());
    values.insert(r->integer());
  }
  EXPECT_EQ(values.size(), 10u);
  // Answered: room again.
  EXPECT_THAT(Call(*client, {"INCR", "n"}), IsOkAndHolds(Reply::Integer(11)));
}

TEST(ClientTest, ObserversCanBeRemoved) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  StateLog kept, removed;
  auto client = std::make_unique<Client>(OptionsFor(server->port()));
  client->AddStateObserver(kept.Observer());
  const Client::ObserverId id = client->AddStateObserver(removed.Observer());
  ASSERT_THAT(client->Start(), IsOk());
  ASSERT_TRUE(Eventually([&] { return removed.Changes().size() == 1; }));
  client->RemoveStateObserver(id);
  client->RemoveStateObserver(id);  // unknown id: nothing happens

  server->Kill();
  ASSERT_TRUE(Eventually([&] { return kept.Changes().size() == 2; }));
  EXPECT_THAT(kept.Changes(), ElementsAre(true, false));
  EXPECT_THAT(removed.Changes(), ElementsAre(true));
}

TEST(ClientTest, DestructorFailsCommandsInFlight) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client::Options options = OptionsFor(server->port());
  options.command_timeout = absl::Seconds(20);
  auto client = StartClient(options);
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();

  server->Pause();
  std::vector<std::unique_ptr<Pending>> in_flight;
  for (int i = 0; i < 100; ++i) {
    in_flight.push_back(std::make_unique<Pending>(
        *client, std::vector<std::string>{"INCR", "n"}));
  }
  client.reset();
  // Every callback ran, exactly once, before the destructor returned.
  for (auto& p : in_flight) {
    ASSERT_TRUE(p->done());
    EXPECT_EQ(p->calls(), 1);
    EXPECT_THAT(p->Wait().result,
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("stopped")));
  }
  server->Resume();
}

TEST(ClientTest, DestructorRacingManyCommandsAnswersEachOnce) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = StartClient(OptionsFor(server->port()));
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();
  constexpr int kCommands = 5000;
  std::atomic<int> ok{0}, unavailable{0}, other{0};
  for (int i = 0; i < kCommands; ++i) {
    client->Command({"INCR", "n"}, [&](absl::StatusOr<Reply> r) {
      if (r.ok()) {
        ++ok;
      } else if (r.status().code() == absl::StatusCode::kUnavailable) {
        ++unavailable;
      } else {
        ++other;
      }
    });
  }
  client.reset();
  EXPECT_EQ(ok.load() + unavailable.load(), kCommands);
  EXPECT_EQ(other.load(), 0);
}

TEST(ClientTest, AfterStop) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = StartClient(OptionsFor(server->port()));
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();
  Inbox inbox;
  auto sub = client->Subscribe("s", inbox.Callbacks());
  client->Stop();
  client->Stop();  // idempotent
  EXPECT_FALSE(client->up());
  // Answered at once, on this thread.
  Outcome o = Pending(*client, {"PING"}).Wait(absl::ZeroDuration());
  EXPECT_THAT(o.result,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("stopped")));
  EXPECT_EQ(o.thread, ThreadName());
  auto late = client->Subscribe("s", inbox.Callbacks());  // inert
  EXPECT_THAT(client->Start(), StatusIs(absl::StatusCode::kFailedPrecondition));
  // Handles may outlive the client.
  client.reset();
  sub.reset();
  late.reset();
}

TEST(ClientTest, SubscribeBeforeStart) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = std::make_unique<Client>(OptionsFor(server->port()));
  Inbox inbox;
  auto sub = client->Subscribe("early", inbox.Callbacks());
  ASSERT_THAT(client->Start(), IsOk());
  ASSERT_TRUE(Eventually([&] { return inbox.Get(&Inbox::subscribed) == 1; }));
  ASSERT_TRUE(client->WaitUntilUp(kLong));
  EXPECT_THAT(Call(*client, {"PUBLISH", "early", "x"}),
              IsOkAndHolds(Reply::Integer(1)));
  ASSERT_TRUE(Eventually([&] { return inbox.count() == 1; }));
}

TEST(ClientTest, StartChecksOptions) {
  auto bad = [](std::function<void(Client::Options&)> change) {
    Client::Options options;
    change(options);
    Client client(options);
    return client.Start();
  };
  EXPECT_THAT(bad([](auto& o) { o.endpoint.host = ""; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad([](auto& o) { o.endpoint.port = 0; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad([](auto& o) { o.endpoint.port = 70000; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad([](auto& o) { o.endpoint.db = -1; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad([](auto& o) { o.command_timeout = absl::ZeroDuration(); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad([](auto& o) { o.connect_timeout = -absl::Seconds(1); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad([](auto& o) { o.max_backoff = absl::Milliseconds(1); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad([](auto& o) { o.max_pending = 0; }),
              StatusIs(absl::StatusCode::kInvalidArgument));

  Client twice(Client::Options{});
  EXPECT_THAT(twice.Start(), IsOk());
  EXPECT_THAT(twice.Start(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ClientTest, OneLoopThreadWhateverTheLoad) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = StartClient(OptionsFor(server->port()));
  ASSERT_TRUE(client->WaitUntilUp(kLong)) << client->status();
  std::vector<std::unique_ptr<Pending>> many;
  for (int i = 0; i < 1000; ++i) {
    many.push_back(
        std::make_unique<Pending>(*client, std::vector<std::string>{"PING"}));
  }
  // No thread per call: one loop thread, however many calls are in flight.
  EXPECT_EQ(ThreadsNamed(Client::kThreadName), 1);
  std::set<std::string> threads;
  for (auto& p : many) {
    Outcome o = p->Wait();
    ASSERT_THAT(o.result, IsOk());
    threads.insert(o.thread);
  }
  EXPECT_THAT(threads, ElementsAre(Client::kThreadName));
  client.reset();
  EXPECT_EQ(ThreadsNamed(Client::kThreadName), 0);
}

}  // namespace
}  // namespace mediagen::redis
