// Client: the one way mediagen talks to Redis (shared request_id outcomes,
// job leases and fan-out, quota counters across replicas). Nothing else in
// the code base speaks RESP: Debian's hiredis (0.14, asynchronous API)
// formats commands and parses replies; this class adds what hiredis 0.14
// lacks for a server: connect and command timeouts, reconnect with backoff,
// a bound on memory, scripts that survive a Redis restart, and pub/sub that
// comes back after one.
//
//   Client::Options options;
//   options.endpoint = *ParseRedisUrl("redis://redis:6379/0");
//   options.endpoint.password = password_from_secret;
//   Client redis(options);
//   if (absl::Status s = redis.Start(); !s.ok()) return s;  // bad options only
//
//   redis.Command({"SET", key, value, "PX", "30000"},
//                 [](absl::StatusOr<Reply> r) {
//                   if (!r.ok()) { /* UNAVAILABLE: Redis down/slow/stopping */
//                   } else if (r->is_error()) { /* "-ERR ..." from Redis */ }
//                 });
//
//   static const Script kIncrTo(
//       "return redis.call('INCRBY', KEYS[1], ARGV[1])");
//   redis.Eval(kIncrTo, {key}, {"5"}, done);   // EVALSHA, EVAL if needed
//
//   SubscribeCallbacks callbacks;                  // subscription.h
//   callbacks.on_message = [](absl::string_view channel,
//                             absl::string_view payload) { ... };
//   callbacks.on_resubscribed = [] { /* messages were lost: re-read */ };
//   std::unique_ptr<Subscription> sub =
//       redis.Subscribe("jobs:{tenant}:job-1", std::move(callbacks));
//   redis.Publish("jobs:{tenant}:job-1", payload, done);
//   sub.reset();                                   // unsubscribes
//
// Threading. Every method may be called from any thread (except that Stop
// and the destructor must not run on the loop thread). All Redis I/O happens
// on ONE dedicated thread ("mg-redis"), which poll()s the connections and an
// eventfd; other threads hand it work through a mutex-protected queue and
// that eventfd. Every callback (command completions, messages, subscription
// and state changes) runs on that thread: callbacks must be quick and must
// never block (no waiting on another Redis reply, no I/O); they may call any
// method of this class except Stop, WaitUntilUp and the destructor.
//
// Why this design:
//  - One thread and two connections carry any number of concurrent calls:
//    commands from every thread are pipelined on one connection (hiredis
//    buffers them and the loop writes once per wakeup), with no thread and
//    no connection per call. Pub/sub needs its own connection, because a
//    connection in subscribe mode takes no other commands.
//  - Fail fast while Redis is down: a command sent while disconnected fails
//    at once with UNAVAILABLE instead of waiting for a reconnect. Callers
//    decide (a create with a request_id is refused, a watch falls back to
//    local polling); queueing would only turn an outage into a pile of late
//    writes and unbounded memory. For the same reason at most
//    `max_pending` commands wait for a reply; more fail at once.
//  - A timeout drops the connection: replies come in order, so a command
//    past its deadline means every later one is stuck behind it. Every
//    pending command then fails with UNAVAILABLE and the client reconnects,
//    rather than waiting on a connection that may never answer.
//  - Connection failures never fail Start(): a replica starts and serves
//    (with the in-memory fallbacks) while Redis is away, and connects in
//    the background with a doubling, jittered backoff.
//
// Timeouts and reconnects. connect_timeout covers TCP connect plus AUTH,
// SELECT and a PING (a server that accepts but does not answer is not up).
// A command's reply is due within command_timeout of being sent (time in
// the queue does not count). When the command connection is lost, the
// subscriber connection is reset too (nothing else would notice a dead
// idle connection soon), so subscribers see on_interrupted and then
// on_resubscribed. Host names are resolved on the loop thread (hiredis 0.14
// calls getaddrinfo), which a cluster-local name or an IP makes instant.
//
// Errors. A command's `done` runs exactly once with: the Reply (a Redis
// error reply is an OK StatusOr holding a Reply of type kError: callers
// decide what it means), UNAVAILABLE (not connected, connection lost,
// timeout, too many pending, client stopping), or INVALID_ARGUMENT (a
// command this client does not allow, see Command). No message ever
// contains the password.
//
// Pub/sub uses classic SUBSCRIBE/PUBLISH: hiredis 0.14's asynchronous API
// does not understand the pushes of Redis 7's sharded SSUBSCRIBE. Channel
// names can still carry a {hash tag} so a move to SSUBSCRIBE on a Redis
// Cluster keeps them on their job's shard.
#ifndef MEDIAGEN_SERVICE_REDIS_CLIENT_H_
#define MEDIAGEN_SERVICE_REDIS_CLIENT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/common/mutex.h"
#include "service/redis/reply.h"
#include "service/redis/script.h"
#include "service/redis/subscription.h"
#include "service/redis/url.h"
#include "service/redis/work_queue.h"

namespace mediagen::redis {

namespace internal {
class Connection;
}  // namespace internal

class Client {
 public:
  struct Options {
    // host, port, db (SELECTed after connecting), username/password (AUTH
    // after connecting; never logged or put in an error message).
    RedisEndpoint endpoint;
    // TCP connect plus AUTH/SELECT/PING must finish within this.
    absl::Duration connect_timeout = absl::Seconds(1);
    // A reply later than this drops the connection (see above).
    absl::Duration command_timeout = absl::Seconds(1);
    // Reconnect delay: starts here, doubles up to max_backoff, jittered
    // over its upper half; back to the start once connected.
    absl::Duration initial_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(5);
    // Commands accepted and not yet answered (queued or in flight). Beyond
    // it new commands fail at once with UNAVAILABLE.
    size_t max_pending = 50000;
  };

  using Callback = absl::AnyInvocable<void(absl::StatusOr<Reply>)>;
  // `cause` is OK when up, else why not (never containing the password).
  using StateObserver = std::function<void(bool up, const absl::Status& cause)>;
  using ObserverId = uint64_t;
  // See subscription.h.
  using SubscribeCallbacks = redis::SubscribeCallbacks;
  using Subscription = redis::Subscription;

  // Nothing happens before Start().
  explicit Client(Options options);
  // Stop()s.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Checks the options (INVALID_ARGUMENT) and starts the loop thread, which
  // connects in the background. Never blocks on Redis and never fails
  // because Redis is down. Once only.
  absl::Status Start();

  // Fails every pending command with UNAVAILABLE (their callbacks run
  // before Stop returns), closes the connections and joins the loop
  // thread. No callback runs after it returns; commands sent afterwards
  // fail at once, with `done` run on the calling thread. Idempotent; not
  // from the loop thread.
  void Stop();

  // Sends one command, binary safe (argv[0] is the command name). While
  // disconnected it fails at once (no queueing while down). Before Start()
  // it waits in the queue; after Stop() `done` runs on the calling thread.
  // INVALID_ARGUMENT for an empty argv and for commands that would break a
  // shared, pipelined connection: (P|S)SUBSCRIBE and their UNSUBSCRIBEs
  // (use Subscribe), MULTI/EXEC/DISCARD/WATCH/UNWATCH (use a Script),
  // SELECT/AUTH/HELLO/RESET/QUIT/MONITOR, and the blocking list and
  // sorted-set pops (B*POP, BLMOVE, BRPOPLPUSH), which would trip the
  // command timeout.
  void Command(std::vector<std::string> argv, Callback done);

  // EVALSHA of `script`; on a NOSCRIPT error reply (Redis restarted, SCRIPT
  // FLUSH, a new replica) resends it as EVAL, which also loads it. Each
  // attempt has its own command_timeout.
  void Eval(const Script& script, std::vector<std::string> keys,
            std::vector<std::string> args, Callback done);

  // PUBLISH: the reply is the number of subscribed connections that got it.
  void Publish(std::string channel, std::string payload, Callback done);

  // Subscribes on the subscriber connection (SUBSCRIBE for a channel's
  // first subscriber, UNSUBSCRIBE when the handle of its last one is
  // destroyed) and again after every reconnect, then on_resubscribed runs.
  // May be called before Start(); after Stop() the handle is inert.
  std::unique_ptr<Subscription> Subscribe(std::string channel,
                                          SubscribeCallbacks callbacks);

  // The command connection is connected and answered PING (after AUTH and
  // SELECT).
  bool up() const { return up_.load(std::memory_order_acquire); }
  // OK when up(), else why not.
  absl::Status status() const;
  // Blocks until up() or the timeout; for startup and tests, never from a
  // callback.
  bool WaitUntilUp(absl::Duration timeout) const;

  // Called on the loop thread on every change of up() after it is added
  // (read up() after adding it for the current state), including the last
  // "down" while Stop() runs. After RemoveStateObserver returns it is not
  // called again.
  ObserverId AddStateObserver(StateObserver observer);
  void RemoveStateObserver(ObserverId id);

  // The loop thread's name, as in /proc/self/task/*/comm.
  static constexpr const char* kThreadName = "mg-redis";

 private:
  struct Observer;

  void Post(internal::QueuedCommand command);
  void Loop();
  void TakeWork(bool* stop);
  void RunDeferred();
  void Shutdown();
  void OnCommandUp();
  void OnCommandDown(const absl::Status& cause, bool was_up);
  void NotifyObservers(bool up, const absl::Status& cause);
  void SetState(bool up, const absl::Status& cause);

  const Options options_;
  // Shared with Subscription handles, which may outlive the client.
  const std::shared_ptr<internal::WorkQueue> queue_;
  std::atomic<size_t> outstanding_{0};
  std::atomic<bool> up_{false};

  mutable Mutex status_mu_;
  mutable CondVar status_cv_;
  absl::Status status_ ABSL_GUARDED_BY(status_mu_);

  Mutex observers_mu_;
  ObserverId next_observer_ ABSL_GUARDED_BY(observers_mu_) = 1;
  std::map<ObserverId, std::shared_ptr<Observer>> observers_
      ABSL_GUARDED_BY(observers_mu_);

  Mutex lifecycle_mu_;  // Start/Stop
  bool started_ ABSL_GUARDED_BY(lifecycle_mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(lifecycle_mu_);

  // Loop thread only (built by the constructor, used once the loop runs).
  std::vector<absl::AnyInvocable<void()>> deferred_;
  std::unique_ptr<internal::Connection> command_;
  std::unique_ptr<internal::Connection> subscriber_;
  std::unique_ptr<internal::SubscriptionTable> subscriptions_;
  bool stopping_ = false;
};

}  // namespace mediagen::redis

#endif  // MEDIAGEN_SERVICE_REDIS_CLIENT_H_
