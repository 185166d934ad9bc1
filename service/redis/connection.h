// Connection: one asynchronous hiredis connection to Redis, the piece of
// Client (client.h) that knows hiredis. Internal to //service/redis: use
// Client.
//
// It plugs hiredis's asynchronous API into the client's poll() loop through
// hiredis's adapter hooks (ac->ev.addRead/delRead/addWrite/delWrite/
// cleanup), so there is no event library and no thread of its own:
//
//   Connection conn(settings, hooks, &deferred);   // on the loop thread
//   loop:  pollfd {conn.fd(), conn.events()} ... poll(..., until
//          conn.NextTimer()) ... conn.OnEvents(revents, now);
//          conn.OnTimers(now);  run `deferred`
//
// A connection goes idle -> connecting -> handshake (AUTH, SELECT, PING) ->
// up, and back to idle (with a jittered, doubling backoff) when anything
// fails: connect error, connect_timeout, an AUTH/SELECT/PING error, a
// lost socket, or a reply later than command_timeout. hiredis 0.14 has
// neither a connect timeout nor a command timeout for its asynchronous API;
// both are enforced here. Since replies come back in order, a command past
// its deadline means the connection (or the server) is stuck, so the whole
// connection is dropped and every command on it fails.
//
// Not thread-safe: every method, and every hook, runs on the loop thread.
// on_up and on_push run while hiredis is on the stack: they may Send but
// must not Drop or Close a connection; on_down runs outside hiredis.
// Anything that reaches user code goes into the `deferred` list, which the
// loop runs once hiredis has returned, so user callbacks never run inside
// hiredis.
#ifndef MEDIAGEN_SERVICE_REDIS_CONNECTION_H_
#define MEDIAGEN_SERVICE_REDIS_CONNECTION_H_

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/redis/reply.h"
#include "service/redis/url.h"

struct redisAsyncContext;

namespace mediagen::redis::internal {

using SteadyClock = std::chrono::steady_clock;
using SteadyTime = SteadyClock::time_point;

// A copy of `s` that shares nothing with it. Copies of an absl::Status share
// a reference-counted message whose count lives in Debian's Abseil, which
// TSan does not see: a reader on one thread and the last owner's delete on
// another would look like a race. So every status handed to a callback
// (which may pass it to another thread) is its own.
absl::Status Detached(const absl::Status& s);

class Connection {
 public:
  // kCommands: request/reply, each command with its own callback.
  // kSubscriber: pub/sub only (SUBSCRIBE/UNSUBSCRIBE), every reply and
  // message goes to Hooks::on_push.
  enum class Mode { kCommands, kSubscriber };
  using Callback = absl::AnyInvocable<void(absl::StatusOr<Reply>)>;
  using Deferred = std::vector<absl::AnyInvocable<void()>>;

  struct Settings {
    // "command" or "subscriber", for error messages.
    std::string name;
    RedisEndpoint endpoint;
    Mode mode = Mode::kCommands;
    SteadyClock::duration connect_timeout = std::chrono::seconds(1);
    SteadyClock::duration command_timeout = std::chrono::seconds(1);
    SteadyClock::duration initial_backoff = std::chrono::milliseconds(100);
    SteadyClock::duration max_backoff = std::chrono::seconds(5);
  };

  struct Hooks {
    // The handshake finished: commands may be sent.
    std::function<void()> on_up;
    // An attempt failed (was_up false) or a ready connection was lost
    // (was_up true). Runs outside hiredis.
    std::function<void(const absl::Status& cause, bool was_up)> on_down;
    // kSubscriber: each pub/sub reply ("subscribe", "unsubscribe" and
    // "message" arrays).
    std::function<void(const Reply& push)> on_push;
  };

  // Starts connecting at the first OnTimers(). `deferred` outlives this.
  Connection(Settings settings, Hooks hooks, Deferred* deferred);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool up() const { return state_ == State::kUp; }

  // What to poll: -1 when there is nothing to wait for on a socket.
  int fd() const;
  short events() const;
  void OnEvents(short revents, SteadyTime now);
  // Connects when the backoff ran out; enforces the timeouts.
  void OnTimers(SteadyTime now);
  // When OnTimers next has something to do (max() for never).
  SteadyTime NextTimer() const;

  // kCommands, while up(): queues the command in hiredis's output buffer
  // (written at the next POLLOUT, together with every other one sent
  // before). `done` is deferred with the reply or UNAVAILABLE. Its reply
  // is due within command_timeout from now: time spent in the client's
  // queue before does not count against the connection.
  void Send(const std::vector<std::string>& argv, Callback done);
  // kSubscriber, while up(): SUBSCRIBE or UNSUBSCRIBE one channel. Its
  // confirmation must come within command_timeout. False if hiredis
  // refused it (the connection is going away).
  bool SendPubSub(absl::string_view verb, const std::string& channel,
                  SteadyTime now);

  // Drops the connection now (outside hiredis), failing what is in flight
  // with `cause`; reconnects after the backoff.
  void Drop(absl::Status cause, SteadyTime now);
  // Drops it for good: no reconnect. Idempotent.
  void Close(absl::Status cause);

 private:
  enum class State { kIdle, kConnecting, kHandshake, kUp, kClosed };
  struct Pending {
    Callback done;  // kCommands user command; empty otherwise
    SteadyTime deadline;
    const char* handshake_step = nullptr;  // "AUTH", "SELECT", "PING"
  };

  // hiredis callbacks (C function pointers).
  static void OnConnectCb(const redisAsyncContext* ac, int status);
  static void OnCommandReplyCb(redisAsyncContext* ac, void* reply,
                               void* privdata);
  static void OnSubscriberReplyCb(redisAsyncContext* ac, void* reply,
                                  void* privdata);
  static void AddReadCb(void* privdata);
  static void DelReadCb(void* privdata);
  static void AddWriteCb(void* privdata);
  static void DelWriteCb(void* privdata);
  static void CleanupCb(void* privdata);

  void Connect(SteadyTime now);
  void StartHandshake();
  // Moves `pending` into the in-flight list only when hiredis took it.
  bool SendRaw(const std::vector<std::string>& argv, Pending& pending);
  void OnHandshakeReply(const char* step, const void* reply);
  void OnContextGone();
  // Frees the context if a drop was asked for; handles a context that
  // hiredis (or we) freed. Call after every call into hiredis.
  void Settle(SteadyTime now);
  void Lost(SteadyTime now);
  // First reason wins: later ones are consequences.
  void SetCause(absl::Status cause);
  // The cause for a command that got no reply: set by us or by hiredis.
  absl::Status LostCause();
  absl::Status Unavailable(absl::string_view what) const;
  std::chrono::milliseconds Millis(SteadyClock::duration d) const;

  const Settings settings_;
  const Hooks hooks_;
  Deferred* const deferred_;

  State state_ = State::kIdle;
  redisAsyncContext* ac_ = nullptr;
  bool want_read_ = false;
  bool want_write_ = false;
  bool drop_requested_ = false;
  bool closing_ = false;
  absl::Status cause_;     // why the current context is ending
  SteadyTime retry_at_{};  // kIdle: connect at or after this
  SteadyTime connect_deadline_{};
  SteadyClock::duration backoff_;
  std::deque<Pending> pending_;
  absl::BitGen bitgen_;
  // Reused argument arrays for redisAsyncCommandArgv.
  std::vector<const char*> argv_ptrs_;
  std::vector<size_t> argv_lens_;
};

}  // namespace mediagen::redis::internal

#endif  // MEDIAGEN_SERVICE_REDIS_CONNECTION_H_
