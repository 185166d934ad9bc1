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
#include "tests/testing_util/redis_server.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::redis {
namespace {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::IsOkAndHolds;
using ::mediagen::testing::RedisServer;
using ::mediagen::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Bounds for waits: generous, because the machine running the tests may be
// loaded (2 cores, sanitizers), but finite.
constexpr absl::Duration kLong = absl::Seconds(30);

std::string ThreadName() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof(name));
  return name;
}

// Threads of this process with that name (/proc/self/task/*/comm).
int ThreadsNamed(const std::string& name) {
  int n = 0;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(absl::StrCat("/proc/self/task/", e->d_name, "/comm"));
    std::string comm;
    std::getline(in, comm);
    if (comm == name) ++n;
  }
  closedir(dir);
  return n;
}

// Polls `condition` until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& condition,
                absl::Duration timeout = kLong) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// The result of one command, with how long it took and on which thread its
// callback ran.
struct Outcome {
  absl::StatusOr<Reply> result;
  absl::Duration elapsed;
  std::string thread;
};

class Pending {
 public:
  explicit Pending(Client& client, std::vector<std::string> argv)
      : state_(std::make_shared<State>()), start_(absl::Now()) {
    client.Command(std::move(argv), Done());
  }
  Pending(Client& client, const Script& script, std::vector<std::string> keys,
          std::vector<std::string> args)
      : state_(std::make_shared<State>()), start_(absl::Now()) {
    client.Eval(script, std::move(keys), std::move(args), Done());
  }

  Client::Callback Done() {
    return [state = state_, start = start_](absl::StatusOr<Reply> r) {
      std::lock_guard<std::mutex> lock(state->mu);
      ++state->calls;
      state->outcome.result = std::move(r);
      state->outcome.elapsed = absl::Now() - start;
      state->outcome.thread = ThreadName();
      state->cv.notify_all();
    };
  }

  // Waits for the callback; a failure (DEADLINE_EXCEEDED) if it never ran.
  // The outcome is moved out, not copied: a status copy would share its
  // message with the one the loop thread destroys, through a reference
  // count TSan cannot see in Debian's Abseil.
  Outcome Wait(absl::Duration timeout = kLong) {
    if (taken_.has_value()) return *taken_;
    std::unique_lock<std::mutex> lock(state_->mu);
    if (!state_->cv.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                             [&] { return state_->calls > 0; })) {
      return {absl::DeadlineExceededError("callback did not run"), timeout, ""};
    }
    taken_ = std::move(state_->outcome);
    return *taken_;
  }
  bool done() {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->calls > 0;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->calls;
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    int calls = 0;
    Outcome outcome{absl::UnknownError("unset"), absl::ZeroDuration(), ""};
  };
  std::shared_ptr<State> state_;
  absl::Time start_;
  std::optional<Outcome> taken_;  // test thread only
};

absl::StatusOr<Reply> Call(Client& client, std::vector<std::string> argv) {
  return Pending(client, std::move(argv)).Wait().result;
}

std::unique_ptr<RedisServer> StartServer(
    RedisServer::Options options = RedisServer::Options()) {
  auto server = RedisServer::Start(std::move(options));
  EXPECT_THAT(server, IsOk());
  return server.ok() ? *std::move(server) : nullptr;
}

Client::Options OptionsFor(int port) {
  Client::Options options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = port;
  // Quick reconnects keep the tests short.
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(200);
  return options;
}

std::unique_ptr<Client> StartClient(Client::Options options) {
  auto client = std::make_unique<Client>(std::move(options));
  EXPECT_THAT(client->Start(), IsOk());
  return client;
}

// `calls` of one command in INFO commandstats ("cmdstat_eval:calls=3,...").
int64_t CommandCalls(Client& client, const std::string& command) {
  absl::StatusOr<Reply> info = Call(client, {"INFO", "commandstats"});
  if (!info.ok()) return -1;
  const std::string prefix = absl::StrCat("cmdstat_", command, ":calls=");
  for (absl::string_view line : absl::StrSplit(info->str(), "\r\n")) {
    if (!absl::StartsWith(line, prefix)) continue;
    line.remove_prefix(prefix.size());
    int64_t calls = 0;
    if (absl::SimpleAtoi(line.substr(0, line.find(',')), &calls)) return calls;
  }
  return 0;
}

// Messages and subscription events seen by one subscriber.
struct Inbox {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> messages;
  int subscribed = 0;
  int interrupted = 0;
  int resubscribed = 0;
  std::set<std::string> threads;

  Client::SubscribeCallbacks Callbacks() {
    Client::SubscribeCallbacks cb;
    cb.on_message = [this](absl::string_view channel,
                           absl::string_view payload) {
      std::lock_guard<std::mutex> lock(mu);
      messages.emplace_back(std::string(channel), std::string(payload));
      threads.insert(ThreadName());
    };
    cb.on_subscribed = [this] {
      std::lock_guard<std::mutex> lock(mu);
      ++subscribed;
    };
    cb.on_interrupted = [this] {
      std::lock_guard<std::mutex> lock(mu);
      ++interrupted;
    };
    cb.on_resubscribed = [this] {
      std::lock_guard<std::mutex> lock(mu);
      ++resubscribed;
    };
    return cb;
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return messages.size();
  }
  int Get(int Inbox::*field) {
    std::lock_guard<std::mutex> lock(mu);
    return this->*field;
  }
};

// Up/down changes seen by a state observer.
struct StateLog {
  std::mutex mu;
  std::vector<bool> changes;
  std::vector<absl::Status> causes;
  std::set<std::string> threads;

  Client::StateObserver Observer() {
    return [this](bool up, const absl::Status& cause) {
      std::lock_guard<std::mutex> lock(mu);
      changes.push_back(up);
      causes.push_back(cause);
      threads.insert(ThreadName());
    };
  }
  std::vector<bool> Changes() {
    std::lock_guard<std::mutex> lock(mu);
    return changes;
  }
};

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
