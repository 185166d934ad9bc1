// What the Redis client tests share (test-only): waits with generous but
// finite bounds, a command run to completion, a client against a
// RedisServer's port, counters read from INFO commandstats, and recorders
// for replies, pub/sub messages and connection state changes.
//
//   auto server = RedisServer::Start();
//   std::unique_ptr<Client> client =
//   StartClient(OptionsFor((*server)->port())); EXPECT_THAT(Call(*client,
//   {"PING"}), IsOk());
#ifndef MEDIAGEN_SERVICE_REDIS_CLIENT_TEST_UTIL_H_
#define MEDIAGEN_SERVICE_REDIS_CLIENT_TEST_UTIL_H_

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
#include "tests/testing_util/redis_server.h"
#include "tests/testing_util/status_matchers.h"

namespace mediagen::redis::client_testing {

using ::mediagen::testing::IsOk;
using ::mediagen::testing::RedisServer;

// Bounds for waits: generous, because the machine running the tests may be
// loaded (2 cores, sanitizers), but finite.
inline constexpr absl::Duration kLong = absl::Seconds(30);

inline std::string ThreadName() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof(name));
  return name;
}

// Threads of this process with that name (/proc/self/task/*/comm).
inline int ThreadsNamed(const std::string& name) {
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
inline bool Eventually(const std::function<bool()>& condition,
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

inline absl::StatusOr<Reply> Call(Client& client,
                                  std::vector<std::string> argv) {
  return Pending(client, std::move(argv)).Wait().result;
}

inline std::unique_ptr<RedisServer> StartServer(
    RedisServer::Options options = RedisServer::Options()) {
  auto server = RedisServer::Start(std::move(options));
  EXPECT_THAT(server, IsOk());
  return server.ok() ? *std::move(server) : nullptr;
}

inline Client::Options OptionsFor(int port) {
  Client::Options options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = port;
  // Quick reconnects keep the tests short.
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(200);
  return options;
}

inline std::unique_ptr<Client> StartClient(Client::Options options) {
  auto client = std::make_unique<Client>(std::move(options));
  EXPECT_THAT(client->Start(), IsOk());
  return client;
}

// `calls` of one command in INFO commandstats ("cmdstat_eval:calls=3,...").
inline int64_t CommandCalls(Client& client, const std::string& command) {
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

}  // namespace mediagen::redis::client_testing

#endif  // MEDIAGEN_SERVICE_REDIS_CLIENT_TEST_UTIL_H_
